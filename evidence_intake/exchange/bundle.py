"""Writing an exhibit's exchange package for a partner country.

The package lets someone without our case folder, our software's database or a network check that what
they received is what our ledger records:

    manifest.json          what the package is, the signed checkpoint, the custody entry numbers, and
                           the size and SHA-256 of every other file
    manifest.sig           Ed25519 signature of manifest.json's exact bytes, by the workstation key that
                           signed the checkpoint
    keys.json              the public keys of every signer, with the entry that registered each one
    custody/NNNNNNNN.json  one ledger entry each, with its Merkle inclusion proof against the checkpoint
    exhibit.json           the exhibit record; photos/ its photographs
    acquisitions.json      the acquisition records with their hashes; manifests/ logical member manifests
    images/<acquisition>/  with --with-images: the image segments or preserved archive
    case-uco.jsonld        the exhibit in CASE/UCO
    README.txt             the above in words, and how to check it by hand

Custody entries included: every entry of the exhibit, the case_created entry (the case's identity), and
the key_registered entry of every key that signed one of them or the checkpoint. docs/exchange.md
describes every check that ``bundle verify`` makes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chain_of_custody import Entry, SignedCheckpoint
from evidence_intake import SOFTWARE
from evidence_intake.case import Case, safe_name
from evidence_intake.digests import sha256_file
from evidence_intake.errors import (
    ConflictError,
    EvidenceError,
    IntegrityError,
    NotFoundError,
    disk_full,
    write_error,
)
from evidence_intake.exchange.case_uco import build_graph
from evidence_intake.register import Acquisition, relative_to_case
from evidence_intake.reports.output import kept_only_if_recorded
from evidence_intake.timeutil import iso_utc, utcnow

FORMAT = "evidence-intake-bundle"
VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
CHUNK = 1 << 20

README = """Evidence exchange package ({format} version {version})

Case {case_number} ({case_id}), exhibit {exhibit}, made {created} by {software}.

This folder was produced by evidence-intake, an open-source tool. It can be checked with no network and
without the sending agency's case files:

    pip install evidence-intake
    evidence-intake bundle verify PATH --trust-key {key_id}

Ask the sending agency, by a separate channel (official letter, phone), for the id of the workstation
key that signed this package ({key_id} according to the package itself) and for the ledger checkpoint
({checkpoint}); a package re-signed by someone else cannot carry both.

How to check it by hand, step by step, is in docs/exchange.md of evidence-intake:
 1. manifest.sig is an Ed25519 signature of the exact bytes of manifest.json by the key in keys.json;
 2. every file listed in manifest.json has the size and SHA-256 given there;
 3. each custody/NNNNNNNN.json entry hashes (SHA-256 of RFC 8785 canonical JSON) to its entry_hash, and
    its inclusion proof (RFC 9162) leads to the root of the signed checkpoint;
 4. the checkpoint's signature verifies with the registered workstation key;
 5. the hashes in acquisitions.json and of the images equal those in the acquisition_completed entries.
"""


@dataclass
class BundleResult:
    path: Path
    exhibit: str
    sha256: str  # of the zip file, or of manifest.json for a folder
    manifest_sha256: str
    files: int
    size: int
    checkpoint: SignedCheckpoint
    entries: list[int]
    with_images: bool
    ledger_seq: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "exhibit": self.exhibit,
            "sha256": self.sha256,
            "manifest_sha256": self.manifest_sha256,
            "files": self.files,
            "size": self.size,
            "checkpoint": self.checkpoint.to_dict(),
            "entries": self.entries,
            "with_images": self.with_images,
            "ledger_seq": self.ledger_seq,
            "notes": self.notes,
        }


def _dump(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


class _Writer:
    """Writes files into the package folder and remembers their sizes and hashes for the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, dict[str, Any]] = {}

    def _target(self, name: str) -> Path:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def data(self, name: str, data: bytes) -> None:
        with open(self._target(name), "xb") as fh:
            fh.write(data)
        self.files[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def copy(self, name: str, source: Path, expected_sha256: str | None = None) -> None:
        """Copy a file, hashing the bytes as they are copied; refuse one that no longer matches its record."""
        digest = hashlib.sha256()
        size = 0
        try:
            src = open(source, "rb")  # closed by the with below
        except OSError as exc:  # a file the case records that is gone or unreadable: not a bug
            raise EvidenceError(
                f"cannot read {source}, recorded in the case: {exc.strerror or exc}; "
                "the package was not written",
                path=source,
                hint="restore the file from the evidence drive or its backup "
                "(`evidence-intake verify` checks it), then export again",
            ) from exc
        with src, open(self._target(name), "xb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        if expected_sha256 is not None and digest.hexdigest() != expected_sha256:
            raise IntegrityError(
                f"{source} does not match its recorded SHA-256 (it is {digest.hexdigest()}, "
                f"recorded {expected_sha256}); it was not exported",
                path=source,
                hint="run `evidence-intake verify` on the exhibit and resolve the difference first",
            )
        self.files[name] = {"size": size, "sha256": digest.hexdigest()}


def _included_entries(case: Case, exhibit: str, checkpoint: SignedCheckpoint) -> list[Entry]:
    """The exhibit's entries, case_created, and the registration of every key that signed any of them."""
    size = checkpoint.checkpoint.tree_size
    ledger = case.ledger
    chosen: dict[int, Entry] = {e.seq: e for e in ledger.entries(exhibit=exhibit, end=size)}
    first = ledger.entry(1)
    chosen[first.seq] = first
    keys = ledger.public_keys()
    signers = {e.key_id for e in chosen.values() if e.key_id} | {checkpoint.key_id}
    for key_id in sorted(signers):
        record = keys.get(key_id)
        if record is None or record.registered_seq > size:
            raise IntegrityError(
                f"key {key_id} signs part of exhibit {exhibit}'s record but is not registered in the ledger",
                hint="run `evidence-intake custody verify`",
            )
        chosen[record.registered_seq] = ledger.entry(record.registered_seq)
    return [chosen[seq] for seq in sorted(chosen)]


def _acquisition_record(case: Case, acq: Acquisition) -> dict[str, Any]:
    record = acq.to_dict()
    record["paths"] = [p.name for p in acq.paths]
    for key in ("log_path", "manifest_path"):
        if record.get(key):
            record[key] = Path(record[key]).name
    record["options"] = {k: v for k, v in acq.options.items() if k != "pid"}
    return record


def _completed_details(entries: list[Entry], acquisition_id: str) -> dict[str, Any] | None:
    for e in entries:
        if e.action == "acquisition_completed" and e.details.get("acquisition_id") == acquisition_id:
            return e.details
    return None


def _images(
    writer: _Writer,
    acq: Acquisition,
    recorded: dict[str, Any],
    notes: list[str],
    progress: Callable[[str], None],
) -> None:
    folder = f"images/{safe_name(acq.id)}"
    if acq.kind == "physical":
        segments = {Path(str(s.get("path", ""))).name: s.get("sha256") for s in recorded.get("segments", [])}
        for path in acq.paths:
            progress(f"copying {path.name}")
            writer.copy(f"{folder}/{path.name}", path, segments.get(path.name))
    elif acq.format in ("tar", "zip"):
        path = acq.paths[0]
        progress(f"copying {path.name}")
        writer.copy(f"{folder}/{path.name}", path, recorded.get("hashes", {}).get("sha256"))
    else:
        notes.append(
            f"acquisition {acq.id} preserved a {acq.format}: the folder itself is not packed; its member "
            "manifest (every file's SHA-256) is in manifests/, to check a copy sent separately"
        )


def _writing(exc: OSError, out: Path, staging: Path) -> bool:
    """Whether ``exc`` happened while writing the package (not while reading the case's files)."""
    if disk_full(exc):
        return True
    name = exc.filename
    if name is None:
        return False
    target = Path(str(name)).resolve()
    return any(target == root or root in target.parents for root in (out, staging))


def _write_package(
    case: Case,
    root: Path,
    *,
    exhibit: str,
    with_images: bool,
    examiner: str,
    progress: Callable[[str], None],
) -> tuple[dict[str, Any], bytes, SignedCheckpoint, list[int], list[str]]:
    checkpoint = case.sign_checkpoint()
    report = case.ledger.verify(expect=checkpoint.checkpoint)
    if not report.ok:
        first = report.problems[0].reason if report.problems else "see custody verify"
        raise IntegrityError(
            f"the ledger does not verify ({first}); a package made from it could not be trusted",
            hint="run `evidence-intake custody verify` and restore the ledger from a backup",
        )
    ledger = case.ledger
    record = case.exhibit(exhibit)
    entries = _included_entries(case, exhibit, checkpoint)
    writer = _Writer(root)
    size = checkpoint.checkpoint.tree_size
    for entry in entries:
        proof = ledger.inclusion_proof(entry.seq, size)
        writer.data(
            f"custody/{entry.seq:08d}.json", _dump({"entry": entry.to_dict(), "proof": proof.to_dict()})
        )
    keys = ledger.public_keys()
    used = {e.details["key_id"] for e in entries if e.action == "key_registered"}
    writer.data(
        "keys.json",
        _dump(
            {
                k: {
                    "public_key": r.public_key_hex,
                    "owner": r.owner,
                    "purpose": r.purpose,
                    "registered_seq": r.registered_seq,
                }
                for k, r in sorted(keys.items())
                if k in used
            }
        ),
    )
    writer.data("checkpoint.json", _dump(checkpoint.to_dict()))
    exhibit_dict = record.to_dict()
    for photo in exhibit_dict["photographs"]:
        photo["path"] = f"photos/{Path(photo['path']).name}"
    writer.data("exhibit.json", _dump(exhibit_dict))
    for photo in record.photographs:
        writer.copy(f"photos/{photo.path.name}", photo.path, photo.sha256)
    notes: list[str] = []
    acquisitions = case.acquisitions(exhibit)
    records = []
    for acq in acquisitions:
        records.append(_acquisition_record(case, acq))
        recorded = _completed_details(entries, acq.id)
        if acq.manifest_path is not None and acq.manifest_path.is_file():
            writer.copy(f"manifests/{acq.manifest_path.name}", acq.manifest_path)
        if with_images and acq.status == "completed" and recorded is not None:
            _images(writer, acq, recorded, notes, progress)
        elif with_images and acq.status != "completed":
            notes.append(f"acquisition {acq.id} is {acq.status}: its partial image was not packed")
    writer.data("acquisitions.json", _dump(records))
    graph = build_graph(case, exhibit=exhibit, entries=[e for e in entries if e.exhibit == exhibit])
    writer.data("case-uco.jsonld", _dump(graph))
    s = case.settings
    workstation = case.workstation_key()
    writer.data(
        "README.txt",
        README.format(
            format=FORMAT,
            version=VERSION,
            case_number=s.case_number,
            case_id=s.case_id,
            exhibit=exhibit,
            created=iso_utc(utcnow()),
            software=SOFTWARE,
            key_id=workstation.key_id,
            checkpoint=str(checkpoint.checkpoint),
        ).encode("utf-8"),
    )
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "case": {"case_id": s.case_id, "case_number": s.case_number, "title": s.title, "agency": s.agency},
        "exhibit": exhibit,
        "created_at": iso_utc(utcnow()),
        "created_by": examiner,
        "software": SOFTWARE,
        "checkpoint": checkpoint.to_dict(),
        "entries": [e.seq for e in entries],
        "with_images": with_images,
        "notes": notes,
        "files": [{"path": name, **info} for name, info in sorted(writer.files.items())],
    }
    manifest_bytes = _dump(manifest)
    (root / MANIFEST).write_bytes(manifest_bytes)
    if workstation.key_id != checkpoint.key_id:
        raise IntegrityError("internal error: the checkpoint was not signed by this workstation's key")
    signature = workstation.sign(manifest_bytes).hex()
    (root / SIGNATURE).write_bytes(
        _dump(
            {
                "algorithm": "ed25519",
                "key_id": workstation.key_id,
                "signed_file": MANIFEST,
                "signature": signature,
            }
        )
    )
    return manifest, manifest_bytes, checkpoint, [e.seq for e in entries], notes


def _zip_folder(folder: Path, target: Path) -> None:
    with open(target, "xb") as raw, zipfile.ZipFile(raw, "w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            big = path.stat().st_size > 64 << 20
            archive.write(path, name, compress_type=zipfile.ZIP_STORED if big else zipfile.ZIP_DEFLATED)
        raw.flush()
    with open(target, "rb") as fh:
        os.fsync(fh.fileno())


def _walk_size(folder: Path) -> Iterator[int]:
    for path in folder.rglob("*"):
        if path.is_file():
            yield path.stat().st_size


def export_bundle(
    case: Case,
    *,
    exhibit: str,
    out: Path,
    examiner: str,
    with_images: bool = False,
    progress: Callable[[str], None] = lambda _message: None,
) -> BundleResult:
    """Write the exhibit's package to ``out`` (a new folder, or a new .zip file) and record `exported`."""
    case.exhibit(exhibit)
    out = out.expanduser().resolve()
    as_zip = out.suffix.lower() == ".zip"
    if out.exists() and (as_zip or not out.is_dir() or any(out.iterdir())):
        raise ConflictError(
            f"{out} already exists; a package is never written over anything",
            path=out,
            hint="give a new folder name, or a new FILE.zip",
        )
    if not out.parent.is_dir():
        raise NotFoundError(
            f"the folder {out.parent} does not exist", path=out.parent, hint="create it first"
        )
    if as_zip:
        staging = Path(tempfile.mkdtemp(prefix=".bundle-", dir=out.parent))
    else:
        out.mkdir(exist_ok=True)
        staging = out
    try:
        manifest, manifest_bytes, checkpoint, seqs, notes = _write_package(
            case, staging, exhibit=exhibit, with_images=with_images, examiner=examiner, progress=progress
        )
        if as_zip:
            progress(f"writing {out.name}")
            _zip_folder(staging, out)
    except BaseException as exc:
        if as_zip:
            out.unlink(missing_ok=True)
        else:
            shutil.rmtree(out, ignore_errors=True)
        if isinstance(exc, OSError) and _writing(exc, out, staging):
            raise write_error(exc, out, "the package") from exc
        raise  # a case file that could not be read is named by the error itself
    finally:
        if as_zip:
            shutil.rmtree(staging, ignore_errors=True)
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    package_sha256 = sha256_file(out) if as_zip else manifest_sha256
    size = out.stat().st_size if as_zip else sum(_walk_size(out))
    with kept_only_if_recorded(out):
        entry = case.record(
            "exported",
            examiner=examiner,
            exhibit=exhibit,
            details={
                "export": "bundle",
                "format": "zip" if as_zip else "folder",
                "path": relative_to_case(case, out),
                "sha256": package_sha256,
                "sha256_of": "the zip file" if as_zip else "manifest.json (which lists every file's SHA-256)",
                "manifest_sha256": manifest_sha256,
                "files": len(manifest["files"]) + 2,
                "size": size,
                "with_images": with_images,
                "ledger_head": str(checkpoint.checkpoint),
                "entries": seqs,
            },
        )
    return BundleResult(
        path=out,
        exhibit=exhibit,
        sha256=package_sha256,
        manifest_sha256=manifest_sha256,
        files=len(manifest["files"]) + 2,
        size=size,
        checkpoint=checkpoint,
        entries=seqs,
        with_images=with_images,
        ledger_seq=entry.seq,
        notes=notes,
    )
