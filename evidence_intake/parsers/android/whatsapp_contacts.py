"""WhatsApp for Android: the contact list (``wa.db``) and the registered account (shared preferences).

``wa_contacts`` holds one row per address-book number WhatsApp looked at and per group: the JID, the
number as written in the phone's address book, the name there (``display_name``), the name the
person gave themselves in WhatsApp (``wa_name``) and their "About" text (``status``). A row whose
``is_whatsapp_user`` is 0 is an address-book number without a WhatsApp account: it is kept as a
contact with its number, but gets no WhatsApp handle (that would claim an account that does not
exist). Groups are kept too, with the group JID as handle, so that the same group can be found on
several phones.

The owner's own number and name are not in either database; the app keeps them in its shared
preferences (``registration_jid``, ``cc`` + ``ph``, ``push_name``), read here as an ``Account``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence

from evidence_intake.artefacts.model import Account, Artefact, Contact, Locator
from evidence_intake.errors import EvidenceError
from evidence_intake.parsers.android.contacts import PHONE_LABELS
from evidence_intake.parsers.base import APPLIES, Applicability, BulkQuery, Parser, not_applicable
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import case_map, col
from evidence_intake.parsers.whatsapp_jid import jid_phone_sql

MAX_PREFERENCES = 8 << 20  # shared preferences are a few KiB; anything this large is not one
DIGITS = re.compile(r"^\d{5,20}$")


def app_name(path: str) -> str:
    return "WhatsApp Business" if "/com.whatsapp.w4b/" in path else "WhatsApp"


class WhatsAppContactsParser(Parser):
    name = "android.whatsapp.contacts"
    version = "1.0"
    title = "WhatsApp for Android contact list (wa.db wa_contacts)"
    kinds = (Contact,)
    globs = ("**/com.whatsapp/databases/wa.db", "**/com.whatsapp.w4b/databases/wa.db")
    schemas = (
        Schema("wa_contacts", {"wa_contacts": {"_id", "jid", "is_whatsapp_user", "number", "display_name"}}),
    )
    references = (
        "wa.db table definitions of WhatsApp 2.23 (public test data of frozenspider/chat-history-manager)",
        "KnugiHK/WhatsApp-Chat-Exporter android_handler.py contacts (display_name, wa_name, status)",
    )
    limitations = (
        "Profile photos, business profiles (wa_vnames) and group admin settings are not read. The number "
        "is the one written in the address book (or the JID's number when none is). The WhatsApp name "
        "and About text are put in notes. Contacts the app has removed from wa.db are not recovered."
    )

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        app = app_name(source.path)

        def c(name: str) -> str:
            return col(source, "wa_contacts", name, "w")

        number = f"coalesce(nullif(w.number, ''), {jid_phone_sql('w.jid')})"
        label = f"coalesce(nullif({c('phone_label')}, ''), {case_map(c('phone_type'), PHONE_LABELS)})"
        phones = (
            f"CASE WHEN {number} IS NOT NULL THEN "
            f"json_array(json_object('number', {number}, 'label', {label})) "
            "ELSE '[]' END"
        )
        has_account = "(w.is_whatsapp_user = 1 OR w.jid LIKE '%@g.us')"
        handles = (
            f"CASE WHEN {has_account} THEN json_array(json_object('app', '{app}', 'user_id', w.jid, "
            "'username', NULL)) ELSE '[]' END"
        )
        notes = (
            f"nullif(rtrim(coalesce('WhatsApp name: ' || nullif({c('wa_name')}, '') || char(10), '') "
            f"|| coalesce('About: ' || nullif({c('status')}, '') || char(10), ''), char(10)), '')"
        )
        name = f"coalesce(nullif(w.display_name, ''), nullif({c('wa_name')}, ''))"
        sql = f"""
            SELECT
              w._id AS record_rowid,
              '{app}' AS app,
              {name} AS name,
              {phones} AS phones,
              {handles} AS handles,
              nullif({c("company")}, '') AS organization,
              {notes} AS notes
            FROM src.wa_contacts AS w
        """
        return [BulkQuery(kind=Contact, table="wa_contacts", sql=sql, label="wa_contacts")]


def read_preferences(data: bytes, location: str) -> dict[str, tuple[str, int]]:
    """``{name: (value, byte offset of the element)}`` of an Android shared-preferences XML file.

    A document type declaration is refused: Android never writes one, and without it the parser
    cannot be made to expand entities. Raises EvidenceError naming the file when it is not one.
    """
    if len(data) > MAX_PREFERENCES:
        raise EvidenceError(
            f"{location} is {len(data)} bytes: too large for a shared-preferences file",
            path=location,
            hint="examine the file by hand; the other files are extracted",
        )
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise EvidenceError(
            f"{location} declares a document type, which Android preferences never do: not read",
            path=location,
            hint="examine the file by hand; the other files are extracted",
        )
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD (refused above), so no entity expansion
    except ET.ParseError as exc:
        raise EvidenceError(
            f"{location} is not a readable preferences XML file ({exc})",
            path=location,
            hint="the file may be damaged or in Android's binary XML; examine it by hand",
        ) from exc
    values: dict[str, tuple[str, int]] = {}
    for element in root:
        key = element.get("name")
        if key is None:
            continue
        value = element.get("value") if element.text is None else element.text
        if value is None:
            continue
        offset = data.find(b'name="' + key.encode() + b'"')
        values[key] = (value.strip(), max(data.rfind(b"<", 0, offset), 0) if offset >= 0 else 0)
    return values


class WhatsAppAccountParser(Parser):
    name = "android.whatsapp.account"
    version = "1.0"
    title = "WhatsApp for Android registered number and profile name (shared preferences)"
    kinds = (Account,)
    sqlite = False
    globs = (
        "**/com.whatsapp/shared_prefs/com.whatsapp_preferences_light.xml",
        "**/com.whatsapp/shared_prefs/com.whatsapp_preferences.xml",
        "**/com.whatsapp.w4b/shared_prefs/com.whatsapp.w4b_preferences_light.xml",
        "**/com.whatsapp.w4b/shared_prefs/com.whatsapp.w4b_preferences.xml",
    )
    references = (
        "Android SharedPreferences XML (<map><string name=...>); WhatsApp keys registration_jid, cc, ph, "
        "push_name",
    )
    limitations = (
        "Only the registered number and the profile (push) name are read; the other preferences (backup "
        "settings, Google Drive account, privacy settings) and the files/me object are not. Android's "
        "binary XML format is not decoded."
    )

    def _values(self, source: Source) -> dict[str, tuple[str, int]]:
        with source.open() as fh:
            data = fh.read(MAX_PREFERENCES + 1)
        return read_preferences(data, source.location)

    def applies(self, source: Source) -> Applicability:
        values = self._values(source)
        if not any(k in values for k in ("registration_jid", "ph", "push_name")):
            return not_applicable("the preferences hold no registered number or profile name")
        return APPLIES

    def parse(self, source: Source) -> Iterator[Artefact]:
        values = self._values(source)
        number: str | None = None
        user_id: str | None = None
        offset = 0
        jid, jid_at = values.get("registration_jid", ("", 0))
        user = jid.split("@", 1)[0]
        if DIGITS.match(user):
            number, user_id, offset = "+" + user, f"{user}@s.whatsapp.net", jid_at
        else:
            cc, ph = values.get("cc", ("", 0)), values.get("ph", ("", 0))
            if cc[0] and ph[0] and DIGITS.match(cc[0] + ph[0]):
                number, user_id, offset = f"+{cc[0]}{ph[0]}", f"{cc[0]}{ph[0]}@s.whatsapp.net", ph[1]
        push_name, name_at = values.get("push_name", (None, 0))
        if number is None and push_name is None:
            return
        yield Account(
            locator=Locator(offset=offset if number is not None else name_at),
            app=app_name(source.path),
            user_id=user_id,
            phone=number,
            display_name=push_name or None,
        )
