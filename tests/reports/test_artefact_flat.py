"""Flat artefact exports: CSV and XLSX cells that a spreadsheet could run are neutralised, Thai and Chinese
text is intact, every row keeps its provenance columns, JSONL gives back exactly the store's rows."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from evidence_intake.artefacts.query import query
from evidence_intake.case import Case
from evidence_intake.errors import InsufficientSpaceError
from evidence_intake.reports import artefacts as artefact_reports
from evidence_intake.reports.artefacts_flat import neutralise
from tests.helpers import cli_json
from tests.reports.artefact_case import EXAMINER, HYPERLINK, SEED, THAI_WORD, build_case, hostile_dump

PROVENANCE = (
    "id",
    "exhibit",
    "parser",
    "parser_version",
    "extraction_id",
    "source_path",
    "source_sha256",
    "record_table",
    "record_rowid",
    "source_id",
)
MIXED = "+66 transfer; -1 refund; @boss; \tTAB; \rCR; 明天给你转账"


def export(root: Path, fmt: str, out: Path, *extra: str) -> dict[str, Any]:
    result: dict[str, Any] = cli_json(
        "report", "artefacts", "--case", root, "--format", fmt, "--out", out, *extra
    )
    return result


def store_rows(root: Path, kind: str) -> list[dict[str, Any]]:
    with Case.open(root) as case:
        return list(query(case.artefacts_path, kind).rows)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+66812345678", "'+66812345678"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("โอนเงิน =1", "โอนเงิน =1"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_csv_neutralises_formulas_and_keeps_thai_and_provenance(tmp_path: Path) -> None:
    root = build_case(tmp_path, sms=10, dump=hostile_dump())
    out = tmp_path / "messages.csv"
    result = export(root, "csv", out, "--kind", "messages")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Thai as UTF-8
    assert result["sha256"] == hashlib.sha256(raw).hexdigest()
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    stored = store_rows(root, "messages")
    assert len(rows) == len(stored) == 13
    assert list(rows[0]) == list(stored[0])  # every column of the view, provenance included
    bodies = [r["body"] for r in rows]
    assert f"'{HYPERLINK}" in bodies and HYPERLINK not in bodies
    assert "'" + MIXED in bodies
    assert not [b for b in bodies if b.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert any(THAI_WORD in b for b in bodies) and any("明天给你转账" in b for b in bodies)
    for row, original in zip(rows, stored, strict=True):
        for column in PROVENANCE:
            assert row[column] == str(original[column]) and row[column] != ""
        assert len(row["source_sha256"]) == 64


def test_csv_of_several_kinds_is_a_folder_checked_by_sha256sum(tmp_path: Path) -> None:
    root = build_case(tmp_path, sms=4, dump=hostile_dump())
    out = tmp_path / "export"
    result = export(root, "csv", out)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        ["SHA256SUMS", *(f"{k}.csv" for k in artefact_reports.data.KIND_ORDER)]  # every kind, even empty
    )
    sums = out / "SHA256SUMS"
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert result["sha256"] == hashlib.sha256(sums.read_bytes()).hexdigest()
    with Case.open(root) as case:
        (entry,) = case.ledger.entries(action="report_generated")
    recorded = {Path(f["path"]).name: f["sha256"] for f in entry.details["files"]}
    assert recorded == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    assert entry.details["sha256"] == recorded["SHA256SUMS"]
    with open(out / "secrets.csv", encoding="utf-8-sig", newline="") as fh:
        (secret,) = list(csv.DictReader(fh))
    assert secret["value"] == "[masked: 12-word phrase]"
    with open(out / "encrypted_stores.csv", encoding="utf-8-sig", newline="") as fh:
        assert list(csv.DictReader(fh)) == []


def test_xlsx_cells_are_text_never_formulas_and_thai_is_intact(tmp_path: Path) -> None:
    dump = [
        *hostile_dump(),
        {"kind": "message", "app": "LINE", "thread_id": "chat-2", "body": "bell\x07here", "sent_ms": 1},
        # A time stored in microseconds where milliseconds were expected: out of range, kept raw.
        {
            "kind": "message",
            "app": "LINE",
            "thread_id": "chat-2",
            "body": "big raw",
            "sent_ms": 1710383400000123,
        },
    ]
    root = build_case(tmp_path, sms=5, dump=dump)
    out = tmp_path / "report.xlsx"
    result = export(root, "xlsx", out)
    assert any("control pictures" in w for w in result["warnings"])
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:2] == ["Report", "Files read"]
    assert set(artefact_reports.data.KIND_ORDER) <= set(book.sheetnames)
    sheet = book["messages"]
    header = [c.value for c in sheet[1]]
    assert header == list(store_rows(root, "messages")[0])
    body = header.index("body") + 1
    cells = {
        sheet.cell(row=r, column=body).value: sheet.cell(row=r, column=body)
        for r in range(2, sheet.max_row + 1)
    }
    link = cells[HYPERLINK]
    assert link.data_type == "s" and link.quotePrefix  # the exact text, as text
    mixed = cells[MIXED]  # tab and carriage return kept (lxml writes the CR as a character reference)
    assert mixed.data_type == "s" and mixed.quotePrefix
    assert "bell␇here" in cells
    assert any(THAI_WORD in str(v) for v in cells)
    raw = header.index("sent_at_raw") + 1
    raws = [sheet.cell(row=r, column=raw).value for r in range(2, sheet.max_row + 1)]
    assert "1710383400000123" in raws  # past 15 digits: text, so no digit is rounded away
    assert 1710383400000 in raws  # ordinary raw times stay numbers
    contacts = book["contacts"]
    names = [c.value for c in contacts[2]]
    assert any(str(n).startswith("สมชาย") for n in names)
    assert book["secrets"].cell(
        row=2, column=[c.value for c in book["secrets"][1]].index("value") + 1
    ).value == ("[masked: 12-word phrase]")
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    with zipfile.ZipFile(out) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not [n for n in sheets if b"<f>" in z.read(n) or b"<f " in z.read(n)]
    summary = {r[0].value: r[1].value for r in book["Report"].iter_rows()}
    assert summary["Rows: messages"] == 10 and summary["Secrets"] == "masked"


def test_jsonl_round_trips_the_stores_rows(tmp_path: Path) -> None:
    root = build_case(tmp_path, sms=30, dump=hostile_dump())
    out = tmp_path / "all.jsonl"
    result = export(root, "jsonl", out, "--reveal")
    lines = out.read_text(encoding="utf-8").splitlines()
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        item = json.loads(line)
        by_kind.setdefault(item.pop("kind"), []).append(item)
    with Case.open(root) as case:
        for kind in artefact_reports.data.KIND_ORDER:
            found = query(case.artefacts_path, kind, reveal=True, case=case, examiner=EXAMINER)
            expected = [found.kind.as_json_object(row) for row in found.rows]
            assert by_kind.get(kind, []) == expected, kind
    # the JSON-array columns are arrays in the file, not JSON text inside JSON
    assert by_kind["messages"][0]["recipients"] == ["+66810000001"]
    assert isinstance(by_kind["messages"][0]["attachments"], list)
    assert by_kind["secrets"][0]["value"] == SEED and result["secrets_revealed"] is True
    assert sum(result["counts"].values()) == len(lines) == 30 + 3 + 5


def test_a_failed_export_leaves_no_file_and_no_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = build_case(tmp_path, sms=5, dump=hostile_dump())
    out = tmp_path / "export"
    calls = {"n": 0}
    real = artefact_reports.write_csv

    def failing(fh: Any, section: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(fh, section)

    monkeypatch.setattr(artefact_reports, "write_csv", failing)
    with Case.open(root) as case, pytest.raises(InsufficientSpaceError, match="No space left") as caught:
        artefact_reports.generate_artefact_report(case, fmt="csv", out=out, examiner=EXAMINER)
    assert str(out) in str(caught.value) and caught.value.exit_code == 7
    assert not out.exists()  # the two kinds written before the failure were deleted with their folder
    with Case.open(root) as case:
        assert not list(case.ledger.entries(action="report_generated"))
