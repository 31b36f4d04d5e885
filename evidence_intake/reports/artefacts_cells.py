"""Cells of the HTML artefact report: one table row per artefact, every value escaped.

Each kind has a method on ``Renderer`` giving the row's opening tag and its cells. Values are escaped
here and nowhere else; sort keys go in ``data-sort`` (times, as stored ISO text) and ``data-num``
(numbers), which the page's script reads. Times are shown in the case's time zone, each stored time
also in UTC with its raw value, and the last cell of every row is its provenance.
"""

from __future__ import annotations

import json
from typing import Any

from evidence_intake.reports.artefacts_data import ThreadKey
from evidence_intake.reports.self_contained import esc
from evidence_intake.timeutil import parse_iso_utc, to_zone


def local_time(iso: str | None, zone: str) -> str | None:
    if not iso:
        return None
    try:
        return f"{to_zone(parse_iso_utc(iso), zone):%Y-%m-%d %H:%M:%S}"
    except ValueError:
        return None


def _raw(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _json_list(text: Any) -> list[Any]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return [text]
    return value if isinstance(value, list) else [value]


def lines(first: object | None, *rest: object | None, text: bool = False) -> str:
    """A main line and secondary lines (smaller); empty values are left out."""
    parts = []
    if first not in (None, ""):
        css = ' class="text"' if text else ""
        parts.append(f"<span{css}>{esc(first)}</span>")
    for line in rest:
        if line not in (None, ""):
            parts.append(f'<span class="sub">{esc(line)}</span>')
    return "".join(parts)


def _td(css: str, inner: str, *, sort: str | None = None, num: object = None, auto_dir: bool = False) -> str:
    attrs = f' class="c-{css}"'
    if sort is not None:
        attrs += f' data-sort="{esc(sort)}"'
    if num is not None:
        attrs += f' data-num="{esc(num)}"'
    if auto_dir:
        attrs += ' dir="auto"'
    return f"<td{attrs}>{inner}</td>"


class Renderer:
    """Cells of each kind's rows; ``zone`` is the case's time zone, ``refs`` the conversation ids."""

    def __init__(self, zone: str, refs: dict[ThreadKey, str]) -> None:
        self.zone = zone
        self.refs = refs
        self._sources: dict[Any, tuple[str, str]] = {}

    # -- shared cells ------------------------------------------------------------------------------

    def time(self, row: dict[str, Any], *pairs: tuple[str, str, str]) -> str:
        """Local time of the first known time; each stored time in UTC with its raw value below."""
        first = next((row[c] for _, c, _ in pairs if row.get(c)), None)
        subs = []
        for label, column, raw_column in pairs:
            value, raw = row.get(column), row.get(raw_column)
            if value or raw is not None:
                subs.append(f"{label} {value or 'unknown'} · raw {_raw(raw) if raw is not None else '-'}")
        main = local_time(first, self.zone) or "unknown time"
        return _td("time", lines(main, *subs), sort=first or "")

    def source(self, row: dict[str, Any]) -> str:
        """Parser, file, record and the file's SHA-256; the file's part is escaped once per source file."""
        key = row.get("source_id")
        file_part = self._sources.get(key)
        if file_part is None:
            where = " · ".join(
                p
                for p in (
                    f"partition {row['source_partition']}" if row.get("source_partition") else "",
                    row.get("source_filesystem") or "",
                    f"inode {row['source_inode']}" if row.get("source_inode") is not None else "",
                )
                if p
            )
            head = lines(f"{row.get('parser')} {row.get('parser_version')}", row.get("source_path"), where)
            sha = f'<span class="sub hex">SHA-256 {esc(row.get("source_sha256") or "not computed")}</span>'
            file_part = (head, sha)
            if key is not None:
                self._sources[key] = file_part
        if row.get("record_table") is not None:
            locator = f"{row['record_table']} #{row['record_rowid']}"
        elif row.get("record_offset") is not None:
            locator = f"byte offset {row['record_offset']}"
        else:
            locator = "record not located"
        record = esc(f"record {locator} · row {row.get('id')}")
        record = f'<span class="sub">{record}</span>'
        return _td("source", file_part[0] + record + file_part[1])

    @staticmethod
    def flags(row: dict[str, Any]) -> str:
        out = []
        if row.get("is_deleted"):
            out.append('<span class="sub flag">marked deleted by the app</span>')
        if row.get("has_undecodable_text"):
            out.append('<span class="sub flag">text not valid UTF-8: raw bytes in undecodable_text</span>')
        return "".join(out)

    @staticmethod
    def plain(css: str, value: Any, *subs: Any, text: bool = False) -> str:
        return _td(css, lines(value, *subs, text=text), auto_dir=text)

    # -- kinds -------------------------------------------------------------------------------------

    def messages(self, row: dict[str, Any]) -> tuple[str, str]:
        key = (row.get("exhibit"), row.get("app"), row.get("account"), row.get("thread_id"))
        ref = self.refs.get(key, "")
        direction = row.get("direction") or "unknown"
        sender: list[Any] = [row.get("sender_name"), row.get("sender")]
        if row.get("sender_phone") and row.get("sender_phone") != row.get("sender"):
            sender.append(row.get("sender_phone"))
        if not any(sender) and direction == "outgoing":
            sender = ["(device owner)"]
        recipients = [str(r) for r in _json_list(row.get("recipients"))]
        phones = [str(p) for p in _json_list(row.get("recipient_phones")) if str(p) not in recipients]
        attachments = []
        for a in _json_list(row.get("attachments")):
            if isinstance(a, dict):
                size = f"{a.get('size')} bytes" if a.get("size") is not None else None
                parts = [a.get("name"), a.get("mime_type"), size, a.get("path")]
                attachments.append("attachment: " + " · ".join(str(p) for p in parts if p))
        thread = row.get("thread_name") or row.get("thread_id") or "(no conversation id)"
        button = (
            f'<button type="button" class="open-thread" data-thread="{esc(ref)}">conversation</button>'
            if ref
            else ""
        )
        cells = [
            self.time(
                row, ("sent", "sent_at", "sent_at_raw"), ("received", "received_at", "received_at_raw")
            ),
            self.plain("exhibit", row.get("exhibit")),
            self.plain("app", row.get("app"), row.get("account")),
            _td("dir", lines(direction, row.get("status")) + self.flags(row)),
            self.plain("from", *(s for s in sender if s)) if any(sender) else _td("from", ""),
            _td("to", lines(", ".join(recipients), ", ".join(phones))),
            _td("body", lines(row.get("body"), *attachments, text=True), auto_dir=True),
            _td("thread", lines(thread) + button),
            self.source(row),
        ]
        return f'<tr class="dir-{esc(direction)}" data-thread="{esc(ref)}">', "".join(cells)

    def contacts(self, row: dict[str, Any]) -> tuple[str, str]:
        phones = []
        for p in _json_list(row.get("phones")):
            if isinstance(p, dict):
                label = f" ({p.get('label')})" if p.get("label") else ""
                e164 = f" → {p.get('e164')}" if p.get("e164") and p.get("e164") != p.get("number") else ""
                phones.append(f"{p.get('number')}{label}{e164}")
        handles = []
        for h in _json_list(row.get("handles")):
            if isinstance(h, dict):
                ids = " / ".join(str(v) for v in (h.get("user_id"), h.get("username")) if v)
                handles.append(f"{h.get('app')}: {ids}")
        emails = [str(e) for e in _json_list(row.get("emails"))]
        cells = [
            _td("name", lines(row.get("name"), row.get("organization")) + self.flags(row), auto_dir=True),
            _td("phones", lines(*phones) if phones else ""),
            _td("emails", lines(*emails) if emails else ""),
            _td("handles", lines(*handles) if handles else ""),
            self.plain("notes", row.get("notes"), text=True),
            self.plain("app", row.get("app"), row.get("account")),
            self.plain("exhibit", row.get("exhibit")),
            self.source(row),
        ]
        return "<tr>", "".join(cells)

    def calls(self, row: dict[str, Any]) -> tuple[str, str]:
        e164 = row.get("number_e164") if row.get("number_e164") != row.get("number") else None
        duration, stored = row.get("duration_s"), row.get("duration_raw")
        # the stored value beneath, when it is not just the seconds shown (LINE's milliseconds)
        raw = f"raw {_raw(stored)}" if stored is not None and stored != duration else None
        cells = [
            self.time(row, ("started", "started_at", "started_at_raw")),
            self.plain("exhibit", row.get("exhibit")),
            self.plain("app", row.get("app")),
            _td(
                "dir", lines(row.get("direction"), row.get("status"), row.get("call_type")) + self.flags(row)
            ),
            self.plain("number", row.get("number"), e164),
            self.plain("name", row.get("name"), text=True),
            _td("duration", lines(f"{duration} s" if duration is not None else "", raw), num=duration),
            self.plain("location", row.get("location")),
            self.source(row),
        ]
        return "<tr>", "".join(cells)

    def accounts(self, row: dict[str, Any]) -> tuple[str, str]:
        e164 = row.get("phone_e164") if row.get("phone_e164") != row.get("phone") else None
        cells = [
            self.plain("exhibit", row.get("exhibit")),
            self.plain("app", row.get("app")),
            self.plain("user", row.get("user_id")),
            self.plain("phone", row.get("phone"), e164),
            self.plain("username", row.get("username")),
            _td("name", lines(row.get("display_name")) + self.flags(row), auto_dir=True),
            self.plain("email", row.get("email")),
            self.source(row),
        ]
        return "<tr>", "".join(cells)

    def wallet_addresses(self, row: dict[str, Any]) -> tuple[str, str]:
        is_own = row.get("is_own")
        own = "unknown" if is_own is None else ("own wallet" if is_own else "counterparty")
        cells = [
            self.plain("exhibit", row.get("exhibit")),
            self.plain("app", row.get("app")),
            self.plain("chain", row.get("chain"), row.get("asset")),
            _td("address", f'<span class="hex">{esc(row.get("address") or "")}</span>' + self.flags(row)),
            self.plain("label", row.get("label"), text=True),
            self.plain("own", own),
            self.source(row),
        ]
        return "<tr>", "".join(cells)

    def secrets(self, row: dict[str, Any]) -> tuple[str, str]:
        cells = [
            self.plain("exhibit", row.get("exhibit")),
            self.plain("app", row.get("app")),
            self.plain("type", row.get("secret_type")),
            _td("value", lines(row.get("value"), text=True) + self.flags(row)),
            self.plain("chain", row.get("chain")),
            _td("address", f'<span class="hex">{esc(row.get("related_address") or "")}</span>'),
            self.plain("label", row.get("label"), text=True),
            self.source(row),
        ]
        return "<tr>", "".join(cells)

    def encrypted_stores(self, row: dict[str, Any]) -> tuple[str, str]:
        cells = [
            self.plain("exhibit", row.get("exhibit")),
            self.plain("app", row.get("app")),
            self.plain("type", row.get("store_type")),
            self.plain("reason", row.get("reason")),
            self.plain("hint", row.get("key_hint"), text=True),
            self.source(row),
        ]
        return "<tr>", "".join(cells)


def headers(kind: str, zone: str) -> list[str]:
    time = f"Time ({zone})"
    return {
        "messages": [time, "Exhibit", "App", "Direction", "From", "To", "Message", "Conversation", "Source"],
        "contacts": ["Name", "Phones", "E-mails", "App ids", "Notes", "App", "Exhibit", "Source"],
        "calls": [time, "Exhibit", "App", "Direction", "Number", "Name", "Duration", "Place", "Source"],
        "accounts": ["Exhibit", "App", "User id", "Phone", "Username", "Display name", "E-mail", "Source"],
        "wallet_addresses": ["Exhibit", "App", "Chain", "Address", "Label", "Whose", "Source"],
        "secrets": ["Exhibit", "App", "Type", "Value", "Chain", "Address", "Label", "Source"],
        "encrypted_stores": ["Exhibit", "App", "Store", "Why not read", "Key", "Source"],
    }[kind]
