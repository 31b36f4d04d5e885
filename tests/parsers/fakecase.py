"""A stand-in for ``evidence_intake.case.Case`` with exactly the documented API extraction uses.

The real Case needs the chain-of-custody ledger, which is merged separately; extraction only needs
paths, the exhibits' regions and ``record``, so tests use this fake and read its ``entries``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_intake.errors import NotFoundError


@dataclass(frozen=True)
class FakeSettings:
    case_id: str = "00000000-0000-0000-0000-000000000001"
    case_number: str = "TCSD 1/2568"
    title: str = "Parser tests"
    agency: str | None = None
    examiner: str = "Pol.Lt. Somchai Jaidee"
    timezone: str = "Asia/Bangkok"
    region: str = "TH"


@dataclass(frozen=True)
class FakeExhibit:
    exhibit_id: str
    region: str | None = None


@dataclass(frozen=True)
class FakeEntry:
    seq: int
    action: str
    examiner: str
    exhibit: str | None
    details: dict[str, Any]


@dataclass
class FakeCase:
    root: Path
    exhibits: dict[str, FakeExhibit] = field(default_factory=dict)
    settings: FakeSettings = field(default_factory=FakeSettings)
    entries: list[FakeEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def scratch_dir(self) -> Path:
        path = self.root / "scratch"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def artefacts_path(self) -> Path:
        return self.root / "artefacts.sqlite"

    def examiner(self, explicit: str | None = None) -> str:
        return explicit or self.settings.examiner

    def exhibit(self, exhibit_id: str) -> FakeExhibit:
        try:
            return self.exhibits[exhibit_id]
        except KeyError:
            raise NotFoundError(
                f"no exhibit {exhibit_id!r} in case {self.settings.case_number}",
                hint=f"known exhibits: {', '.join(sorted(self.exhibits))}",
            ) from None

    def record(
        self,
        action: str,
        *,
        examiner: str,
        exhibit: str | None = None,
        details: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> FakeEntry:
        from chain_of_custody import ACTIONS, canonical_json

        # The real ledger refuses unknown actions and anything its canonical JSON cannot encode:
        # fail here as it would.
        if action not in ACTIONS:
            raise AssertionError(f"the ledger has no action {action!r}")
        canonical_json(dict(details or {}))
        entry = FakeEntry(len(self.entries) + 1, action, examiner, exhibit, dict(details or {}))
        self.entries.append(entry)
        return entry

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeCase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def actions(self, name: str) -> list[FakeEntry]:
        return [e for e in self.entries if e.action == name]
