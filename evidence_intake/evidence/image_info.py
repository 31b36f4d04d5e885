"""``image info``: what an image file is, how many segments it has, how large its media is.

E01 images describe themselves (case metadata, stored hashes, acquisition errors: see
ewf_info); raw and split raw images are only files, so for them this says format, segments
and size. The format is told by the first bytes (the EWF signature), not by the file name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence_intake.acquisition import ewf_format as fmt
from evidence_intake.errors import EvidenceError, NotFoundError, UsageError
from evidence_intake.evidence.ewf_info import EwfInfo, EwfSegment, read_ewf_info, segment_sha256
from evidence_intake.evidence.segments import find_segments
from evidence_intake.progress import Progress


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageInfo:
    path: Path  # the first segment
    format: str  # raw, split-raw, e01
    segments: list[EwfSegment]
    media_size: int
    ewf: EwfInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.ewf is not None:
            return self.ewf.to_dict()
        return {
            "path": str(self.path),
            "format": self.format,
            "segments": [s.to_dict() for s in self.segments],
            "media_size": self.media_size,
        }


def _signature(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(len(fmt.EVF_SIGNATURE))
    except OSError as exc:
        raise EvidenceError(f"cannot read {path}: {exc.strerror}", path=path) from exc


def image_info(path: Path, *, segment_hashes: bool = False, progress: Progress | None = None) -> ImageInfo:
    """Describe the image whose first (or any) segment is ``path``; read-only.

    ``segment_hashes`` reads every segment whole: one ``progress`` phase per segment.
    """
    if not path.exists():
        raise NotFoundError(f"image file not found: {path}", path=path, hint="check the path")
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not an image file", hint="give the image's first segment file")
    signature = _signature(path)
    if signature in (fmt.EVF_SIGNATURE, fmt.LVF_SIGNATURE):
        info = read_ewf_info(path, segment_hashes=segment_hashes, progress=progress)
        return ImageInfo(
            path=info.path, format="e01", segments=info.segments, media_size=info.media_size, ewf=info
        )
    paths = find_segments(path)
    segments = []
    for number, p in enumerate(paths, start=1):
        if _signature(p) == fmt.EVF_SIGNATURE:
            raise EvidenceError(
                f"{p.name} is an E01 segment, but {paths[0].name} is not",
                path=p,
                hint="give the path of the image's .E01 file",
            )
        sha = segment_sha256(p, progress) if segment_hashes else None
        segments.append(EwfSegment(p, number, p.stat().st_size, sha))
    return ImageInfo(
        path=paths[0],
        format="split-raw" if len(paths) > 1 else "raw",
        segments=segments,
        media_size=sum(s.size for s in segments),
    )
