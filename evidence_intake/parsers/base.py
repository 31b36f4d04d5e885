"""What a parser is: metadata as class attributes, "does it apply", and a generator of artefacts.

A parser never attaches provenance and never writes anywhere: it reads a ``Source`` and yields
artefact dataclasses (``Message``, ``Call``…), each with the ``Locator`` of the record it came from.
The engine runs it isolated (whatever it raises becomes an extraction error and the run goes on),
stores its rows with their provenance, and counts them.

Two optional extras, for parsers that need them:

* ``schemas``: known layouts of an SQLite store; the engine picks the first that fits before
  ``applies`` and ``parse`` run (``source.schema``), and reports "unsupported schema" when none does.
* ``bulk``: the fast path for tables with millions of rows. Instead of yielding a million objects,
  the parser returns ``BulkQuery`` objects: a SELECT over the source table whose columns are named
  after the dataclass fields. The engine runs it inside SQLite on the scratch copy (split into rowid
  ranges so that a pool of workers shares it), with the same conversions as the typed path and the
  same provenance. ``evidence_intake.parsers.sql`` has the helpers for times and directions.

docs/parsers.md is the guide; evidence_intake/parsers/android/ holds reference parsers to copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from evidence_intake.artefacts.kinds import BY_ARTEFACT
from evidence_intake.artefacts.model import Artefact
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
_VERSION = re.compile(r"^\d+(\.\d+){0,3}$")


@dataclass(frozen=True, slots=True)
class Applicability:
    """The answer of ``Parser.applies``: yes, or no with the reason (not applicable is not an error)."""

    applies: bool
    reason: str = ""


APPLIES = Applicability(True)


def not_applicable(reason: str) -> Applicability:
    return Applicability(False, reason)


@dataclass(frozen=True, slots=True)
class BulkQuery:
    """A SELECT the engine runs inside SQLite to produce one kind of artefact in bulk.

    ``sql`` reads the source (its tables are in the schema ``src``: ``FROM src.sms``) and returns
    columns named after the fields of ``kind`` (``body``, ``sent_at``, ``sent_at_raw``…) plus
    ``record_rowid`` (required: the rowid of ``table``, the record locator) and optionally
    ``record_table`` and ``region``. Times must be ISO text made with the ``parsers.sql`` helpers.
    ``table`` is the table whose rowid ranges split the work; set ``splittable=False`` when the
    query aggregates (GROUP BY) so that a rowid range cannot be pushed into it.
    """

    kind: type[Artefact]
    table: str
    sql: str
    splittable: bool = True
    label: str = ""


class Parser:
    """Base class of every parser; subclasses set the metadata and override ``parse``.

    Metadata (class attributes, checked when the registry loads the parser):

    ``name``         unique id, lower case with dots: "android.sms"
    ``version``      "1.0"; bump it whenever the rows it produces change
    ``kinds``        artefact classes it yields
    ``globs``        paths inside the evidence it reads ("**/databases/mmssms.db"); ``**`` spans folders
    ``sqlite``       True when the files are SQLite databases (copied with -wal/-shm/-journal)
    ``schemas``      known layouts, most specific first (SQLite parsers; empty = any)
    ``marker_tables`` tables that make a matched file this parser's business: a file with none of
                     them is "not applicable" instead of an "unsupported schema" (contacts2.db of
                     Android 7 and later has no ``calls`` table, and that is normal)
    ``references``   where the format is documented (URLs, source files)
    ``limitations``  what it does NOT decode, in plain words (shown in docs and ``parsers``)
    ``title``        one line for people
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = ""
    title: ClassVar[str] = ""
    kinds: ClassVar[tuple[type[Artefact], ...]] = ()
    globs: ClassVar[tuple[str, ...]] = ()
    sqlite: ClassVar[bool] = True
    schemas: ClassVar[tuple[Schema, ...]] = ()
    marker_tables: ClassVar[tuple[str, ...]] = ()
    references: ClassVar[tuple[str, ...]] = ()
    limitations: ClassVar[str] = ""

    def applies(self, source: Source) -> Applicability:
        """Whether this file is one the parser reads. Called after the schema check; default yes."""
        return APPLIES

    def parse(self, source: Source) -> Iterator[Artefact]:
        """Yield the artefacts of ``source``. Default: none (a parser may use ``bulk`` only)."""
        return iter(())

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        """Queries for the fast path (see ``BulkQuery``); they must not repeat what ``parse`` yields."""
        return ()

    @classmethod
    def required_tables(cls) -> dict[str, list[str]]:
        """Tables and columns every known layout needs (the intersection), for documentation."""
        if not cls.schemas:
            return {}
        common = {t: set(c) for t, c in cls.schemas[0].tables.items()}
        for schema in cls.schemas[1:]:
            for table in list(common):
                if table in schema.tables:
                    common[table] &= set(schema.tables[table])
                else:
                    del common[table]
        return {t: sorted(c) for t, c in sorted(common.items())}

    @classmethod
    def kind_names(cls) -> list[str]:
        return [BY_ARTEFACT[k].name for k in cls.kinds]


def check_metadata(cls: type) -> list[str]:
    """Problems with a parser class's metadata; empty when it can be registered."""
    if not isinstance(cls, type) or not issubclass(cls, Parser):
        return [f"{cls!r} is not a subclass of evidence_intake.parsers.Parser"]
    problems: list[str] = []
    if not _NAME.match(cls.name or ""):
        problems.append(f"name {cls.name!r} must be 2-64 characters of a-z 0-9 . _ - (e.g. 'android.sms')")
    if not _VERSION.match(cls.version or ""):
        problems.append(f"version {cls.version!r} must look like '1.0'")
    if not cls.kinds:
        problems.append("kinds is empty: list the artefact classes the parser yields")
    for kind in cls.kinds:
        if kind not in BY_ARTEFACT:
            problems.append(f"kind {kind!r} is not an artefact class of evidence_intake.artefacts")
    if not cls.globs:
        problems.append("globs is empty: list the paths the parser reads")
    for glob in cls.globs:
        if not glob.startswith(("/", "**")):
            problems.append(
                f"glob {glob!r} must start with '/' or '**/' (paths inside the evidence are absolute)"
            )
    if not cls.limitations.strip():
        problems.append("limitations is empty: say what the parser does not decode")
    if cls.schemas and not cls.sqlite:
        problems.append("schemas are given but sqlite is False")
    return problems
