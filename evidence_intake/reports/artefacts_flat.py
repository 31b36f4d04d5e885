"""Flat exports of artefact sections: CSV, JSON Lines and XLSX, every row with all its provenance columns.

Chat text is written by whoever sent the message, so a spreadsheet must never run it. A text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be read by Excel or LibreOffice
as a formula (``=HYPERLINK(...)``, ``=cmd|...``, DDE), so:

* CSV: such a cell gets a leading apostrophe (``'=HYPERLINK(...)``), the OWASP rule; spreadsheets show
  it as text. The apostrophe is the only change; the JSONL export keeps every value exactly.
* XLSX: such a cell is written as a string cell (never a formula) with the "quote prefix" style, so
  Excel and LibreOffice keep it as text even when someone edits the cell; the value itself is exact.

Numbers stay numbers, except integers of 15 digits or more (raw timestamps in micro- or nanoseconds),
which a spreadsheet would round: XLSX gets them as text. XLSX cannot hold C0 control characters (other
than tab, line feed, carriage return) nor more than 32,767 characters in a cell: controls are shown as
their Unicode control pictures (U+0007 as ␇) and over-long text is cut with a note; both are counted
as warnings. CSV and JSONL are affected by neither.

Most text goes to openpyxl as a plain value: a cell object made here costs as much again, so only text
that must stay text (formula-like), or that XLSX cannot hold as it is, gets one.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from evidence_intake.artefacts.kinds import KINDS
from evidence_intake.reports.artefacts_data import Section

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CHARS = frozenset(FORMULA_START)
XLSX_MAX_ROWS = 1_048_576  # rows of a sheet, header included
XLSX_MAX_CELL = 32_767  # characters of a cell
XLSX_EXACT_INT = 10**15  # integers from here on are written as text (Excel keeps 15 significant digits)


def neutralise(text: str) -> str:
    """CSV cell text that a spreadsheet cannot take for a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, str):
        return neutralise(value)
    return value


def write_csv(fh: IO[str], section: Section) -> int:
    """One kind as CSV (RFC 4180 line ends): a header of the view's columns, then every row."""
    return write_rows_csv(fh, section.columns, section.rows)


def write_rows_csv(fh: IO[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Rows as CSV with a header, formula-like text neutralised; the number of rows written."""
    writer = csv.writer(fh, lineterminator="\r\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        values = [row[c] for c in columns]
        for i, value in enumerate(values):
            if type(value) is str:  # the common case first: no call unless the text needs it
                if value[:1] in _FORMULA_CHARS and value:
                    values[i] = "'" + value
            elif value is not None and not isinstance(value, int | float):
                values[i] = _csv_value(value)
        writer.writerow(values)
        n += 1
    return n


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"hex": value.hex()}  # a raw value stored as a BLOB: no JSON type holds bytes
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def jsonl_line(kind: str, row: dict[str, Any]) -> str:
    spec = KINDS.get(kind)
    values = spec.as_json_object(row) if spec is not None else row
    return json.dumps({"kind": kind, **values}, ensure_ascii=False, default=_json_default) + "\n"


def write_jsonl(fh: IO[str], sections: Iterable[Section]) -> dict[str, int]:
    """Every row of every section, one JSON object a line, with ``kind`` first and values as stored
    (the JSON-array columns as arrays)."""
    counts: dict[str, int] = {}
    for section in sections:
        n = 0
        for row in section.rows:
            fh.write(jsonl_line(section.name, row))
            n += 1
        counts[section.name] = n
    return counts


@dataclass
class XlsxNotes:
    """What had to change for XLSX, for the warnings of the report."""

    controls: int = 0  # cells whose control characters were shown as control pictures
    cut: int = 0  # cells cut at the XLSX limit
    extra_sheets: list[str] = field(default_factory=list)

    def warnings(self) -> list[str]:
        out = []
        if self.controls:
            out.append(
                f"{self.controls} XLSX cell(s) held control characters, shown there as control pictures "
                "(U+2400…); the CSV and JSONL exports keep them"
            )
        if self.cut:
            out.append(
                f"{self.cut} XLSX cell(s) were longer than {XLSX_MAX_CELL} characters and were cut "
                "with a note; the CSV and JSONL exports keep the whole text"
            )
        if self.extra_sheets:
            out.append(
                f"more rows than an XLSX sheet holds: continued on the sheets {', '.join(self.extra_sheets)}"
            )
        return out


def _control_picture(match: Any) -> str:
    return chr(0x2400 + ord(match.group(0)))


class XlsxWriter:
    """A workbook written row by row (openpyxl's write-only mode): a summary sheet, then one per kind."""

    def __init__(self) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Font

        self._cell_class = WriteOnlyCell
        self._illegal = ILLEGAL_CHARACTERS_RE
        self._bold = Font(bold=True)
        self.workbook = Workbook(write_only=True)
        self.notes = XlsxNotes()

    def _text_cell(self, ws: Any, text: str) -> Any:
        cleaned, controls = self._illegal.subn(_control_picture, text)
        if controls:
            self.notes.controls += 1
        if len(cleaned) > XLSX_MAX_CELL:
            note = f" … [cut: {len(cleaned)} characters; the CSV and JSONL exports hold all of it]"
            cleaned = cleaned[: XLSX_MAX_CELL - len(note)] + note
            self.notes.cut += 1
        cell = self._cell_class(ws, value=cleaned)
        cell.data_type = "s"  # openpyxl would take text starting with "=" for a formula
        if is_formula_like(cleaned):
            cell.quotePrefix = True
        return cell

    def cell(self, ws: Any, value: Any) -> Any:
        """A value openpyxl writes as it is, or a cell made to stay text."""
        if type(value) is str:
            # Most text goes as a plain value (openpyxl makes a string cell of it, at half the cost of
            # a cell made here); only text starting like a formula, holding characters XLSX cannot
            # hold, or too long for a cell needs one.
            if value[:1] in _FORMULA_CHARS or len(value) > XLSX_MAX_CELL or self._illegal.search(value):
                return self._text_cell(ws, value)
            return value
        if value is None:
            return None
        if isinstance(value, bytes):
            return self._text_cell(ws, value.hex())
        if isinstance(value, bool):
            return 1 if value else 0
        if isinstance(value, int) and abs(value) >= XLSX_EXACT_INT:
            return self._text_cell(ws, str(value))
        if isinstance(value, int | float):
            return value
        return self._text_cell(ws, str(value))

    def _header(self, ws: Any, names: Sequence[str]) -> list[Any]:
        cells = []
        for name in names:
            cell = self._text_cell(ws, name)
            cell.font = self._bold
            cells.append(cell)
        return cells

    def key_values(self, title: str, pairs: Iterable[tuple[str, Any]]) -> None:
        ws = self.workbook.create_sheet(title=title)
        ws.column_dimensions["A"].width = 28
        ws.column_dimensions["B"].width = 100
        for key, value in pairs:
            label = self._text_cell(ws, key)
            label.font = self._bold
            ws.append([label, self.cell(ws, value)])

    def table(self, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """A small sheet (runs, source files): header and rows, no continuation."""
        ws = self.workbook.create_sheet(title=title)
        ws.freeze_panes = "A2"
        ws.append(self._header(ws, columns))
        for row in rows:
            ws.append([self.cell(ws, v) for v in row])

    def section(self, section: Section, widths: Callable[[str], float] | None = None) -> int:
        """One kind over as many sheets as it needs (1,048,575 rows each); returns rows written."""
        total = 0
        part = 1
        ws = self._data_sheet(section.name, section.columns, widths, min(section.total, XLSX_MAX_ROWS - 1))
        in_sheet = 0
        for row in section.rows:
            if in_sheet == XLSX_MAX_ROWS - 1:
                part += 1
                name = f"{section.name} ({part})"
                self.notes.extra_sheets.append(name)
                left = min(section.total - total, XLSX_MAX_ROWS - 1)
                ws = self._data_sheet(name, section.columns, widths, left)
                in_sheet = 0
            ws.append([self.cell(ws, row[c]) for c in section.columns])
            in_sheet += 1
            total += 1
        return total

    def _data_sheet(
        self, title: str, columns: Sequence[str], widths: Callable[[str], float] | None, rows: int
    ) -> Any:
        from openpyxl.utils import get_column_letter

        ws = self.workbook.create_sheet(title=title[:31])
        for i, name in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = widths(name) if widths else 16
        ws.freeze_panes = "A2"
        if columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(rows, 0) + 1}"
        ws.append(self._header(ws, columns))
        return ws

    def save(self, fh: IO[bytes], *, title: str, creator: str) -> None:
        self.workbook.properties.title = title
        self.workbook.properties.creator = creator
        self.workbook.save(fh)


def column_width(name: str) -> float:
    """A readable default width per column of the views."""
    if name in ("body", "notes", "key_hint", "source_path", "attachments"):
        return 60
    if name in ("source_sha256",):
        return 66
    if name.endswith("_at") or name in ("phones", "handles", "recipients", "address", "related_address"):
        return 28
    if name in ("id", "source_id", "record_rowid", "record_offset", "is_deleted", "is_own", "duration_s"):
        return 9
    return 18
