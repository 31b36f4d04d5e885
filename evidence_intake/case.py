"""A case workspace on disk: its folders and settings, its ledger, its register, and who is acting.

A case is a folder::

    case.json          settings, written once at creation (case number, title, agency, zone…)
    ledger.sqlite      the chain-of-custody ledger (package chain_of_custody)
    case.sqlite        exhibit register, photographs, acquisitions, verifications (evidence_intake.register)
    artefacts.sqlite   the artefact store
    evidence/<id>/     images, acquisition logs and preserved logical sources, per exhibit
    photos/<id>/       photographs of exhibits, copied in and hashed
    reports/ exports/  what the case produces
    scratch/           temporary copies (SQLite databases from evidence); emptied after use

Keys never live in the case folder: the workstation key and officers' keys are in a key store
outside it (``keystore_root``), readable only by their owner.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chain_of_custody import KeyStore, Ledger, LedgerError, NotALedgerError, Signer
from evidence_intake import SOFTWARE, host_name
from evidence_intake.errors import (
    ConflictError,
    IntakeError,
    NotFoundError,
    ReadOnlyCaseError,
    UsageError,
    from_ledger_error,
)
from evidence_intake.timeutil import iso_utc, utcnow, zone

if TYPE_CHECKING:
    from chain_of_custody import Entry
    from evidence_intake.register import Acquisition, Exhibit
    from evidence_intake.register_db import RegisterDB

CASE_FILE = "case.json"
CASE_FORMAT = "evidence-intake-case/1"
ENV_CASE = "EVIDENCE_INTAKE_CASE"
ENV_EXAMINER = "EVIDENCE_INTAKE_EXAMINER"
ENV_KEYS = "EVIDENCE_INTAKE_KEYS"
SUBFOLDERS = ("evidence", "photos", "reports", "exports", "scratch")
REGION_EXAMPLES = (
    "a two-letter ISO 3166-1 country code, e.g. TH (Thailand), MM (Myanmar), CN (China), KH (Cambodia)"
)


def check_region(raw: str, *, given_as: str = "region", hint: str | None = None) -> str:
    """The phone region as stored ("TH"): a country code the phone-number rules know.

    Refused when given, not later when the first number of an exhibit cannot be read with it.
    """
    import phonenumbers  # its metadata takes 30 ms to load: only commands that take a region pay it

    region = raw.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise UsageError(
            f"{given_as} {raw!r} is not a country code that phone numbers can be read with",
            hint=hint or f"a region is {REGION_EXAMPLES}",
        )
    return region


def _make_case_folders(root: Path) -> None:
    """The case folder and its subfolders; storage where they cannot be made is the user's to change.

    Folders made before the refusal are removed again, so that the same command can be run elsewhere
    (or here, once writable) without an empty, half-made case left behind.
    """
    made: list[Path] = []
    try:
        missing = [p for p in (root, *root.parents) if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
        for name in SUBFOLDERS:
            (root / name).mkdir()
            made.append(root / name)
    except OSError as exc:
        for folder in reversed(made):
            with suppress(OSError):
                folder.rmdir()
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise
        where = f" ({exc.filename})" if exc.filename and Path(exc.filename) != root else ""
        raise IntakeError(
            f"the case folder {root} cannot be created there: {exc.strerror or exc}{where}",
            path=root,
            hint="the storage is read-only or not writable by this user: choose a writable location "
            "for the case (a folder on the workstation or on the evidence drive)",
        ) from exc


def keystore_root() -> Path:
    """Where keys live: $EVIDENCE_INTAKE_KEYS, else the user's config folder (never the case folder)."""
    explicit = os.environ.get(ENV_KEYS)
    if explicit:
        return Path(explicit)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "evidence-intake" / "keys"


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseSettings:
    case_id: str
    case_number: str
    title: str
    examiner: str
    agency: str | None
    timezone: str
    region: str
    created_at: str
    format: str = CASE_FORMAT

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseSettings:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


class Case:
    """An opened case folder. Cheap to create; the ledger and databases open on first use."""

    def __init__(self, root: Path, settings: CaseSettings) -> None:
        self.root = root
        self.settings = settings
        self._ledger: Ledger | None = None
        self._keystore = KeyStore(keystore_root())

    # -- creating and finding ------------------------------------------------------------------

    @classmethod
    def init(
        cls,
        root: Path,
        *,
        case_number: str,
        title: str,
        examiner: str,
        agency: str | None = None,
        timezone: str = "Asia/Bangkok",
        region: str = "TH",
    ) -> Case:
        """Make a new case folder with its ledger; refuses a folder that already holds anything."""
        zone(timezone)  # refuse an unknown zone before anything is written
        if not case_number.strip() or not title.strip() or not examiner.strip():
            raise UsageError("case number, title and examiner must not be empty")
        region = check_region(region)
        root = root.expanduser().resolve()
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise ConflictError(
                f"{root} already exists and is not an empty folder",
                path=root,
                hint="choose a new folder for the case; an existing case is never overwritten",
            )
        settings = CaseSettings(
            case_id=str(uuid.uuid4()),
            case_number=case_number.strip(),
            title=title.strip(),
            examiner=examiner.strip(),
            agency=agency.strip() if agency else None,
            timezone=timezone,
            region=region,
            created_at=iso_utc(utcnow()),
        )
        _make_case_folders(root)
        _write_json_atomic(root / CASE_FILE, settings.to_dict())
        case = cls(root, settings)
        Ledger.create(case.ledger_path, case_id=settings.case_id).close()
        from evidence_intake import register

        case.__dict__["db"] = register.open_database(case.db_path)
        workstation = case.workstation_key()
        case.record(
            "case_created",
            examiner=settings.examiner,
            details={"case": settings.to_dict(), "workstation_key_id": workstation.key_id},
        )
        case.ensure_key_registered(workstation, owner=host_name(), purpose="workstation")
        case.ledger.sign_checkpoint(workstation)
        return case

    @classmethod
    def open(cls, root: Path) -> Case:
        root = root.expanduser().resolve()
        marker = root / CASE_FILE
        if not marker.is_file():
            raise NotFoundError(
                f"{root} is not a case folder (no {CASE_FILE})",
                path=root,
                hint="give the case folder with --case, or create one with: evidence-intake case init DIR …",
            )
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError(f"it holds a JSON {type(data).__name__}, not the case's settings")
            if data.get("format") != CASE_FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            settings = CaseSettings.from_dict(data)
        except (ValueError, TypeError, OSError) as exc:
            raise IntakeError(
                f"{marker} is not a readable case settings file: {exc}",
                path=marker,
                hint="restore it from the backup of the case; the file is left untouched",
            ) from exc
        return cls(root, settings)

    @classmethod
    def locate(cls, explicit: Path | None = None, *, reading: bool = False) -> Case:
        """The case named by --case, else $EVIDENCE_INTAKE_CASE, else the current folder or a parent.

        A command that records anything is refused at once on a case that cannot be written (see
        ``read_only``), before any work; ``reading`` commands run there too.
        """
        case = cls._find(explicit)
        if not reading:
            case.require_writable()
        return case

    @classmethod
    def _find(cls, explicit: Path | None) -> Case:
        if explicit is not None:
            return cls.open(explicit)
        env = os.environ.get(ENV_CASE)
        if env:
            return cls.open(Path(env))
        here = Path.cwd().resolve()
        for folder in (here, *here.parents):
            if (folder / CASE_FILE).is_file():
                return cls.open(folder)
        raise NotFoundError(
            f"no case found: {here} is not inside a case folder",
            hint=f"give --case DIR or set {ENV_CASE}; create one with: evidence-intake case init DIR …",
        )

    # -- read-only storage -----------------------------------------------------------------------

    @cached_property
    def read_only(self) -> bool:
        """Whether this case cannot be written here: a disc for the court, a write-protected drive, a
        read-only mount or share, or a copy whose files this user may only read.

        Such a case is opened read-only: it can be shown, verified and searched, never changed.
        """
        paths = (self.root, self.ledger_path, self.db_path, self.artefacts_path)
        return not all(os.access(path, os.W_OK) for path in paths if path.exists())

    def require_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyCaseError(
                f"{self.root} cannot be written here (read-only storage, or files this user may only "
                "read), and this command records what it does in the case",
                path=self.root,
                hint="copy the case folder to writable storage (cp -a), check the copy with "
                "`evidence-intake custody verify`, and run the command on the copy; case show, exhibit "
                "list/show, custody show/verify/prove, files and artefacts work where the case is",
            )

    # -- paths -------------------------------------------------------------------------------

    @property
    def ledger_path(self) -> Path:
        return self.root / "ledger.sqlite"

    @property
    def db_path(self) -> Path:
        return self.root / "case.sqlite"

    @property
    def artefacts_path(self) -> Path:
        return self.root / "artefacts.sqlite"

    @property
    def scratch_dir(self) -> Path:
        return self._folder("scratch")

    @property
    def reports_dir(self) -> Path:
        return self._folder("reports")

    @property
    def exports_dir(self) -> Path:
        return self._folder("exports")

    def evidence_dir(self, exhibit_id: str) -> Path:
        return self._folder("evidence", safe_name(exhibit_id))

    def photos_dir(self, exhibit_id: str) -> Path:
        return self._folder("photos", safe_name(exhibit_id))

    def _folder(self, *parts: str) -> Path:
        path = self.root.joinpath(*parts)
        if not path.is_dir():
            self.require_writable()
            path.mkdir(parents=True, exist_ok=True)
        return path

    @contextmanager
    def scratch(self, label: str = "work") -> Iterator[Path]:
        """A private temporary folder under scratch/, removed afterwards whatever happens."""
        folder = self.scratch_dir / f"{safe_name(label)}-{uuid.uuid4().hex[:12]}"
        folder.mkdir()
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    # -- stores ------------------------------------------------------------------------------

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            try:
                # Read-only only where the ledger itself cannot be written: a read-only connection to a
                # writable ledger could not remove the -wal and -shm files it leaves behind. Commands
                # that would write are refused earlier, by require_writable.
                writable = os.access(self.ledger_path, os.W_OK) and os.access(self.root, os.W_OK)
                self._ledger = Ledger.open(self.ledger_path, readonly=not writable)
            except NotALedgerError as exc:
                raise IntakeError(
                    str(exc),
                    path=self.ledger_path,
                    hint="the file is left untouched; restore the ledger from a backup, then custody verify",
                ) from exc
            except LedgerError as exc:
                raise IntakeError(str(exc), path=self.ledger_path, hint=exc.hint) from exc
            if self._ledger.case_id != self.settings.case_id:
                raise IntakeError(
                    f"{self.ledger_path} belongs to another case (case id {self._ledger.case_id})",
                    path=self.ledger_path,
                    hint="the ledger of this case was replaced; restore the right one from a backup",
                )
        return self._ledger

    @cached_property
    def db(self) -> RegisterDB:
        from evidence_intake import register

        if not self.db_path.is_file():
            raise IntakeError(
                f"{self.db_path} is missing: the case register is gone",
                path=self.db_path,
                hint="restore case.sqlite from the backup of the case",
            )
        if self.db_path.stat().st_size == 0:  # cut to nothing: never silently rebuilt as an empty register
            raise IntakeError(
                f"{self.db_path} is empty: the case register was lost (a full disk, an interrupted copy)",
                path=self.db_path,
                hint="the ledger is the record of what happened (run `evidence-intake custody verify`); "
                "restore case.sqlite from the backup of the case, keeping the empty file aside",
            )
        return register.open_database(self.db_path, readonly=self.read_only)

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
        if "db" in self.__dict__:
            self.db.close()
            del self.__dict__["db"]

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- who acts, and the record of what they do ----------------------------------------------

    def examiner(self, explicit: str | None = None) -> str:
        """--examiner, else $EVIDENCE_INTAKE_EXAMINER, else the case's default examiner."""
        for candidate in (explicit, os.environ.get(ENV_EXAMINER), self.settings.examiner):
            if candidate and candidate.strip():
                return candidate.strip()
        return self.settings.examiner

    def workstation_key(self) -> Signer:
        signer = self._keystore.workstation(create=True)
        assert signer is not None  # create=True never returns None
        return signer

    def officer_key(self, examiner: str) -> Signer | None:
        return self._keystore.officer(examiner)

    def create_officer_key(self, examiner: str) -> Signer:
        """A new Ed25519 key for an officer, kept in the key store, registered in this ledger."""
        from chain_of_custody.keys import normalise_officer_name

        try:
            normalise_officer_name(examiner)
        except LedgerError as exc:  # a value given on the command line, not a fault of the ledger
            raise UsageError(
                f"officer name {examiner!r} is empty or holds control characters: a key needs a name",
                hint="give the officer's name as printed on the ID, "
                'e.g. --examiner "Pol.Lt. Somchai Jaidee"',
            ) from exc
        if self._keystore.officer(examiner) is not None:
            raise ConflictError(
                f"officer {examiner!r} already has a key in {self._keystore.root}",
                hint="it is used as it is; a key is never replaced silently",
            )
        signer = self._keystore.create_officer(examiner)
        self.ensure_key_registered(signer, owner=examiner, purpose="officer")
        return signer

    def ensure_key_registered(self, signer: Signer, *, owner: str, purpose: str) -> None:
        if signer.key_id in self.ledger.public_keys():
            return
        self.ledger.register_key(
            signer, owner=owner, purpose=purpose, actor=owner, software=SOFTWARE, host=host_name()
        )

    def record(
        self,
        action: str,
        *,
        examiner: str,
        exhibit: str | None = None,
        details: Mapping[str, Any] | None = None,
        from_party: str | None = None,
        to_party: str | None = None,
        location: str | None = None,
        reason: str | None = None,
    ) -> Entry:
        """One ledger entry, signed with the examiner's key when the key store holds one."""
        self.require_writable()
        try:
            signer = self.officer_key(examiner)
            if signer is not None:
                self.ensure_key_registered(signer, owner=examiner, purpose="officer")
            return self.ledger.append(
                action,
                actor=examiner,
                exhibit=exhibit,
                from_party=from_party,
                to_party=to_party,
                location=location,
                reason=reason,
                details=dict(details or {}),
                host=host_name(),
                software=SOFTWARE,
                signer=signer,
            )
        except LedgerError as exc:
            raise self._not_recorded(action, exc) from exc

    def _not_recorded(self, action: str, exc: LedgerError) -> IntakeError:
        """The error for an entry the ledger did not take: what was not recorded, why, what to do."""
        return from_ledger_error(
            exc,
            message=f"the ledger {self.ledger_path} did not record {action}: {exc}",
            path=self.ledger_path,
            hint="run `evidence-intake custody verify`; nothing was recorded for this command",
        )

    def sign_checkpoint(self) -> Any:
        """The current checkpoint signed with this workstation's key (registered first if new here)."""
        signer = self.workstation_key()
        self.ensure_key_registered(signer, owner=host_name(), purpose="workstation")
        return self.ledger.sign_checkpoint(signer)

    # -- register shortcuts ------------------------------------------------------------------

    def exhibit(self, exhibit_id: str) -> Exhibit:
        from evidence_intake import register

        return register.get_exhibit(self, exhibit_id)

    def acquisitions(self, exhibit_id: str | None = None) -> list[Acquisition]:
        from evidence_intake import register

        return register.list_acquisitions(self, exhibit_id)

    def latest_acquisition(self, exhibit_id: str) -> Acquisition:
        from evidence_intake import register

        return register.latest_acquisition(self, exhibit_id)


def safe_name(text: str) -> str:
    """A file-system-safe form of an id: letters (any script), digits, - _ . ; the rest becomes _."""
    cleaned = "".join(ch if (ch.isalnum() or ch in "-_.") else "_" for ch in text.strip())
    cleaned = cleaned.lstrip(".") or "_"
    return cleaned[:120]


def _write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "x", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
