"""iOS Contacts: ``AddressBook.sqlitedb`` (ABPerson and its multi-values).

One ``Contact`` per ``ABPerson`` row. Its phone numbers (property 3), e-mail addresses (4), instant
messaging accounts (13) and social profiles (46) are rows of ``ABMultiValue``; a label is a reference
to ``ABMultiValueLabel`` ("_$!<Mobile>!$_" for the built-in ones, the user's own text otherwise), and
the parts of an IM account or social profile (service, username, user id) are rows of
``ABMultiValueEntry`` keyed by ``ABMultiValueEntryKey``. Everything is gathered by correlated
subqueries on ``ABMultiValueRecordIDIndex``, so the bulk query stays splittable by person.

The name is composed as the Contacts app shows it: "Prefix First Middle Last Suffix", or "LastFirst"
without a space when both are written in Chinese, Japanese or Korean script; when a person has no
name parts the stored display name, the composite fallback, the nickname or the organization is used.
"""

from __future__ import annotations

from collections.abc import Sequence

from evidence_intake.artefacts.model import Contact
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import case_map, col

PHONE, EMAIL, IM, SOCIAL = 3, 4, 13, 46
# The built-in labels, as "_$!<Mobile>!$_" holds them, in the words the rest of the store uses.
LABELS = {
    "Mobile": "mobile",
    "iPhone": "iPhone",
    "Home": "home",
    "Work": "work",
    "Main": "main",
    "HomeFAX": "home fax",
    "WorkFAX": "work fax",
    "OtherFAX": "other fax",
    "Pager": "pager",
    "Other": "other",
    "School": "school",
    "HomePage": "home page",
}
CORE = {
    "ABPerson": {"ROWID", "First", "Last"},
    "ABMultiValue": {"UID", "record_id", "property", "label", "value"},
}
ENTRIES = {"ABMultiValueEntry": {"parent_id", "key", "value"}, "ABMultiValueEntryKey": {"value"}}


def label_sql(expr: str) -> str:
    """A stored label in words: the built-in "_$!<Mobile>!$_" as "mobile", the user's own text as is."""
    inner = f"substr({expr}, 5, length({expr}) - 8)"
    builtin = f"substr({expr}, 1, 4) = '_$!<' AND substr({expr}, -4) = '>!$_'"
    return f"(CASE WHEN {builtin} THEN coalesce({case_map(inner, LABELS)}, lower({inner})) ELSE {expr} END)"


def cjk(expr: str) -> str:
    """Whether the text starts with a Chinese, Japanese or Korean character."""
    first = f"unicode({expr})"
    return f"({first} BETWEEN 12288 AND 40959 OR {first} BETWEEN 44032 AND 55215)"


class IosAddressBookParser(Parser):
    name = "ios.addressbook"
    version = "1.0"
    title = "iOS Contacts (AddressBook.sqlitedb): people with phones, e-mails, IM and social accounts"
    kinds = (Contact,)
    globs = ("**/Library/AddressBook/AddressBook.sqlitedb",)
    schemas = (
        Schema("entries", {**CORE, **ENTRIES}, note="IM accounts and social profiles in ABMultiValueEntry"),
        Schema(
            "basic", CORE, note="no ABMultiValueEntry tables: IM accounts and social profiles are not read"
        ),
    )
    references = (
        "AddressBook.sqlitedb tables ABPerson, ABMultiValue, ABMultiValueLabel, ABMultiValueEntry(Key) "
        "as read by iLEAPP (addressBook.py) and mvt (ios/modules/mixed/addressbook.py)",
        "ABPerson.h property ids: kABPersonPhoneProperty 3, kABPersonEmailProperty 4, "
        "kABPersonInstantMessageProperty 13, kABPersonSocialProfileProperty 46",
    )
    limitations = (
        "Photos (AddressBookImages.sqlitedb), postal addresses, URLs, dates, related names, groups, job "
        "title and department are not extracted, nor which account (iCloud, Exchange, the phone) a contact "
        "is stored in. Deleted contacts are removed from ABPerson by iOS and are not recovered. Numbers "
        "are normalised with the exhibit's region: the address book does not say which country a local "
        "number belongs to."
    )

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        def person(name: str) -> str:  # empty text is no value
            return f"nullif({col(source, 'ABPerson', name, 'p')}, '')"

        labels = source.has_table("ABMultiValueLabel")
        label = label_sql("l.value") if labels else "NULL"
        label_join = "LEFT JOIN src.ABMultiValueLabel AS l ON l.rowid = mv.label" if labels else ""

        def values(item: str, where: str) -> str:
            # json_group_array over a subquery ordered by UID, so lists come out the same every run
            return (
                f"(SELECT json_group_array({item}) FROM (SELECT mv.UID, mv.value, {label} AS label "
                f"FROM src.ABMultiValue AS mv {label_join} WHERE mv.record_id = p.ROWID "
                f"AND {where} ORDER BY mv.UID) AS mv)"
            )

        phones = values(
            "json_object('number', mv.value, 'label', mv.label)",
            f"mv.property = {PHONE} AND mv.value IS NOT NULL",
        )
        emails = values("mv.value", f"mv.property = {EMAIL} AND mv.value IS NOT NULL")
        handles = "'[]'"
        if source.schema is not None and source.schema.name == "entries":

            def part(*keys: str) -> str:
                names = ", ".join(f"'{k}'" for k in keys)
                return (
                    "(SELECT e.value FROM src.ABMultiValueEntry AS e JOIN src.ABMultiValueEntryKey AS k "
                    f"ON k.rowid = e.key WHERE e.parent_id = mv.UID AND k.value IN ({names}) "
                    "ORDER BY e.rowid LIMIT 1)"
                )

            handle = (
                f"json_object('app', coalesce({part('service')}, 'IM'), "
                f"'user_id', {part('identifier', 'userIdentifier')}, "
                f"'username', coalesce({part('username')}, mv.value))"
            )
            handles = values(handle, f"mv.property IN ({IM}, {SOCIAL})")
        prefix, first, middle, last = (person(n) for n in ("Prefix", "First", "Middle", "Last"))
        parts = " || ".join(f"coalesce({part} || ' ', '')" for part in (prefix, first, middle, last))
        western = f"nullif(trim({parts} || coalesce({person('Suffix')}, '')), '')"
        eastern = (
            f"CASE WHEN {cjk(first)} AND {cjk(last)} THEN {last} || coalesce({middle}, '') || {first} END"
        )
        name = (
            f"coalesce({eastern}, {western}, {person('DisplayName')}, {person('CompositeNameFallback')}, "
            f"{person('Nickname')}, {person('Organization')})"
        )
        sql = f"""
            SELECT
              p.ROWID AS record_rowid,
              'Contacts' AS app,
              {name} AS name,
              {phones} AS phones,
              {emails} AS emails,
              {handles} AS handles,
              {person("Organization")} AS organization,
              {person("Note")} AS notes
            FROM src.ABPerson AS p
        """
        return [BulkQuery(kind=Contact, table="ABPerson", sql=sql, label="ABPerson")]
