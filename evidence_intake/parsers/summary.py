"""What an extraction found, per exhibit and per parser: the report ``extract()`` returns.

These are what the CLI prints, what ``--json`` gives and what the ledger's extraction_completed entry
carries as counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ParserSummary:
    parser: str
    version: str
    files: int = 0
    parsed: int = 0
    records: int = 0
    errors: int = 0
    warnings: int = 0
    unsupported: int = 0
    not_applicable: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "parser": self.parser,
            "version": self.version,
            "files": self.files,
            "parsed": self.parsed,
            "records": self.records,
            "errors": self.errors,
            "warnings": self.warnings,
            "unsupported_schema": self.unsupported,
            "not_applicable": self.not_applicable,
        }


@dataclass(slots=True)
class ExhibitSummary:
    exhibit: str
    extraction_id: str
    status: str = "running"  # completed, partial, failed
    parsers: dict[str, ParserSummary] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)  # per kind
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "exhibit": self.exhibit,
            "extraction_id": self.extraction_id,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "records": dict(self.records),
            "parsers": [p.to_dict() for p in self.parsers.values()],
            "problems": list(self.problems),
        }


@dataclass(slots=True)
class ExtractionReport:
    exhibits: list[ExhibitSummary] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(e.status != "completed" for e in self.exhibits)

    def to_dict(self) -> dict[str, Any]:
        return {"exhibits": [e.to_dict() for e in self.exhibits], "failed": self.failed}
