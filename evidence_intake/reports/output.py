"""Where a report is written: a new name in a folder that exists, never over anything already there.

The custody report and the artefact reports both go through this module, so that the rule "a report
never replaces another file" has one implementation and one wording.
"""

from __future__ import annotations

from pathlib import Path

from evidence_intake.errors import ConflictError, NotFoundError


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
