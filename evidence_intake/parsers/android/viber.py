"""Viber for Android (``com.viber.voip``): ``viber_messages`` and ``viber_data``.

The app splits its data over two databases, told apart by their tables (two layouts of one parser):

* ``viber_messages``: ``messages`` (``send_type`` 0 incoming, 1 outgoing; ``msg_date`` Unix ms;
  ``address`` the other party's number), ``conversations`` (group name), ``participants`` and
  ``participants_info`` (number, names and Viber member id of each person; ``participant_type`` 0
  is the phone's owner, which gives the owner ``Account``). A message's ``participant_id`` is a
  ``participants`` row, which points to ``participants_info`` (as the app's own queries join them).
* ``viber_data``: the address book as Viber saw it (``phonebookcontact`` + ``phonebookdata``, the
  Viber users among it in ``vibernumbers``) and the call log (``calls``).

Messages, contacts and calls go through the bulk path; the owner account through the typed path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from evidence_intake.artefacts.model import Account, Artefact, Call, Contact, Locator, Message
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import (
    attachment,
    case_map,
    col,
    from_me_direction,
    iso_time,
    optional_columns,
)

OWNER = 0  # participants_info.participant_type of the phone's owner
MEDIA = {1: "image/*", 3: "video/*"}  # messages.extra_mime; 0 is text; others are not told apart
PHONE_MIME = 0  # phonebookdata.mime_type of a phone number (data1 as written, data2 canonized)
CALL_DIRECTION = {1: "incoming", 2: "outgoing", 3: "incoming"}
CALL_STATUS = {3: "missed"}
CALL_TYPE = {1: "voice", 4: "video"}

MESSAGES = Schema(
    "viber_messages",
    {
        "messages": {"_id", "msg_date", "address", "conversation_id", "participant_id", "body", "send_type"},
        "conversations": {"_id"},
    },
)
DATA = Schema(
    "viber_data",
    {
        "phonebookcontact": {"_id", "display_name"},
        "phonebookdata": {"_id", "contact_id", "data1", "mime_type"},
    },
)
CALL_COLUMNS = ("_id", "date", "duration", "type")


class ViberParser(Parser):
    name = "android.viber"
    version = "1.1"
    title = "Viber for Android (viber_messages, viber_data): chats, owner, address book, calls"
    kinds = (Message, Account, Contact, Call)
    globs = (
        "**/com.viber.voip/databases/viber_messages",
        "**/com.viber.voip/databases/viber_data",
    )
    schemas = (MESSAGES, DATA)
    references = (
        "Autopsy InternalPythonModules/android/viber.py (messages, participants, participants_info; "
        "phonebookcontact + phonebookdata; calls: type 1 in, 2 out, 3 missed; viber_call_type 1 audio, "
        "4 video)",
        "ALEAPP viber (Android); the app's own joins messages.participant_id = participants._id, "
        "participants.participant_info_id = participants_info._id",
    )
    limitations = (
        "Media files are listed with the URI Viber recorded and only the family of the type (image/*, "
        "video/*); stickers, locations, polls and the JSON in msg_info are not decoded. Message status codes "
        "are not decoded (only deleted is). A message flagged deleted is kept with is_deleted; messages "
        "removed from the table are only found when still in the -wal. Calls give the number only (names are "
        "in the contacts)."
    )

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        if source.schema is not None and source.schema.name == DATA.name:
            queries = [self._contacts(source)]
            if all(source.has_column("calls", c) for c in CALL_COLUMNS):
                queries.append(self._calls(source))
            return queries
        return [self._messages(source)]

    def _messages(self, source: Source) -> BulkQuery:
        joins = ["LEFT JOIN src.conversations AS c ON c._id = m.conversation_id"]
        info = source.has_column("participants", "participant_info_id") and source.has_column(
            "participants_info", "_id"
        )
        owner = "NULL"
        if info:
            kind = col(source, "participants_info", "participant_type", "pi")
            joins += [
                "LEFT JOIN src.participants AS p ON p._id = m.participant_id",
                "LEFT JOIN src.participants_info AS pi ON pi._id = p.participant_info_id "
                f"AND coalesce({kind}, -1) != {OWNER}",
            ]
            if source.has_column("participants_info", "participant_type") and source.has_column(
                "participants_info", "number"
            ):
                owner = (
                    f"(SELECT o.number FROM src.participants_info AS o WHERE o.participant_type = {OWNER} "
                    "ORDER BY o._id LIMIT 1)"
                )

        def pi(name: str) -> str:
            return col(source, "participants_info", name, "pi") if info else "NULL"

        kind_of_chat = col(source, "conversations", "conversation_type", "c")
        group_of_chat = col(source, "conversations", "group_id", "c")
        group = f"(coalesce({kind_of_chat}, 0) != 0 OR coalesce({group_of_chat}, 0) != 0)"
        other = f"coalesce(nullif(m.address, ''), {col(source, 'conversations', 'recipient_number', 'c')})"
        sender = f"coalesce(nullif({pi('number')}, ''), nullif(m.address, ''))"
        names = ", ".join(f"nullif({pi(n)}, '')" for n in ("contact_name", "display_name", "viber_name"))
        incoming = "m.send_type = 0"
        outgoing = "m.send_type = 1"
        mime = col(source, "messages", "extra_mime", "m")
        uri = f"nullif({col(source, 'messages', 'extra_uri', 'm')}, '')"
        attachments = (
            f"CASE WHEN coalesce({mime}, 0) != 0 OR {uri} IS NOT NULL THEN "
            f"{attachment('NULL', case_map(mime, MEDIA), uri, 'NULL')} ELSE '[]' END"
        )
        deleted = f"coalesce({col(source, 'messages', 'deleted', 'm')}, 0) != 0"
        group_id = f"CAST(nullif({col(source, 'conversations', 'group_id', 'c')}, 0) AS TEXT)"
        sql = f"""
            SELECT
              m._id AS record_rowid,
              'Viber' AS app,
              {owner} AS account,
              CAST(m.conversation_id AS TEXT) AS thread_id,
              nullif({col(source, "conversations", "name", "c")}, '') AS thread_name,
              CASE WHEN {incoming} THEN {sender} END AS sender,
              CASE WHEN {incoming} THEN {sender} END AS sender_phone,
              CASE WHEN {incoming} THEN nullif({pi("member_id")}, '') END AS sender_user_id,
              CASE WHEN {incoming} THEN coalesce({names}, NULL) END AS sender_name,
              CASE WHEN NOT {outgoing} THEN '[]'
                   WHEN {group} THEN CASE WHEN {group_id} IS NULL THEN '[]' ELSE json_array({group_id}) END
                   WHEN {other} IS NOT NULL THEN json_array({other}) ELSE '[]' END AS recipients,
              CASE WHEN {outgoing} AND NOT {group} AND {other} IS NOT NULL THEN json_array({other})
                   ELSE '[]' END AS recipient_phones,
              {from_me_direction("m.send_type")} AS direction,
              CASE WHEN {deleted} THEN 'deleted' END AS status,
              {iso_time("m.msg_date", unit="ms")} AS sent_at,
              m.msg_date AS sent_at_raw,
              m.body AS body,
              {attachments} AS attachments,
              CASE WHEN {deleted} THEN 1 ELSE 0 END AS is_deleted
            FROM src.messages AS m
            {" ".join(joins)}
        """
        return BulkQuery(kind=Message, table="messages", sql=sql, label="messages")

    def _contacts(self, source: Source) -> BulkQuery:
        phones = (
            "(SELECT json_group_array(json_object('number', d.data1, 'label', NULL)) FROM "
            "(SELECT data1 FROM src.phonebookdata WHERE contact_id = pc._id AND mime_type = "
            f"{PHONE_MIME} AND nullif(data1, '') IS NOT NULL ORDER BY _id) AS d)"
        )
        handles = "'[]'"
        if source.has_column("vibernumbers", "member_id") and source.has_column(
            "vibernumbers", "canonized_number"
        ):
            handles = (
                "(SELECT json_group_array(json_object('app', 'Viber', 'user_id', v.member_id, "
                "'username', NULL)) "
                "FROM (SELECT DISTINCT vn.member_id FROM src.phonebookdata AS d JOIN src.vibernumbers AS vn "
                f"ON vn.canonized_number = {col(source, 'phonebookdata', 'data2', 'd')} "
                f"WHERE d.contact_id = pc._id AND d.mime_type = {PHONE_MIME} "
                "AND nullif(vn.member_id, '') IS NOT NULL "
                "ORDER BY vn.member_id) AS v)"
            )
        sql = f"""
            SELECT
              pc._id AS record_rowid,
              'Viber' AS app,
              nullif(pc.display_name, '') AS name,
              {phones} AS phones,
              {handles} AS handles,
              coalesce({col(source, "phonebookcontact", "deleted", "pc")}, 0) != 0 AS is_deleted
            FROM src.phonebookcontact AS pc
        """
        return BulkQuery(kind=Contact, table="phonebookcontact", sql=sql, label="phonebookcontact")

    def _calls(self, source: Source) -> BulkQuery:
        canonized = col(source, "calls", "canonized_number", "cl")
        number = f"coalesce(nullif({canonized}, ''), {col(source, 'calls', 'number', 'cl')})"
        kind = col(source, "calls", "viber_call_type", "cl")
        sql = f"""
            SELECT
              cl._id AS record_rowid,
              'Viber' AS app,
              {number} AS number,
              {case_map("cl.type", CALL_DIRECTION, default="unknown")} AS direction,
              {case_map("cl.type", CALL_STATUS)} AS status,
              {case_map(kind, CALL_TYPE)} AS call_type,
              {iso_time("cl.date", unit="ms")} AS started_at,
              cl.date AS started_at_raw,
              cl.duration AS duration_s,
              cl.duration AS duration_raw
            FROM src.calls AS cl
        """
        return BulkQuery(kind=Call, table="calls", sql=sql, label="calls")

    def parse(self, source: Source) -> Iterator[Artefact]:
        if source.schema is None or source.schema.name != MESSAGES.name:
            return
        if not source.has_column("participants_info", "participant_type"):
            return
        wanted = ("number", "display_name", "member_id", "viber_name")
        columns = optional_columns(source, "participants_info", wanted)
        sql = f"SELECT _id, {columns} FROM participants_info WHERE participant_type = {OWNER} ORDER BY _id"
        for row in source.rows(sql):
            yield Account(
                locator=Locator(table="participants_info", rowid=row["_id"]),
                app="Viber",
                user_id=row["member_id"] or None,
                phone=row["number"] or None,
                display_name=row["display_name"] or row["viber_name"] or None,
            )
