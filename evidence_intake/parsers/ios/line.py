"""LINE for iOS: ``Line.sqlite`` (Core Data) in the app's AppGroup, one per LINE account on the phone.

Messages (``ZMESSAGE``) point to their chat (``ZCHAT``: ``ZMID`` is the peer's user id for a one-to-one
chat, the group's id for a group) and to their sender (``ZUSER``); a NULL ``ZSENDER`` is a message the
owner sent. ``ZTIMESTAMP`` is Unix milliseconds. Users (``ZUSER``: the LINE ``mid``, the name the user
chose and the name the owner gave them) become ``Contact`` artefacts, so a mid seen here can be
matched with the same mid on another phone.

Group and peer names are looked up by id (``ZGROUP.ZID``, ``ZUSER.ZMID``), columns the app does not
index: they are joined through one grouped pass each (SQLite builds a temporary index on it) rather
than a lookup per message.
"""

from __future__ import annotations

from collections.abc import Sequence

from evidence_intake.artefacts.model import Contact, Message
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import case_map, col, iso_time, location, outgoing_if, prefixed

# LINE's content types (the ContentType numbers of its messaging protocol) that carry media: the kind
# is given as the attachment's MIME type range; the file itself is not located.
MEDIA = {
    1: "image/*",
    2: "video/*",
    3: "audio/*",
    5: "application/pdf",
    7: "image/*",
    13: "text/vcard",
    14: None,
}
MEDIA_NAME = {7: "sticker", 13: "contact", 14: "file"}


class IosLineParser(Parser):
    name = "ios.line"
    version = "1.0"
    title = "LINE for iOS (Line.sqlite): messages and the users they are exchanged with"
    kinds = (Message, Contact)
    globs = ("**/Library/Application Support/PrivateStore/*/Messages/Line.sqlite",)
    schemas = (
        Schema(
            "coredata",
            {
                "ZMESSAGE": {"Z_PK", "ZCHAT", "ZSENDER", "ZTIMESTAMP", "ZTEXT"},
                "ZUSER": {"Z_PK", "ZMID", "ZNAME"},
                "ZCHAT": {"Z_PK", "ZMID"},
            },
        ),
    )
    references = (
        "Line.sqlite tables ZMESSAGE, ZCHAT, ZUSER, ZGROUP as read by iLEAPP's LINE modules and described in "
        "app-schemas.md (ZTIMESTAMP Unix ms, ZSENDER NULL for the owner's messages)",
        "LINE messaging protocol ContentType (1 image, 2 video, 3 audio, 5 PDF, 6 call, 7 sticker, "
        "13 contact, 14 file, 15 location)",
    )
    limitations = (
        "Media files (kept by LINE outside Line.sqlite) are not located: a media message lists one "
        "attachment whose type is the kind (image/*, video/*, audio/*…). Stickers, calls and chat events "
        "are kept without text; ZCONTENTMETADATA (sticker ids, file names, call details) is not decoded. "
        "The send and read state (ZSENDSTATUS, ZREADCOUNT) is not decoded. A location's coordinates are "
        "put before the text as 'Location: lat, lon'. The owner's own mid is not read (it is in the "
        "PrivateStore folder name, not in the database). Deleted messages are not recovered."
    )

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        def name_of(alias: str) -> str:
            """The name the owner gave the user, else the user's own, else the phone book's."""
            names = (col(source, "ZUSER", c, alias) for c in ("ZCUSTOMNAME", "ZNAME", "ZADDRESSBOOKNAME"))
            return f"coalesce({', '.join(f'nullif({n}, {chr(39) * 2})' for n in names)})"

        user_name, peer_name = name_of("u"), name_of("x")
        joins = [
            "LEFT JOIN src.ZCHAT AS ch ON ch.Z_PK = m.ZCHAT",
            "LEFT JOIN src.ZUSER AS u ON u.Z_PK = m.ZSENDER",
            f"LEFT JOIN (SELECT x.ZMID, max({peer_name}) AS name FROM src.ZUSER AS x GROUP BY x.ZMID) "
            "AS peer ON peer.ZMID = ch.ZMID",
        ]
        thread_name = "peer.name"
        if source.has_column("ZGROUP", "ZID") and source.has_column("ZGROUP", "ZNAME"):
            joins.append(
                "LEFT JOIN (SELECT ZID, max(nullif(ZNAME, '')) AS name FROM src.ZGROUP GROUP BY ZID) AS g "
                "ON g.ZID = ch.ZMID"
            )
            thread_name = "coalesce(g.name, peer.name)"
        kind = col(source, "ZMESSAGE", "ZCONTENTTYPE", "m")
        lat, lon = col(source, "ZMESSAGE", "ZLATITUDE", "m"), col(source, "ZMESSAGE", "ZLONGITUDE", "m")
        located = f"(coalesce({lat}, 0) != 0 OR coalesce({lon}, 0) != 0)"
        text = "nullif(m.ZTEXT, '')"
        body = f"CASE WHEN {located} THEN {prefixed(location(lat, lon), text)} ELSE {text} END"
        media = ", ".join(str(k) for k in MEDIA)
        item = (
            f"json_object('name', {case_map(kind, MEDIA_NAME)}, 'mime_type', {case_map(kind, MEDIA)}, "
            "'path', NULL, 'size', NULL)"
        )
        attachments = f"CASE WHEN {kind} IN ({media}) THEN json_array({item}) ELSE '[]' END"
        outgoing = "m.ZSENDER IS NULL"
        messages = f"""
            SELECT
              m.Z_PK AS record_rowid,
              'LINE' AS app,
              ch.ZMID AS thread_id,
              {thread_name} AS thread_name,
              u.ZMID AS sender,
              u.ZMID AS sender_user_id,
              {user_name} AS sender_name,
              CASE WHEN {outgoing} AND ch.ZMID IS NOT NULL THEN json_array(ch.ZMID)
                   ELSE '[]' END AS recipients,
              {outgoing_if(outgoing)} AS direction,
              {iso_time("m.ZTIMESTAMP", unit="ms")} AS sent_at,
              m.ZTIMESTAMP AS sent_at_raw,
              {body} AS body,
              {attachments} AS attachments
            FROM src.ZMESSAGE AS m
            {" ".join(joins)}
        """
        status = col(source, "ZUSER", "ZSTATUSMESSAGE", "u")
        contacts = f"""
            SELECT
              u.Z_PK AS record_rowid,
              'LINE' AS app,
              {user_name} AS name,
              CASE WHEN u.ZMID IS NOT NULL THEN json_array(json_object('app', 'LINE', 'user_id', u.ZMID,
                'username', NULL)) ELSE '[]' END AS handles,
              CASE WHEN nullif({status}, '') IS NOT NULL THEN 'Status: ' || {status} END AS notes
            FROM src.ZUSER AS u
        """
        return [
            BulkQuery(kind=Message, table="ZMESSAGE", sql=messages, label="ZMESSAGE"),
            BulkQuery(kind=Contact, table="ZUSER", sql=contacts, label="ZUSER"),
        ]
