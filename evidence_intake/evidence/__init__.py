"""Opening acquired evidence read-only: images, volumes, file systems, archives, phone extractions."""
