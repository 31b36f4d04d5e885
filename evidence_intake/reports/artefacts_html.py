"""The artefact report as one self-contained HTML file: searchable, sortable tables and conversations.

Everything shown comes from seized phones, so it is hostile text: a message may hold ``<script>``, an
``<img onerror=…>`` or a ``javascript:`` link. Every value is HTML-escaped when the file is written and
sits in the page as text; no link, image or attribute is ever made from evidence. The page's own script
(``static/artefacts.js``: search box, sorting, conversation view) works on those rows as they are,
toggling visibility and moving rows, and never builds HTML from data.

A Content-Security-Policy meta tag allows exactly that script and the style sheet, by their SHA-256
hashes, and the embedded fonts; nothing may be fetched, framed or submitted, and Trusted Types are
required, so even a bug that passed a string to ``innerHTML`` would be refused by the browser.

Rows are written once, as they are read from the store. A browser takes tens of seconds to lay out a
table of 10,000 rich rows, so the page shows them a page at a time: a one-line script in the head marks
``<html class="js">`` before any row arrives, the style sheet then lays out only the rows the main
script marks as the current page, and search and sorting work on all rows. Without scripts the page
shows every row, as a plain table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import IO, Any

from evidence_intake.reports.artefacts_cells import Renderer, headers, lines, local_time
from evidence_intake.reports.artefacts_data import Run, Section, SourceFile, Thread
from evidence_intake.reports.self_contained import csp_hash, embed_fonts, esc
from evidence_intake.timeutil import iso_utc

STATIC = resources.files("evidence_intake.reports") / "static"
_FLUSH_EVERY = 500
# Runs before the first row is parsed, so that rows outside the current page are never laid out.
HEAD_SCRIPT = 'document.documentElement.classList.add("js");'
PAGE_SIZES = (100, 250, 1000)
DEFAULT_PAGE_SIZE = 250


@dataclass(frozen=True, slots=True)
class ReportHeader:
    case_number: str
    title: str
    agency: str | None
    examiner: str
    timezone: str
    exhibit: str | None
    kinds: Sequence[str]
    generated_at: datetime
    software: str
    ledger_head: str
    revealed: bool


TITLES = {
    "messages": "Messages",
    "contacts": "Contacts",
    "calls": "Calls",
    "accounts": "Accounts",
    "wallet_addresses": "Wallet addresses",
    "secrets": "Secrets",
    "encrypted_stores": "Encrypted stores",
}


def script() -> str:
    return (STATIC / "artefacts.js").read_text(encoding="utf-8")


def style_sheet() -> str:
    return embed_fonts((STATIC / "artefacts.css").read_text(encoding="utf-8"))


def content_security_policy(css: str, *scripts: str) -> str:
    """Only these scripts and style sheet (by hash) and data: fonts; no fetch, frame, form or base URL."""
    allowed = " ".join(f"'{csp_hash(js)}'" for js in scripts)
    return (
        "default-src 'none'; "
        f"script-src {allowed}; "
        f"style-src '{csp_hash(css)}'; "
        "font-src data:; img-src 'none'; connect-src 'none'; object-src 'none'; "
        "base-uri 'none'; form-action 'none'; "
        "require-trusted-types-for 'script'; trusted-types 'none'"
    )


def _thead(names: Iterable[str]) -> str:
    cells = "".join(
        f'<th scope="col"><button type="button" class="sort" data-col="{i}">{esc(n)}</button></th>'
        for i, n in enumerate(names)
    )
    return f"<thead><tr>{cells}</tr></thead>"


def _toolbar(label: str, total: int) -> str:
    sizes = "".join(
        f'<option value="{n}"{" selected" if n == DEFAULT_PAGE_SIZE else ""}>{n}</option>' for n in PAGE_SIZES
    )
    return (
        f'<div class="toolbar needs-script"><input class="search" type="search" '
        f'placeholder="Search {esc(label.lower())}" aria-label="Search {esc(label.lower())}">'
        f'<span class="shown">{total} of {total} match</span>'
        '<span class="pager"><button type="button" class="prev">&lsaquo; previous</button> '
        '<span class="range"></span> <button type="button" class="next">next &rsaquo;</button> '
        f'<label>rows per page <select class="size">{sizes}<option value="0">all (slow on large tables)'
        "</option></select></label></span></div>"
    )


def _kv(pairs: Iterable[tuple[str, object]]) -> str:
    rows = "".join(
        f'<tr><th scope="row">{esc(k)}</th><td class="text">{esc(v)}</td></tr>'
        for k, v in pairs
        if v is not None
    )
    return f'<table class="kv">{rows}</table>'


def _header_html(h: ReportHeader, sections: Sequence[Section]) -> str:
    scope = f"exhibit {h.exhibit}" if h.exhibit else "the whole case (every exhibit)"
    secrets = (
        "REVEALED on request (recorded in the custody ledger as secrets_revealed)"
        if h.revealed
        else "masked (evidence-intake artefacts --kind secrets --reveal shows them, and records that)"
    )
    pairs: list[tuple[str, object]] = [
        ("Case", h.case_number),
        ("Title", h.title),
        ("Agency", h.agency),
        ("Scope", scope),
        ("Kinds", ", ".join(h.kinds)),
        (
            "Generated",
            f"{iso_utc(h.generated_at)} · {local_time(iso_utc(h.generated_at), h.timezone)} {h.timezone}",
        ),
        ("Generated by", h.examiner),
        ("Software", h.software),
        ("Ledger head when generated", h.ledger_head),
        ("Secrets", secrets),
        ("Times", f"shown in {h.timezone}; each stored time is also given in UTC with its raw value"),
    ]
    nav = "".join(
        f'<li><a href="#kind-{esc(s.name)}">{esc(TITLES[s.name])} ({s.total})</a></li>' for s in sections
    )
    return (
        f"<h1>Artefact report: {esc(h.case_number)}</h1>{_kv(pairs)}"
        "<p>Every row names where it came from: the exhibit, the parser and its version, the file's path "
        "and SHA-256, and the record inside it. Text from the evidence is shown as text only: nothing "
        "in it is run, followed or fetched.</p>"
        f'<nav><ul><li><a href="#runs">Extraction runs</a></li><li><a href="#kind-sources">Files read</a>'
        f"</li>{nav}</ul></nav>"
    )


def _runs_html(runs: Sequence[Run], zone: str) -> str:
    if not runs:
        return '<h2 id="runs">Extraction runs</h2><p class="empty">No extraction run in this scope.</p>'
    rows = "".join(
        f"<tr><td>{esc(r.extraction_id)}</td><td>{esc(r.exhibit)}</td><td>{esc(r.status)}</td>"
        f"<td>{lines(r.started_at, local_time(r.started_at, zone))}</td>"
        f"<td>{lines(r.completed_at, local_time(r.completed_at, zone))}</td>"
        f"<td>{esc(r.examiner or '')}</td><td>{lines(r.software, r.parsers)}</td></tr>"
        for r in runs
    )
    head = "".join(
        f"<th>{h}</th>" for h in ("Run", "Exhibit", "Status", "Started", "Completed", "Examiner", "Software")
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    return f'<h2 id="runs">Extraction runs</h2>{table}'


def _sources_html(files: Sequence[SourceFile]) -> str:
    names = ["Exhibit", "File", "Parser", "Size", "SHA-256", "Result", "Records"]
    parts = ['<section class="kind" id="kind-sources"><h2>Files read</h2>']
    if not files:
        return parts[0] + '<p class="empty">No file was read in this scope.</p></section>'
    parts.append(_toolbar("files", len(files)))
    parts.append(f'<table class="rows">{_thead(names)}<tbody>')
    for f in files:
        size = "" if f.size is None else f.size
        counts = f"{f.errors} errors, {f.warnings} warnings"
        where = " · ".join(
            p
            for p in (
                f.partition and f"partition {f.partition}",
                f.filesystem,
                f.inode and f"inode {f.inode}",
            )
            if p
        )
        parts.append(
            f"<tr><td>{esc(f.exhibit)}</td><td>{lines(f.path, where)}</td>"
            f"<td>{esc(f.parser)} {esc(f.parser_version)}</td>"
            f'<td data-num="{esc(size)}">{esc(size)}</td>'
            f'<td class="hex">{esc(f.sha256 or "")}</td><td>{lines(f.status, f.detail)}</td>'
            f'<td data-num="{f.records}">{lines(f.records, counts)}</td></tr>'
        )
    parts.append("</tbody></table></section>")
    return "".join(parts)


def _threads_html(threads: Sequence[Thread], zone: str) -> str:
    names = ["Conversation", "App", "Exhibit", "Participants", "Messages", "First", "Last", ""]
    parts = ['<section class="kind" id="kind-conversations"><h2>Conversations</h2>']
    if not threads:
        return parts[0] + '<p class="empty">No conversation in this scope.</p></section>'
    parts.append(_toolbar("conversations", len(threads)))
    parts.append(f'<table class="rows">{_thead(names)}<tbody>')
    for t in threads:
        name = t.thread_name or (f"thread {t.thread_id}" if t.thread_id else "(no conversation id)")
        people = ", ".join(t.participants) + (
            f" and {t.more_participants} more" if t.more_participants else ""
        )
        parts.append(
            f'<tr data-thread-row="{esc(t.ref)}"><td dir="auto">{esc(name)}</td>'
            f"<td>{lines(t.app, t.account)}</td><td>{esc(t.exhibit or '')}</td>"
            f'<td class="text" dir="auto">{esc(people)}</td><td data-num="{t.messages}">{t.messages}</td>'
            f'<td data-sort="{esc(t.first_at or "")}">{esc(local_time(t.first_at, zone) or "")}</td>'
            f'<td data-sort="{esc(t.last_at or "")}">{esc(local_time(t.last_at, zone) or "")}</td>'
            f'<td><button type="button" class="open-thread" data-thread="{esc(t.ref)}">show</button>'
            "</td></tr>"
        )
    parts.append("</tbody></table></section>")
    return "".join(parts)


def _section_rows(fh: IO[str], section: Section, render: Callable[[dict[str, Any]], tuple[str, str]]) -> int:
    buffer: list[str] = []
    n = 0
    for row in section.rows:
        start, cells = render(row)
        buffer.append(f"{start}{cells}</tr>\n")
        n += 1
        if len(buffer) >= _FLUSH_EVERY:
            fh.write("".join(buffer))
            buffer.clear()
    fh.write("".join(buffer))
    return n


def write_html(
    fh: IO[str],
    header: ReportHeader,
    sections: Sequence[Section],
    *,
    threads: Sequence[Thread],
    runs: Sequence[Run],
    files: Sequence[SourceFile],
) -> dict[str, int]:
    """Write the whole page; returns the rows written per kind."""
    css, js = style_sheet(), script()
    renderer = Renderer(header.timezone, {t.key: t.ref for t in threads})
    csp = content_security_policy(css, HEAD_SCRIPT, js)
    fh.write(
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Artefact report: {esc(header.case_number)}</title>\n"
        f"<style>{css}</style>\n<script>{HEAD_SCRIPT}</script></head>\n<body>\n"
    )
    fh.write(_header_html(header, sections))
    fh.write(_runs_html(runs, header.timezone))
    fh.write(_sources_html(files))
    written: dict[str, int] = {}
    for section in sections:
        title = TITLES[section.name]
        if section.name == "messages":
            fh.write(_threads_html(threads, header.timezone))
        fh.write(f'<section class="kind" id="kind-{esc(section.name)}">')
        fh.write(f"<h2>{esc(title)} ({section.total})</h2>")
        for note in section.notes:
            fh.write(f'<p class="note">{esc(note)}</p>')
        if not section.present:
            fh.write(
                '<p class="empty">The artefact store of this case has no table for this kind.</p></section>\n'
            )
            written[section.name] = 0
            continue
        if section.total == 0:
            fh.write('<p class="empty">None found in this scope.</p></section>\n')
            written[section.name] = 0
            continue
        fh.write(_toolbar(title, section.total))
        if section.name == "messages":
            fh.write(
                '<div class="thread-banner" hidden>Conversation: <strong class="thread-name"></strong> '
                '<button type="button" class="all-messages">show all messages</button></div>'
            )
        fh.write(f'<table class="rows">{_thead(headers(section.name, header.timezone))}<tbody>\n')
        written[section.name] = _section_rows(fh, section, getattr(renderer, section.name))
        fh.write("</tbody></table></section>\n")
    footer = (
        f"Case {header.case_number} · artefact report generated {iso_utc(header.generated_at)} by "
        f"{header.examiner} with {header.software} · ledger head {header.ledger_head}"
    )
    fh.write(f"<footer>{esc(footer)}</footer>\n<script>{js}</script>\n</body></html>\n")
    return written
