"""WhatsApp for Android: messages and calls of ``msgstore.db``, in both schema generations.

* "current" (2.22 and later): ``message`` rows point to ``chat`` and ``jid`` by row id; a group
  message names its sender by ``sender_jid_row_id``. Since 2024 many chats and senders are privacy
  ids (``203944150871257@lid``); ``jid_map`` maps such a row to the phone JID row, which gives the
  number. The stored JID is kept as the sender (and as the sender's user id), the number found
  through ``jid_map`` goes to ``sender_phone``, so both can be correlated.
* "legacy" (up to 2.21): ``messages`` rows carry text JIDs (``key_remote_jid``; the group sender
  in ``remote_resource``). A database of the 2.21 migration holds both tables: both are read, each
  row with its own ``record_table``, so nothing is lost whichever table the app used.

A WhatsApp JID of a phone is the international number without "+" (``855965550187@s.whatsapp.net``):
the number is given to the engine as ``+855965550187``. Messages and calls go through the bulk path
(one SELECT each, split by row id); every joined table is optional and joined on its primary key.

Codes (WhatsApp publishes none; these are what forensic tools and the app's own views agree on):
``message_type`` / ``media_wa_type`` 0 text, 1 image, 2 audio, 3 video, 5 location, 7 system,
9 document, 15 deleted for everyone, 16 live location, 20 sticker; ``status`` 0 received, 4 sent
(on the server), 5 delivered, 6 system message, 13 read; legacy ``edit_version`` 7 = revoked;
``call_result`` 5 connected, 2 not answered, 0/4/7 cancelled or missed, 3 unavailable.
"""

from __future__ import annotations

from collections.abc import Sequence

from evidence_intake.artefacts.model import Call, Message
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import (
    attachment,
    case_map,
    col,
    from_me_direction,
    iso_time,
    location,
    prefixed,
)
from evidence_intake.parsers.whatsapp_jid import jid_phone_sql

STATUS = {0: "received", 4: "sent", 5: "delivered", 13: "read"}
SYSTEM_STATUS = 6
SYSTEM_TYPE = 7
REVOKED_TYPE = 15
LEGACY_REVOKED_EDIT = 7
LOCATION_TYPES = (5, 16)
MEDIA_TYPES = (1, 2, 3, 9, 13, 20)  # image, audio, video, document, GIF, sticker (legacy: no message_media)
# message_system.action_type, as the open-source exporters decode them; others stay a number.
SYSTEM_ACTIONS = {
    1: "group name changed",
    4: "participant added",
    5: "participant left",
    6: "group icon changed",
    7: "participant removed",
    9: "broadcast list created",
    10: "number changed",
    18: "security code changed",
    27: "group description changed",
}

CURRENT = Schema(
    "current",
    {
        "message": {
            "_id",
            "chat_row_id",
            "from_me",
            "key_id",
            "sender_jid_row_id",
            "status",
            "timestamp",
            "received_timestamp",
            "message_type",
            "text_data",
        },
        "chat": {"_id", "jid_row_id", "subject"},
        "jid": {"_id", "user", "server", "raw_string"},
    },
    note="2.22 and later: message/chat/jid (jid_map for @lid privacy ids)",
)
LEGACY = Schema(
    "legacy",
    {
        "messages": {
            "_id",
            "key_remote_jid",
            "key_from_me",
            "key_id",
            "status",
            "data",
            "timestamp",
            "received_timestamp",
            "media_wa_type",
            "remote_resource",
        }
    },
    note="up to 2.21: messages keyed by text JIDs",
)
CALL_COLUMNS = {"_id", "jid_row_id", "from_me", "timestamp", "video_call", "duration", "call_result"}


def app_name(source: Source) -> str:
    return "WhatsApp Business" if "/com.whatsapp.w4b/" in source.path else "WhatsApp"


def jid_text(alias: str) -> str:
    """The JID of a ``jid`` row as WhatsApp writes it."""
    return f"coalesce({alias}.raw_string, {alias}.user || '@' || {alias}.server)"


def jid_phone(alias: str, mapped: str | None) -> str:
    """'+' and the number of a phone JID row, or of the phone JID a privacy id maps to; else NULL."""
    own = f"CASE WHEN {alias}.server = 's.whatsapp.net' THEN '+' || {alias}.user END"
    if mapped is None:
        return f"({own})"
    return f"coalesce({own}, CASE WHEN {mapped}.server = 's.whatsapp.net' THEN '+' || {mapped}.user END)"


def status_sql(status: str, deleted: str, system: str, action: str) -> str:
    actions = case_map(action, SYSTEM_ACTIONS)
    return (
        f"(CASE WHEN {deleted} THEN 'deleted for everyone' "
        f"WHEN {system} THEN 'system' || coalesce(': ' || {actions}, ' (action ' || {action} || ')', '') "
        f"ELSE coalesce({case_map(status, STATUS)}, 'status ' || {status}) END)"
    )


class WhatsAppParser(Parser):
    name = "android.whatsapp"
    version = "1.1"
    title = "WhatsApp for Android (msgstore.db): messages, groups, media, deleted-for-everyone, calls"
    kinds = (Message, Call)
    globs = (
        "**/com.whatsapp/databases/msgstore.db",
        "**/com.whatsapp.w4b/databases/msgstore.db",
    )
    schemas = (CURRENT, LEGACY)
    references = (
        "msgstore.db table definitions of WhatsApp 2.21 (both generations) and 2.25 (public test data of "
        "frozenspider/chat-history-manager); the app's own message_view maps media_wa_type 0 + status 6 "
        "to message_type 7",
        "KnugiHK/WhatsApp-Chat-Exporter android_handler.py (jid_map for @lid, revoked and system "
        "messages, call_result) and ALEAPP whatsApp (message_type codes)",
    )
    limitations = (
        "Encrypted backups (msgstore.db.crypt14/15) are listed by android.encrypted, not decrypted. "
        "Names are not in msgstore.db: wa.db (android.whatsapp.contacts) has them. Media files are "
        "listed (path on the phone, type, size) but not copied; thumbnails, quoted messages, reactions, "
        "polls, vCards and payment details are not decoded. A shared location's coordinates are put "
        "before the text as 'Location: lat, lon (place)'. System messages keep the action as a word "
        "(or its number) in status. A message deleted for everyone has no text left; messages deleted "
        "for me and cleared chats are gone unless still in the -wal. In a database of the 2.21 "
        "migration both tables are read, so a message copied into the new table appears twice "
        "(record_table tells them apart). Group calls give the JID the call was logged with, not every "
        "participant."
    )

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        app = app_name(source)
        queries: list[BulkQuery] = []
        if source.schema is not None and source.schema.name == CURRENT.name:
            queries.append(self._current(source, app))
        if not LEGACY.missing(source.info):
            queries.append(self._legacy(source, app))
        if all(source.has_column("call_log", c) for c in CALL_COLUMNS) and source.has_table("jid"):
            queries.append(self._calls(source, app))
        return queries

    @staticmethod
    def _lookups(source: Source, *, chats: bool) -> str:
        """WITH clause: ``jx`` (every jid row: its JID text, server, and number, through jid_map for a
        privacy id) and, with ``chats``, ``cx`` (every chat: name, JID, number, group or not).

        Materialised once per statement and joined by row id, so that each message costs one lookup
        for its chat and one for its sender instead of up to seven joins, and the JID and number
        expressions are computed once per JID instead of several times per message.
        """
        mapped = source.has_table("jid_map")
        mapping = (
            "LEFT JOIN src.jid_map AS map ON map.lid_row_id = j._id "
            "LEFT JOIN src.jid AS pj ON pj._id = map.jid_row_id"
            if mapped
            else ""
        )
        jx = (
            f"jx AS MATERIALIZED (SELECT j._id AS id, {jid_text('j')} AS jid, j.server AS server, "
            f"{jid_phone('j', 'pj' if mapped else None)} AS phone FROM src.jid AS j {mapping})"
        )
        if not chats:
            return f"WITH {jx}"
        cx = (
            "cx AS MATERIALIZED (SELECT c._id AS id, c.subject AS subject, jx.jid AS jid, jx.phone AS phone, "
            "coalesce(jx.server IN ('g.us', 'broadcast'), 0) AS grp FROM src.chat AS c "
            "LEFT JOIN jx ON jx.id = c.jid_row_id)"
        )
        return f"WITH {jx}, {cx}"

    def _current(self, source: Source, app: str) -> BulkQuery:
        joins = [
            "LEFT JOIN cx ON cx.id = m.chat_row_id",
            "LEFT JOIN jx AS sx ON sx.id = m.sender_jid_row_id",
        ]
        media = source.has_table("message_media")
        if media:
            joins.append("LEFT JOIN src.message_media AS mm ON mm.message_row_id = m._id")
        revoked = "mr.message_row_id IS NOT NULL" if source.has_table("message_revoked") else "0"
        if source.has_table("message_revoked"):
            joins.append("LEFT JOIN src.message_revoked AS mr ON mr.message_row_id = m._id")
        action = "NULL"
        if source.has_column("message_system", "action_type"):
            joins.append("LEFT JOIN src.message_system AS ms ON ms.message_row_id = m._id")
            action = "ms.action_type"
        place = "NULL"
        lat = lon = "NULL"
        if source.has_column("message_location", "latitude"):
            joins.append("LEFT JOIN src.message_location AS ml ON ml.message_row_id = m._id")
            lat, lon = "ml.latitude", col(source, "message_location", "longitude", "ml")
            place = col(source, "message_location", "place_name", "ml")

        # A group message names its sender; a 1:1 message's sender is the chat.
        sender = "(CASE WHEN sx.id IS NOT NULL THEN sx.jid WHEN cx.grp THEN NULL ELSE cx.jid END)"
        sender_phone = "(CASE WHEN sx.id IS NOT NULL THEN sx.phone WHEN cx.grp THEN NULL ELSE cx.phone END)"
        deleted = f"(m.message_type = {REVOKED_TYPE} OR {revoked})"
        system = f"(m.message_type = {SYSTEM_TYPE} OR m.status = {SYSTEM_STATUS})"
        caption = col(source, "message_media", "media_caption", "mm") if media else "NULL"
        text = f"coalesce(m.text_data, {caption})"
        attachments = "'[]'"
        if media:

            def mm(name: str) -> str:
                return col(source, "message_media", name, "mm")

            listed = attachment(mm("media_name"), mm("mime_type"), mm("file_path"), mm("file_size"))
            attachments = f"CASE WHEN mm.message_row_id IS NOT NULL THEN {listed} ELSE '[]' END"
        body = text
        if lat != "NULL":  # most messages have no location row: test that first, build the text only then
            body = f"CASE WHEN {lat} IS NULL THEN {text} ELSE {prefixed(location(lat, lon, place), text)} END"
        incoming = "m.from_me = 0"
        outgoing = "m.from_me = 1"
        sql = f"""
            {self._lookups(source, chats=True)}
            SELECT
              m._id AS record_rowid,
              '{app}' AS app,
              cx.jid AS thread_id,
              cx.subject AS thread_name,
              CASE WHEN {incoming} THEN {sender} END AS sender,
              CASE WHEN {incoming} THEN {sender_phone} END AS sender_phone,
              CASE WHEN {incoming} THEN {sender} END AS sender_user_id,
              CASE WHEN {outgoing} AND cx.jid IS NOT NULL THEN json_array(cx.jid) ELSE '[]' END AS recipients,
              CASE WHEN {outgoing} AND NOT cx.grp AND cx.phone IS NOT NULL THEN json_array(cx.phone)
                ELSE '[]' END AS recipient_phones,
              {from_me_direction("m.from_me")} AS direction,
              {status_sql("m.status", deleted, system, action)} AS status,
              {iso_time("m.timestamp", unit="ms")} AS sent_at,
              m.timestamp AS sent_at_raw,
              CASE WHEN {incoming} THEN {iso_time("m.received_timestamp", unit="ms")} END AS received_at,
              CASE WHEN {incoming} THEN m.received_timestamp END AS received_at_raw,
              {body} AS body,
              {attachments} AS attachments,
              CASE WHEN {deleted} THEN 1 ELSE 0 END AS is_deleted
            FROM src.message AS m
            {" ".join(joins)}
        """
        return BulkQuery(kind=Message, table="message", sql=sql, label="message")

    def _legacy(self, source: Source, app: str) -> BulkQuery:
        joins: list[str] = []
        media = source.has_column("message_media", "message_row_id")
        if media:
            joins.append("LEFT JOIN src.message_media AS mm ON mm.message_row_id = m._id")
        action = "NULL"
        if source.has_column("message_system", "action_type"):
            joins.append("LEFT JOIN src.message_system AS ms ON ms.message_row_id = m._id")
            action = "ms.action_type"
        names: list[str] = []
        lookups = ""
        if source.has_column("chat_list", "subject"):  # key_remote_jid is UNIQUE: an index lookup
            names.append(
                "(SELECT cl.subject FROM src.chat_list AS cl WHERE cl.key_remote_jid = m.key_remote_jid)"
            )
        if all(source.has_column("chat", c) for c in ("jid_row_id", "subject")) and source.has_column(
            "jid", "raw_string"
        ):
            # jid.raw_string is not indexed in every version: the names are gathered once per statement
            lookups = (
                "WITH lx AS MATERIALIZED (SELECT j.raw_string AS jid, max(c.subject) AS subject "
                "FROM src.jid AS j JOIN src.chat AS c ON c.jid_row_id = j._id "
                "WHERE c.subject IS NOT NULL GROUP BY j.raw_string)"
            )
            joins.append("LEFT JOIN lx ON lx.jid = m.key_remote_jid")
            names.append("lx.subject")
        thread_name = f"coalesce({', '.join(names)}, NULL)" if names else "NULL"
        kind = "CAST(m.media_wa_type AS INTEGER)"
        group = "(m.key_remote_jid LIKE '%@g.us' OR m.key_remote_jid LIKE '%@broadcast')"
        sender = f"(CASE WHEN {group} THEN nullif(m.remote_resource, '') ELSE m.key_remote_jid END)"
        edit = col(source, "messages", "edit_version", "m")
        deleted = f"({kind} = {REVOKED_TYPE} OR coalesce({edit}, 0) = {LEGACY_REVOKED_EDIT})"
        system = f"(m.status = {SYSTEM_STATUS})"
        mime = col(source, "messages", "media_mime_type", "m")
        mname = col(source, "messages", "media_name", "m")
        msize = col(source, "messages", "media_size", "m")
        path = "mm.file_path" if media else "NULL"
        if media:
            mime = f"coalesce({col(source, 'message_media', 'mime_type', 'mm')}, {mime})"
            mname = f"coalesce({col(source, 'message_media', 'media_name', 'mm')}, {mname})"
            msize = f"coalesce({col(source, 'message_media', 'file_size', 'mm')}, {msize})"
        has_media = (
            f"NOT {system} AND ({'mm.message_row_id IS NOT NULL OR ' if media else ''}"
            f"{kind} IN {MEDIA_TYPES} OR {col(source, 'messages', 'media_mime_type', 'm')} IS NOT NULL)"
        )
        lat = col(source, "messages", "latitude", "m")
        lon = col(source, "messages", "longitude", "m")
        where_location = f"(CASE WHEN {kind} IN {LOCATION_TYPES} THEN {location(lat, lon)} END)"
        text = f"coalesce(m.data, {col(source, 'messages', 'media_caption', 'm')})"
        incoming = "m.key_from_me = 0"
        sql = f"""
            {lookups}
            SELECT
              m._id AS record_rowid,
              '{app}' AS app,
              m.key_remote_jid AS thread_id,
              {thread_name} AS thread_name,
              CASE WHEN {incoming} THEN {sender} END AS sender,
              CASE WHEN {incoming} THEN {jid_phone_sql(sender)} END AS sender_phone,
              CASE WHEN {incoming} THEN {sender} END AS sender_user_id,
              CASE WHEN m.key_from_me = 1 AND m.key_remote_jid IS NOT NULL THEN json_array(m.key_remote_jid)
                ELSE '[]' END AS recipients,
              CASE WHEN m.key_from_me = 1 AND {jid_phone_sql("m.key_remote_jid")} IS NOT NULL
                THEN json_array({jid_phone_sql("m.key_remote_jid")}) ELSE '[]' END AS recipient_phones,
              {from_me_direction("m.key_from_me")} AS direction,
              {status_sql("m.status", deleted, system, action)} AS status,
              {iso_time("m.timestamp", unit="ms")} AS sent_at,
              m.timestamp AS sent_at_raw,
              CASE WHEN {incoming} THEN {iso_time("m.received_timestamp", unit="ms")} END AS received_at,
              CASE WHEN {incoming} THEN m.received_timestamp END AS received_at_raw,
              {prefixed(where_location, text)} AS body,
              CASE WHEN {has_media} THEN {attachment(mname, mime, path, msize)} ELSE '[]' END AS attachments,
              CASE WHEN {deleted} THEN 1 ELSE 0 END AS is_deleted
            FROM src.messages AS m
            {" ".join(joins)}
            WHERE m.key_remote_jid IS NOT '-1'
        """
        return BulkQuery(kind=Message, table="messages", sql=sql, label="messages (legacy)")

    def _calls(self, source: Source, app: str) -> BulkQuery:
        missed = "cl.call_result IN (0, 2, 4, 7) AND cl.from_me = 0"
        status = (
            "(CASE WHEN cl.call_result = 5 THEN 'answered' "
            f"WHEN {missed} THEN 'missed' "
            "WHEN cl.call_result = 2 THEN 'not answered' "
            "WHEN cl.call_result IN (0, 4, 7) THEN 'cancelled' "
            "WHEN cl.call_result = 3 THEN 'unavailable' "
            "ELSE 'result ' || cl.call_result END)"
        )
        sql = f"""
            {self._lookups(source, chats=False)}
            SELECT
              cl._id AS record_rowid,
              '{app}' AS app,
              coalesce(jx.phone, jx.jid) AS number,
              {from_me_direction("cl.from_me")} AS direction,
              {status} AS status,
              CASE WHEN cl.video_call THEN 'video' ELSE 'voice' END AS call_type,
              {iso_time("cl.timestamp", unit="ms")} AS started_at,
              cl.timestamp AS started_at_raw,
              cl.duration AS duration_s,
              cl.duration AS duration_raw
            FROM src.call_log AS cl
            LEFT JOIN jx ON jx.id = cl.jid_row_id
        """
        return BulkQuery(kind=Call, table="call_log", sql=sql, label="call_log")
