"""LINE for Android (``jp.naver.line.android``): ``naver_line``, its chats, contacts and call rows.

Every chat, 1:1 or group, is a ``chat_id`` in ``chat_history``: a user's mid (``u…``), a group
(``c…``) or a multi-person room (``r…``). Incoming rows carry the sender's mid in ``from_mid``;
the owner's rows have none. Times are Unix milliseconds stored as *text*: they are converted as
numbers when the text is digits only, and kept as stored in the ``…_raw`` columns.

Names: ALEAPP notes that on recent versions ``contacts`` (and ``membership``) can be empty while
``chat_history`` is full. A sender's name is then the mid itself, so that a row never looks
anonymous; the mid stays the sender's user id either way.

Rows with ``attachement_type`` 6 [sic] are calls: they become ``Call`` artefacts (typed path, the
call details are tab-separated key/value pairs in ``parameter``) and are not repeated as messages.
Messages and contacts go through the bulk path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

from evidence_intake.artefacts.model import Artefact, Call, Contact, Direction, Locator, Message
from evidence_intake.artefacts.text import as_text
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import (
    attachment,
    case_map,
    col,
    digits_as_int,
    iso_time,
    location,
    optional_columns,
    prefixed,
)
from evidence_intake.parsers.times import unix_ms

# chat_history.status: 1 incoming; 2 outgoing (3 and 7 were only seen on outgoing rows by Autopsy).
DIRECTION = {1: "incoming", 2: "outgoing", 3: "outgoing", 7: "outgoing"}
STATUS = {1: "received", 2: "sent"}
CALL_ROW = 6
# attachement_type of media the row points to; stickers (7), contacts (13), locations (15) and the
# rest are not files. The MIME type is only the family: LINE does not store the exact type.
MEDIA = {1: "image/*", 2: "video/*", 3: "audio/*", 14: None}
LOCATION_SCALE = 1_000_000  # location_latitude / location_longitude are stored as degrees x 1e6
CALL_TYPES = {"AUDIO": "voice", "VIDEO": "video"}


def parameters(text: object) -> dict[str, str]:
    """LINE's ``parameter`` text: tab-separated keys and values ("CALL_TYPE\\tAUDIO\\tRESULT\\t...")."""
    if not isinstance(text, str):
        return {}
    parts = text.split("\t")
    return {parts[i]: parts[i + 1] for i in range(0, len(parts) - 1, 2)}


def stored_int(value: object) -> object:
    """A time LINE stored as digit text, as an integer for conversion (the raw value is kept apart)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value


class LineParser(Parser):
    name = "android.line"
    version = "1.2"
    title = "LINE for Android (naver_line): chats, group names, contacts, call rows"
    kinds = (Message, Call, Contact)
    globs = ("**/jp.naver.line.android/databases/naver_line",)
    schemas = (
        Schema(
            "naver_line",
            {
                "chat_history": {
                    "id",
                    "chat_id",
                    "from_mid",
                    "content",
                    "created_time",
                    "status",
                    "attachement_type",
                }
            },
        ),
    )
    references = (
        "Autopsy InternalPythonModules/android/line.py (chat_history, contacts, groups, membership; status 1 "
        "incoming)",
        "ALEAPP lineMessages / lineContacts (empty contacts on Android 14, jp.naver.line.android 14.x)",
        "public LINE backup viewers (attachement_type codes, location scaled by 1e6)",
    )
    limitations = (
        "Sticker, contact-card and file details in 'parameter' are not decoded; attachments give the local "
        "path LINE recorded and only the media family (image/*, video/*, audio/*). A call's DURATION is "
        "read as milliseconds (LINE's unit for times and media lengths), not confirmed against the app: "
        "the value as stored is kept in duration_raw, so a duration can be recomputed if the unit "
        "turns out otherwise. The separate call_history database and the owner's own profile are not read. "
        "Names come from contacts/groups/chat; where LINE left them empty the mid is shown. Messages "
        "the user unsent or deleted are only found when still in the -wal."
    )

    def _name(self, source: Source, mid_alias: str) -> str:
        """SQL for a contact's display name (contacts joined as ``mid_alias``), or NULL."""
        if not source.has_column("contacts", "m_id"):
            return "NULL"
        parts = [
            f"nullif({col(source, 'contacts', c, mid_alias)}, '')"
            for c in ("custom_name", "name", "server_name", "addressbook_name")
        ]
        return f"coalesce({', '.join(parts)})"

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        joins: list[str] = []
        code = "coalesce(h.status, -1)"
        incoming = (
            f"({code} = 1 OR ({code} NOT IN {tuple(DIRECTION)} AND nullif(h.from_mid, '') IS NOT NULL))"
        )
        sender = "coalesce(nullif(h.from_mid, ''), CASE WHEN h.chat_id LIKE 'u%' THEN h.chat_id END)"
        if source.has_column("contacts", "m_id"):
            joins.append(f"LEFT JOIN src.contacts AS ct ON ct.m_id = {sender}")
        names: list[str] = []
        if source.has_column("chat", "chat_name"):
            joins.append("LEFT JOIN src.chat AS ch ON ch.chat_id = h.chat_id")
            names.append("nullif(ch.chat_name, '')")
        if source.has_column("groups", "name") and source.has_column("groups", "id"):
            joins.append('LEFT JOIN src."groups" AS g ON g.id = h.chat_id')
            names.append("nullif(g.name, '')")
        thread_name = f"coalesce({', '.join(names)}, NULL)" if names else "NULL"
        kind = "coalesce(h.attachement_type, 0)"
        uri = f"nullif({col(source, 'chat_history', 'attachement_local_uri', 'h')}, '')"
        size = col(source, "chat_history", "attachement_image_size", "h")
        media = (
            f"CASE WHEN {kind} IN {tuple(MEDIA)} OR {uri} IS NOT NULL THEN "
            f"{attachment('NULL', case_map(kind, MEDIA), uri, f'nullif({size}, 0)')} "
            "ELSE '[]' END"
        )
        lat = col(source, "chat_history", "location_latitude", "h")
        lon = col(source, "chat_history", "location_longitude", "h")
        place = col(source, "chat_history", "location_name", "h")
        where = location(f"{lat} / {LOCATION_SCALE}.0", f"{lon} / {LOCATION_SCALE}.0", place)
        messages = f"""
            SELECT
              h.id AS record_rowid,
              'LINE' AS app,
              h.chat_id AS thread_id,
              {thread_name} AS thread_name,
              CASE WHEN {incoming} THEN {sender} END AS sender,
              CASE WHEN {incoming} THEN {sender} END AS sender_user_id,
              CASE WHEN {incoming} THEN coalesce({self._name(source, "ct")}, {sender}) END AS sender_name,
              CASE WHEN NOT {incoming} AND {code} IN {tuple(DIRECTION)} AND h.chat_id IS NOT NULL
                THEN json_array(h.chat_id) ELSE '[]' END AS recipients,
              CASE WHEN {incoming} THEN 'incoming'
                   ELSE {case_map("h.status", DIRECTION, default="unknown")} END AS direction,
              coalesce({case_map("h.status", STATUS)}, 'status ' || h.status) AS status,
              {iso_time(digits_as_int("h.created_time"), unit="ms")} AS sent_at,
              h.created_time AS sent_at_raw,
              {prefixed(where, "h.content")} AS body,
              {media} AS attachments
            FROM src.chat_history AS h
            {" ".join(joins)}
            WHERE {kind} != {CALL_ROW}
        """
        queries = [BulkQuery(kind=Message, table="chat_history", sql=messages, label="chat_history")]
        if source.has_column("contacts", "m_id"):
            status_msg = col(source, "contacts", "status_msg", "ct")
            contacts = f"""
                SELECT
                  ct.rowid AS record_rowid,
                  'LINE' AS app,
                  coalesce({self._name(source, "ct")}, ct.m_id) AS name,
                  json_array(json_object('app', 'LINE', 'user_id', ct.m_id, 'username', NULL)) AS handles,
                  'Status message: ' || nullif({status_msg}, '') AS notes
                FROM src.contacts AS ct
            """
            queries.append(BulkQuery(kind=Contact, table="contacts", sql=contacts, label="contacts"))
        return queries

    def parse(self, source: Source) -> Iterator[Artefact]:
        names = self._contact_names(source)
        parameter = optional_columns(source, "chat_history", ("parameter",))
        sql = (
            f"SELECT id, chat_id, from_mid, created_time, status, {parameter} FROM chat_history "
            f"WHERE attachement_type = {CALL_ROW} ORDER BY id"
        )
        for row in source.rows(sql):
            yield self._call(row, names)

    @staticmethod
    def _contact_names(source: Source) -> dict[str, str]:
        if not source.has_column("contacts", "m_id"):
            return {}
        wanted = [
            c
            for c in ("custom_name", "name", "server_name", "addressbook_name")
            if source.has_column("contacts", c)
        ]
        if not wanted:
            return {}
        out: dict[str, str] = {}
        for row in source.rows(f"SELECT m_id, {', '.join(wanted)} FROM contacts"):
            name = next((as_text(row[c]) for c in wanted if row[c]), None)
            if row["m_id"] and name:
                out[str(row["m_id"])] = name
        return out

    @staticmethod
    def _call(row: sqlite3.Row, names: dict[str, str]) -> Call:
        status = row["status"]
        from_mid = row["from_mid"] or None
        if status == 1 or (status not in DIRECTION and from_mid is not None):
            direction = Direction.INCOMING
        else:
            direction = Direction(DIRECTION.get(status, "unknown"))
        party = from_mid if direction == Direction.INCOMING and from_mid else row["chat_id"]
        info = parameters(row["parameter"])
        result = info.get("RESULT")
        duration = info.get("DURATION")  # milliseconds, as text
        ms = stored_int(duration)
        created = row["created_time"]
        return Call(
            locator=Locator(table="chat_history", rowid=row["id"]),
            app="LINE",
            number=party,
            name=names.get(str(party)) if party else None,
            direction=direction,
            status=result.lower().replace("_", " ") if result else None,
            call_type=CALL_TYPES.get(info.get("CALL_TYPE", "")),
            started_at=unix_ms(stored_int(created)),
            started_at_raw=created,
            duration_s=ms // 1000 if isinstance(ms, int) else None,
            duration_raw=duration,
        )
