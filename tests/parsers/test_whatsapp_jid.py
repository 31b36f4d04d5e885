"""The number in a WhatsApp JID: the Python and SQL forms, used by the Android and iOS parsers, agree."""

from __future__ import annotations

import sqlite3

import pytest

from evidence_intake.parsers.whatsapp_jid import jid_phone, jid_phone_sql

CASES = [
    ("66812345678@s.whatsapp.net", "+66812345678"),
    ("66812345678:12@s.whatsapp.net", "+66812345678"),  # a companion device (WhatsApp Web)
    ("8613800138000@s.whatsapp.net", "+8613800138000"),
    ("120363025246125486@g.us", None),  # a group
    ("203004938172921@lid", None),  # a privacy id
    ("status@broadcast", None),
    ("๖๖๘๑๒@s.whatsapp.net", None),  # Thai digits are not a number WhatsApp writes
    (":12@s.whatsapp.net", None),
    (None, None),
]


@pytest.mark.parametrize(("jid", "number"), CASES)
def test_python_and_sql_give_the_same_number(jid: str | None, number: str | None) -> None:
    assert jid_phone(jid) == number
    sql = f"WITH t(jid) AS (SELECT ?) SELECT {jid_phone_sql('t.jid')} FROM t"
    (got,) = sqlite3.connect(":memory:").execute(sql, (jid,)).fetchone()
    assert got == number
