"""Small parsers for engine tests, at module level so that worker processes can import them.

They read a made-up notes app: ``/data/data/test.notes/databases/notes.db`` with a table
``notes(_id, author, phone, body, created)`` (created in Unix milliseconds).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from evidence_intake.artefacts.model import Account, Artefact, Direction, Locator, Message
from evidence_intake.parsers import (
    APPLIES,
    Applicability,
    BulkQuery,
    Parser,
    Schema,
    Source,
    not_applicable,
    times,
)
from evidence_intake.parsers.sql import iso_time

GLOB = "**/test.notes/databases/notes.db"
NOTES_SQL = (
    "CREATE TABLE notes (_id INTEGER PRIMARY KEY, author TEXT, phone TEXT, body TEXT, created INTEGER);"
)


class TypedNotes(Parser):
    name = "test.notes"
    version = "1.2"
    title = "notes, typed"
    kinds = (Message,)
    globs = (GLOB,)
    schemas = (Schema("v1", {"notes": {"_id", "author", "phone", "body", "created"}}),)
    limitations = "test parser"

    def parse(self, source: Source) -> Iterator[Artefact]:
        for row in source.rows("SELECT _id, author, phone, body, created FROM notes ORDER BY _id"):
            yield Message(
                locator=Locator(table="notes", rowid=row["_id"]),
                app="Notes",
                sender=row["author"],
                sender_phone=row["phone"],
                direction=Direction.INCOMING,
                body=row["body"],
                sent_at=times.unix_ms(row["created"]),
                sent_at_raw=row["created"],
            )


class BulkNotes(Parser):
    name = "test.bulknotes"
    version = "1.0"
    title = "notes, bulk"
    kinds = (Message,)
    globs = (GLOB,)
    schemas = TypedNotes.schemas
    limitations = "test parser"

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        sql = f"""SELECT _id AS record_rowid, 'Notes' AS app, author AS sender, phone AS sender_phone,
                  'incoming' AS direction, body, {iso_time("created")} AS sent_at, created AS sent_at_raw
                  FROM src.notes"""
        return [BulkQuery(kind=Message, table="notes", sql=sql)]


class Exploding(Parser):
    """Yields two messages, then fails like a parser meeting an unexpected value."""

    name = "test.exploding"
    version = "0.1"
    kinds = (Message,)
    globs = (GLOB,)
    limitations = "test parser"

    def parse(self, source: Source) -> Iterator[Artefact]:
        for n, row in enumerate(source.rows("SELECT _id, body FROM notes ORDER BY _id")):
            if n == 2:
                raise KeyError("unexpected_field")
            yield Message(locator=Locator(table="notes", rowid=row["_id"]), app="Notes", body=row["body"])


class ExplodingAfterOddTime(Parser):
    """Yields a message whose stored time cannot be converted, then fails."""

    name = "test.exploding-odd-time"
    version = "0.1"
    kinds = (Message,)
    globs = (GLOB,)
    limitations = "test parser"

    def parse(self, source: Source) -> Iterator[Artefact]:
        yield Message(
            locator=Locator(table="notes", rowid=1), app="Notes", body="odd", sent_at_raw="not a time"
        )
        raise KeyError("unexpected_field")


class WrongKind(Parser):
    name = "test.wrongkind"
    version = "0.1"
    kinds = (Message,)
    globs = (GLOB,)
    limitations = "test parser"

    def parse(self, source: Source) -> Iterator[Artefact]:
        yield Account(locator=Locator(table="notes", rowid=1), app="Notes", user_id="u1")
        yield Message(locator=Locator(table="notes", rowid=1), app="Notes", body="kept")


class BadBulk(Parser):
    name = "test.badbulk"
    version = "0.1"
    kinds = (Message,)
    globs = (GLOB,)
    limitations = "test parser"

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        return [
            BulkQuery(
                kind=Message, table="notes", sql="SELECT _id AS record_rowid, body AS text FROM src.notes"
            )
        ]


class Picky(Parser):
    """Applies only to files whose notes mention 'picky'."""

    name = "test.picky"
    version = "0.1"
    kinds = (Message,)
    globs = (GLOB,)
    limitations = "test parser"

    def applies(self, source: Source) -> Applicability:
        hit = source.db.execute("SELECT count(*) FROM notes WHERE body LIKE '%picky%'").fetchone()[0]
        return APPLIES if hit else not_applicable("no picky notes")


class Other(Parser):
    """Wants a layout the notes database does not have."""

    name = "test.other"
    version = "0.1"
    kinds = (Message,)
    globs = (GLOB,)
    schemas = (Schema("v9", {"notes_v9": {"_id"}}),)
    limitations = "test parser"


class Elsewhere(Parser):
    """Matches no file of the test evidence."""

    name = "test.elsewhere"
    version = "0.1"
    kinds = (Message,)
    globs = ("**/nowhere.db",)
    limitations = "test parser"
