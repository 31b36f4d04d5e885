"""Checking an exchange package on its own: no case folder, no key store, no network.

Every check is made and every failure is listed (a changed byte usually breaks several things; the
partner sees all of them, each naming the file or entry and what it means). The order follows
docs/exchange.md so that the same steps can be redone by hand:

 1. the manifest and its signature can be read; the manifest is signed by the checkpoint's key;
 2. every listed file is present with its size and SHA-256; nothing unlisted was added;
 3. every public key equals the one its (proven) key_registered entry registered;
 4. the checkpoint's signature verifies, with a registered workstation key, for this case;
 5. every custody entry hashes to its entry hash, its inclusion proof leads to the checkpoint's root,
    and its signature (if any) verifies with a key registered no later than the entry;
 6. the manifest's list of entries is exactly the custody entries present;
 7. the exhibit record equals the one registered in the ledger; photographs match their hashes;
 8. each acquisition record's hashes and segments equal those of its acquisition_completed entry;
    included images hash to the recorded segment and image hashes.

What no package can prove by itself is *who* made it: someone who re-signs a forged package with a key of
their own makes it consistent. ``trusted_keys`` (key ids the sender gave by another channel) and
``expect`` (a checkpoint given likewise) close that gap; without them the result says so.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from chain_of_custody import (
    Checkpoint,
    InclusionProof,
    LedgerError,
    SignedCheckpoint,
    compute_entry_hash,
    key_id_for,
    verify_checkpoint_signature,
    verify_inclusion,
)
from chain_of_custody.keys import verify_ed25519
from evidence_intake.errors import IntegrityError, NotFoundError, UsageError
from evidence_intake.exchange.bundle import CHUNK, FORMAT, MANIFEST, SIGNATURE, VERSION

ALGORITHMS = ("md5", "sha1", "sha256", "sha512")


@dataclass
class BundleCheck:
    """The outcome: ``problems`` empty means every check passed."""

    path: Path
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    exhibit: str | None = None
    case_number: str | None = None
    case_id: str | None = None
    checkpoint: str | None = None
    signer: str | None = None
    signer_owner: str | None = None
    trusted: bool = False
    entries: int = 0
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "problems": self.problems,
            "checked": self.checked,
            "exhibit": self.exhibit,
            "case_number": self.case_number,
            "case_id": self.case_id,
            "checkpoint": self.checkpoint,
            "signer_key": self.signer,
            "signer_owner": self.signer_owner,
            "signer_trusted": self.trusted,
            "entries": self.entries,
            "files": self.files,
        }


def _starts_as_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


class _Package:
    """A package folder or zip, read-only, with member names checked (no absolute paths, no ..)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        if path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                if _starts_as_zip(path):  # a package damaged or cut off on its way: it fails verification
                    raise IntegrityError(
                        f"{path} is a damaged zip: it cannot be read to its end ({exc})",
                        path=path,
                        hint="ask the sending agency for the package again; compare its size and SHA-256 "
                        "with what they recorded",
                    ) from exc
                raise UsageError(
                    f"{path} is not a package: not a folder and not a readable zip ({exc})",
                    path=path,
                    hint="give the package folder or the .zip file as it was received",
                ) from exc
        elif not path.is_dir():
            raise NotFoundError(f"{path}: no such package", path=path)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def names(self) -> set[str]:
        if self._zip is not None:
            return {n for n in self._zip.namelist() if not n.endswith("/")}
        return {p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()}

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        parts = PurePosixPath(name).parts
        if not name or name.startswith("/") or ".." in parts:
            raise KeyError(name)
        if self._zip is not None:
            with self._zip.open(name) as fh:
                yield fh
        else:
            with open(self.path / name, "rb") as fh:
                yield fh

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            return fh.read()

    def hash(self, name: str, algorithms: tuple[str, ...] = ("sha256",)) -> tuple[int, dict[str, str]]:
        digests = {a: hashlib.new(a) for a in algorithms}
        size = 0
        with self.open(name) as fh:
            while chunk := fh.read(CHUNK):
                size += len(chunk)
                for d in digests.values():
                    d.update(chunk)
        return size, {a: d.hexdigest() for a, d in digests.items()}


def _json(pkg: _Package, name: str, check: BundleCheck) -> Any:
    try:
        return json.loads(pkg.read(name).decode("utf-8"))
    except KeyError:
        check.problems.append(f"{name} is missing from the package")
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        check.problems.append(f"{name} cannot be read as JSON ({exc})")
    return None


def _check_files(pkg: _Package, manifest: dict[str, Any], check: BundleCheck) -> set[str]:
    listed: set[str] = set()
    for item in manifest.get("files") or []:
        name = str(item.get("path", ""))
        listed.add(name)
        try:
            size, digest = pkg.hash(name)
        except KeyError:
            check.problems.append(f"file {name} is listed in the manifest but missing from the package")
            continue
        except (OSError, zipfile.BadZipFile) as exc:
            check.problems.append(f"file {name} cannot be read ({exc})")
            continue
        if size != item.get("size") or digest["sha256"] != item.get("sha256"):
            check.problems.append(
                f"file {name}: its SHA-256 is {digest['sha256']} ({size} bytes) but the manifest records "
                f"{item.get('sha256')} ({item.get('size')} bytes) — the file was changed"
            )
    extra = sorted(pkg.names() - listed - {MANIFEST, SIGNATURE})
    for name in extra:
        check.problems.append(f"file {name} is in the package but not in the manifest — it was added")
    check.files = len(listed)
    check.checked.append(f"{len(listed)} files against the manifest's sizes and SHA-256")
    return listed


def _load_entries(pkg: _Package, manifest: dict[str, Any], check: BundleCheck) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for name in sorted(n for n in pkg.names() if n.startswith("custody/") and n.endswith(".json")):
        data = _json(pkg, name, check)
        if not isinstance(data, dict) or not isinstance(data.get("entry"), dict):
            check.problems.append(f"{name} does not hold a custody entry")
            continue
        seq = data["entry"].get("seq")
        if not isinstance(seq, int) or name != f"custody/{seq:08d}.json":
            check.problems.append(f"{name} holds entry {seq!r}, not the entry its name says")
            continue
        found[seq] = data
    listed = manifest.get("entries") or []
    for seq in listed:
        if seq not in found:
            check.problems.append(
                f"entry {seq} is listed in the manifest but custody/{seq:08d}.json is missing — "
                "an entry was dropped"
            )
    for seq in sorted(set(found) - set(listed)):
        check.problems.append(f"entry {seq} is in the package but not in the manifest's list — it was added")
    return found


def _check_keys(
    keys: Any, entries: dict[int, dict[str, Any]], check: BundleCheck
) -> dict[str, dict[str, Any]]:
    """Keys whose public key matches the key_registered entry (itself proven later with the others)."""
    good: dict[str, dict[str, Any]] = {}
    if not isinstance(keys, dict):
        check.problems.append("keys.json does not hold a table of keys")
        return good
    for key_id, info in keys.items():
        if not isinstance(info, dict):
            check.problems.append(f"key {key_id} in keys.json is malformed")
            continue
        public = str(info.get("public_key", ""))
        try:
            computed = key_id_for(bytes.fromhex(public))
        except ValueError:
            computed = ""
        if computed != key_id:
            check.problems.append(
                f"key {key_id} in keys.json: its public key has id {computed or '(not hex)'}, not {key_id} — "
                "the key was swapped"
            )
            continue
        seq = info.get("registered_seq")
        registration = entries[seq]["entry"] if isinstance(seq, int) and seq in entries else None
        details = registration.get("details") if registration else None
        if (
            registration is None
            or registration.get("action") != "key_registered"
            or not isinstance(details, dict)
            or details.get("key_id") != key_id
            or details.get("public_key") != public
        ):
            check.problems.append(
                f"key {key_id} in keys.json does not match its key_registered entry {seq} in the package — "
                "the key was swapped, or its registration is missing"
            )
            continue
        good[key_id] = {**info, "owner": details.get("owner"), "purpose": details.get("purpose")}
    check.checked.append(f"{len(good)} public keys against their key_registered entries")
    return good


def _check_entries(
    entries: dict[int, dict[str, Any]],
    keys: dict[str, dict[str, Any]],
    checkpoint: Checkpoint,
    case_id: str,
    check: BundleCheck,
) -> None:
    for seq, data in sorted(entries.items()):
        entry = data["entry"]
        try:
            fields = {k: v for k, v in entry.items() if k not in ("entry_hash", "signature")}
            computed = compute_entry_hash(fields)
        except (LedgerError, TypeError, ValueError) as exc:
            check.problems.append(f"entry {seq}: cannot be hashed ({exc}) — it was altered")
            continue
        if computed != entry.get("entry_hash"):
            check.problems.append(
                f"entry {seq} ({entry.get('action')}): its content does not match its entry hash — "
                "a field was changed"
            )
        try:
            proof = InclusionProof.from_dict(data.get("proof") or {})
        except LedgerError as exc:
            check.problems.append(f"entry {seq}: its inclusion proof is malformed ({exc})")
            continue
        if proof.seq != seq or proof.entry_hash != computed or not verify_inclusion(proof, checkpoint):
            check.problems.append(
                f"entry {seq} ({entry.get('action')}): its inclusion proof does not lead to the signed "
                f"checkpoint {checkpoint.short()}… — the entry or its proof was changed"
            )
        if entry.get("case_id") != case_id:
            check.problems.append(
                f"entry {seq}: it belongs to case {entry.get('case_id')!r}, not to this package's case"
            )
        key_id, signature = entry.get("key_id"), entry.get("signature")
        if key_id is None and signature is None:
            continue
        key = keys.get(str(key_id))
        if key is None:
            check.problems.append(
                f"entry {seq}: it is signed with key {key_id}, which the package does not prove"
            )
            continue
        if int(key.get("registered_seq", 0)) > seq:
            check.problems.append(f"entry {seq}: signed with key {key_id}, registered only later")
        try:
            valid = verify_ed25519(
                bytes.fromhex(key["public_key"]), bytes.fromhex(str(signature)), bytes.fromhex(computed)
            )
        except ValueError:
            valid = False
        if not valid:
            check.problems.append(
                f"entry {seq} ({entry.get('action')}): its signature does not verify with key {key_id} "
                f"({key.get('owner')}) — the entry was altered after it was signed"
            )
    check.entries = len(entries)
    check.checked.append(f"{len(entries)} custody entries: hash, inclusion proof and signature")


def _ledger_details(
    entries: dict[int, dict[str, Any]], action: str, **match: Any
) -> tuple[int, dict[str, Any]] | None:
    for seq, data in sorted(entries.items()):
        e = data["entry"]
        details = e.get("details") if isinstance(e.get("details"), dict) else {}
        if e.get("action") == action and all(details.get(k) == v for k, v in match.items()):
            return seq, details
    return None


def _check_records(pkg: _Package, entries: dict[int, dict[str, Any]], check: BundleCheck) -> None:
    exhibit = _json(pkg, "exhibit.json", check)
    if isinstance(exhibit, dict):
        registered = _ledger_details(entries, "exhibit_registered")
        if registered is None:
            check.problems.append("the exhibit_registered entry of the exhibit is not in the package")
        else:
            seq, details = registered
            record: dict[str, Any] = details["record"] if isinstance(details.get("record"), dict) else {}
            for name, value in record.items():
                shown = exhibit.get(name)
                if name in ("imeis",):
                    shown = list(shown or [])
                if name in ("seized_at", "registered_at"):
                    shown, value = _instant(shown), _instant(value)  # the same moment, in two text forms
                if shown != value:
                    check.problems.append(
                        f"exhibit.json: {name} is {shown!r} but ledger entry {seq} registered {value!r} — "
                        "the exhibit record was changed"
                    )
        for photo in exhibit.get("photographs") or []:
            name = str(photo.get("path", ""))
            try:
                _, digest = pkg.hash(name)
            except KeyError:
                check.problems.append(f"photograph {name} is missing from the package")
                continue
            if digest["sha256"] != photo.get("sha256"):
                check.problems.append(
                    f"photograph {name} does not match its recorded SHA-256 — it was changed"
                )
            if _photo_recorded(entries, str(photo.get("sha256"))) is None:
                check.problems.append(
                    f"photograph {name}: no photographed entry in the package records its SHA-256"
                )
    acquisitions = _json(pkg, "acquisitions.json", check)
    names = pkg.names()
    for acq in acquisitions if isinstance(acquisitions, list) else []:
        acq_id = acq.get("id")
        if acq.get("status") != "completed":
            continue
        found = _ledger_details(entries, "acquisition_completed", acquisition_id=acq_id)
        if found is None:
            check.problems.append(
                f"acquisition {acq_id}: no acquisition_completed entry for it in the package"
            )
            continue
        seq, details = found
        for alg, value in sorted((acq.get("hashes") or {}).items()):
            if details.get("hashes", {}).get(alg) != value:
                check.problems.append(
                    f"acquisition {acq_id}: its {alg.upper()} in acquisitions.json ({value}) differs from "
                    f"ledger entry {seq} ({details.get('hashes', {}).get(alg)}) — the hash was changed"
                )
        if set(details.get("hashes", {})) != set(acq.get("hashes") or {}):
            check.problems.append(
                f"acquisition {acq_id}: acquisitions.json does not list the hashes of ledger entry {seq}"
            )
        _check_images(pkg, names, acq, details, seq, check)
    check.checked.append("exhibit record, photographs and acquisition records against the ledger entries")


def _instant(text: object) -> object:
    if not isinstance(text, str):
        return text
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text


def _photo_recorded(entries: dict[int, dict[str, Any]], sha256: str) -> int | None:
    for seq, data in entries.items():
        e = data["entry"]
        if e.get("action") == "photographed":
            for p in (e.get("details") or {}).get("photographs") or []:
                if p.get("sha256") == sha256:
                    return seq
    return None


def _check_images(
    pkg: _Package, names: set[str], acq: dict[str, Any], details: dict[str, Any], seq: int, check: BundleCheck
) -> None:
    folder = f"images/{acq.get('id')}/"
    present = sorted(n for n in names if n.startswith(folder))
    if not present:
        return
    if acq.get("kind") == "physical":
        segments = {Path(str(s.get("path", ""))).name: s for s in details.get("segments", [])}
        wanted = list(acq.get("paths") or [])
        media = {a: hashlib.new(a) for a in details.get("hashes", {}) if a in ALGORITHMS}
        whole = acq.get("format") in ("raw", "split-raw")
        for name in wanted:
            member = folder + name
            if member not in names:
                check.problems.append(f"image segment {member} is missing from the package")
                whole = False
                continue
            segment = hashlib.sha256()
            with pkg.open(member) as fh:
                while chunk := fh.read(CHUNK):
                    segment.update(chunk)
                    for d in media.values():
                        d.update(chunk)
            recorded = segments.get(name, {}).get("sha256")
            if segment.hexdigest() != recorded:
                check.problems.append(
                    f"image segment {member}: its SHA-256 is {segment.hexdigest()}, ledger entry {seq} "
                    f"records {recorded} — the image was changed"
                )
        if whole:
            for alg, d in media.items():
                if d.hexdigest() != details["hashes"][alg]:
                    check.problems.append(
                        f"image of acquisition {acq.get('id')}: its {alg.upper()} over all segments is "
                        f"{d.hexdigest()}, ledger entry {seq} records {details['hashes'][alg]}"
                    )
    else:
        for member in present:
            algorithms = tuple(a for a in details.get("hashes", {}) if a in ALGORITHMS) or ("sha256",)
            _, found = pkg.hash(member, algorithms)
            for alg, value in found.items():
                if value != details.get("hashes", {}).get(alg):
                    check.problems.append(
                        f"preserved copy {member}: its {alg.upper()} differs from ledger entry {seq}"
                    )
    check.checked.append(f"images of acquisition {acq.get('id')} against ledger entry {seq}")


def verify_bundle(
    path: Path, *, trusted_keys: tuple[str, ...] = (), expect: str | None = None
) -> BundleCheck:
    """Check a package folder or zip; see the module docstring for every check made."""
    expected = None
    if expect:
        try:
            expected = Checkpoint.parse(expect)
        except LedgerError as exc:
            raise UsageError(
                f"--expect-head {expect!r} is not a checkpoint", hint="write it as SIZE:ROOT"
            ) from exc
    path = path.expanduser().resolve()
    pkg = _Package(path)
    check = BundleCheck(path=path)
    try:
        _verify(pkg, check, trusted_keys, expected)
    finally:
        pkg.close()
    return check


def _verify(
    pkg: _Package, check: BundleCheck, trusted_keys: tuple[str, ...], expected: Checkpoint | None
) -> None:
    try:
        manifest_bytes = pkg.read(MANIFEST)
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except KeyError:
        check.problems.append(
            f"{MANIFEST} is missing: this is not an evidence-intake package, or it was stripped"
        )
        return
    except (ValueError, OSError) as exc:
        check.problems.append(f"{MANIFEST} cannot be read ({exc}) — it was damaged or changed")
        return
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("version") != VERSION
    ):
        check.problems.append(f"{MANIFEST} is not a {FORMAT} version {VERSION} manifest")
        return
    case = manifest.get("case") or {}
    check.exhibit, check.case_number, check.case_id = (
        manifest.get("exhibit"),
        case.get("case_number"),
        case.get("case_id"),
    )
    signature = _json(pkg, SIGNATURE, check)
    _check_files(pkg, manifest, check)
    entries = _load_entries(pkg, manifest, check)
    keys = _check_keys(_json(pkg, "keys.json", check), entries, check)
    try:
        signed = SignedCheckpoint.from_dict(manifest.get("checkpoint") or {})
    except LedgerError as exc:
        check.problems.append(f"the manifest's checkpoint is malformed ({exc})")
        return
    check.checkpoint = str(signed.checkpoint)
    check.signer = signed.key_id
    key = keys.get(signed.key_id)
    if key is None:
        check.problems.append(
            f"the checkpoint is signed with key {signed.key_id}, which the package does not prove"
        )
    else:
        check.signer_owner = key.get("owner")
        if not verify_checkpoint_signature(signed, key["public_key"]):
            check.problems.append(
                f"the checkpoint's signature does not verify with key {signed.key_id} — "
                "the checkpoint was changed"
            )
        if signed.case_id != check.case_id:
            check.problems.append(
                f"the checkpoint is for case {signed.case_id}, not the manifest's case {check.case_id}"
            )
        check.checked.append(f"checkpoint {signed.checkpoint.short()} signature by key {signed.key_id}")
        sig = signature if isinstance(signature, dict) else {}
        try:
            ok = sig.get("key_id") == signed.key_id and verify_ed25519(
                bytes.fromhex(key["public_key"]), bytes.fromhex(str(sig.get("signature", ""))), manifest_bytes
            )
        except ValueError:
            ok = False
        if not ok:
            check.problems.append(
                f"{SIGNATURE} does not verify for {MANIFEST} with key {signed.key_id} — "
                "the manifest was changed"
            )
        else:
            check.checked.append(f"{MANIFEST} signature by key {signed.key_id}")
    _check_entries(entries, keys, signed.checkpoint, str(check.case_id), check)
    _check_records(pkg, entries, check)
    if expected is not None:
        size = signed.checkpoint.tree_size
        if expected.tree_size != size or not expected.matches(signed.checkpoint.root_hash):
            check.problems.append(
                f"the package's checkpoint {signed.checkpoint} is not the checkpoint {expected} "
                "you were given"
            )
    if trusted_keys:
        check.trusted = signed.key_id in trusted_keys or any(
            signed.key_id.startswith(k) for k in trusted_keys if len(k) >= 8
        )
        if not check.trusted:
            check.problems.append(
                f"the package is signed with key {signed.key_id}, not with a key you trust "
                f"({', '.join(trusted_keys)}) — it may have been re-signed by someone else"
            )
