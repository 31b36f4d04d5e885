"""The custody report as one self-contained HTML file.

Self-contained: the style sheet, the Sarabun font and the photographs are inside the file, nothing is
fetched from anywhere, and a Content-Security-Policy meta tag forbids the browser to load or run anything
else (no scripts at all; the one inline style sheet is allowed by its SHA-256 only). Every piece of text
comes from users or from evidence (exhibit descriptions, reasons, names) and is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

from evidence_intake.custody import describe
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
from evidence_intake.reports.self_contained import csp_hash, embed_fonts, esc

_CSS = """
@font-face { font-family: "Sarabun"; font-weight: 400; src: url("data:font/ttf;base64,{regular}"); }
@font-face { font-family: "Sarabun"; font-weight: 700; src: url("data:font/ttf;base64,{bold}"); }
body { font-family: "Sarabun", "Noto Sans Thai", "Noto Sans CJK SC", sans-serif; font-size: 11pt;
       margin: 2em auto 5em; max-width: 60em; color: #111; line-height: 1.35; }
h1 { font-size: 18pt; margin-bottom: 0.2em; }
h2 { font-size: 14pt; border-bottom: 1px solid #444; margin-top: 1.6em; }
h3 { font-size: 12pt; margin-top: 1.2em; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0; }
th, td { border: 1px solid #999; padding: 0.2em 0.4em; vertical-align: top; text-align: left; }
table.kv th { width: 12em; background: #f2f2f2; }
table.chain th { background: #e8e8e8; }
tr.reason td { border-top: none; border-bottom: none; }
tr.hash td { font-family: monospace; font-size: 8.5pt; color: #333; border-top: none; }
.hex { font-family: monospace; font-size: 9pt; overflow-wrap: anywhere; }
.bad { color: #a00; font-weight: 700; }
.ok { color: #060; font-weight: 700; }
.photos { display: flex; flex-wrap: wrap; gap: 0.8em; }
figure { margin: 0; width: 14em; font-size: 8.5pt; overflow-wrap: anywhere; }
figure img { max-width: 100%; border: 1px solid #999; }
.sign { display: grid; grid-template-columns: 1fr 1fr; gap: 2.5em 3em; margin-top: 1.5em; }
.sign div { border-top: 1px dotted #000; padding-top: 0.3em; min-height: 5em; }
footer { position: fixed; bottom: 0; left: 0; right: 0; background: #fff; border-top: 1px solid #444;
         font-size: 8pt; padding: 0.3em 1em; overflow-wrap: anywhere; }
@media print { body { margin: 0 0 4em; max-width: none; } h2 { break-after: avoid; }
               tr { break-inside: avoid; } }
"""


def style_sheet() -> str:
    """The style sheet with Sarabun embedded, so Thai shows the same on a machine without Thai fonts."""
    return embed_fonts(_CSS)


def content_security_policy(css: str) -> str:
    """Nothing may load but the inline style sheet (by hash), data: images and data: fonts."""
    return (
        "default-src 'none'; "
        f"style-src '{csp_hash(css)}'; "
        "img-src data:; font-src data:; "
        "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
    )


_HEX = ' class="hex"'
_DOTS = "." * 40
_NL = "\n"


def _kv(pairs: Iterable[tuple[str, str]], *, hex_keys: Iterable[str] = ()) -> str:
    hexes = set(hex_keys)
    rows = "".join(
        f'<tr><th scope="row">{esc(k)}</th><td{_HEX if k in hexes else ""}>{_lines(v.split(_NL))}</td></tr>'
        for k, v in pairs
    )
    return f'<table class="kv">{rows}</table>'


def _lines(lines: Iterable[str]) -> str:
    return "<br>".join(esc(line) for line in lines)


def _exhibit(section: ExhibitSection, t: Labels, zone: str) -> str:
    e = section.exhibit
    parts = [f'<section id="exhibit-{esc(e.exhibit_id)}"><h2>{esc(t("exhibit"))} {esc(e.exhibit_id)}</h2>']
    parts.append(_kv(exhibit_pairs(section, t, zone)))
    parts.append(f"<h3>{esc(t('photographs'))}</h3>")
    if not section.photos:
        parts.append(f"<p>{esc(t('no_photographs'))}</p>")
    else:
        figures = []
        for view in section.photos:
            status = {
                "verified": t("photo_verified"),
                "missing": t("photo_missing"),
                "changed": t("photo_changed"),
            }[view.status]
            picture = photo_thumbnail(view)
            img = (
                f'<img src="data:image/jpeg;base64,{base64.b64encode(picture).decode("ascii")}" '
                f'alt="{esc(view.photo.original_name)}">'
                if picture
                else f"<p>{esc(t('photo_not_shown'))}</p>"
                if view.status == "verified"
                else ""
            )
            css = "ok" if view.status == "verified" else "bad"
            figures.append(
                f"<figure>{img}<figcaption>{esc(view.photo.original_name)}<br>"
                f'<span class="hex">SHA-256 {esc(view.photo.sha256)}</span><br>'
                f'<span class="{css}">{esc(status)}</span></figcaption></figure>'
            )
        parts.append(f'<div class="photos">{"".join(figures)}</div>')
    parts.append(f"<h3>{esc(t('acquisitions'))}</h3>")
    if not section.acquisitions:
        parts.append(f"<p>{esc(t('no_acquisitions'))}</p>")
    for acq in section.acquisitions:
        a = acq.acquisition
        parts.append(_kv(acquisition_pairs(acq, t, zone)))
        hashes = [(alg.upper(), value) for alg, value in sorted_hashes(a.hashes)]
        if hashes:
            parts.append(f"<p><strong>{esc(t('hashes'))}</strong> ({esc(t('hashes_cover'))})</p>")
            parts.append(_kv(hashes, hex_keys=[k for k, _ in hashes]))
        if len(a.segment_hashes) > 1:
            seg_rows = [(str(s.get("path", "")), f"SHA-256 {s.get('sha256', '')}") for s in a.segment_hashes]
            parts.append(f"<p><strong>{esc(t('segments'))}</strong></p>")
            parts.append(_kv(seg_rows, hex_keys=[k for k, _ in seg_rows]))
        errors = (
            [f"{t('offset')} {r.get('offset')} · {t('length')} {r.get('length')}" for r in a.error_map]
            if a.error_map
            else [t("no_errors")]
        )
        parts.append(
            _kv(
                [
                    (t("error_map"), "\n".join(errors)),
                    (t("verifications"), "\n".join(verification_lines(acq, t, zone))),
                ]
            )
        )
    parts.append(f"<h3>{esc(t('extractions'))}</h3>")
    if not section.extractions:
        parts.append(f"<p>{esc(t('no_extractions'))}</p>")
    for ex in section.extractions:
        when = t.time_inline(ex.started, zone) if ex.started else ""
        parts.append(f"<p>{esc(ex.extraction_id)} · {esc(when)} · {esc(ex.actor)} · {esc(ex.status)}</p>")
        rows = "".join(
            f"<tr><td>{esc(p.name)}</td><td>{esc(p.version)}</td>"
            f"<td>{esc(p.files if p.files is not None else '')}</td>"
            f"<td>{esc(p.records if p.records is not None else '')}</td>"
            f"<td>{esc(p.errors if p.errors is not None else '')}</td></tr>"
            for p in ex.parsers
        )
        parts.append(
            f"<table><tr><th>{esc(t('parser'))}</th><th>{esc(t('version'))}</th><th>{esc(t('files'))}</th>"
            f"<th>{esc(t('records'))}</th><th>{esc(t('errors'))}</th></tr>{rows}</table>"
        )
        if ex.records:
            parts.append(f"<p>{esc(', '.join(f'{k}: {v}' for k, v in sorted(ex.records.items())))}</p>")
        if ex.errors:
            parts.append("<ul>" + "".join(f"<li>{esc(err)}</li>" for err in ex.errors) + "</ul>")
    parts.append("</section>")
    return "".join(parts)


def _chain(report: CustodyReport, t: Labels, zone: str) -> str:
    head = (
        f"<tr><th>{esc(t('seq'))}</th><th>{esc(t('time'))}</th><th>{esc(t('exhibit'))}</th>"
        f"<th>{esc(t('action'))}</th><th>{esc(t('actor'))}</th><th>{esc(t('from_to'))}</th>"
        f"<th>{esc(t('location_reason'))}</th><th>{esc(t('signature'))}</th></tr>"
    )
    rows = []
    for view in report.entries:
        c = entry_cells(view, t, zone)
        sig_class = ' class="bad"' if c.bad else ""
        rows.append(
            f'<tr id="entry-{esc(c.seq)}"><td>{esc(c.seq)}</td><td>{_lines(c.time)}</td>'
            f"<td>{esc(c.exhibit)}</td>"
            f"<td>{_lines(c.action.split(_NL))}</td><td>{esc(c.actor)}</td><td>{esc(c.from_to)}</td>"
            f"<td>{esc(c.location)}</td><td{sig_class}>{_lines(c.signature.split(_NL))}</td></tr>"
        )
        if c.reason:
            rows.append(
                f'<tr class="reason"><td></td><td colspan="7">{esc(t("reason"))}: {esc(c.reason)}</td></tr>'
            )
        extra = esc(c.hash_line) + "".join(f'<br><span class="bad">{esc(p)}</span>' for p in c.problems)
        rows.append(f'<tr class="hash"><td></td><td colspan="7">{extra}</td></tr>')
    return f'<table class="chain"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _ledger(report: CustodyReport, t: Labels) -> str:
    v = report.verification
    state = (
        f'<p class="ok">{esc(t("ledger_ok"))}</p>' if v.ok else f'<p class="bad">{esc(t("ledger_bad"))}</p>'
    )
    pairs = [
        (t("entries"), str(v.entries)),
        (t("signed_entries"), str(v.signed)),
        (
            t("head"),
            f"{report.head.tree_size} {t('head_entries')} · {t('head_root')} {report.head.root_hash}",
        ),
        (
            t("signature"),
            t("head_signed", key=report.signed_head.key_id, time=report.signed_head.timestamp)
            if report.signed_head
            else t("head_unsigned"),
        ),
    ]
    problems = "".join(f'<li class="bad">{esc(describe(p))}</li>' for p in v.problems)
    warnings = "".join(f"<li>{esc(describe(w))}</li>" for w in v.warnings)
    return (
        state
        + _kv(pairs, hex_keys=[t("head")])
        + (f"<ul>{problems}</ul>" if problems else "")
        + (f"<p>{esc(t('warnings'))}</p><ul>{warnings}</ul>" if warnings else "")
        + f"<p>{esc(t('head_check', head=head_text(report)))}</p>"
    )


def _signatures(report: CustodyReport, t: Labels) -> str:
    boxes = "".join(
        f"<div>{esc(t('signature_line'))} {_DOTS}<br>({esc(name)})<br>"
        f"{esc(t('position'))} {_DOTS}<br>{esc(t('date'))} {_DOTS}</div>"
        for name in report.officers
    )
    return f'<div class="sign">{boxes}</div>'


def render_html(report: CustodyReport, t: Labels) -> str:
    zone = report.settings.timezone
    css = style_sheet()
    state = t("footer_ok") if report.intact else t("footer_bad")
    footer = t(
        "footer",
        case=report.settings.case_number,
        size=report.head.tree_size,
        root=report.head.root_hash,
        state=state,
    )
    body = [
        f"<h1>{esc(t('title'))}</h1>",
        _kv(case_pairs(report, t)),
        f"<h2>{esc(t('ledger'))}</h2>",
        _ledger(report, t),
        *(_exhibit(section, t, zone) for section in report.exhibits),
        f"<h2>{esc(t('chain'))}</h2>",
        f"<p>{esc(t('chain_note', zone=zone))}</p>",
        _chain(report, t, zone),
        f"<h2>{esc(t('signatures'))}</h2>",
        _signatures(report, t),
    ]
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(t.lang)}"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(content_security_policy(css))}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(t('title'))}: {esc(report.settings.case_number)}</title>\n"
        f"<style>{css}</style></head>\n<body>\n"
        + "\n".join(body)
        + f'\n<footer class="hex">{esc(footer)}</footer>\n</body></html>\n'
    )
