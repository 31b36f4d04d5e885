"""Fixtures shared by every test module.

The real third-party corpus lives next to the project in ../shared/corpus and is never copied in.
Reference tools (fls, ewfverify, pdftotext…) are looked up on PATH. Where either is missing the test
skips with the reason, unless CI asks for everything with EVIDENCE_INTAKE_REQUIRE_CORPUS=1 or
EVIDENCE_INTAKE_REQUIRE_TOOLS=1, in which case it fails instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS_ROOT = Path(os.environ.get("EVIDENCE_INTAKE_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus"))


def _required(variable: str) -> bool:
    return os.environ.get(variable, "") not in ("", "0")


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The read-only corpus folder (disk-images/, android/, sqlite-wal/)."""
    if not (CORPUS_ROOT / "README.md").is_file():
        reason = f"the shared test corpus is not at {CORPUS_ROOT}"
        if _required("EVIDENCE_INTAKE_REQUIRE_CORPUS"):
            pytest.fail(reason + " and EVIDENCE_INTAKE_REQUIRE_CORPUS=1 is set")
        pytest.skip(reason)
    return CORPUS_ROOT


@pytest.fixture(scope="session")
def require_tool() -> Callable[[str], str]:
    """``require_tool("fls")`` returns the tool's path, or skips (fails in CI) when it is missing."""

    def lookup(name: str, package: str | None = None) -> str:
        found = shutil.which(name)
        if found:
            return found
        reason = f"reference tool {name!r} is not installed (Debian package {package or name})"
        if _required("EVIDENCE_INTAKE_REQUIRE_TOOLS"):
            pytest.fail(reason + " and EVIDENCE_INTAKE_REQUIRE_TOOLS=1 is set")
        pytest.skip(reason)

    return lookup


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's keys or picks up a case from the environment."""
    keys = tmp_path_factory.mktemp("keys")
    monkeypatch.setenv("EVIDENCE_INTAKE_KEYS", str(keys))
    monkeypatch.delenv("EVIDENCE_INTAKE_CASE", raising=False)
    monkeypatch.delenv("EVIDENCE_INTAKE_EXAMINER", raising=False)


@pytest.fixture
def bars_drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """stderr drawn as on a terminal (FORCE_COLOR), with a progress bar for every file however small."""
    from evidence_intake import console

    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setattr(console, "FILE_BAR_FROM", 0)
    console._err.cache_clear()
    yield
    console._err.cache_clear()
