"""iOS call history: ``CallHistory.storedata`` (Core Data, table ``ZCALLRECORD``).

The phone app logs every call it handles here: cellular calls, FaceTime, and the calls of apps that
use CallKit (WhatsApp, LINE, Telegram, Signal…), whose own databases may be encrypted or gone. The
app is named from ``ZSERVICE_PROVIDER`` (a bundle id). ``ZADDRESS`` is the other party's number or
Apple ID; it is stored as text by some iOS versions and as a BLOB of the same UTF-8 bytes by others
(the engine reads both). ``ZISO_COUNTRY_CODE`` is the country the phone was in, used as the region of
a local number. ``ZDATE`` is Mac absolute time in seconds (a float), ``ZDURATION`` seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

from evidence_intake.artefacts.model import Call
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import case_map, col, iso_time, outgoing_if

# ZSERVICE_PROVIDER bundle ids of the phone itself and of apps that log their calls through CallKit.
PROVIDERS = {
    "com.apple.Telephony": "Phone",
    "com.apple.FaceTime": "FaceTime",
    "net.whatsapp.WhatsApp": "WhatsApp",
    "net.whatsapp.WhatsAppSMB": "WhatsApp Business",
    "jp.naver.line": "LINE",
    "ph.telegra.Telegraph": "Telegram",
    "org.whispersystems.signal": "Signal",
    "com.viber": "Viber",
    "com.tencent.xin": "WeChat",
    "com.facebook.Messenger": "Messenger",
    "com.skype.skype": "Skype",
    "com.zing.zalo": "Zalo",
}
CALL_TYPES = {1: "Phone", 8: "FaceTime", 16: "FaceTime"}  # ZCALLTYPE; 0 is a third-party (CallKit) app
CATEGORY = {1: "voice", 2: "video"}  # ZCALL_CATEGORY: kCHCallCategoryAudio, kCHCallCategoryVideo
TYPE_MEDIA = {1: "voice", 8: "video", 16: "voice"}  # ZCALLTYPE 8 FaceTime video, 16 FaceTime audio


class IosCallHistoryParser(Parser):
    name = "ios.callhistory"
    version = "1.1"
    title = "iOS call history (CallHistory.storedata): phone, FaceTime and CallKit app calls"
    kinds = (Call,)
    globs = ("**/Library/CallHistoryDB/CallHistory.storedata",)
    schemas = (
        Schema(
            "callrecord",
            {
                "ZCALLRECORD": {
                    "Z_PK",
                    "ZDATE",
                    "ZDURATION",
                    "ZADDRESS",
                    "ZORIGINATED",
                    "ZANSWERED",
                    "ZCALLTYPE",
                }
            },
        ),
    )
    references = (
        "ZCALLRECORD columns as read by iLEAPP (callHistory.py: ZCALLTYPE 0 third-party, 1 phone, 8 FaceTime "
        "video, 16 FaceTime audio; ZADDRESS as bytes) and mvt; CallHistory kCHCallCategory (ZCALL_CATEGORY)",
    )
    limitations = (
        "Only the ZADDRESS party of a call is given: the other participants of a group FaceTime call "
        "(ZHANDLE through Z_*REMOTEPARTICIPANTHANDLES) are not read. Why a call ended (ZDISCONNECTED_CAUSE), "
        "the junk/verification scores and the FaceTime data are not decoded. An outgoing call is 'dialled' "
        "unless iOS marked it answered. Deleted calls are removed from ZCALLRECORD by iOS and only found "
        "while still in the -wal."
    )

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        def record(name: str) -> str:
            return col(source, "ZCALLRECORD", name, "c")

        provider = record("ZSERVICE_PROVIDER")
        app = (
            f"coalesce({case_map(provider, PROVIDERS)}, nullif({provider}, ''), "
            f"{case_map('c.ZCALLTYPE', CALL_TYPES)}, 'Phone')"
        )
        media = (
            f"coalesce({case_map(record('ZCALL_CATEGORY'), CATEGORY)}, {case_map('c.ZCALLTYPE', TYPE_MEDIA)})"
        )
        sql = f"""
            SELECT
              c.Z_PK AS record_rowid,
              {app} AS app,
              c.ZADDRESS AS number,
              nullif({record("ZNAME")}, '') AS name,
              {outgoing_if("c.ZORIGINATED = 1")} AS direction,
              CASE WHEN c.ZANSWERED = 1 THEN 'answered' WHEN c.ZORIGINATED = 1 THEN 'dialled'
                   ELSE 'missed' END AS status,
              {media} AS call_type,
              {iso_time("c.ZDATE", unit="s", epoch="mac")} AS started_at,
              c.ZDATE AS started_at_raw,
              CAST(round(c.ZDURATION) AS INTEGER) AS duration_s,
              c.ZDURATION AS duration_raw,
              nullif({record("ZLOCATION")}, '') AS location,
              upper(nullif({record("ZISO_COUNTRY_CODE")}, '')) AS region
            FROM src.ZCALLRECORD AS c
        """
        return [BulkQuery(kind=Call, table="ZCALLRECORD", sql=sql, label="ZCALLRECORD")]
