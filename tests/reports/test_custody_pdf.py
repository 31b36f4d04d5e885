from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence_intake.case import Case
from evidence_intake.reports import fonts
from evidence_intake.reports.custody import generate_custody_report
from tests.helpers import cli, cli_json
from tests.reports.case_builder import (
    CHINESE_NAME,
    IMEI,
    RECEIVER,
    THAI_DESCRIPTION,
    THAI_REASON,
    build_case,
)


def pdf_pages(pdftotext: str, path: Path) -> list[str]:
    """Text of each page, in content order (-raw: marks stay after their base letter, as typed)."""
    text = subprocess.run(
        [pdftotext, "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.mark.parametrize("lang", ["en", "th"])
def test_pdf_holds_case_exhibits_every_action_and_hash_and_the_head_on_every_page(
    tmp_path: Path, require_tool: Callable[..., str], lang: str
) -> None:
    pdftotext = require_tool("pdftotext", "poppler-utils")
    built = build_case(tmp_path)
    head = cli_json("custody", "head", "--case", built.root)
    out = tmp_path / f"custody-{lang}.pdf"
    result = cli_json("report", "custody", "--case", built.root, "--lang", lang, "--out", out)
    assert result["ledger_head"] == head["head"]

    pages = pdf_pages(pdftotext, out)
    text = "\n".join(pages)
    flat = "".join(text.split())
    assert "TCSD 123/2568" in text
    for exhibit in built.exhibits:
        assert exhibit in text
    with Case.open(built.root) as case:
        entries = list(case.ledger.entries(end=head["tree_size"]))
        acquisitions = case.acquisitions()
    assert len(entries) == head["tree_size"]
    for entry in entries:
        assert entry.action in text, entry.action
        assert entry.entry_hash in flat, f"entry {entry.seq}'s hash is not in the PDF"
    for acq in acquisitions:
        for value in acq.hashes.values():
            assert value in flat
    assert THAI_DESCRIPTION in text
    assert "".join(THAI_REASON.split()) in flat  # the reason may wrap, but every mark stays in place
    assert RECEIVER in text
    assert IMEI in text and "A-0107" in text
    assert "android.sms" in text and "1.2.0" in text and "database disk image is malformed" in text
    # The head that `custody head` printed is in the footer of every page, with "page X of Y".
    footer_head = f"{head['tree_size']}:{head['root_hash']}"
    assert all(footer_head in "".join(page.split()) for page in pages)
    page_word = "หน้า" if lang == "th" else "Page"
    of_word = "จาก" if lang == "th" else "of"
    for number, page in enumerate(pages, start=1):
        assert f"{page_word} {number} {of_word} {len(pages)}" in page
    if lang == "th":
        # Buddhist Era dates: seized 14/03/2568 09:30 Bangkok time.
        assert "14 มี.ค. 2568 09:30:00 น." in text
    # The report is a ledger entry with the SHA-256 of the file as written.
    with Case.open(built.root) as case:
        last = case.ledger.last()
    assert last is not None and last.action == "report_generated"
    assert last.details["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() == result["sha256"]
    assert last.details["ledger_head"] == footer_head
    assert not os.access(out, os.W_OK) or os.geteuid() == 0  # written read-only (root ignores modes)
    assert out.stat().st_mode & 0o222 == 0


def test_report_of_one_exhibit_shows_only_its_chain(tmp_path: Path, require_tool: Callable[..., str]) -> None:
    pdftotext = require_tool("pdftotext", "poppler-utils")
    built = build_case(tmp_path, with_e01=False)
    out = tmp_path / "ex2.pdf"
    cli("report", "custody", "--case", built.root, "--exhibit", "EX-002", "--out", out)
    text = "\n".join(pdf_pages(pdftotext, out))
    assert "EX-002" in text and "SanDisk USB stick, red" in text
    assert THAI_DESCRIPTION not in text and "transferred" not in text
    with Case.open(built.root) as case:
        last = case.ledger.last()
    assert last is not None and last.exhibit == "EX-002" and last.details["scope"] == "EX-002"


def _system_cjk_font() -> fonts.FontFile | None:
    found = fonts.fc_match([ord(CHINESE_NAME[0])], "zh-cn")
    if found is None or ord(CHINESE_NAME[0]) not in fonts.coverage(found.path, found.index):
        return None
    return found


def test_chinese_text_uses_a_system_cjk_font(tmp_path: Path, require_tool: Callable[..., str]) -> None:
    pdftotext = require_tool("pdftotext", "poppler-utils")
    if _system_cjk_font() is None:
        reason = "no CJK font installed (Debian package fonts-noto-cjk)"
        if os.environ.get("EVIDENCE_INTAKE_REQUIRE_TOOLS", "") not in ("", "0"):
            pytest.fail(reason + " and EVIDENCE_INTAKE_REQUIRE_TOOLS=1 is set")
        pytest.skip(reason)
    built = build_case(tmp_path, with_e01=False)
    out = tmp_path / "zh.pdf"
    result = cli("report", "custody", "--case", built.root, "--out", out)
    assert "no installed font" not in result.stderr
    assert CHINESE_NAME in "\n".join(pdf_pages(pdftotext, out))


def test_a_missing_cjk_font_is_named_not_left_as_silent_boxes(
    tmp_path: Path, require_tool: Callable[..., str]
) -> None:
    pdftotext = require_tool("pdftotext", "poppler-utils")
    built = build_case(tmp_path, with_e01=False)
    out = tmp_path / "nocjk.pdf"
    with Case.open(built.root) as case:
        result = generate_custody_report(
            case, fmt="pdf", lang="en", out=out, examiner="Pol.Lt. Somchai Jaidee", lookup=lambda _c, _l: None
        )
    assert len(result.warnings) == 1
    assert "Chinese (CJK)" in result.warnings[0] and "fonts-noto-cjk" in result.warnings[0]
    assert CHINESE_NAME[0] in result.warnings[0]
    text = "\n".join(pdf_pages(pdftotext, out))
    assert "Characters that could not be shown" in text and "fonts-noto-cjk" in "".join(text.split())
    # Thai still renders with the shipped font alone.
    assert THAI_DESCRIPTION in text


def test_the_font_plan_asks_only_for_scripts_the_shipped_font_lacks() -> None:
    calls: list[tuple[list[int], str | None]] = []

    def lookup(chars: object, lang: str | None) -> fonts.FontFile | None:
        calls.append((list(chars), lang))  # type: ignore[call-overload]
        return fonts.FontFile(fonts.REGULAR)  # a font that does not cover the character

    assert fonts.plan_fonts(f"{THAI_DESCRIPTION} {THAI_REASON} Samsung 123", lookup=lookup).missing == {}
    assert calls == []
    plan = fonts.plan_fonts("ကို 王", lookup=lookup)
    assert set(plan.missing) == {"Burmese", "Chinese (CJK)"}
    assert {lang for _, lang in calls} == {"my", "zh-cn"}
    assert plan.fallbacks == []
    assert fonts.LICENCE.read_text(encoding="utf-8").startswith("Copyright 2018 The Sarabun Project Authors")
