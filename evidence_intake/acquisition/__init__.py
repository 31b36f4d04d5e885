"""Reading sources, hashing, and writing images (raw, split raw, E01)."""
