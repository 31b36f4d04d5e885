"""Meta-tests: every built-in parser has a test module and is in the generated table of the docs."""

from __future__ import annotations

from pathlib import Path

from evidence_intake.parsers.doctable import builtin_infos, render

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "parsers.md"


def test_builtin_parsers_are_registered_through_entry_points() -> None:
    names = {i.name for i in builtin_infos()}
    assert {"android.sms", "android.contacts", "android.calllog", "android.encrypted"} <= names


def test_every_builtin_parser_has_a_test_module() -> None:
    for info in builtin_infos():
        module = info.cls.__module__  # evidence_intake.parsers.android.sms
        parts = module.split(".")[2:]
        test = ROOT / "tests" / "parsers" / Path(*parts[:-1]) / f"test_{parts[-1]}.py"
        assert test.is_file(), f"{info.name} has no test module {test.relative_to(ROOT)}"
        assert info.cls.__name__ in test.read_text(encoding="utf-8"), (
            f"{test.name} does not use {info.cls.__name__}"
        )


def test_parser_table_in_the_docs_is_current() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    assert render(text, builtin_infos()) == text, (
        "docs/parsers.md is stale: run python -m evidence_intake.parsers.doctable docs/parsers.md"
    )
    for info in builtin_infos():
        assert f"`{info.name}`" in text
