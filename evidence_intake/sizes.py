"""Sizes as people write them: 2GiB, 650MB, 4000000000, 1.5 GB."""

from __future__ import annotations

import re

from evidence_intake.errors import UsageError

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str) -> int:
    """Bytes in ``text``; decimal units (MB = 10^6) as on drive labels, binary ones with an i (MiB)."""
    m = _SIZE.match(text.replace("_", "").replace(",", ""))
    if not m or m.group(2).lower() not in _UNITS:
        raise UsageError(
            f"cannot read the size {text!r}",
            hint="write it like 2GiB, 650MB, 4000000000 or 1.5GB (MB = 1,000,000 bytes, MiB = 1,048,576)",
        )
    value = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if value != int(value):
        raise UsageError(
            f"the size {text!r} is not a whole number of bytes",
            hint="write it like 2GiB, 650MB or 4000000000",
        )
    return int(value)


def human(n: int | None) -> str:
    """Binary units for people, exact bytes kept elsewhere."""
    if n is None:
        return "unknown"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
