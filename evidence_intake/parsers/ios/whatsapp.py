"""WhatsApp for iOS: chats (``ChatStorage.sqlite``), contacts (``ContactsV2``), calls (``CallHistory``).

All three are Core Data stores in the app's shared AppGroup folder: a UUID on the phone
(``/private/var/mobile/Containers/Shared/AppGroup/<UUID>/``), the group id in an iTunes backup
(``group.net.whatsapp.WhatsApp.shared``; ``…WhatsAppSMB.shared`` is WhatsApp Business). Times are Mac
absolute seconds (floats).

People are known by JIDs: ``<number>@s.whatsapp.net`` for a phone number, ``<id>@g.us`` for a group,
and since 2024 ``<id>@lid``, a privacy id with no number in it. A phone JID gives the number
("+" and the digits before "@"); a LID gives none here. The pairs of both ids are in ContactsV2
(``ZLID`` beside ``ZWHATSAPPID``): ``ios.whatsapp.contacts`` puts both on one contact, which is how a
LID is tied to a number across the case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from evidence_intake.artefacts.model import (
    Artefact,
    Call,
    Contact,
    Direction,
    Handle,
    Locator,
    Message,
    Phone,
)
from evidence_intake.artefacts.text import concat, join_text
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.ios.common import app_group
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import (
    attachment,
    col,
    iso_time,
    location,
    optional_columns,
    outgoing_if,
    prefixed,
    quote,
)
from evidence_intake.parsers.times import mac_absolute
from evidence_intake.parsers.whatsapp_jid import jid_phone, jid_phone_sql

APP_GROUP = "**/Containers/Shared/AppGroup/*/"
TYPE_DELETED = 14  # "This message was deleted" (revoked by its sender)
TYPE_EVENT = 6  # group events: subject changed, members added or removed
REFERENCES = (
    "Core Data tables as read by iLEAPP (whatsappMessages.py, whatsAppCallHistory), Whatsapp-Chat-Exporter "
    "(ios_handler.py: ZMESSAGETYPE 6 events, 14 deleted, 15 sticker; ZVCARDSTRING as the media MIME type) "
    "and mvt (ios/modules/mixed/whatsapp.py)",
)


def app_name(path: str) -> str:
    group = app_group(path) or ""
    return "WhatsApp Business" if "WhatsAppSMB" in group else "WhatsApp"


def basename_sql(expr: str) -> str:
    return f"replace({expr}, rtrim({expr}, replace({expr}, '/', '')), '')"


class IosWhatsAppParser(Parser):
    name = "ios.whatsapp"
    version = "1.0"
    title = "WhatsApp for iOS messages (ChatStorage.sqlite)"
    kinds = (Message,)
    globs = (APP_GROUP + "ChatStorage.sqlite",)
    schemas = (
        Schema(
            "chatstorage",
            {
                "ZWAMESSAGE": {"Z_PK", "ZCHATSESSION", "ZISFROMME", "ZMESSAGEDATE", "ZFROMJID", "ZTOJID",
                               "ZTEXT", "ZMESSAGETYPE"},
                "ZWACHATSESSION": {"Z_PK", "ZCONTACTJID", "ZPARTNERNAME"},
            },
        ),
    )  # fmt: skip
    marker_tables = ("ZWAMESSAGE",)  # other apps' ChatStorage.sqlite in their own AppGroup are not ours
    references = REFERENCES
    limitations = (
        "The delivery and read state (ZMESSAGESTATUS) is not decoded: status says only 'deleted for "
        "everyone', 'event' or 'failed (error N)'. Media files are listed (file name, MIME type from "
        "ZVCARDSTRING, path in the app folder, size), not copied; a media item's coordinates are put "
        "before the text as 'Location: lat, lon'; captions (ZTITLE) stand in for an empty text. Replies, "
        "forwards, reactions, polls and the protobuf ZMETADATA are not decoded. A sender known only by a "
        "privacy id (@lid) keeps it as user id, without a number. Group events (type 6) are kept with the "
        "text WhatsApp stores for them. WhatsApp Business is named as such only when the folder shows its "
        "group id (iTunes backups)."
    )

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        joins = ["LEFT JOIN src.ZWACHATSESSION AS s ON s.Z_PK = m.ZCHATSESSION"]
        member_jid, names = "NULL", []
        if source.has_table("ZWAGROUPMEMBER") and source.has_column("ZWAMESSAGE", "ZGROUPMEMBER"):
            joins.append("LEFT JOIN src.ZWAGROUPMEMBER AS gm ON gm.Z_PK = m.ZGROUPMEMBER")
            member_jid, contact, first = (
                col(source, "ZWAGROUPMEMBER", c, "gm") for c in ("ZMEMBERJID", "ZCONTACTNAME", "ZFIRSTNAME")
            )
            names = [f"nullif({contact}, '')", f"nullif({first}, '')"]
        group = f"(s.ZCONTACTJID LIKE '%@g.us' OR {col(source, 'ZWACHATSESSION', 'ZSESSIONTYPE', 's')} = 1)"
        sender = (
            f"CASE WHEN m.ZISFROMME = 1 THEN NULL WHEN {group} THEN {member_jid} "
            "ELSE coalesce(m.ZFROMJID, s.ZCONTACTJID) END"
        )
        names += [
            f"nullif({col(source, 'ZWAMESSAGE', 'ZPUSHNAME', 'm')}, '')",
            f"CASE WHEN NOT {group} THEN nullif(s.ZPARTNERNAME, '') END",
        ]
        sender_name = f"CASE WHEN m.ZISFROMME = 1 THEN NULL ELSE coalesce({', '.join(names)}) END"
        peer = "coalesce(m.ZTOJID, s.ZCONTACTJID)"
        peer_phone = jid_phone_sql(peer)
        error = col(source, "ZWAMESSAGE", "ZMESSAGEERRORSTATUS", "m")
        status = (
            f"CASE WHEN m.ZMESSAGETYPE = {TYPE_DELETED} THEN 'deleted for everyone' "
            f"WHEN m.ZMESSAGETYPE = {TYPE_EVENT} THEN 'event' "
            f"WHEN coalesce({error}, 0) != 0 THEN 'failed (error ' || {error} || ')' END"
        )
        text, attachments = "nullif(m.ZTEXT, '')", "'[]'"
        media_join = None
        if source.has_table("ZWAMEDIAITEM") and source.has_column("ZWAMESSAGE", "ZMEDIAITEM"):
            media_join = "LEFT JOIN src.ZWAMEDIAITEM AS mi ON mi.Z_PK = m.ZMEDIAITEM"
        elif source.has_column("ZWAMEDIAITEM", "ZMESSAGE"):
            media_join = (
                "LEFT JOIN src.ZWAMEDIAITEM AS mi ON mi.Z_PK = "
                "(SELECT min(x.Z_PK) FROM src.ZWAMEDIAITEM AS x WHERE x.ZMESSAGE = m.Z_PK)"
            )
        if media_join:
            joins.append(media_join)
            text, attachments = _media(source, text)
        sql = f"""
            SELECT
              m.Z_PK AS record_rowid,
              {quote(app_name(source.path))} AS app,
              s.ZCONTACTJID AS thread_id,
              nullif(s.ZPARTNERNAME, '') AS thread_name,
              {sender} AS sender,
              {jid_phone_sql(sender)} AS sender_phone,
              {sender} AS sender_user_id,
              {sender_name} AS sender_name,
              CASE WHEN m.ZISFROMME = 1 AND {peer} IS NOT NULL THEN json_array({peer})
                   ELSE '[]' END AS recipients,
              CASE WHEN m.ZISFROMME = 1 AND {peer_phone} IS NOT NULL THEN json_array({peer_phone})
                   ELSE '[]' END AS recipient_phones,
              {outgoing_if("m.ZISFROMME = 1")} AS direction,
              {status} AS status,
              {iso_time("m.ZMESSAGEDATE", unit="s", epoch="mac")} AS sent_at,
              m.ZMESSAGEDATE AS sent_at_raw,
              {text} AS body,
              {attachments} AS attachments,
              (m.ZMESSAGETYPE = {TYPE_DELETED}) AS is_deleted
            FROM src.ZWAMESSAGE AS m
            {" ".join(joins)}
        """
        return [BulkQuery(kind=Message, table="ZWAMESSAGE", sql=sql, label="ZWAMESSAGE")]


def _media(source: Source, text: str) -> tuple[str, str]:
    """(body, attachments) expressions for a message with its ``ZWAMEDIAITEM`` row joined as ``mi``."""

    def item(name: str) -> str:
        return col(source, "ZWAMEDIAITEM", name, "mi")

    path, vcard, lat, lon = (item(c) for c in ("ZMEDIALOCALPATH", "ZVCARDSTRING", "ZLATITUDE", "ZLONGITUDE"))
    mime = (
        f"CASE WHEN {vcard} LIKE 'BEGIN:VCARD%' THEN 'text/vcard' "
        f"WHEN {vcard} LIKE '%_/_%' AND instr({vcard}, ' ') = 0 AND length({vcard}) < 128 THEN {vcard} END"
    )
    name = f"coalesce({basename_sql(path)}, nullif({item('ZVCARDNAME')}, ''))"
    has_file = (
        f"({path} IS NOT NULL OR {item('ZMEDIAURL')} IS NOT NULL OR {vcard} IS NOT NULL "
        f"OR coalesce({item('ZFILESIZE')}, 0) > 0)"
    )
    listed = attachment(name, mime, path, item("ZFILESIZE"))
    attachments = f"CASE WHEN mi.Z_PK IS NOT NULL AND {has_file} THEN {listed} ELSE '[]' END"
    # a media item without a place stores 0, 0 (or nothing)
    located = f"(coalesce({lat}, 0) != 0 OR coalesce({lon}, 0) != 0)"
    caption = f"coalesce({text}, nullif({item('ZTITLE')}, ''))"
    body = f"CASE WHEN {located} THEN {prefixed(location(lat, lon), caption)} ELSE {caption} END"
    return body, attachments


class IosWhatsAppContactsParser(Parser):
    name = "ios.whatsapp.contacts"
    version = "1.1"
    title = "WhatsApp for iOS contacts (ContactsV2.sqlite): numbers, JIDs and privacy ids"
    kinds = (Contact,)
    globs = (APP_GROUP + "ContactsV2.sqlite",)
    schemas = (
        Schema("contactsv2", {"ZWAADDRESSBOOKCONTACT": {"Z_PK", "ZFULLNAME", "ZPHONENUMBER", "ZWHATSAPPID"}}),
    )
    marker_tables = ("ZWAADDRESSBOOKCONTACT",)
    references = REFERENCES
    limitations = (
        "Profile pictures and the contact's status history are not extracted; the 'About' text is given in "
        "notes. Contacts WhatsApp removed from its table are not recovered."
    )

    def parse(self, source: Source) -> Iterator[Artefact]:
        wanted = (
            "ZFULLNAME", "ZGIVENNAME", "ZLASTNAME", "ZBUSINESSNAME", "ZPHONENUMBER", "ZLOCALIZEDPHONENUMBER",
            "ZPHONENUMBERLABEL", "ZWHATSAPPID", "ZLID", "ZUSERNAME", "ZABOUTTEXT",
        )  # fmt: skip
        columns = optional_columns(source, "ZWAADDRESSBOOKCONTACT", wanted)
        app = app_name(source.path)
        for row in source.rows(f"SELECT Z_PK, {columns} FROM ZWAADDRESSBOOKCONTACT ORDER BY Z_PK"):
            number = row["ZPHONENUMBER"] or row["ZLOCALIZEDPHONENUMBER"] or jid_phone(row["ZWHATSAPPID"])
            given = join_text(" ", [p for p in (row["ZGIVENNAME"], row["ZLASTNAME"]) if p])
            handles = [Handle(app=app, user_id=jid) for jid in (row["ZWHATSAPPID"], row["ZLID"]) if jid]
            if row["ZUSERNAME"]:
                handles.append(Handle(app=app, username=row["ZUSERNAME"]))
            yield Contact(
                locator=Locator(table="ZWAADDRESSBOOKCONTACT", rowid=row["Z_PK"]),
                app=app,
                name=row["ZFULLNAME"] or given or row["ZBUSINESSNAME"] or None,
                phones=(Phone(number=number, label=row["ZPHONENUMBERLABEL"] or None),) if number else (),
                handles=tuple(handles),
                organization=row["ZBUSINESSNAME"] or None,
                notes=concat("About: ", row["ZABOUTTEXT"]) if row["ZABOUTTEXT"] else None,
            )


OUTCOME = {4: "rejected"}  # ZOUTCOME per iLEAPP: 0 ended, 1 missed, 4 rejected


class IosWhatsAppCallsParser(Parser):
    name = "ios.whatsapp.calls"
    version = "1.1"
    title = "WhatsApp for iOS calls (CallHistory.sqlite in the app's AppGroup)"
    kinds = (Call,)
    globs = (APP_GROUP + "CallHistory.sqlite",)
    schemas = (Schema("cdcallevent", {"ZWACDCALLEVENT": {"Z_PK", "ZDATE", "ZDURATION", "ZOUTCOME"}}),)
    marker_tables = ("ZWACDCALLEVENT",)  # another app's CallHistory.sqlite is not ours
    references = REFERENCES
    limitations = (
        "One call per participant (ZWACDCALLEVENTPARTICIPANT), so a group call gives a row for each person; "
        "the group's JID and the bytes sent and received are not kept. A participant known only by a "
        "privacy id (@lid) is given as that id, without a number. ZOUTCOME codes other than 0 (ended), "
        "1 (missed) and 4 (rejected) are given as 'outcome N'."
    )

    def parse(self, source: Source) -> Iterator[Artefact]:
        app = app_name(source.path)
        participants: dict[int, list[tuple[int | None, str | None]]] = defaultdict(list)
        if source.has_table("ZWACDCALLEVENTPARTICIPANT") and source.has_column(
            "ZWACDCALLEVENTPARTICIPANT", "Z1PARTICIPANTS"
        ):
            jid_column = col(source, "ZWACDCALLEVENTPARTICIPANT", "ZJIDSTRING", "p")
            sql = f"SELECT p.Z_PK, p.Z1PARTICIPANTS, {jid_column} AS jid FROM ZWACDCALLEVENTPARTICIPANT AS p"
            for p in source.rows(sql + " ORDER BY p.Z_PK"):
                participants[p["Z1PARTICIPANTS"]].append((p["Z_PK"], p["jid"]))
        aggregate = ""
        incoming = missed = video = "NULL"
        if source.has_table("ZWAAGGREGATECALLEVENT") and source.has_column("ZWACDCALLEVENT", "Z1CALLEVENTS"):
            aggregate = "LEFT JOIN ZWAAGGREGATECALLEVENT AS a ON a.Z_PK = e.Z1CALLEVENTS"
            incoming, missed, video = (
                col(source, "ZWAAGGREGATECALLEVENT", c, "a") for c in ("ZINCOMING", "ZMISSED", "ZVIDEO")
            )
        sql = (
            f"SELECT e.Z_PK, e.ZDATE, e.ZDURATION, e.ZOUTCOME, {incoming} AS incoming, {missed} AS missed, "
            f"{video} AS video FROM ZWACDCALLEVENT AS e {aggregate} ORDER BY e.Z_PK"
        )
        for event in source.rows(sql):
            inbound = event["incoming"]
            direction = (
                Direction.UNKNOWN
                if inbound is None
                else (Direction.INCOMING if inbound else Direction.OUTGOING)
            )
            outcome, duration = event["ZOUTCOME"], event["ZDURATION"]
            if outcome == 0:
                status = "answered" if duration else "ended"
            elif outcome == 1 or event["missed"]:
                status = "missed" if direction != Direction.OUTGOING else "not answered"
            else:
                status = OUTCOME.get(outcome, f"outcome {outcome}")
            people = participants.get(event["Z_PK"]) or [(None, None)]
            for pk, jid in people:
                yield Call(
                    locator=Locator(table="ZWACDCALLEVENTPARTICIPANT", rowid=pk)
                    if pk is not None
                    else Locator(table="ZWACDCALLEVENT", rowid=event["Z_PK"]),
                    app=app,
                    number=jid_phone(jid) or jid,
                    direction=direction,
                    status=status,
                    call_type=None if event["video"] is None else ("video" if event["video"] else "voice"),
                    started_at=mac_absolute(event["ZDATE"]),
                    started_at_raw=event["ZDATE"],
                    duration_s=None if duration is None else round(duration),
                    duration_raw=duration,
                )
