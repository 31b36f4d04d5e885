"""vCard files (``*.vcf``) anywhere in the evidence: address-book exports, shared contacts, backups.

A file may hold any number of cards, of vCard 2.1 (Android and old Nokia/Samsung exports: parameters
without names such as ``TEL;CELL``, ``ENCODING=QUOTED-PRINTABLE`` with ``CHARSET=`` and soft line
breaks), 3.0 (iOS, macOS) or 4.0 (``tel:`` URIs). Each card is parsed by ``vobject`` and becomes one
``Contact`` whose locator is the byte offset of its ``BEGIN:VCARD`` line in the file.

What this module adds around ``vobject``: finding the cards and their byte offsets (UTF-8, or UTF-16
with a byte-order mark), joining quoted-printable soft line breaks (which ``vobject`` does not), and
mapping the properties to the shared ``Contact`` fields. A card ``vobject`` cannot read is reported
and the others are kept; text that is not valid in its charset is kept with U+FFFD and flagged.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import vobject

from evidence_intake.artefacts.model import Artefact, Contact, Handle, Locator, Phone
from evidence_intake.artefacts.text import LossyText
from evidence_intake.parsers.base import APPLIES, Applicability, Parser, not_applicable
from evidence_intake.parsers.source import Source

SNIFF = 64 * 1024
MAX_LISTED_FAILURES = 200  # byte offsets of unreadable cards named in the error
BEGIN = re.compile(r"^\s*BEGIN\s*:\s*VCARD\s*$", re.IGNORECASE)
END = re.compile(r"^\s*END\s*:\s*VCARD\s*$", re.IGNORECASE)
APPS = {
    "telegram": "Telegram",
    "whatsapp": "WhatsApp",
    "line": "LINE",
    "wechat": "WeChat",
    "weixin": "WeChat",
    "qq": "QQ",
    "skype": "Skype",
    "facebook": "Facebook",
    "messenger": "Messenger",
    "twitter": "Twitter",
    "instagram": "Instagram",
    "viber": "Viber",
    "signal": "Signal",
    "zalo": "Zalo",
    "xmpp": "XMPP",
    "jabber": "XMPP",
    "aim": "AIM",
    "icq": "ICQ",
    "msn": "MSN",
    "yahoo": "Yahoo",
    "gadugadu": "Gadu-Gadu",
    "google-talk": "Google Talk",
    "googletalk": "Google Talk",
}
TYPE_WORDS = {"cell": "mobile", "iphone": "iPhone", "home": "home", "work": "work", "main": "main",
              "fax": "fax", "pager": "pager", "other": "other", "car": "car", "video": "video"}  # fmt: skip
NOT_LABELS = {"voice", "pref", "internet", "x400", "msg", "text"}


@dataclass(frozen=True, slots=True)
class Card:
    offset: int  # of the BEGIN:VCARD line, in bytes from the start of the file
    text: str
    complete: bool  # False when the file ended before END:VCARD


def decode(data: bytes) -> tuple[str, str, int]:
    """(text, codec, length of the byte-order mark). UTF-8 undecodable bytes survive as surrogates."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "surrogateescape"), "utf-8", 3
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[2:].decode(codec, "replace"), codec, 2
    if data[:2] == b"B\x00" or data[:2] == b"b\x00":
        return data.decode("utf-16-le", "replace"), "utf-16-le", 0
    return data.decode("utf-8", "surrogateescape"), "utf-8", 0


def cards(data: bytes) -> Iterator[Card]:
    """The cards of a file with the byte offset of each; nested cards (2.1 AGENT) stay in their parent."""
    text, codec, position = decode(data)
    errors = "surrogateescape" if codec == "utf-8" else "strict"
    depth, start, lines = 0, 0, []
    for line in text.splitlines(keepends=True):
        size = len(line.encode(codec, errors))
        if depth == 0:
            if BEGIN.match(line):
                depth, start, lines = 1, position, [line]
        else:
            lines.append(line)
            if BEGIN.match(line):
                depth += 1
            elif END.match(line):
                depth -= 1
                if depth == 0:
                    yield Card(start, "".join(lines), True)
        position += size
    if depth:
        yield Card(start, "".join(lines) + "\r\nEND:VCARD\r\n", False)


def join_soft_breaks(text: str) -> str:
    """Join quoted-printable soft line breaks ("=" at the end of a line), which ``vobject`` reads as
    separate (broken) lines."""
    out: list[str] = []
    pending = ""
    for line in text.splitlines():
        if pending:
            pending += line
        else:
            pending = line
        head = pending.split(":", 1)[0].upper()
        if "QUOTED-PRINTABLE" in head and pending.endswith("=") and ":" in pending:
            pending = pending[:-1]
            continue
        out.append(pending)
        pending = ""
    if pending:
        out.append(pending)
    return "\r\n".join(out) + "\r\n"


def escaped(value: Any) -> str:
    """A property value as text, stripped, lists joined with ", "; bytes that were not valid in the
    file's charset are still surrogate escapes. Text is composed in this form (where every string
    operation keeps the bytes) and made ``clean`` last."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(v for v in (escaped(x) for x in value) if v)
    return str(value).strip()


def clean(value: Any) -> str | None:
    """A property value as text; bytes that were not valid in the file's charset become LossyText."""
    text = escaped(value)
    if not text:
        return None
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        return LossyText.decode(text.encode("utf-8", "surrogateescape"))
    return text


def params(line: Any) -> dict[str, list[str]]:
    """Parameters by lower-cased name, values as written; 2.1's nameless ones ("TEL;CELL") are types."""
    out: dict[str, list[str]] = {}
    for name, values in getattr(line, "params", {}).items():
        out.setdefault(name.lower(), []).extend(str(v) for v in values)
    for value in getattr(line, "singletonparams", []):
        out.setdefault("type", []).append(str(value))
    return out


def label(line: Any) -> str | None:
    words: list[str] = []
    for t in params(line).get("type", []):
        for part in t.lower().split(","):
            part = part.strip()
            if part and part not in NOT_LABELS:
                word = TYPE_WORDS.get(part, part)
                if word not in words:
                    words.append(word)
    return clean(" ".join(words))


def app_of(name: str) -> str:
    """The app of a service name; a name with bytes that are not text is given with U+FFFD (the
    handle's app is a name, not evidence text: its bytes are not kept)."""
    key = name.strip().lower()
    return APPS.get(key, str(clean(name) or "IM"))


def handles(card: Any) -> list[Handle]:
    out: list[Handle] = []
    for line in card.lines():
        name = line.name.upper()
        value = escaped(line.value)
        p = params(line)
        if name == "X-SOCIALPROFILE":
            service = (p.get("type") or p.get("x-service-type") or ["social profile"])[0]
            user = clean(_param(p, "x-user")) or clean(value.rstrip("/").rsplit("/", 1)[-1])
            user_id = clean(_param(p, "x-userid"))
            out.append(Handle(app=app_of(service), user_id=user_id, username=user))
        elif name == "IMPP" and value:
            scheme, _, rest = value.partition(":")
            service = (p.get("x-service-type") or [scheme if rest else "IM"])[0]
            out.append(Handle(app=app_of(service), username=clean(rest or value)))
        elif name.startswith("X-") and name[2:].lower() in APPS and value:
            out.append(Handle(app=app_of(name[2:]), username=clean(value)))
    return out


def contact(card: Any, offset: int) -> Contact:
    def first(name: str) -> Any:
        return card.contents[name][0] if name in card.contents else None

    fn = first("fn")
    name = clean(fn.value) if fn is not None else None
    n = first("n")
    if name is None and n is not None:
        family, given = escaped(n.value.family), escaped(n.value.given)
        if family and given and all(_cjk(x) for x in (family, given)):
            name = clean(family + given)
        else:
            name = clean(" ".join(x for x in (given, escaped(n.value.additional), family) if x))
    org = first("org")
    organization = clean(org.value) if org is not None else None
    phones = []
    for line in card.contents.get("tel", []):
        text = escaped(line.value)
        if text.lower().startswith("tel:"):
            text = text[4:].split(";", 1)[0]
        number = clean(text)
        if number:
            phones.append(Phone(number=number, label=label(line)))
    emails = tuple(e for e in (clean(line.value) for line in card.contents.get("email", [])) if e)
    notes = clean("\n".join(x for x in (escaped(line.value) for line in card.contents.get("note", [])) if x))
    return Contact(
        locator=Locator(offset=offset),
        app="vCard",
        name=name or organization,
        phones=tuple(phones),
        emails=emails,
        handles=tuple(handles(card)),
        organization=organization,
        notes=notes,
    )


def _param(found: dict[str, list[str]], name: str) -> str | None:
    values = found.get(name)
    return values[0] if values else None


def _cjk(text: str) -> bool:
    return bool(text) and ("\u3000" <= text[0] <= "\u9fff" or "\uac00" <= text[0] <= "\ud7af")


class VCardParser(Parser):
    name = "vcard"
    version = "1.1"
    title = "vCard files (*.vcf, versions 2.1, 3.0 and 4.0): one contact per card"
    kinds = (Contact,)
    globs = ("**/*.vcf", "**/*.VCF")
    sqlite = False
    references = (
        "RFC 2426 (vCard 3.0), RFC 6350 (vCard 4.0), the vCard 2.1 specification (versit consortium)",
        "vobject (the parser of each card)",
    )
    limitations = (
        "Photos, postal addresses, birthdays, URLs, categories and groups are not extracted. Nested cards "
        "(vCard 2.1 AGENT) stay inside their parent card. A card vobject cannot parse (a broken line, an "
        "unknown charset) is reported with its byte offset; the other cards are kept. 8-bit text in a "
        "legacy charset that is not declared and not quoted-printable is kept with U+FFFD and flagged. "
        "Files not named .vcf/.VCF are not looked at."
    )

    def applies(self, source: Source) -> Applicability:
        with source.open() as fh:
            head = fh.read(SNIFF)
        text = decode(head)[0]
        if not re.search(r"BEGIN\s*:\s*VCARD", text, re.IGNORECASE):
            return not_applicable(f"no BEGIN:VCARD in its first {SNIFF // 1024} KiB: not a vCard file")
        return APPLIES

    def parse(self, source: Source) -> Iterator[Artefact]:
        with source.open() as fh:
            data = fh.read()
        failures: list[tuple[int, str]] = []  # (byte offset, why)
        for card in cards(data):
            try:
                parsed = vobject.readOne(join_soft_breaks(card.text))
                item = contact(parsed, card.offset)
            except Exception as exc:  # vobject raises ParseError, LookupError, UnicodeDecodeError…
                failures.append((card.offset, f"{exc.__class__.__name__}: {exc}"))
                continue
            yield item
            if not card.complete:
                # the offset is in the text too: a warning's locator keeps only table and rowid
                source.warn(
                    f"the card at byte {card.offset} has no END:VCARD: the file is cut short and the card "
                    "may lack lines",
                    item.locator,
                )
        if failures:
            (first, why), rest = failures[0], failures[1:]
            message = f"the card at byte {first} could not be read ({why})"
            if rest:  # every failed card's offset is named, so that each can be examined by hand
                listed = ", ".join(str(offset) for offset, _ in rest[:MAX_LISTED_FAILURES])
                beyond = len(rest) - MAX_LISTED_FAILURES
                message += f"; nor could the cards at bytes {listed}" + (
                    f" and {beyond} more" if beyond > 0 else ""
                )
            raise ValueError(f"{message}; the other cards are kept")
