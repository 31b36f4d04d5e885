"""The custody report as a PDF to print, sign and file.

fpdf2 lays it out with HarfBuzz text shaping, so Thai vowels and tone marks sit where they belong (and
Thai text copied out of the PDF comes back as typed); the fonts are embedded (subset). Every page's
footer carries the case number, the ledger head (size and Merkle root, as ``custody head`` prints it),
whether the ledger verified, and "page X of Y", so that a single page taken out of the file still says
which state of the ledger it belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from evidence_intake.custody import describe
from evidence_intake.reports.fonts import FAMILY, FontPlan
from evidence_intake.reports.i18n import Labels
from evidence_intake.reports.layout import (
    acquisition_pairs,
    case_pairs,
    entry_cells,
    exhibit_pairs,
    head_text,
    photo_thumbnail,
    sorted_hashes,
    verification_lines,
)
from evidence_intake.reports.model import CustodyReport, ExhibitSection

BODY_PT = 9.5
SMALL_PT = 7.5
RED = (170, 0, 0)
GREEN = (0, 110, 0)
GREY = (235, 235, 235)
WIDTH = 180.0  # A4 less 15 mm margins
LABEL_W = 42.0
CHAIN_WIDTHS = (8.0, 34.0, 13.0, 31.0, 20.0, 25.0, 23.0, 26.0)


class _Document(FPDF):
    def __init__(self, report: CustodyReport, t: Labels) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report = report
        self.t = t
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=22)
        self.alias_nb_pages()

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FAMILY, "", SMALL_PT)
        self.set_text_color(80, 80, 80)
        self.cell(
            0,
            4,
            f"{self.t('title')} · {self.t('case')} {self.report.settings.case_number}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def footer(self) -> None:
        report, t = self.report, self.t
        self.set_y(-18)
        self.set_draw_color(120, 120, 120)
        self.line(15, self.get_y(), 195, self.get_y())
        self.ln(1)
        self.set_font(FAMILY, "", SMALL_PT)
        state = t("footer_ok") if report.intact else t("footer_bad")
        if not report.intact:
            self.set_text_color(*RED)
        self.cell(
            0,
            3.6,
            t(
                "footer",
                case=report.settings.case_number,
                size=report.head.tree_size,
                root=report.head.root_hash,
                state=state,
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.set_text_color(0, 0, 0)
        self.cell(
            WIDTH / 2,
            3.6,
            t.time_inline(report.generated_at, report.settings.timezone).split(" · ")[0],
            new_x="RIGHT",
        )
        self.cell(WIDTH / 2, 3.6, t("page", page=self.page_no(), pages="{nb}"), align="R")


def _font(pdf: FPDF, size: float = BODY_PT, style: str = "") -> None:
    pdf.set_font(FAMILY, style, size)


def _heading(pdf: FPDF, text: str, size: float = 13) -> None:
    if pdf.get_y() > 250:
        pdf.add_page()
    pdf.ln(3)
    _font(pdf, size, "B")
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    _font(pdf)


def _para(pdf: FPDF, text: str, *, color: tuple[int, int, int] | None = None, size: float = BODY_PT) -> None:
    _font(pdf, size, "B" if color else "")
    if color:
        pdf.set_text_color(*color)
    pdf.multi_cell(0, size * 0.48, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    _font(pdf)


def _kv(pdf: FPDF, pairs: Sequence[tuple[str, str]], *, small_values: bool = False) -> None:
    if not pairs:
        return
    label_style = FontFace(emphasis="B", fill_color=GREY)
    value_style = FontFace(size_pt=SMALL_PT + 0.5) if small_values else None
    _font(pdf)
    with pdf.table(
        col_widths=(LABEL_W, WIDTH - LABEL_W),
        first_row_as_headings=False,
        text_align="LEFT",
        line_height=4.4,
        padding=(0.8, 1.2),
        v_align="TOP",
    ) as table:
        for key, value in pairs:
            row = table.row()
            row.cell(key, style=label_style)
            row.cell(value, style=value_style)
    pdf.ln(1.5)


def _photos(pdf: FPDF, section: ExhibitSection, t: Labels) -> None:
    if not section.photos:
        _para(pdf, t("no_photographs"))
        return
    per_row = 4
    box = WIDTH / per_row
    for start in range(0, len(section.photos), per_row):
        views = section.photos[start : start + per_row]
        if pdf.get_y() > 215:
            pdf.add_page()
        top = pdf.get_y()
        bottom = top
        for i, view in enumerate(views):
            x = 15 + i * box
            y = top
            picture = photo_thumbnail(view)
            if picture is not None:
                info: Any = pdf.image(picture, x=x, y=y, w=box - 4, h=30, keep_aspect_ratio=True)
                y += 31 if info is not None else 0
            pdf.set_xy(x, y)
            status = {
                "verified": t("photo_verified") if picture is not None else t("photo_not_shown"),
                "missing": t("photo_missing"),
                "changed": t("photo_changed"),
            }[view.status]
            _font(pdf, SMALL_PT)
            pdf.multi_cell(
                box - 4,
                3.2,
                f"{view.photo.original_name}\nSHA-256 {view.photo.sha256}",
                align="L",
                new_x="LEFT",
                new_y="NEXT",
            )
            _font(pdf, SMALL_PT, "B")
            pdf.set_text_color(*(GREEN if view.status == "verified" else RED))
            pdf.multi_cell(box - 4, 3.2, status, new_x="LEFT", new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
            bottom = max(bottom, pdf.get_y())
        pdf.set_xy(15, bottom + 2)
    _font(pdf)


def _exhibit(pdf: FPDF, section: ExhibitSection, t: Labels, zone: str) -> None:
    e = section.exhibit
    _heading(pdf, f"{t('exhibit')} {e.exhibit_id}")
    _kv(pdf, exhibit_pairs(section, t, zone))
    _heading(pdf, t("photographs"), 11)
    _photos(pdf, section, t)
    _heading(pdf, t("acquisitions"), 11)
    if not section.acquisitions:
        _para(pdf, t("no_acquisitions"))
    for acq in section.acquisitions:
        a = acq.acquisition
        pairs = acquisition_pairs(acq, t, zone)
        pairs += [(f"{t('hashes')}: {alg.upper()}", value) for alg, value in sorted_hashes(a.hashes)]
        if len(a.segment_hashes) > 1:
            pairs += [
                (f"{t('segments')}: {s.get('path', '')}", f"SHA-256 {s.get('sha256', '')}")
                for s in a.segment_hashes
            ]
        errors = (
            [f"{t('offset')} {r.get('offset')} · {t('length')} {r.get('length')}" for r in a.error_map]
            if a.error_map
            else [t("no_errors")]
        )
        pairs.append((t("error_map"), "\n".join(errors)))
        pairs.append((t("verifications"), "\n".join(verification_lines(acq, t, zone))))
        _kv(pdf, pairs)
    _heading(pdf, t("extractions"), 11)
    if not section.extractions:
        _para(pdf, t("no_extractions"))
    for ex in section.extractions:
        when = t.time_inline(ex.started, zone) if ex.started else ""
        _para(pdf, f"{ex.extraction_id} · {when} · {ex.actor} · {ex.status}", size=SMALL_PT + 1)
        with pdf.table(
            col_widths=(70, 30, 25, 30, 25), text_align="LEFT", line_height=4.2, padding=(0.6, 1.2)
        ) as table:
            table.row([t("parser"), t("version"), t("files"), t("records"), t("errors")])
            for p in ex.parsers:
                table.row(
                    [
                        p.name,
                        p.version,
                        "" if p.files is None else str(p.files),
                        "" if p.records is None else str(p.records),
                        "" if p.errors is None else str(p.errors),
                    ]
                )
        if ex.records:
            _para(pdf, ", ".join(f"{k}: {v}" for k, v in sorted(ex.records.items())), size=SMALL_PT + 1)
        for err in ex.errors:
            _para(pdf, err, color=RED, size=SMALL_PT + 1)
        pdf.ln(1)


def _chain(pdf: FPDF, report: CustodyReport, t: Labels, zone: str) -> None:
    _heading(pdf, t("chain"))
    _para(pdf, t("chain_note", zone=zone), size=SMALL_PT + 1)
    hash_style = FontFace(size_pt=SMALL_PT - 0.5, color=(60, 60, 60))
    bad_style = FontFace(size_pt=SMALL_PT, emphasis="B", color=RED)
    _font(pdf, SMALL_PT + 0.5)
    with pdf.table(
        col_widths=CHAIN_WIDTHS,
        text_align="LEFT",
        line_height=3.6,
        padding=(0.6, 0.8),
        v_align="TOP",
        headings_style=FontFace(emphasis="B", fill_color=GREY),
    ) as table:
        table.row(
            [
                t("seq"),
                t("time"),
                t("exhibit"),
                t("action"),
                t("actor"),
                t("from_to"),
                t("location_reason"),
                t("signature"),
            ]
        )
        for view in report.entries:
            c = entry_cells(view, t, zone)
            row = table.row()
            for text in (
                c.seq,
                "\n".join(c.time),
                c.exhibit,
                c.action,
                c.actor,
                c.from_to,
                c.location,
            ):
                row.cell(text)
            row.cell(c.signature, style=bad_style if c.bad else None)
            if c.reason:
                table.row().cell(f"{t('reason')}: {c.reason}", colspan=len(CHAIN_WIDTHS))
            extra = table.row()
            extra.cell(c.hash_line, colspan=len(CHAIN_WIDTHS), style=hash_style)
            for problem in c.problems:
                table.row().cell(problem, colspan=len(CHAIN_WIDTHS), style=bad_style)
    _font(pdf)


def _ledger(pdf: FPDF, report: CustodyReport, t: Labels) -> None:
    v = report.verification
    _heading(pdf, t("ledger"))
    _para(pdf, t("ledger_ok") if v.ok else t("ledger_bad"), color=GREEN if v.ok else RED)
    pdf.ln(1)
    signed = (
        t("head_signed", key=report.signed_head.key_id, time=report.signed_head.timestamp)
        if report.signed_head
        else t("head_unsigned")
    )
    _kv(
        pdf,
        [
            (t("entries"), str(v.entries)),
            (t("signed_entries"), str(v.signed)),
            (
                t("head"),
                f"{report.head.tree_size} {t('head_entries')}\n{t('head_root')} {report.head.root_hash}",
            ),
            (t("signature"), signed),
        ],
    )
    for p in v.problems:
        _para(pdf, describe(p), color=RED, size=SMALL_PT + 1)
    for w in v.warnings:
        _para(pdf, describe(w), size=SMALL_PT + 1)
    _para(pdf, t("head_check", head=head_text(report)), size=SMALL_PT + 1)


def _signatures(pdf: FPDF, report: CustodyReport, t: Labels) -> None:
    _heading(pdf, t("signatures"))
    column = WIDTH / 2
    for start in range(0, len(report.officers), 2):
        if pdf.get_y() > 240:
            pdf.add_page()
        top = pdf.get_y() + 8
        for i, name in enumerate(report.officers[start : start + 2]):
            pdf.set_xy(15 + i * column, top)
            _font(pdf)
            dots = "." * 45
            pdf.multi_cell(
                column - 6,
                6,
                f"{t('signature_line')} {dots}\n({name})\n{t('position')} {dots}\n{t('date')} {dots}",
                align="L",
                new_x="LEFT",
                new_y="NEXT",
            )
        pdf.set_xy(15, top + 26)


def _missing_fonts(pdf: FPDF, plan: FontPlan, t: Labels) -> None:
    if not plan.missing:
        return
    _heading(pdf, t("missing_fonts"), 11)
    for text in plan.warnings():
        _para(pdf, text, color=RED, size=SMALL_PT + 1)


def render_pdf(report: CustodyReport, t: Labels, plan: FontPlan) -> bytes:
    pdf = _Document(report, t)
    pdf.add_font(FAMILY, "", str(plan.regular))
    pdf.add_font(FAMILY, "B", str(plan.bold))
    for fallback in plan.fallbacks:
        pdf.add_font(fallback.key, "", str(fallback.path), collection_font_number=fallback.index)
    if plan.fallbacks:
        pdf.set_fallback_fonts([f.key for f in plan.fallbacks], exact_match=False)
    pdf.set_text_shaping(True)
    pdf.set_title(f"{t('title')}: {report.settings.case_number}")
    pdf.set_author(report.generated_by)
    pdf.set_subject(report.settings.title)
    pdf.set_creator(report.software)
    pdf.set_producer(report.software)
    pdf.set_lang(t.lang)
    pdf.set_creation_date(report.generated_at)
    zone = report.settings.timezone
    pdf.add_page()
    _font(pdf, 17, "B")
    pdf.multi_cell(0, 9, t("title"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _kv(pdf, case_pairs(report, t))
    _ledger(pdf, report, t)
    for section in report.exhibits:
        _exhibit(pdf, section, t, zone)
    _chain(pdf, report, t, zone)
    _missing_fonts(pdf, plan, t)
    _signatures(pdf, report, t)
    return bytes(pdf.output())
