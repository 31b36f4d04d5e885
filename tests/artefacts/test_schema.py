"""The store's tables match the kinds, migrations apply once, and every kind is documented."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import fields
from pathlib import Path

from evidence_intake.artefacts.kinds import KINDS, PROVENANCE_COLUMNS
from evidence_intake.artefacts.schema import MIGRATIONS, expected_columns
from evidence_intake.artefacts.store import ArtefactStore

DOCS = Path(__file__).resolve().parents[2] / "docs" / "artefacts.md"


def test_base_tables_match_the_kind_specs(tmp_path: Path) -> None:
    with ArtefactStore(tmp_path / "a.sqlite") as store:
        for spec in KINDS.values():
            cols = [r[1] for r in store.conn.execute(f"PRAGMA table_info({spec.table})")]
            assert cols == expected_columns(spec), spec.name
            view = [r[1] for r in store.conn.execute(f"PRAGMA table_info({spec.name})")]
            provenance = {"parser", "parser_version", "extraction_id", "source_partition", "source_path"}
            assert provenance | {"source_sha256", "record_table", "record_rowid", "exhibit"} <= set(view)


def test_every_dataclass_field_has_a_column() -> None:
    for spec in KINDS.values():
        stored = {c.field for c in spec.columns}
        for f in fields(spec.artefact):
            if f.name in ("locator", "region"):
                continue
            assert f.name in stored, f"{spec.artefact.__name__}.{f.name} is not stored"


def test_migrations_apply_once(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    ArtefactStore(path).close()
    ArtefactStore(path).close()
    conn = sqlite3.connect(path)
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (MIGRATIONS.name,)
        )
    ]
    assert names == ["m001_initial"]


def test_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    import pytest

    from evidence_intake.errors import IntakeError

    bad = tmp_path / "artefacts.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(IntakeError, match="is not a usable artefact store"):
        ArtefactStore(bad)


def test_docs_describe_every_table_and_column() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for spec in KINDS.values():
        section = re.search(rf"^### `{spec.name}`.*?(?=^### |\Z)", text, re.S | re.M)
        assert section, f"docs/artefacts.md has no section for {spec.name}"
        for column in (*spec.column_names, *PROVENANCE_COLUMNS):
            if column == "id":
                continue
            assert f"`{column}`" in section.group(0), (
                f"docs/artefacts.md does not describe {spec.name}.{column}"
            )
    for table in ("sources", "extraction_runs", "extraction_errors", "identifiers", "undecodable_text"):
        assert f"### `{table}`" in text, table
