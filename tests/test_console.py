"""Text from evidence reaches the terminal exactly as it is: never as Rich markup, never as control codes."""

from __future__ import annotations

import io
import re

import pytest

from evidence_intake import console
from evidence_intake.errors import IntakeError
from evidence_intake.reports.artefacts_flat import write_rows_csv

HOSTILE = "[link=https://evil.example]click[/link] [bold red]PAID[/] [/bold] \x1b]8;;https://x\x07hi\x1b[2J"


def test_table_cells_show_markup_literally_and_controls_as_pictures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    console.table("messages", ["body"], [[HOSTILE]])
    shown = capsys.readouterr().out
    assert "[link=https://evil.example]click[/link]" in shown and "[bold red]PAID[/]" in shown
    assert "[/bold]" in shown  # an unmatched closing tag used to stop the command (MarkupError)
    assert "\x1b" not in shown and "\x07" not in shown
    assert "␛]8;;https://x␇hi␛[2J" in shown


def test_key_values_warnings_and_errors_are_literal(capsys: pytest.CaptureFixture[str]) -> None:
    console.key_values(None, [("path", "/sdcard/[/x]/a.db")])
    console.warn("file /sdcard/[red]x[/] skipped")
    console.info("checked: [/]")
    from evidence_intake.cli import report_error

    report_error(IntakeError("cannot read /sdcard/[/bold]/msgstore.db", hint="see [b]docs[/b]"))
    captured = capsys.readouterr()
    assert "/sdcard/[/x]/a.db" in captured.out
    assert "warning: file /sdcard/[red]x[/] skipped" in captured.err
    assert "checked: [/]" in captured.err
    assert "error: cannot read /sdcard/[/bold]/msgstore.db" in captured.err
    assert "what to do: see [b]docs[/b]" in captured.err


def test_csv_rows_neutralise_formulas_and_keep_other_text() -> None:
    out = io.StringIO()
    rows = [{"body": '=HYPERLINK("http://x","y")', "n": 5}, {"body": "โอนเงิน 500 USDT", "n": -1}]
    assert write_rows_csv(out, ["body", "n"], rows) == 2
    lines = out.getvalue().split("\r\n")
    assert lines[0] == "body,n"
    assert lines[1] == '"\'=HYPERLINK(""http://x"",""y"")",5'
    assert lines[2] == "โอนเงิน 500 USDT,-1"


def test_on_a_terminal_rich_styles_the_output_and_evidence_text_stays_literal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """FORCE_COLOR makes the output go through Rich as on a terminal: styled, still literal."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    console._err.cache_clear()
    try:
        console.key_values("Acquisition", [("path", HOSTILE), ("files", "a.001\nb.002")])
        console.warn(f"skipped {HOSTILE}")
        console.passed("chain intact")
        captured = capsys.readouterr()
    finally:
        console._err.cache_clear()
    for text in (captured.out, captured.err):
        assert "\x1b[" in text  # styled by Rich
        assert "[link=https://evil.example]click[/link]" in text and "[bold red]PAID[/]" in text
        assert "␛]8;;https://x␇hi␛[2J" in text and "\x1b]8" not in text and "\x07" not in text
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in captured.out.splitlines()]
    assert lines[0] == "Acquisition" and lines[-1] == " " * len("files ") + "b.002"  # aligned continuation
    assert "✓ chain intact" in re.sub(r"\x1b\[[0-9;]*m", "", captured.err)
