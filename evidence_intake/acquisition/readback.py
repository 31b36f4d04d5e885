"""Reading an image back after writing it: media hashes, and each segment file's size and SHA-256."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evidence_intake.acquisition.hashing import MultiHasher
from evidence_intake.acquisition.pipeline import DEFAULT_BLOCK
from evidence_intake.progress import Progress


def verify_image(
    paths: Sequence[Path], fmt: str, algorithms: Sequence[str], progress: Progress, size: int
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Re-read the image as written: media hashes, and the SHA-256 and size of every segment file."""
    progress.phase("verifying image", size)
    segments: list[dict[str, Any]] = []
    if fmt == "e01":
        from evidence_intake.evidence.images import open_image

        with open_image(list(paths)) as reader, MultiHasher(algorithms) as hasher:
            # E01 holds whole sectors: a partial last sector read from the source was zero-padded.
            end = size if 0 < size <= reader.size else reader.size
            offset = 0
            while offset < end:
                data = reader.read_at(offset, min(DEFAULT_BLOCK, end - offset))
                if not data:
                    break
                hasher.update(data)
                offset += len(data)
                progress.advance(len(data))
            media = hasher.hexdigests()
        for path in paths:
            with MultiHasher(("sha256",)) as seg_hasher, open(path, "rb", buffering=0) as fh:
                while chunk := fh.read(DEFAULT_BLOCK):
                    seg_hasher.update(chunk)
                segments.append({"path": path.name, "size": path.stat().st_size, **seg_hasher.hexdigests()})
        return media, segments
    with MultiHasher(algorithms) as hasher:
        for path in paths:
            seg = MultiHasher(("sha256",)) if len(paths) > 1 else None
            try:
                with open(path, "rb", buffering=0) as fh:
                    while chunk := fh.read(DEFAULT_BLOCK):
                        token = hasher.submit(chunk)
                        if seg is not None:
                            seg.update(chunk)
                        hasher.wait(token)
                        progress.advance(len(chunk))
                seg_hash = seg.hexdigests()["sha256"] if seg is not None else None
            finally:
                if seg is not None:
                    seg.close()
            segments.append({"path": path.name, "size": path.stat().st_size, "sha256": seg_hash})
        media = hasher.hexdigests()
    if len(paths) == 1:
        segments[0]["sha256"] = media.get("sha256")
    return media, segments
