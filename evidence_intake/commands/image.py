"""``evidence-intake image …``: look at an image file without a case (read-only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidence_intake.commands._options import JsonOpt
from evidence_intake.console import FileBars, key_values, print_json, table
from evidence_intake.evidence.image_info import ImageInfo, image_info


def _size(n: int) -> str:
    return f"{n:,} bytes ({n / 2**30:.2f} GiB)" if n >= 2**30 else f"{n:,} bytes ({n / 2**20:.2f} MiB)"


def _render(info: ImageInfo) -> None:
    ewf = info.ewf
    pairs: list[tuple[str, object]] = [("Format", info.format)]
    if ewf is not None:
        pairs += [
            ("EWF format", ewf.format_name),
            ("Media size", _size(ewf.media_size)),
            ("Bytes per sector", ewf.bytes_per_sector),
            ("Sectors", f"{ewf.sector_count:,}"),
            ("Sectors per chunk", ewf.sectors_per_chunk),
            ("Compression", ewf.compression),
            ("Media type", f"{ewf.media_type}, {'physical' if ewf.physical else 'logical'}"),
            ("Set identifier", ewf.set_identifier),
            ("Case number", ewf.case_number),
            ("Evidence number", ewf.evidence_number),
            ("Examiner", ewf.examiner),
            ("Description", ewf.description),
            ("Notes", ewf.notes),
            ("Model", ewf.model),
            ("Serial number", ewf.serial),
            ("Acquired", ewf.acquired_at.isoformat() if ewf.acquired_at else ewf.acquired_at_raw),
            ("System date", ewf.system_at.isoformat() if ewf.system_at else ewf.system_at_raw),
            ("Operating system", ewf.operating_system),
            ("Software version", ewf.software_version),
            ("Stored MD5", ewf.md5 or "none (no stored hash)"),
            ("Stored SHA-1", ewf.sha1 or "none"),
            ("Acquisition errors", len(ewf.errors) or "none"),
        ]
    else:
        pairs.append(("Media size", _size(info.media_size)))
    key_values(str(info.path), pairs)
    hashed = any(s.sha256 for s in info.segments)
    columns = ["#", "Segment", "Size"] + (["SHA-256"] if hashed else [])
    table(
        "Segments",
        columns,
        ([s.number, s.path.name, f"{s.size:,}"] + ([s.sha256] if hashed else []) for s in info.segments),
    )
    if ewf is not None and ewf.errors:
        bps = ewf.bytes_per_sector
        table(
            "Unreadable ranges at acquisition (written as zeros)",
            ["Offset", "Length", "Sectors"],
            (
                [
                    f"{e.offset:,}",
                    f"{e.length:,}",
                    f"{e.offset // bps:,}-{(e.offset + e.length) // bps - 1:,}",
                ]
                for e in ewf.errors
            ),
        )


def info(
    path: Annotated[
        Path, typer.Argument(help="The image: an .E01 (any segment), a raw file or a split raw's first part.")
    ],
    segment_hashes: Annotated[
        bool, typer.Option("--segment-hashes", help="Also compute the SHA-256 of every segment file.")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Show an image's format, segments and size; for an E01 also its case metadata, stored hashes and
    acquisition errors. Nothing is written.

    Example: evidence-intake image info /cases/CASE-001/evidence/EX-001/EX-001.E01
    """
    with FileBars() as bars:
        result = image_info(path, segment_hashes=segment_hashes, progress=bars)
    if json_output:
        print_json(result.to_dict())
    else:
        _render(result)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Look at image files (E01, raw, split raw) without a case.\n\n"
        "Example: evidence-intake image info EX-001.E01",
        no_args_is_help=True,
    )
    group.command("info")(info)
    app.add_typer(group, name="image")
