from __future__ import annotations

import sqlite3

from evidence_intake.parsers.schema import Schema, SchemaInfo, closest, match

MODERN = Schema("modern", {"message": {"_id", "chat_row_id", "text_data"}, "chat": {"_id"}})
LEGACY = Schema("legacy", {"messages": {"_id", "key_remote_jid", "data"}})


def info(sql: str) -> SchemaInfo:
    conn = sqlite3.connect(":memory:")
    conn.executescript(sql)
    return SchemaInfo.read(conn)


def test_first_fitting_layout_is_chosen() -> None:
    both = info(
        "CREATE TABLE message(_id, chat_row_id, text_data, extra); CREATE TABLE chat(_id);"
        "CREATE TABLE messages(_id, key_remote_jid, data);"
    )
    assert match((MODERN, LEGACY), both) is MODERN
    assert match((LEGACY, MODERN), both) is LEGACY


def test_missing_tables_and_columns_are_named() -> None:
    seen = info("CREATE TABLE message(_id, text_data); CREATE VIEW v AS SELECT 1 AS x;")
    assert match((MODERN, LEGACY), seen) is None
    assert MODERN.missing(seen) == ["chat", "message.chat_row_id"]
    best = closest((MODERN, LEGACY), seen)
    assert best is not None and best[0] is MODERN
    assert seen.has("v", "x") and "v" in seen.summary()


def test_virtual_table_without_its_module_does_not_break_reading() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE words USING fts4(index_text)")
    conn.execute("CREATE TABLE sms(_id)")
    seen = SchemaInfo.read(conn)
    assert "sms" in seen.tables and "words" in seen.tables
