"""Names of segment files: split raw (.000/.001… or .001/.002…, also .aa/.ab…) and EWF (.E01….E99, .EAA…).

Shared by the writers (which name the segments they create) and the readers (which find every
segment from the first one and refuse to go on when one is missing).
"""

from __future__ import annotations

import re
import string
from pathlib import Path

from evidence_intake.errors import EvidenceError, UsageError

_NUMERIC = re.compile(r"^(?P<stem>.*)\.(?P<num>\d{3,})$")
_EWF = re.compile(r"^(?P<stem>.*)\.(?P<first>[EeLlSs])(?P<rest>[0-9A-Za-z]{2})$")


def ewf_extension(segment_number: int, *, first_letter: str = "E") -> str:
    """Extension of EWF segment ``segment_number`` (1-based): E01…E99, then EAA…EZZ, FAA…ZZZ.

    libewf's naming: after the 99 numeric segments the two last letters count in base 26 and then
    the first letter moves on, up to ZZZ (14,971 segments in all for an E-series).
    """
    if segment_number < 1:
        raise UsageError(f"segment numbers start at 1, not {segment_number}")
    if segment_number <= 99:
        return f"{first_letter}{segment_number:02d}"
    index = segment_number - 100
    letters = string.ascii_uppercase
    third = letters[index % 26]
    index //= 26
    second = letters[index % 26]
    index //= 26
    first_index = letters.index(first_letter.upper()) + index
    if first_index >= len(letters):
        raise UsageError(f"EWF segment number {segment_number} is beyond the last name (…ZZZ)")
    return f"{letters[first_index]}{second}{third}"


def ewf_segment_number(extension: str) -> int:
    """Inverse of :func:`ewf_extension` for an E-series extension (without the dot)."""
    ext = extension.upper()
    if len(ext) != 3:
        raise ValueError(extension)
    if ext[1:].isdigit():
        return int(ext[1:])
    letters = string.ascii_uppercase
    first = letters.index(ext[0]) - letters.index("E")
    return 100 + (first * 26 + letters.index(ext[1])) * 26 + letters.index(ext[2])


def split_raw_name(base: Path, index: int, *, start: int = 1, width: int = 3) -> Path:
    """Segment ``index`` (0-based) of a split raw image: base.001, base.002… (or base.000… with start=0)."""
    return base.with_name(f"{base.name}.{index + start:0{width}d}")


def find_segments(first: Path) -> list[Path]:
    """Every segment of the image whose first (or any) segment is ``first``, in order.

    A single raw file is its own only segment. For split images a gap in the numbering is an error
    naming the missing file, because reading past it would silently shift every later byte.
    """
    if not first.exists():
        raise EvidenceError(f"image file not found: {first}", path=first, hint="check the path")
    m = _EWF.match(first.name)
    if m and first.suffix[1:2].upper() == "E":
        return _ewf_segments(first, m.group("stem"), m.group("first"))
    m = _NUMERIC.match(first.name)
    if m:
        return _numeric_segments(first, m.group("stem"), len(m.group("num")))
    return [first]


def _ewf_segments(first: Path, stem: str, letter: str) -> list[Path]:
    folder = first.parent
    # Only files named exactly stem.XYZ: "img.v2.E02" is not a segment of "img.E01".
    by_ext = {
        p.suffix[1:].upper(): p
        for p in folder.glob(f"{glob_escape(stem)}.*")
        if len(p.suffix) == 4 and p.name[: -len(p.suffix)] == stem
    }
    found: list[Path] = []
    number = 1
    while True:
        ext = ewf_extension(number, first_letter=letter.upper())
        path = by_ext.get(ext)
        if path is None:
            break
        found.append(path)
        number += 1
    present = {e for e in by_ext if _EWF.match(f"x.{e}") and e[0] in "EFGHIJKLMNOPQRSTUVWXYZ"}
    beyond = sorted(
        (e for e in present if _is_ewf_ext(e) and ewf_segment_number(e) > number), key=ewf_segment_number
    )
    if not found:
        raise EvidenceError(
            f"{folder / (stem + '.' + letter.upper() + '01')} is missing: "
            "an EWF image starts with its .E01 segment",
            path=first,
            hint="give the path of the .E01 file and keep all segments in one folder",
        )
    if beyond:
        missing = folder / f"{stem}.{ewf_extension(number, first_letter=letter.upper())}"
        raise EvidenceError(
            f"segment {missing.name} of image {found[0].name} is missing (later segments such as "
            f"{stem}.{beyond[0]} are present)",
            path=missing,
            hint="copy every segment file of the image into the same folder",
        )
    return found


def _is_ewf_ext(ext: str) -> bool:
    try:
        ewf_segment_number(ext)
    except ValueError:
        return False
    return True


def _numeric_segments(first: Path, stem: str, width: int) -> list[Path]:
    folder = first.parent
    numbers: dict[int, Path] = {}
    for p in folder.glob(f"{glob_escape(stem)}.*"):
        m = _NUMERIC.match(p.name)
        if m and m.group("stem") == stem and len(m.group("num")) == width:
            numbers[int(m.group("num"))] = p
    start = min(numbers)
    if start not in (0, 1):
        raise EvidenceError(
            f"split image {stem} starts at segment .{start:0{width}d}; .000 or .001 is missing",
            path=first,
            hint="copy every segment file of the image into the same folder",
        )
    ordered: list[Path] = []
    for n in range(start, max(numbers) + 1):
        if n not in numbers:
            raise EvidenceError(
                f"segment {stem}.{n:0{width}d} of split image {stem} is missing",
                path=folder / f"{stem}.{n:0{width}d}",
                hint="copy every segment file of the image into the same folder",
            )
        ordered.append(numbers[n])
    return ordered


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)
