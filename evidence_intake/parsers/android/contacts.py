"""Android contacts: ``contacts2.db`` of the contacts provider (raw contacts and their data rows).

One ``Contact`` per raw contact, which is how the phone stores it: the same person synced from
Google and from WhatsApp is two raw contacts, and both are evidence (the WhatsApp one proves the
number has a WhatsApp account). The ``app`` column says where each came from, from the account type
the raw contact belongs to. Data rows of a messaging app's own mimetype (WhatsApp, Telegram, LINE,
Viber...) become ``handles``: the app's user id for that contact.

The device's accounts (``accounts`` table: the owner's Google address, WhatsApp, Telegram, LINE
accounts) are yielded as ``Account`` artefacts: they say who uses the phone.

Contacts go through a bulk query (one row per raw contact, its data rows gathered by correlated
subqueries, so it can be split by rowid); accounts, a handful of rows, through the typed generator.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from evidence_intake.artefacts.model import Account, Artefact, Contact, Locator
from evidence_intake.artefacts.text import strip_text
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import case_map, col, quote

MIME = "vnd.android.cursor.item/"
PHONE, EMAIL, NAME, ORGANIZATION, NOTE = (
    MIME + "phone_v2",
    MIME + "email_v2",
    MIME + "name",
    MIME + "organization",
    MIME + "note",
)

# Account types of apps that sync their contacts into the phone's address book.
APPS = {
    "com.whatsapp": "WhatsApp",
    "com.whatsapp.w4b": "WhatsApp Business",
    "org.telegram.messenger": "Telegram",
    "org.telegram.messenger.web": "Telegram",
    "jp.naver.line.android": "LINE",
    "com.viber.voip": "Viber",
    "com.tencent.mm": "WeChat",
    "org.thoughtcrime.securesms": "Signal",
    "com.facebook.messenger": "Messenger",
    "com.facebook.auth.login": "Facebook",
    "com.skype.raider": "Skype",
    "com.skype.contacts.sync": "Skype",
    "com.zing.zalo": "Zalo",
    "com.imo.android.imoim": "imo",
    "com.google": "Google",
}
LOCAL_ACCOUNT_TYPES = (
    "com.android.localphone",
    "vnd.sec.contact.phone",  # Samsung "Phone"
    "vnd.sec.contact.sim",
    "com.android.sim",
    "com.oppo.contacts.device",
    "com.coloros.contacts.device",
    "com.xiaomi",
)
PHONE_LABELS = {
    1: "home",
    2: "mobile",
    3: "work",
    4: "work fax",
    5: "home fax",
    6: "pager",
    7: "other",
    8: "callback",
    9: "car",
    10: "company main",
    12: "main",
    17: "work mobile",
}


def app_sql(account_type: str) -> str:
    """SQL naming the app of a raw contact from its account type ('Contacts' for the phone's own book)."""
    locals_ = ", ".join(quote(t) for t in LOCAL_ACCOUNT_TYPES)
    known = case_map(account_type, {k: v for k, v in APPS.items() if k != "com.google"})
    return (
        f"coalesce({known}, CASE WHEN {account_type} IS NULL OR {account_type} IN ({locals_}) "
        f"OR {account_type} = 'com.google' THEN 'Contacts' ELSE {account_type} END)"
    )


class AndroidContactsParser(Parser):
    name = "android.contacts"
    version = "1.1"
    title = "Android contacts (contacts provider contacts2.db) and the device's accounts"
    kinds = (Contact, Account)
    globs = ("**/com.android.providers.contacts/databases/contacts2.db",)
    schemas = (
        Schema(
            "accounts-table",
            {
                "raw_contacts": {"_id", "account_id", "deleted"},
                "accounts": {"_id", "account_name", "account_type"},
                "data": {"raw_contact_id", "mimetype_id", "data1", "data2", "data3"},
                "mimetypes": {"_id", "mimetype"},
            },
            note="Android 4.3 and later: accounts in their own table",
        ),
        Schema(
            "inline-accounts",
            {
                "raw_contacts": {"_id", "account_name", "account_type", "deleted"},
                "data": {"raw_contact_id", "mimetype_id", "data1", "data2", "data3"},
                "mimetypes": {"_id", "mimetype"},
            },
            note="older Android: account name and type on each raw contact",
        ),
    )
    references = (
        "AOSP packages/providers/ContactsProvider: ContactsDatabaseHelper.java (raw_contacts, data, "
        "mimetypes, accounts)",
        "android.provider.ContactsContract.CommonDataKinds (Phone TYPE codes, Email, StructuredName)",
    )
    limitations = (
        "Photos, postal addresses, groups, websites, events and relations are not extracted. Contacts that "
        "exist only in an app's own database (WhatsApp wa.db, LINE) are read by that app's parser. Deleted "
        "raw contacts still in the table are kept and flagged is_deleted; purged ones are not recovered."
    )

    def _account_columns(self, source: Source) -> tuple[str, str, str]:
        """(FROM clause part, account type expression, account name expression) for the layout."""
        if source.schema is not None and source.schema.name == "accounts-table":
            return "LEFT JOIN src.accounts AS a ON a._id = rc.account_id", "a.account_type", "a.account_name"
        return "", "rc.account_type", "rc.account_name"

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        join, acc_type, acc_name = self._account_columns(source)
        label = case_map("d.data2", PHONE_LABELS)
        phone_label = f"CASE WHEN d.data2 = '0' OR d.data2 = 0 THEN d.data3 ELSE {label} END"
        display = col(source, "raw_contacts", "display_name", "rc")
        app = app_sql(acc_type)

        def items(value: str, where: str) -> str:
            # json_group_array over a subquery ordered by data._id, so lists come out in the same
            # order every run (SQLite 3.40 has no ORDER BY inside an aggregate)
            return (
                f"(SELECT json_group_array({value}) FROM (SELECT d.*, m.mimetype FROM src.data AS d "
                "JOIN src.mimetypes AS m ON m._id = d.mimetype_id "
                f"WHERE d.raw_contact_id = rc._id AND d.data1 IS NOT NULL AND {where} ORDER BY d._id) AS d)"
            )

        def first(mimetype: str) -> str:
            return (
                "(SELECT d.data1 FROM src.data AS d JOIN src.mimetypes AS m ON m._id = d.mimetype_id "
                f"WHERE d.raw_contact_id = rc._id AND m.mimetype = '{mimetype}' ORDER BY d._id LIMIT 1)"
            )

        phones = items(f"json_object('number', d.data1, 'label', {phone_label})", f"m.mimetype = '{PHONE}'")
        emails = items("d.data1", f"m.mimetype = '{EMAIL}'")
        handle = f"json_object('app', {app}, 'user_id', d.data1, 'username', NULL)"
        handles = items(handle, f"m.mimetype LIKE '{MIME}vnd.%'")
        sql = f"""
            SELECT
              rc._id AS record_rowid,
              'raw_contacts' AS record_table,
              {app} AS app,
              CASE WHEN {acc_type} IS NULL THEN NULL
                   ELSE {acc_type} || coalesce('/' || {acc_name}, '') END AS account,
              coalesce({display}, {first(NAME)}) AS name,
              {phones} AS phones,
              {emails} AS emails,
              {handles} AS handles,
              {first(ORGANIZATION)} AS organization,
              {first(NOTE)} AS notes,
              rc.deleted AS is_deleted
            FROM src.raw_contacts AS rc
            {join}
        """
        return [BulkQuery(kind=Contact, table="raw_contacts", sql=sql, label="raw_contacts")]

    def parse(self, source: Source) -> Iterator[Artefact]:
        if not source.has_table("accounts"):
            return
        for row in source.rows("SELECT _id, account_name, account_type FROM accounts ORDER BY _id"):
            name, kind = row["account_name"], row["account_type"]
            if not name and not kind:
                continue
            app = APPS.get(kind or "", "Contacts" if (kind in LOCAL_ACCOUNT_TYPES or not kind) else kind)
            text = strip_text(name or "")
            is_email = "@" in text
            is_phone = (
                bool(text)
                and all(ch.isdigit() or ch in "+ -()" for ch in text)
                and any(c.isdigit() for c in text)
            )
            yield Account(
                locator=Locator(table="accounts", rowid=row["_id"]),
                app=app,
                email=text if is_email else None,
                phone=text if is_phone else None,
                username=text if text and not is_email and not is_phone else None,
                display_name=None,
            )
