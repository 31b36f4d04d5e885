"""The parser framework: what a parser author imports.

    from evidence_intake.parsers import Parser, Schema, Source, BulkQuery, sql, times
    from evidence_intake.artefacts.model import Message, Locator, Direction

See docs/parsers.md for the guide and evidence_intake/parsers/android/ for reference parsers.
Importing this package registers nothing: parsers are found through entry points
(``evidence_intake.parsers.registry``).
"""

from __future__ import annotations

from evidence_intake.parsers import sql, times
from evidence_intake.parsers.base import APPLIES, Applicability, BulkQuery, Parser, not_applicable
from evidence_intake.parsers.schema import Schema, SchemaInfo
from evidence_intake.parsers.source import Source

__all__ = [
    "APPLIES",
    "Applicability",
    "BulkQuery",
    "Parser",
    "Schema",
    "SchemaInfo",
    "Source",
    "not_applicable",
    "sql",
    "times",
]
