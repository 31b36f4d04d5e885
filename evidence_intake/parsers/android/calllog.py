"""Android call log: ``calls`` in ``calllog.db`` (Android 7+) or in ``contacts2.db`` (older phones).

A bulk-only reference parser: one SELECT, split by rowid. The ``countryiso`` column (the country
the phone was in when the call was logged) is passed as the per-record ``region`` so that a local
number is normalised for the right country; the exhibit's region is used where it is empty.
"""

from __future__ import annotations

from collections.abc import Sequence

from evidence_intake.artefacts.model import Call
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import case_map, col, iso_time

# android.provider.CallLog.Calls.TYPE
DIRECTION = {
    1: "incoming",
    2: "outgoing",
    3: "incoming",
    4: "incoming",
    5: "incoming",
    6: "incoming",
    7: "incoming",
}
STATUS = {
    1: "answered",
    2: "dialled",
    3: "missed",
    4: "voicemail",
    5: "rejected",
    6: "blocked",
    7: "answered elsewhere",
}
FEATURES_VIDEO = 0x1


class AndroidCallLogParser(Parser):
    name = "android.calllog"
    version = "1.1"
    title = "Android call log (calllog.db, and the calls table of older contacts2.db)"
    kinds = (Call,)
    globs = (
        "**/com.android.providers.contacts/databases/calllog.db",
        "**/com.android.providers.contacts/databases/contacts2.db",
        "**/com.samsung.android.providers.contacts/databases/calllog.db",
    )
    schemas = (Schema("calls", {"calls": {"_id", "number", "date", "duration", "type"}}),)
    marker_tables = ("calls",)  # contacts2.db of Android 7+ has no calls table: not applicable
    references = (
        "AOSP packages/providers/ContactsProvider: CallLogDatabaseHelper.java, ContactsDatabaseHelper.java",
        "android.provider.CallLog.Calls (TYPE codes 1-7, FEATURES_VIDEO)",
    )
    limitations = (
        "Voicemail audio and transcriptions are not extracted. Calls of apps that do not write to the "
        "system call log (most WhatsApp, LINE and Telegram calls) are not here: their own parsers read them. "
        "Entries the user deleted are only found when still in the -wal."
    )

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        video = (
            f"CASE WHEN calls.features & {FEATURES_VIDEO} THEN 'video' ELSE 'voice' END"
            if source.has_column("calls", "features")
            else "'voice'"
        )
        component = col(source, "calls", "subscription_component_name")
        app = (
            f"CASE WHEN {component} IS NULL OR {component} LIKE 'com.android.phone%' "
            f"OR {component} LIKE 'com.android.server.telecom%' THEN 'Phone' "
            f"ELSE substr({component}, 1, instr({component} || '/', '/') - 1) END"
        )
        deleted = f"coalesce({col(source, 'calls', 'deleted')}, 0)"
        sql = f"""
            SELECT
              calls._id AS record_rowid,
              {app} AS app,
              calls.number AS number,
              {col(source, "calls", "name")} AS name,
              {case_map("calls.type", DIRECTION, default="unknown")} AS direction,
              coalesce({case_map("calls.type", STATUS)}, 'type ' || calls.type) AS status,
              {video} AS call_type,
              {iso_time("calls.date", unit="ms")} AS started_at,
              calls.date AS started_at_raw,
              calls.duration AS duration_s,
              calls.duration AS duration_raw,
              {col(source, "calls", "geocoded_location")} AS location,
              {deleted} AS is_deleted,
              upper(nullif({col(source, "calls", "countryiso")}, '')) AS region
            FROM src.calls
        """
        return [BulkQuery(kind=Call, table="calls", sql=sql, label="calls")]
