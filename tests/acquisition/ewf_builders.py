"""Building E01 images inside tests: deterministic media bytes and a one-call writer."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence_intake.acquisition import ewf_format as fmt
from evidence_intake.acquisition.base import ErrorRange, ImageMetadata
from evidence_intake.acquisition.ewf_writer import EwfWriter

ACQUIRED = datetime(2025, 3, 14, 2, 30, 0, tzinfo=UTC)
CHUNK = 32 * 1024

_WORDS = "LINE Telegram WhatsApp WeChat USDT TRON wallet โอนเงิน บัญชี 转账 钱包 +66812345678 hello".split()


def metadata(**overrides: Any) -> ImageMetadata:
    values: dict[str, Any] = {
        "case_number": "TCSD 123/2568",
        "evidence_number": "EX-001",
        "examiner": "Pol.Lt. Somchai",
        "description": "Samsung Galaxy A51, seized in room 12",
        "notes": "screen cracked; powered off at seizure",
        "acquired_at": ACQUIRED,
        "system_at": ACQUIRED,
        "operating_system": "Linux",
        "software": "evidence-intake 0.1.0",
        "model": "SM-A515F",
        "serial": "R58N12345XY",
    }
    values.update(overrides)
    return ImageMetadata(**values)


def media(size: int, seed: int = 1) -> bytes:
    """Chunks of zeros, text, random bytes, and half-random half-zero, in a fixed order."""
    rng = random.Random(seed)
    out = bytearray()
    kind = 0
    while len(out) < size:
        if kind % 4 == 0:
            block = bytes(CHUNK)
        elif kind % 4 == 1:
            block = " ".join(rng.choice(_WORDS) for _ in range(6000)).encode()[:CHUNK]
        elif kind % 4 == 2:
            block = rng.randbytes(CHUNK)
        else:
            block = rng.randbytes(CHUNK // 2) + bytes(CHUNK // 2)
        out += block
        kind += 1
    return bytes(out[:size])


def digests(data: bytes) -> dict[str, str]:
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def padded(data: bytes, sector: int = 512) -> bytes:
    return data + bytes(-len(data) % sector)


def write_e01(
    base: Path,
    data: bytes,
    *,
    known_size: bool = True,
    block: int = 100_000,
    error_map: Sequence[ErrorRange] = (),
    meta: ImageMetadata | None = None,
    **options: Any,
) -> EwfWriter:
    """Write ``data`` to ``base``.E01… in blocks of ``block`` bytes, as the engine would."""
    writer = EwfWriter(
        base, metadata=meta or metadata(), media_size=len(data) if known_size else None, **options
    )
    for i in range(0, len(data), block):
        writer.write(data[i : i + block])
    writer.finish(hashes=digests(data), error_map=list(error_map))
    return writer


def sections(path: Path) -> list[fmt.Section]:
    """The section chain of one segment file, for tests that inspect or damage it."""
    raw = path.read_bytes()
    found = []
    offset = fmt.FILE_HEADER_SIZE
    while True:
        section = fmt.parse_descriptor(raw[offset : offset + fmt.DESCRIPTOR_SIZE], offset)
        found.append(section)
        if section.type in ("next", "done"):
            return found
        offset = section.next_offset
