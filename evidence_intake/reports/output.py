"""Where a report is written: a new name in a folder that exists, never over anything already there.

The custody report and the artefact reports both go through this module, so that the rule "a report
never replaces another file" has one implementation and one wording; reports and exports alike keep
what they wrote only once the ledger has recorded it (``kept_only_if_recorded``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from evidence_intake.errors import (
    ConflictError,
    InsufficientSpaceError,
    IntakeError,
    NotFoundError,
    disk_full,
)


def check_target(path: Path, *, folder: bool = False) -> None:
    """Refuse a path that exists (a dangling symlink included) or whose folder does not.

    ``folder``: the report may be a folder (a CSV export of several kinds); the messages say so.
    """
    what, name = ("file or folder", "name") if folder else ("file", "file name")
    if path.exists() or path.is_symlink():
        raise ConflictError(
            f"{path} already exists; a report is never written over another {what}",
            path=path,
            hint=f"give another --out {name} (or leave --out out: reports/ gets a dated name)",
        )
    if not path.parent.is_dir():
        raise NotFoundError(
            f"the folder {path.parent} for the report does not exist",
            path=path.parent,
            hint="create it first, or choose another --out",
        )


@contextmanager
def new_file(path: Path, created: list[Path] | None = None) -> Iterator[IO[bytes]]:
    """A file that did not exist before (never an existing one), synced to disk when closed.

    The path is appended to ``created`` once the file exists, so that a report failing later can delete
    what it wrote. Errors while writing are left to the caller, which knows what was already written.
    """
    try:
        fh = open(path, "xb")  # closed below, after the sync
    except FileExistsError as exc:
        raise ConflictError(f"{path} appeared while the report was being made; it was left as it is") from exc
    except OSError as exc:
        kind = InsufficientSpaceError if disk_full(exc) else IntakeError
        raise kind(f"cannot create the report file {path}: {exc.strerror or exc}", path=path) from exc
    if created is not None:
        created.append(path)
    with fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


@contextmanager
def kept_only_if_recorded(*outputs: Path) -> Iterator[None]:
    """Around the ledger entry of a report or an export: when it fails, ``outputs`` (files, and folders
    with what is in them) are removed, so that nothing the ledger does not know of is left behind."""
    try:
        yield
    except BaseException:
        for output in outputs:
            if output.is_dir():
                shutil.rmtree(output, ignore_errors=True)
            else:
                output.unlink(missing_ok=True)
        raise
