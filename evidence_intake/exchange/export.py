"""Writing the CASE/UCO export of a case and recording it in the ledger."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from evidence_intake.case import Case
from evidence_intake.errors import ConflictError, NotFoundError, write_error
from evidence_intake.exchange.case_uco import case_uco_document
from evidence_intake.register import relative_to_case
from evidence_intake.reports.output import kept_only_if_recorded


def export_case_uco(case: Case, *, out: Path, exhibit: str | None, examiner: str) -> dict[str, Any]:
    """Write the JSON-LD (never over an existing file) and an `exported` entry with its SHA-256."""
    out = out.expanduser().resolve()
    if out.exists() or out.is_symlink():
        raise ConflictError(f"{out} already exists; an export is never written over a file", path=out)
    if not out.parent.is_dir():
        raise NotFoundError(
            f"the folder {out.parent} does not exist", path=out.parent, hint="create it first"
        )
    head = case.ledger.checkpoint()
    document = case_uco_document(case, exhibit=exhibit, end=head.tree_size)
    data = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    try:
        with open(out, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except FileExistsError as exc:
        raise ConflictError(f"{out} appeared while the export was being made; it was left as it is") from exc
    except OSError as exc:
        out.unlink(missing_ok=True)  # a cut-off JSON-LD must not be taken for the export
        raise write_error(exc, out, "the export") from exc
    sha256 = hashlib.sha256(data).hexdigest()
    with kept_only_if_recorded(out):
        entry = case.record(
            "exported",
            examiner=examiner,
            exhibit=exhibit,
            details={
                "export": "case-uco",
                "path": relative_to_case(case, out),
                "sha256": sha256,
                "size": len(data),
                "nodes": len(document["@graph"]),
                "ledger_head": str(head),
            },
        )
    return {
        "path": str(out),
        "sha256": sha256,
        "size": len(data),
        "nodes": len(document["@graph"]),
        "ledger_head": str(head),
        "ledger_seq": entry.seq,
    }
