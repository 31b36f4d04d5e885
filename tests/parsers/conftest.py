"""Fixtures for parser tests: a real case with exhibits, and an extract runner on a test tree."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.evidence.model import EvidenceTree
from evidence_intake.parsers.engine import ExtractionReport, InlineExecutor, extract
from evidence_intake.parsers.registry import ParserRegistry
from tests.parsers.fakecase import FakeCase, FakeExhibit

EXAMINER = "Pol.Lt. Somchai Jaidee"


@pytest.fixture()
def case(tmp_path: Path) -> FakeCase:
    """A case with EX-001 (Thai phone, region from the case) and EX-002 (region US)."""
    return FakeCase(
        tmp_path / "case",
        exhibits={"EX-001": FakeExhibit("EX-001"), "EX-002": FakeExhibit("EX-002", region="US")},
    )


Runner = Callable[..., ExtractionReport]


@pytest.fixture()
def run_extract(case: FakeCase) -> Runner:
    """``run_extract(tree, *parser_classes, exhibits=("EX-001",))``: extract in-process (``jobs=0``)
    or with a pool of ``jobs`` worker processes."""

    def run(
        tree: EvidenceTree | dict[str, EvidenceTree],
        *parsers: type,
        exhibits: Sequence[str] = ("EX-001",),
        registry: ParserRegistry | None = None,
        jobs: int = 0,
        executor: Any = None,
    ) -> ExtractionReport:
        trees = tree if isinstance(tree, dict) else {e: tree for e in exhibits}
        reg = registry if registry is not None else ParserRegistry.of(*parsers)
        return extract(
            case,
            exhibits,
            examiner=EXAMINER,
            registry=reg,
            jobs=jobs,
            executor=executor if executor is not None or jobs > 0 else InlineExecutor(),
            open_tree=lambda _case, exhibit: trees[exhibit],
        )

    return run
