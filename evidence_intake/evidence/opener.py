"""One door to any acquired evidence: images go to The Sleuth Kit, logical containers to their readers.

``open_evidence`` decides from the recorded format (an acquisition knows it) or, when none is
given, from the content: an image signature (EWF, VHD, VMDK, QCOW2), then the logical readers'
own detection (folder, tar, zip, iOS backup), else a raw image. The logical readers are imported
only when needed, so that images open even in a build without them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from evidence_intake.errors import EvidenceError, NotFoundError, UsageError
from evidence_intake.evidence.model import EvidenceTree

if TYPE_CHECKING:
    from evidence_intake.case import Case
    from evidence_intake.register import Acquisition

LOGICAL_FORMATS = ("folder", "tar", "zip", "ios-backup")
IMAGE_FORMATS = ("raw", "split-raw", "e01", "vhd", "vhdx", "vmdk", "qcow2")


def open_evidence(
    paths: Sequence[Path], *, kind: str | None = None, keys: Mapping[str, str] | None = None
) -> EvidenceTree:
    """A read-only tree over the evidence at ``paths`` (an image's segments, or one logical source).

    ``kind`` is an acquisition format (raw, split-raw, e01, folder, tar, zip, ios-backup) or None
    to tell from the content. ``keys`` maps volume names to BitLocker/FileVault keys; the key of
    "*" is also the password of an encrypted iOS backup.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise UsageError("no evidence path given", hint="give the image or the preserved logical source")
    first = files[0]
    if not first.exists():
        raise NotFoundError(
            f"evidence not found: {first}", path=first, hint="check the path; was the case folder moved?"
        )
    if kind is None:
        kind = detect_kind(first)
    if kind in LOGICAL_FORMATS:
        return _open_logical(first, kind, keys)
    if kind not in IMAGE_FORMATS:
        raise UsageError(
            f"unknown evidence format {kind!r}",
            hint=f"one of {', '.join(IMAGE_FORMATS + LOGICAL_FORMATS)}",
        )
    if first.is_dir():
        raise EvidenceError(
            f"{first} is a folder, but was recorded as a {kind} image",
            path=first,
            hint="check the acquisition record; a folder is opened as a logical source",
        )
    from evidence_intake.evidence.images import open_image
    from evidence_intake.evidence.tsk import TskTree

    reader = open_image(files)
    try:
        return TskTree(reader, keys=keys)
    except BaseException:
        reader.close()
        raise


def detect_kind(path: Path) -> str:
    """The format of the evidence at ``path`` from its content (see the module docstring)."""
    if not path.is_dir():
        from evidence_intake.evidence.images import sniff_format

        found = sniff_format(path)
        if found != "raw":
            return found
    logical = _detect_logical(path)
    if logical is not None:
        return logical
    if path.is_dir():
        raise EvidenceError(
            f"{path} is a folder that no logical reader recognises",
            path=path,
            hint="give the image file, or the folder of a logical extraction",
        )
    return "raw"


def _detect_logical(path: Path) -> str | None:
    try:
        logical = importlib.import_module("evidence_intake.evidence.logical")
    except ImportError as exc:
        if path.is_dir():
            raise _no_logical(path) from exc
        return None  # without the logical readers a file can still be an image
    found = logical.detect_logical(path)
    return None if found is None else str(found)


def _open_logical(path: Path, kind: str, keys: Mapping[str, str] | None = None) -> EvidenceTree:
    # Imported by name: these modules come from another part of the project and may be absent.
    module, factory = {
        "folder": ("logical", "FolderTree"),
        "tar": ("logical", "TarTree"),
        "zip": ("logical", "ZipTree"),
        "ios-backup": ("iosbackup", "IosBackupTree"),
    }[kind]
    try:
        opener = getattr(importlib.import_module(f"evidence_intake.evidence.{module}"), factory)
    except (ImportError, AttributeError) as exc:
        raise _no_logical(path) from exc
    password = (keys or {}).get("*")
    tree = opener(path, password=password) if kind == "ios-backup" and password is not None else opener(path)
    if not isinstance(tree, EvidenceTree):
        raise TypeError(f"{factory} did not return an EvidenceTree")
    return tree


def _no_logical(path: Path) -> EvidenceError:
    return EvidenceError(
        f"{path} is a logical source (folder, tar, zip or iOS backup), and this build has no reader for it",
        path=path,
        hint="install a build of evidence-intake that includes evidence_intake.evidence.logical",
    )


def open_acquisition(
    case: Case, exhibit_id: str, *, keys: Mapping[str, str] | None = None
) -> tuple[Acquisition, EvidenceTree]:
    """The newest completed acquisition of an exhibit and a tree over what it preserved."""
    from evidence_intake.evidence.manifest_check import checked

    acquisition = case.latest_acquisition(exhibit_id)
    tree = open_evidence(acquisition.paths, kind=acquisition.format, keys=keys)
    try:
        return acquisition, checked(tree, acquisition.format, acquisition.manifest_path, exhibit_id)
    except BaseException:
        tree.close()
        raise


def open_exhibit(case: Case, exhibit_id: str, *, keys: Mapping[str, str] | None = None) -> EvidenceTree:
    """A read-only tree over the newest completed acquisition of ``exhibit_id``."""
    return open_acquisition(case, exhibit_id, keys=keys)[1]
