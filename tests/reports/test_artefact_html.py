"""The HTML artefact report: hostile text stays text, the CSP allows only the page's own script and style,
every row names its source, secrets stay masked unless revealed, and the report is recorded in the ledger."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

from evidence_intake.artefacts.query import query
from evidence_intake.case import Case
from evidence_intake.reports.artefacts_cells import Renderer
from evidence_intake.reports.artefacts_html import HEAD_SCRIPT, STATIC
from tests.helpers import cli, cli_json
from tests.reports.artefact_case import (
    END_TABLE,
    IMG,
    JS_LINK,
    SCRIPT,
    SEED,
    THAI_WORD,
    build_case,
    hostile_dump,
)


class Page(HTMLParser):
    """Tags with their attributes, the text of every cell by its class, scripts and the CSP."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.cells: list[tuple[str, str]] = []  # (class, text)
        self.text: list[str] = []
        self._script: list[str] | None = None
        self._cell: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = []
        if tag == "td":
            self._cell = (dict(attrs).get("class") or "", [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None
        if tag == "td" and self._cell is not None:
            self.cells.append((self._cell[0], "".join(self._cell[1])))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell[1].append(data)

    def csp(self) -> str:
        return next(
            str(a["content"])
            for t, a in self.tags
            if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
        )


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def report(root: Path, out: Path, *extra: str) -> dict[str, object]:
    return cli_json("report", "artefacts", "--case", root, "--format", "html", "--out", out, *extra)


def test_hostile_text_is_shown_as_text_and_never_becomes_markup(tmp_path: Path) -> None:
    root = build_case(tmp_path, dump=hostile_dump())
    out = tmp_path / "report.html"
    report(root, out)
    page = parse(out)

    # Nothing from the evidence became an element: one h1 (the title), no image, no link out of the
    # page, one script (the page's own, inline), no event handler attribute anywhere.
    names = [t for t, _ in page.tags]
    assert names.count("h1") == 1
    assert "img" not in names and "iframe" not in names and "object" not in names
    assert [a for t, a in page.tags if t == "script"] == [{}, {}]  # the page's own two, inline
    hrefs = [a.get("href") or "" for t, a in page.tags if t == "a"]
    assert hrefs and all(h.startswith("#") for h in hrefs)
    assert not [(t, k) for t, a in page.tags for k in a if k.lower().startswith("on")]
    assert not [(t, a) for t, a in page.tags if any("javascript:" in (v or "") for v in a.values())]
    # The tables are exactly the report's own (the case table, then one with a head per listing): the
    # hostile </table> closed nothing and opened nothing.
    assert names.count("table") == names.count("thead") + 1 == names.count("tbody") + 1
    # Without scripts every row shows: nothing in the file itself hides a row (only the page's script does).
    assert not [
        a for t, a in page.tags if t == "tr" and ("hidden" in a or "on" in (a.get("class") or "").split())
    ]
    assert ("html", {"lang": "en"}) in page.tags
    # …and the hostile strings are there, as text, in the cells that hold them.
    bodies = [text for css, text in page.cells if css == "c-body"]
    hostile_body = next(b for b in bodies if THAI_WORD in b)
    assert hostile_body.startswith(f"{SCRIPT} {IMG} {JS_LINK} {END_TABLE} {THAI_WORD}")
    assert "attachment: " + IMG in hostile_body and "javascript:alert(2)" in hostile_body
    senders = [text for css, text in page.cells if css == "c-from"]
    assert any(IMG in s for s in senders)
    text = "".join(page.text)
    for needle in (SCRIPT, IMG, JS_LINK, END_TABLE, "王伟", "สมชาย"):
        assert needle in text


def test_csp_allows_only_the_pages_own_script_and_style_by_hash(tmp_path: Path) -> None:
    root = build_case(tmp_path, dump=hostile_dump())
    out = tmp_path / "report.html"
    report(root, out)
    page = parse(out)
    csp = page.csp()
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "nonce-" not in csp
    head, script = page.scripts
    assert head == HEAD_SCRIPT and script == (STATIC / "artefacts.js").read_text(encoding="utf-8")
    digests = [
        base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii") for js in (head, script)
    ]
    assert directives["script-src"] == " ".join(f"'sha256-{d}'" for d in digests)
    style = re.search(r"<style>(.*?)</style>", out.read_text(encoding="utf-8"), re.S)
    assert style is not None
    css_digest = base64.b64encode(hashlib.sha256(style.group(1).encode("utf-8")).digest()).decode("ascii")
    assert directives["style-src"] == f"'sha256-{css_digest}'"
    for directive in ("connect-src", "img-src", "object-src", "base-uri", "form-action"):
        assert directives[directive] == "'none'"
    assert directives["font-src"] == "data:"
    assert directives["require-trusted-types-for"] == "'script'"
    # No attribute style (the CSP would block it) and nothing that loads from elsewhere.
    assert not [a for _, a in page.tags if "style" in a or "src" in a]


def test_the_pages_script_never_builds_html_from_strings() -> None:
    source = (STATIC / "artefacts.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "Function(",
        "srcdoc",
    ):
        assert sink not in code, sink
    assert "textContent" in code and ".hidden" in code


def test_every_row_names_its_source_file_hash_parser_and_record(tmp_path: Path) -> None:
    root = build_case(tmp_path, sms=20, dump=hostile_dump())
    out = tmp_path / "report.html"
    report(root, out, "--kind", "messages")
    page = parse(out)
    sources = [text for css, text in page.cells if css == "c-source"]
    with Case.open(root) as case:
        rows = list(query(case.artefacts_path, "messages").rows)
    assert len(sources) == len(rows) == 23
    for row in rows:
        expected = (
            f"{row['parser']} {row['parser_version']}{row['source_path']}",
            f"record {row['record_table']} #{row['record_rowid']} · row {row['id']}",
            f"SHA-256 {row['source_sha256']}",
        )
        assert any(all(part in s for part in expected) for s in sources), row
    assert all(s.count("SHA-256 ") == 1 and len(s.split("SHA-256 ")[1]) == 64 for s in sources)


def test_wallet_and_secret_sections_are_there_when_empty(tmp_path: Path) -> None:
    root = build_case(tmp_path, sms=5)
    out = tmp_path / "report.html"
    result = report(root, out)
    assert result["counts"] == {
        "messages": 5,
        "contacts": 0,
        "calls": 0,
        "accounts": 0,
        "wallet_addresses": 0,
        "secrets": 0,
        "encrypted_stores": 0,
    }
    page = parse(out)
    ids = {a.get("id") for _, a in page.tags}
    assert {"kind-wallet_addresses", "kind-secrets", "kind-messages", "kind-conversations"} <= ids
    html = out.read_text(encoding="utf-8")
    wallets = html.split('id="kind-wallet_addresses"')[1].split("</section>")[0]
    assert "Wallet addresses (0)" in wallets and "None found in this scope." in wallets


def test_secrets_masked_unless_revealed_and_the_reveal_is_recorded(tmp_path: Path) -> None:
    root = build_case(tmp_path, dump=hostile_dump())
    masked = tmp_path / "masked.html"
    report(root, masked)
    text = masked.read_text(encoding="utf-8")
    assert SEED not in text and "abandon" not in text
    assert "[masked: 12-word phrase]" in text
    with Case.open(root) as case:
        assert not list(case.ledger.entries(action="secrets_revealed"))

    revealed = tmp_path / "revealed.html"
    result = report(root, revealed, "--reveal")
    assert SEED in revealed.read_text(encoding="utf-8")
    assert result["secrets_revealed"] is True
    with Case.open(root) as case:
        (reveal,) = case.ledger.entries(action="secrets_revealed")
        generated = list(case.ledger.entries(action="report_generated"))
    assert reveal.details["kind"] == "secrets" and reveal.details["rows"] == 1
    assert generated[-1].seq == reveal.seq + 1  # revealed first, then the report that shows them
    assert generated[-1].details["secrets_revealed"] is True
    # The report states the ledger head that already holds the reveal.
    assert generated[-1].details["ledger_head"].startswith(f"{reveal.seq}:")
    # The `artefacts` command reveals through the same ledger action.
    shown = cli("artefacts", "--case", root, "--kind", "secrets", "--reveal", "--format", "jsonl").stdout
    assert SEED in shown
    with Case.open(root) as case:
        assert len(list(case.ledger.entries(action="secrets_revealed"))) == 2


def test_reveal_with_no_secrets_in_scope_claims_no_reveal(tmp_path: Path) -> None:
    root = build_case(tmp_path, sms=3)  # messages only: there is no secret to show
    out = tmp_path / "none-to-reveal.html"
    result = report(root, out, "--reveal")
    assert result["secrets_revealed"] is False
    assert "REVEALED" not in out.read_text(encoding="utf-8")
    with Case.open(root) as case:
        assert not list(case.ledger.entries(action="secrets_revealed"))
        (generated,) = case.ledger.entries(action="report_generated")
    assert generated.details["secrets_revealed"] is False


def test_report_is_recorded_with_the_sha256_of_its_bytes(tmp_path: Path) -> None:
    root = build_case(tmp_path, sms=3, dump=hostile_dump(), exhibits=("EX-001", "EX-002"))
    out = tmp_path / "EX-002.html"
    result = report(root, out, "--exhibit", "EX-002")
    data = out.read_bytes()
    assert result["sha256"] == hashlib.sha256(data).hexdigest() and result["size"] == len(data)
    assert out.stat().st_mode & 0o222 == 0  # read-only once written
    with Case.open(root) as case:
        (entry,) = case.ledger.entries(action="report_generated")
        head = str(case.ledger.checkpoint(entry.seq - 1))
    assert entry.exhibit == "EX-002" and entry.seq == result["ledger_seq"]
    assert entry.details["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry.details["report"] == "artefacts" and entry.details["format"] == "html"
    assert entry.details["ledger_head"] == head == result["ledger_head"]
    assert head in data.decode("utf-8")
    page = parse(out)
    exhibits = {text for css, text in page.cells if css == "c-exhibit"}
    assert exhibits == {"EX-002"}  # the scope: EX-001's identical rows are not in it


def test_refuses_to_overwrite_and_names_bad_input(tmp_path: Path) -> None:
    root = build_case(tmp_path, sms=3)
    out = tmp_path / "taken.html"
    out.write_text("keep me")
    result = cli("report", "artefacts", "--case", root, "--out", out, expect=6)
    assert "already exists" in result.stderr and out.read_text() == "keep me"
    assert (
        "unknown artefact kind 'wallets'"
        in cli(
            "report", "artefacts", "--case", root, "--kind", "wallets", "--out", tmp_path / "x.html", expect=2
        ).stderr
    )
    assert (
        "EX-009"
        in cli(
            "report",
            "artefacts",
            "--case",
            root,
            "--exhibit",
            "EX-009",
            "--out",
            tmp_path / "x.html",
            expect=3,
        ).stderr
    )
    assert "pdf" in cli("report", "artefacts", "--case", root, "--format", "pdf", expect=2).stderr
    assert not (tmp_path / "x.html").exists()
    with Case.open(root) as case:
        assert not list(case.ledger.entries(action="report_generated"))


def test_no_store_yet_is_a_clear_error(tmp_path: Path) -> None:
    from tests.helpers import add_exhibit, make_case

    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    result = cli("report", "artefacts", "--case", root, expect=3)
    assert "nothing has been extracted" in result.stderr and "evidence-intake extract" in result.stderr


def test_default_path_is_a_new_dated_file_in_reports(tmp_path: Path) -> None:
    root = build_case(tmp_path, sms=3)
    result = cli_json("report", "artefacts", "--case", root, "--exhibit", "EX-001")
    path = Path(str(result["path"]))
    assert path.parent == (root / "reports").resolve()
    assert re.fullmatch(r"artefacts-EX-001-\d{8}T\d{6}Z\.html", path.name)


def test_a_calls_stored_duration_is_shown_when_it_is_not_the_seconds() -> None:
    def duration_cell(seconds: object, stored: object) -> str:
        _, cells = Renderer("Asia/Bangkok", {}).calls({"duration_s": seconds, "duration_raw": stored})
        (cell,) = re.findall(r'<td class="c-duration"[^>]*>.*?</td>', cells)
        return cell

    assert "65 s" in duration_cell(65, "65000") and "raw 65000" in duration_cell(65, "65000")  # LINE, ms
    assert "raw 62.6" in duration_cell(63, 62.6)  # iOS, fractional seconds
    assert "raw" not in duration_cell(184, 184.0) and "raw" not in duration_cell(65, 65)
    assert "raw" not in duration_cell(None, None)
    assert "raw 2m05s" in duration_cell(None, "2m05s")
