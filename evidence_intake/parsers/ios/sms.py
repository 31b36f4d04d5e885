"""iOS Messages: SMS, MMS, iMessage and RCS in ``sms.db`` (the same layout as macOS ``chat.db``).

One ``Message`` per ``message`` row. The conversation is the ``chat`` the message is joined to
(``chat_message_join``, or ``chat_recoverable_message_join`` for a message in "Recently Deleted");
its members (``chat_handle_join``) are the recipients of the owner's messages and, in a group, the
other recipients of an incoming one. ``handle`` holds the other party's phone number or Apple ID
e-mail and the country the phone thought it was in (the per-record phone region).

Two paths over one SELECT (``_select``):

* rows whose text is in ``message.text`` go through ``bulk``;
* rows whose ``text`` is NULL but whose ``attributedBody`` is set (common from iOS 16) go through
  the typed ``parse``, which decodes the archived attributed string in Python (``typedstream``).

Times: ``date`` is Mac absolute time (since 2001-01-01), in seconds up to iOS 10 and in nanoseconds
from iOS 11; a database restored from an older phone holds both. Each value is read by its size, as
plaso does: above 10^9 it is nanoseconds (10^9 seconds would be in 2033; 10^9 nanoseconds is the
first second of 2001).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from evidence_intake.artefacts.model import Artefact, Attachment, Direction, Locator, Message
from evidence_intake.artefacts.text import concat
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.ios.common import has_leading_index
from evidence_intake.parsers.ios.typedstream import TypedStreamError, attributed_string_text
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import col, iso_time, outgoing_if
from evidence_intake.parsers.times import mac_absolute, mac_ns

NANOSECONDS_ABOVE = 1_000_000_000
PLACEHOLDER = "\ufffc"  # OBJECT REPLACEMENT CHARACTER: where an attachment sits in the text
BLANK = PLACEHOLDER + " \t\r\n"
BLANK_SQL = "char(65532, 32, 9, 13, 10)"
ATTRIBUTED_ONLY = "m.text IS NULL AND m.attributedBody IS NOT NULL"

MESSAGE_COLUMNS = {"ROWID", "guid", "text", "handle_id", "date", "is_from_me"}
CORE = {
    "message": MESSAGE_COLUMNS,
    "handle": {"ROWID", "id"},
    "chat": {"ROWID", "guid"},
    "chat_message_join": {"chat_id", "message_id"},
    "chat_handle_join": {"chat_id", "handle_id"},
}


def mac_time(value: object) -> Any:
    """``date`` as the typed path reads it: nanoseconds above 10^9, else seconds (see module doc)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > NANOSECONDS_ABOVE:
        return mac_ns(value)
    return mac_absolute(value)


def mac_time_sql(expr: str) -> str:
    """The same rule in SQL, for the bulk path."""
    return (
        f"(CASE WHEN abs({expr}) > {NANOSECONDS_ABOVE} THEN {iso_time(expr, unit='ns', epoch='mac')} "
        f"ELSE {iso_time(expr, unit='s', epoch='mac')} END)"
    )


def blank_to_null(expr: str) -> str:
    """``expr`` unchanged, or NULL when it is only attachment placeholders and white space."""
    return f"(CASE WHEN trim({expr}, {BLANK_SQL}) = '' THEN NULL ELSE {expr} END)"


def with_subject(subject: str | None, body: str | None) -> str | None:
    if subject:
        return concat("Subject: ", subject, "\n", body) if body else concat("Subject: ", subject)
    return body


class IosSmsParser(Parser):
    name = "ios.sms"
    version = "1.1"
    title = "iOS Messages: SMS, MMS, iMessage, RCS (sms.db)"
    kinds = (Message,)
    globs = ("**/Library/SMS/sms.db",)
    schemas = (
        Schema(
            "recently-deleted",
            {**CORE, "chat_recoverable_message_join": {"chat_id", "message_id"}},
            note="iOS 16 and later: deleted messages wait 30 days in chat_recoverable_message_join",
        ),
        Schema("messages", CORE, note="iOS 6 to 15"),
    )
    references = (
        "macOS/iOS chat.db schema (message, handle, chat, chat_message_join, chat_handle_join, attachment, "
        "message_attachment_join, chat_recoverable_message_join)",
        "plaso parsers/sqlite_plugins/imessage.py and iLEAPP sms.py (date in seconds or nanoseconds)",
        "NeXTSTEP/GNUstep typedstream.h (NSArchiver format of attributedBody)",
    )
    limitations = (
        "From attributedBody only the plain text is decoded: mentions, links, text effects, message "
        "parts and the edit history (message_summary_info) are not. Attachment files are listed (name, "
        "type, path on the phone, size), not copied; a text that is only attachment placeholders (U+FFFC) "
        "is given as no text. Reactions (tapbacks) are kept as the text iOS stores for them. Rows that are "
        "group events (item_type not 0: members added or removed, group renamed) are kept with status "
        "'event (item_type N)' and the new group name as text when there is one; their kind is not decoded. "
        "date_read and date_delivered are given only as the status words 'read'/'delivered'. Messages in "
        "Recently Deleted are flagged is_deleted; purged messages (deleted_messages holds only their guid) "
        "and free pages are not recovered."
    )

    # --- the one SELECT both paths read ---------------------------------------------------------

    def _select(self, source: Source, *, bulk: bool) -> str:
        """One row per message. ``bulk`` gives the engine's columns (times converted in SQL, body built);
        otherwise the typed path gets raw columns and finishes in Python."""
        src = "src." if bulk else ""

        def message(name: str, default: str = "NULL") -> str:
            return col(source, "message", name, "m", default=default)

        def chat(name: str) -> str:
            return col(source, "chat", name, "c")

        from_me = f"coalesce({message('is_from_me', '0')}, 0) = 1"
        status = _status(from_me, *(message(c, "0") for c in STATUS_COLUMNS))
        service = message("service")
        app = f"coalesce(nullif({service}, ''), nullif({chat('service_name')}, ''), 'Messages')"
        caller = message("destination_caller_id")
        login = chat("account_login")
        account = f"coalesce(nullif({caller}, ''), CASE WHEN length({login}) > 2 THEN {login} END)"
        joins, chat_id, is_deleted = _chat_of_message(source, src)
        attachments = "'[]'"
        if source.has_table("attachment") and source.has_table("message_attachment_join"):
            wanted = ("transfer_name", "mime_type", "filename", "total_bytes")
            name, mime, path, size = (col(source, "attachment", c, "a") for c in wanted)
            attachments = (
                "(SELECT json_group_array(json_object('name', name, 'mime_type', mime, 'path', path, "
                f"'size', size)) FROM (SELECT {name} AS name, {mime} AS mime, {path} AS path, {size} AS size "
                f"FROM {src}message_attachment_join AS maj JOIN {src}attachment AS a "
                "ON a.ROWID = maj.attachment_id WHERE maj.message_id = m.ROWID ORDER BY a.ROWID))"
            )
        subject = message("subject")
        group_title = message("group_title")
        if bulk:
            body = f"coalesce({blank_to_null('m.text')}, nullif({group_title}, ''))"
            body = (
                f"CASE WHEN nullif({subject}, '') IS NOT NULL THEN 'Subject: ' || {subject} "
                f"|| coalesce(char(10) || {body}, '') ELSE {body} END"
            )
            times = f"{mac_time_sql('m.date')} AS sent_at, m.date AS sent_at_raw, {body} AS body,"
            where = f"WHERE NOT ({ATTRIBUTED_ONLY})" if source.has_column("message", "attributedBody") else ""
        else:
            times = (
                f"m.date AS sent_at_raw, {subject} AS subject, nullif({group_title}, '') AS group_title, "
                "m.attributedBody AS attributed_body,"
            )
            where = f"WHERE {ATTRIBUTED_ONLY}"
        sender = f"CASE WHEN NOT ({from_me}) THEN h.id END"
        return f"""
            SELECT
              m.ROWID AS record_rowid,
              {app} AS app,
              {account} AS account,
              c.guid AS thread_id,
              nullif({chat("display_name")}, '') AS thread_name,
              {sender} AS sender,
              CASE WHEN instr({sender}, '@') = 0 THEN {sender} END AS sender_phone,
              CASE WHEN instr({sender}, '@') > 0 THEN {sender} END AS sender_user_id,
              {_recipients(from_me, phones=False)} AS recipients,
              {_recipients(from_me, phones=True)} AS recipient_phones,
              {outgoing_if(from_me)} AS direction,
              {status} AS status,
              {times}
              {attachments} AS attachments,
              {is_deleted} AS is_deleted,
              upper(nullif({col(source, "handle", "country", "h")}, '')) AS region
            FROM {src}message AS m
            LEFT JOIN {src}handle AS h ON h.ROWID = m.handle_id
            {joins}
            LEFT JOIN {src}chat AS c ON c.ROWID = {chat_id}
            {_members_join(src)}
            {where}
        """

    # --- the two paths ----------------------------------------------------------------------------

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        return [
            BulkQuery(kind=Message, table="message", sql=self._select(source, bulk=True), label="message")
        ]

    def parse(self, source: Source) -> Iterator[Artefact]:
        if not source.has_column("message", "attributedBody"):
            return
        for row in source.rows(self._select(source, bulk=False) + " ORDER BY m.ROWID"):
            rowid = row["record_rowid"]
            locator = Locator(table="message", rowid=rowid)
            try:
                text: str | None = attributed_string_text(row["attributed_body"])
            except TypedStreamError as exc:
                source.warn(
                    f"attributedBody not decoded ({exc}): the message is kept without its text", locator
                )
                text = None
            if text is not None and not text.strip(BLANK):
                text = None
            text = text if text is not None else row["group_title"]
            yield Message(
                locator=locator,
                region=row["region"],
                app=row["app"],
                account=row["account"],
                thread_id=row["thread_id"],
                thread_name=row["thread_name"],
                sender=row["sender"],
                sender_phone=row["sender_phone"],
                sender_user_id=row["sender_user_id"],
                recipients=tuple(_json_list(row["recipients"])),
                recipient_phones=tuple(_json_list(row["recipient_phones"])),
                direction=Direction(row["direction"]),
                status=row["status"],
                sent_at=mac_time(row["sent_at_raw"]),
                sent_at_raw=row["sent_at_raw"],
                body=with_subject(row["subject"], text),
                attachments=tuple(
                    Attachment(
                        name=a.get("name"),
                        mime_type=a.get("mime_type"),
                        path=a.get("path"),
                        size=a.get("size"),
                    )
                    for a in _json_list(row["attachments"])
                    if isinstance(a, dict)
                ),
                is_deleted=bool(row["is_deleted"]),
            )


STATUS_COLUMNS = ("item_type", "error", "is_read", "is_delivered", "is_sent")


def _status(from_me: str, item_type: str, error: str, is_read: str, is_delivered: str, is_sent: str) -> str:
    return (
        f"CASE WHEN coalesce({item_type}, 0) != 0 THEN 'event (item_type ' || {item_type} || ')' "
        f"WHEN {from_me} THEN CASE "
        f"WHEN coalesce({error}, 0) != 0 THEN 'failed (error ' || {error} || ')' "
        f"WHEN {is_read} = 1 THEN 'read' WHEN {is_delivered} = 1 THEN 'delivered' "
        f"WHEN {is_sent} = 1 THEN 'sent' ELSE 'not sent' END "
        f"ELSE CASE WHEN {is_read} = 1 THEN 'read' ELSE 'unread' END END"
    )


def _chat_of_message(source: Source, src: str) -> tuple[str, str, str]:
    """(joins, chat id expression, is_deleted expression) for the chat a message belongs to.

    By index lookups when the file has the indexes Messages creates on ``message_id``, else through
    one grouped pass over the join table (see ``has_leading_index``). A message in Recently Deleted
    is only in ``chat_recoverable_message_join``.
    """
    joins: list[str] = []
    chats: list[str] = []
    deleted = "0"
    for table, alias in (("chat_message_join", "cj"), ("chat_recoverable_message_join", "rj")):
        if not source.has_table(table):
            continue
        if has_leading_index(source, table, "message_id"):
            chat = (
                f"(SELECT min({alias}.chat_id) FROM {src}{table} AS {alias} "
                f"WHERE {alias}.message_id = m.ROWID)"
            )
        else:
            joins.append(
                f"LEFT JOIN (SELECT message_id, min(chat_id) AS chat_id FROM {src}{table} "
                f"GROUP BY message_id) AS {alias} ON {alias}.message_id = m.ROWID"
            )
            chat = f"{alias}.chat_id"
        chats.append(chat)
        if alias == "rj":
            deleted = f"({chat} IS NOT NULL)"
    return "\n".join(joins), f"coalesce({', '.join(chats)}, NULL)", deleted


def _members_join(src: str) -> str:
    """A join giving each chat's members once (``mem.ids``, ``mem.phones``: JSON lists of handle ids in
    handle order), instead of gathering them again for every message of the chat. The GROUP BY keeps
    SQLite from folding the subquery into the message loop: it is computed once, then looked up."""

    def ids(where: str) -> str:
        return (
            f"(SELECT json_group_array(id) FROM (SELECT h2.id FROM {src}chat_handle_join AS ch "
            f"JOIN {src}handle AS h2 ON h2.ROWID = ch.handle_id WHERE ch.chat_id = c2.ROWID "
            f"AND h2.id IS NOT NULL{where} ORDER BY h2.ROWID))"
        )

    everyone, phones = ids(""), ids(" AND instr(h2.id, '@') = 0")
    return (
        f"LEFT JOIN (SELECT c2.ROWID AS chat_id, {everyone} AS ids, {phones} AS phones FROM {src}chat AS c2 "
        "GROUP BY c2.ROWID) AS mem ON mem.chat_id = c.ROWID"
    )


def _recipients(from_me: str, *, phones: bool) -> str:
    """The owner's messages go to the chat's members (or the message's handle when the chat has none);
    an incoming message also went to the group's other members (all but its sender)."""
    members = "mem.phones" if phones else "mem.ids"
    own = "h.id IS NOT NULL" + (" AND instr(h.id, '@') = 0" if phones else "")
    others = f"(SELECT json_group_array(value) FROM json_each({members}) WHERE value IS NOT h.id)"
    fallback = f"CASE WHEN {own} THEN json_array(h.id) END"
    return (
        f"CASE WHEN {from_me} THEN coalesce(nullif({members}, '[]'), {fallback}, '[]') "
        f"WHEN json_array_length({members}) > 1 OR h.id IS NULL THEN coalesce({others}, '[]') ELSE '[]' END"
    )


def _json_list(text: str | None) -> list[Any]:
    if not text:
        return []
    value = json.loads(text)
    return value if isinstance(value, list) else []
