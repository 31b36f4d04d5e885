from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from evidence_intake.case import Case
from evidence_intake.reports.i18n import Labels, thai_date
from evidence_intake.timeutil import to_zone
from tests.chain_of_custody._attack import tamper
from tests.helpers import add_exhibit, cli, cli_json, make_case, small_disk
from tests.reports.case_builder import THAI_DESCRIPTION, build_case

HOSTILE_DESCRIPTION = '<script>alert("x")</script> & <b>bold</b>'
HOSTILE_REASON = (
    '"><img src=https://evil.example/x.png onerror=alert(1)><link rel=stylesheet href=//evil.example>'
)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def test_html_report_is_self_contained_with_a_strict_csp_and_escapes_user_text(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    cli(
        "exhibit",
        "add",
        "--case",
        root,
        "--exhibit",
        "EX-009",
        "--kind",
        "other",
        "--description",
        HOSTILE_DESCRIPTION,
    )
    cli(
        "custody",
        "log",
        "--case",
        root,
        "--exhibit",
        "EX-009",
        "--action",
        "transferred",
        "--to",
        "Sgt. <Malee>",
        "--reason",
        HOSTILE_REASON,
    )
    out = tmp_path / "report.html"
    cli("report", "custody", "--case", root, "--format", "html", "--out", out)
    page = out.read_text(encoding="utf-8")

    collector = _Collector()
    collector.feed(page)
    tags = {tag for tag, _ in collector.tags}
    assert not tags & {"script", "link", "iframe", "object", "embed", "base", "form", "img"}
    for tag, attrs in collector.tags:
        for name in ("src", "href", "action", "srcset", "poster"):
            value = attrs.get(name)
            assert value is None or value.startswith(("data:", "#")), (tag, name, value)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    assert "http" not in "".join(collector.styles)  # no remote fonts or images in the style sheet

    csp = [
        a["content"]
        for t, a in collector.tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert len(csp) == 1
    policy = {d.split()[0]: d.split()[1:] for d in (csp[0] or "").split(";") if d.strip()}
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'none'"]
    assert policy["img-src"] == ["data:"] and policy["font-src"] == ["data:"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'none'"]
    (style,) = collector.styles
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
    assert policy["style-src"] == [f"'sha256-{digest}'"]  # the one inline style sheet, by its hash

    # User text is shown, escaped: the raw markup never reaches the page.
    assert HOSTILE_DESCRIPTION not in page and "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<img" not in page and "&quot;&gt;&lt;img src=https://evil.example/x.png" in page
    assert "Sgt. &lt;Malee&gt;" in page


def test_html_in_thai_with_buddhist_era_and_the_footer_head(tmp_path: Path) -> None:
    built = build_case(tmp_path, with_e01=False)
    head = cli_json("custody", "head", "--case", built.root)
    out = tmp_path / "th.html"
    cli("report", "custody", "--case", built.root, "--format", "html", "--lang", "th", "--out", out)
    page = out.read_text(encoding="utf-8")
    assert '<html lang="th">' in page
    assert THAI_DESCRIPTION in page
    assert "14 มี.ค. 2568 09:30:00 น." in page
    footer = re.search(r"<footer[^>]*>(.*?)</footer>", page, re.S)
    assert footer is not None and f"{head['tree_size']}:{head['root_hash']}" in footer.group(1)
    assert "data:image/jpeg;base64," in page  # the photograph, embedded after its hash was checked


def test_a_changed_photograph_is_reported_and_not_shown(tmp_path: Path) -> None:
    built = build_case(tmp_path, with_e01=False)
    with Case.open(built.root) as case:
        photo = case.exhibit("EX-001").photographs[0].path
    photo.write_bytes(photo.read_bytes() + b"edited")
    out = tmp_path / "r.html"
    cli("report", "custody", "--case", built.root, "--format", "html", "--out", out)
    page = out.read_text(encoding="utf-8")
    assert "FILE CHANGED since it was recorded" in page
    assert "data:image/jpeg" not in page


def test_a_broken_ledger_gets_its_report_but_no_new_entry(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    cli("custody", "log", "--case", root, "--exhibit", "EX-001", "--action", "stored", "--location", "Room 4")
    tamper(root / "ledger.sqlite", "UPDATE entries SET location = 'Room 9' WHERE action = 'stored'")
    before = sqlite3.connect(root / "ledger.sqlite").execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    out = tmp_path / "broken.html"
    result = cli("report", "custody", "--case", root, "--format", "html", "--out", out, expect=5)
    assert "nothing was added to the broken ledger" in result.stderr
    page = out.read_text(encoding="utf-8")
    assert "BROKEN" in page and "LEDGER BROKEN" in page
    assert "does not match its recorded hash" in page
    after = sqlite3.connect(root / "ledger.sqlite").execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    assert after == before


def test_an_existing_file_is_never_overwritten_and_bad_options_are_usage_errors(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    out = tmp_path / "exists.pdf"
    out.write_bytes(b"keep me")
    assert "never written over" in cli("report", "custody", "--case", root, "--out", out, expect=6).stderr
    assert out.read_bytes() == b"keep me"
    cli("report", "custody", "--case", root, "--format", "docx", "--out", tmp_path / "x.docx", expect=2)
    cli("report", "custody", "--case", root, "--lang", "fr", expect=2)
    assert "EX-404" in cli("report", "custody", "--case", root, "--exhibit", "EX-404", expect=3).stderr
    made = cli_json("report", "custody", "--case", root, "--format", "html")
    assert Path(made["path"]).parent == root / "reports" and made["path"].endswith(".html")


def test_thai_dates_are_in_the_buddhist_era() -> None:
    moment = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)
    assert thai_date(to_zone(moment, "Asia/Bangkok")) == "14 มี.ค. 2568 09:30:00 น."
    assert Labels("th").times(moment, "Asia/Bangkok") == [
        "2025-03-14 02:30:00 UTC",
        "2025-03-14 09:30:00 (UTC+07:00)",
        "14 มี.ค. 2568 09:30:00 น.",
    ]
    assert Labels("en").times(moment, "Asia/Yangon")[1] == "2025-03-14 09:00:00 (UTC+06:30)"
    assert Labels("th").action("transferred") == "ส่งมอบ\n(transferred)"


def test_a_full_disk_leaves_no_cut_off_report_and_no_entry(tmp_path: Path) -> None:
    """The report's folder fills up while the page is written: exit 7, nothing half-written is left."""
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    with small_disk(tmp_path / "small-disk", "64k") as small:
        out = small / "custody.html"  # the page embeds its font: far more than 64 KiB
        result = cli("report", "custody", "--case", root, "--format", "html", "--out", out, expect=7)
        assert "No space left" in result.stderr and "what was written was deleted" in result.stderr
        assert not out.exists() and not list(small.iterdir())
    with Case.open(root) as case:
        assert not list(case.ledger.entries(action="report_generated"))


def test_an_event_logged_afterwards_shows_when_it_happened_beside_when_it_was_recorded(
    tmp_path: Path,
) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    cli(
        "custody", "log", "--case", root, "--exhibit", "EX-001", "--action", "transferred",
        "--to", "Pol.Capt. Niran", "--at", "14/03/2568 09:30",
    )  # fmt: skip
    out = tmp_path / "en.html"
    cli("report", "custody", "--case", root, "--format", "html", "--out", out)
    row = re.search(r'<tr id="entry-4">(.*?)</tr>', out.read_text(encoding="utf-8"), re.S)
    assert row is not None
    cell = row.group(1)
    recorded = cell.index("UTC")  # the ledger's own time comes first
    happened = cell.index("happened:")
    assert recorded < happened
    assert (
        "2025-03-14 02:30:00 UTC" in cell[happened:] and "2025-03-14 09:30:00 (UTC+07:00)" in cell[happened:]
    )
    shown = cli("custody", "show", "--case", root, "--exhibit", "EX-001").stdout
    assert "happened 2025-03-14 09:30:00" in shown
