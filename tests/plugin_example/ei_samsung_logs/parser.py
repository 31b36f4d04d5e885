"""Samsung logs provider (``logs.db``): calls and video calls from the ``logs`` table.

Samsung's LogsProvider (Galaxy phones up to about Android 6) keeps calls, SMS and MMS in one table
``logs``; ``logtype`` says which: 100 voice call, 500 video call, 200 MMS, 300 SMS. The ``type``
codes of calls are those of the AOSP call log (1 incoming, 2 outgoing, 3 missed, 5 rejected...).

This parser uses the typed path: it yields ``Call`` objects. The engine attaches provenance,
normalises ``number`` to E.164 (with ``countryiso`` as the region when the row has one) and stores them.
"""

from __future__ import annotations

from collections.abc import Iterator

from evidence_intake.artefacts.model import Artefact, Call, Direction, Locator
from evidence_intake.parsers import Parser, Schema, Source, times

LOGTYPE_CALL, LOGTYPE_VIDEO = 100, 500
DIRECTION = {1: Direction.INCOMING, 2: Direction.OUTGOING, 3: Direction.INCOMING, 5: Direction.INCOMING}
STATUS = {1: "answered", 2: "dialled", 3: "missed", 4: "voicemail", 5: "rejected", 6: "blocked"}


class SamsungLogsParser(Parser):
    name = "samsung.logs"
    version = "1.0"
    title = "Samsung logs provider (logs.db): calls and video calls"
    kinds = (Call,)
    globs = ("**/com.sec.android.provider.logsprovider/databases/logs.db",)
    schemas = (
        Schema("logs", {"logs": {"_id", "number", "date", "duration", "type", "logtype", "countryiso"}}),
    )
    references = ("Samsung LogsProvider$DatabaseHelper (CREATE TABLE logs), decompiled from the system app",)
    limitations = "SMS and MMS rows of logs.db (logtype 200, 300) are not read: mmssms.db holds them."

    def parse(self, source: Source) -> Iterator[Artefact]:
        sql = (
            "SELECT _id, number, name, date, duration, type, logtype, countryiso FROM logs "
            "WHERE logtype IN (?, ?) ORDER BY _id"
        )
        for row in source.rows(sql, (LOGTYPE_CALL, LOGTYPE_VIDEO)):
            yield Call(
                locator=Locator(table="logs", rowid=row["_id"]),
                region=(row["countryiso"] or None),
                app="Phone",
                number=row["number"],
                name=row["name"],
                direction=DIRECTION.get(row["type"], Direction.UNKNOWN),
                status=STATUS.get(row["type"], f"type {row['type']}"),
                call_type="video" if row["logtype"] == LOGTYPE_VIDEO else "voice",
                started_at=times.unix_ms(row["date"]),
                started_at_raw=row["date"],
                duration_s=row["duration"],
            )
