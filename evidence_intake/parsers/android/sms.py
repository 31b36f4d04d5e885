"""Android SMS and MMS: the telephony provider's ``mmssms.db``.

A reference parser showing both paths of the framework:

* SMS (often hundreds of thousands of rows) go through ``bulk``: one SELECT that SQLite runs on the
  scratch copy, split by the engine into rowid ranges for the worker pool;
* MMS (a message spread over ``pdu``, ``part`` and ``addr``) go through the typed ``parse``
  generator, one ``Message`` per ``pdu`` row.

Times: ``sms.date`` / ``sms.date_sent`` are Unix milliseconds; ``pdu.date`` / ``pdu.date_sent`` are
Unix *seconds*. ``date`` is when the phone stored the message (received time for incoming ones);
``date_sent`` is the sender's time from the network, 0 when unknown.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

from evidence_intake.artefacts.model import Artefact, Attachment, Direction, Locator, Message
from evidence_intake.artefacts.text import concat, join_text
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import case_map, col, iso_time, optional_columns
from evidence_intake.parsers.times import unix_s

SMS_DIRECTION = {1: "incoming", 2: "outgoing", 3: "outgoing", 4: "outgoing", 5: "outgoing", 6: "outgoing"}
SMS_STATUS = {1: "received", 2: "sent", 3: "draft", 4: "outbox", 5: "failed", 6: "queued"}

MMS_BOX_DIRECTION = {
    1: Direction.INCOMING,
    2: Direction.OUTGOING,
    3: Direction.OUTGOING,
    4: Direction.OUTGOING,
}
MMS_BOX_STATUS = {1: "received", 2: "sent", 3: "draft", 4: "outbox", 5: "failed"}
MMS_REPORT_TYPES = {134, 136}  # delivery and read reports: not messages
MMS_NOT_DOWNLOADED = 130  # m-notification-ind: the message itself was never fetched
ADDR_FROM, ADDR_TO, ADDR_CC, ADDR_BCC = 0x89, 0x97, 0x82, 0x81
OWN_ADDRESS_TOKEN = "insert-address-token"  # noqa: S105 - not a password; what Android writes as "from" of the owner's own MMS
NON_CONTENT_TYPES = {"application/smil"}


class AndroidSmsParser(Parser):
    name = "android.sms"
    version = "1.1"
    title = "Android SMS and MMS (telephony provider mmssms.db)"
    kinds = (Message,)
    globs = ("**/com.android.providers.telephony/databases/mmssms.db",)
    schemas = (
        Schema(
            "sms+mms",
            {
                "sms": {"_id", "thread_id", "address", "date", "type", "body"},
                "pdu": {"_id", "thread_id", "date", "msg_box", "m_type"},
                "part": {"mid", "ct", "text"},
                "addr": {"msg_id", "address", "type"},
            },
        ),
        Schema("sms", {"sms": {"_id", "thread_id", "address", "date", "type", "body"}}),
    )
    references = (
        "AOSP packages/providers/TelephonyProvider: MmsSmsDatabaseHelper.java (CREATE TABLE sms, "
        "pdu, part, addr)",
        "android.provider.Telephony.Sms / Telephony.Mms (type and msg_box codes)",
        "OMA-TS-MMS-ENC (addr types 0x89 from, 0x97 to, 0x82 cc, 0x81 bcc)",
    )
    limitations = (
        "MMS attachments are listed (name, type, path on the phone) but their files are not copied. "
        "Delivery and read reports (m_type 134, 136) are skipped. An MMS subject is put before the text "
        "as 'Subject: ...'. The raw table (unassembled multi-part SMS) and thread names are not read. "
        "Deleted SMS are only found when still in the -wal; free pages are not carved."
    )

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        date_sent = col(source, "sms", "date_sent")
        incoming = "sms.type = 1"
        outgoing = "sms.type IN (2, 3, 4, 5, 6)"
        recipients = (
            f"CASE WHEN {outgoing} AND sms.address IS NOT NULL THEN json_array(sms.address) ELSE '[]' END"
        )
        sql = f"""
            SELECT
              sms._id AS record_rowid,
              'SMS' AS app,
              CAST(sms.thread_id AS TEXT) AS thread_id,
              CASE WHEN NOT ({outgoing}) THEN sms.address END AS sender,
              CASE WHEN NOT ({outgoing}) THEN sms.address END AS sender_phone,
              {recipients} AS recipients,
              {recipients} AS recipient_phones,
              {case_map("sms.type", SMS_DIRECTION, default="unknown")} AS direction,
              coalesce({case_map("sms.type", SMS_STATUS)}, 'type ' || sms.type) AS status,
              CASE WHEN {incoming} THEN {iso_time(date_sent, unit="ms")}
                   ELSE {iso_time("sms.date", unit="ms")} END AS sent_at,
              CASE WHEN {incoming} THEN {date_sent} ELSE sms.date END AS sent_at_raw,
              CASE WHEN {incoming} THEN {iso_time("sms.date", unit="ms")} END AS received_at,
              CASE WHEN {incoming} THEN sms.date END AS received_at_raw,
              sms.body AS body
            FROM src.sms
        """
        return [BulkQuery(kind=Message, table="sms", sql=sql, label="sms")]

    def parse(self, source: Source) -> Iterator[Artefact]:
        if source.schema is None or source.schema.name != "sms+mms":
            return
        optional = optional_columns(source, "pdu", ("date_sent", "sub"))
        sql = f"SELECT _id, thread_id, date, msg_box, m_type, {optional} FROM pdu ORDER BY _id"
        for pdu in source.rows(sql):
            if pdu["m_type"] in MMS_REPORT_TYPES:
                continue
            yield self._mms(source, pdu)

    @staticmethod
    def _part_columns(source: Source) -> str:
        wanted = ("ct", "name", "fn", "cl", "_data", "text")
        return optional_columns(source, "part", wanted)

    def _mms(self, source: Source, row: sqlite3.Row) -> Message:
        mid = row["_id"]
        texts: list[str] = []
        attachments: list[Attachment] = []
        for part in source.rows(
            f"SELECT {self._part_columns(source)} FROM part WHERE mid = ? ORDER BY _id", (mid,)
        ):
            ctype = (part["ct"] or "").lower()
            if ctype in NON_CONTENT_TYPES:
                continue
            if ctype == "text/plain" and part["_data"] is None:
                if part["text"]:
                    texts.append(part["text"])
                continue
            attachments.append(
                Attachment(
                    name=part["cl"] or part["fn"] or part["name"],
                    mime_type=part["ct"],
                    path=part["_data"],
                )
            )
        senders: list[str] = []
        recipients: list[str] = []
        for addr in source.rows("SELECT address, type FROM addr WHERE msg_id = ? ORDER BY _id", (mid,)):
            address = addr["address"]
            if not address or address == OWN_ADDRESS_TOKEN:
                continue
            if addr["type"] == ADDR_FROM:
                senders.append(address)
            elif addr["type"] in (ADDR_TO, ADDR_CC, ADDR_BCC):
                recipients.append(address)
        box = row["msg_box"]
        direction = MMS_BOX_DIRECTION.get(box, Direction.UNKNOWN)
        status = MMS_BOX_STATUS.get(box, f"box {box}")
        if row["m_type"] == MMS_NOT_DOWNLOADED:
            status = "not downloaded"
        body = join_text("\n", texts) or None
        subject = row["sub"]
        if subject:
            body = concat("Subject: ", subject, "\n", body) if body else concat("Subject: ", subject)
        date, date_sent = row["date"], row["date_sent"]
        incoming = direction == Direction.INCOMING
        sender = senders[0] if senders and direction != Direction.OUTGOING else None
        return Message(
            locator=Locator(table="pdu", rowid=mid),
            app="MMS",
            thread_id=None if row["thread_id"] is None else str(row["thread_id"]),
            sender=sender,
            sender_phone=sender,
            recipients=tuple(recipients),
            recipient_phones=tuple(recipients),
            direction=direction,
            status=status,
            sent_at=unix_s(date_sent) if incoming else unix_s(date),
            sent_at_raw=date_sent if incoming else date,
            received_at=unix_s(date) if incoming else None,
            received_at_raw=date if incoming else None,
            body=body,
            attachments=tuple(attachments),
        )
