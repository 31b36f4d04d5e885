"""A stand-in for a case with one completed acquisition, for tests that need no ledger or register.

It offers exactly what the evidence commands use of the documented Case API: latest_acquisition,
examiner, record and settings.timezone. Tests with the real Case live in test_case_integration.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_intake.errors import NotFoundError


@dataclass
class FakeAcquisition:
    id: str
    exhibit: str
    format: str
    paths: list[Path]
    kind: str = "physical"
    status: str = "completed"
    manifest_path: Path | None = None


@dataclass
class FakeSettings:
    timezone: str = "Asia/Bangkok"
    examiner: str = "Pol.Lt. Somchai"


@dataclass
class FakeCase:
    acquisitions: dict[str, FakeAcquisition]
    settings: FakeSettings = field(default_factory=FakeSettings)
    recorded: list[dict[str, Any]] = field(default_factory=list)
    root: Path = Path("/nonexistent/case")

    def latest_acquisition(self, exhibit_id: str) -> FakeAcquisition:
        if exhibit_id not in self.acquisitions:
            raise NotFoundError(f"exhibit {exhibit_id} has no completed acquisition")
        return self.acquisitions[exhibit_id]

    def examiner(self, explicit: str | None = None) -> str:
        return explicit or self.settings.examiner

    def record(
        self,
        action: str,
        *,
        examiner: str,
        exhibit: str | None = None,
        details: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        entry = {
            "action": action,
            "examiner": examiner,
            "exhibit": exhibit,
            "details": dict(details or {}),
            **extra,
        }
        self.recorded.append(entry)
        return entry

    def __enter__(self) -> FakeCase:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def fake_case(image: Path | list[Path], fmt: str = "raw", exhibit: str = "EX-001") -> FakeCase:
    paths = image if isinstance(image, list) else [image]
    return FakeCase({exhibit: FakeAcquisition(id="acq-0001", exhibit=exhibit, format=fmt, paths=paths)})
