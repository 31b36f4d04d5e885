"""The files and export-file commands, run through Typer against a case stand-in."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from evidence_intake.commands import files
from evidence_intake.errors import UsageError
from tests.evidence.fakes import FakeCase, fake_case
from tests.evidence.imaging import make_disk, make_fat, place, run

Tools = Callable[..., dict[str, str]]


def app() -> typer.Typer:
    root = typer.Typer()
    files.register(root)
    return root


@pytest.fixture
def case(tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCase:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "sfdisk")
    fat = make_fat(
        t,
        tmp_path / "p1.img",
        folders=["Telegram"],
        files={
            "Telegram/chat export.txt": "สวัสดี 你好".encode(),
            "seed.txt": b"abandon " * 12,
            "temporary_note.txt": b"t",
        },
        deleted=["temporary_note.txt"],
    )
    disk = make_disk(
        t, tmp_path / "phone.img", "dos", [(2048, 8192, "c"), (10240, 4096, "83")], sectors=16384
    )
    place(disk, fat, 2048)
    place(disk, bytes(range(256)) * 64, 10240)
    found = fake_case(disk)
    monkeypatch.setattr(files, "locate_case", lambda _dir, **_options: found)
    return found


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app(), list(args), catch_exceptions=False, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_table(case: FakeCase) -> None:
    out = invoke("files", "--exhibit", "EX-001", "--path", "*.txt")
    assert "p1:/seed.txt" in out and "p1:/Telegram/chat export.txt" in out and "deleted" in out
    assert "Asia/Bangkok" in out


def test_json_is_one_document_with_problems(case: FakeCase) -> None:
    data = json.loads(invoke("files", "--exhibit", "EX-001", "--json"))
    assert data["exhibit"] == "EX-001" and data["acquisition"] == "acq-0001"
    assert [v["name"] for v in data["volumes"]] == ["p1", "p2"]
    locations = {e["location"]: e for e in data["entries"]}
    assert locations["p1:/temporary_note.txt"]["deleted"] is True
    assert locations["p1:/seed.txt"]["mtime"].endswith("Z")
    assert [p["where"] for p in data["problems"]] == ["p2"]


def test_json_with_no_entries(case: FakeCase) -> None:
    data = json.loads(invoke("files", "--exhibit", "EX-001", "--format", "json", "--path", "*.nothing"))
    assert data["entries"] == [] and len(data["problems"]) == 1


def test_csv_and_filters(case: FakeCase) -> None:
    rows = list(
        csv.DictReader(io.StringIO(invoke("files", "--exhibit", "EX-001", "--format", "csv", "--deleted")))
    )
    assert [r["location"] for r in rows] == ["p1:/temporary_note.txt"]
    rows = list(
        csv.DictReader(
            io.StringIO(invoke("files", "--exhibit", "EX-001", "--format", "csv", "--type", "text/*"))
        )
    )
    assert {r["path"] for r in rows} >= {"/seed.txt", "/Telegram/chat export.txt"}
    assert all(r["mime"] == "text/plain" for r in rows)


def test_bodyfile_equals_fls(case: FakeCase, tools: Tools) -> None:
    out = invoke("files", "--exhibit", "EX-001", "--format", "bodyfile")
    image = case.acquisitions["EX-001"].paths[0]
    reference = run(tools("fls")["fls"], "-r", "-m", "p1:/", "-o", "2048", image)
    assert sorted(out.splitlines()) == sorted(reference.splitlines())


def test_unknown_format(case: FakeCase) -> None:
    with pytest.raises(UsageError):
        CliRunner().invoke(app(), ["files", "--exhibit", "EX-001", "--format", "xml"], catch_exceptions=False)


def test_export_file(case: FakeCase, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    data = json.loads(
        invoke("export-file", "--exhibit", "EX-001", "p1:/seed.txt", "--out", str(out), "--json")
    )
    assert data["sha256"] == hashlib.sha256(b"abandon " * 12).hexdigest()
    assert Path(data["destination"]) == out / "p1" / "seed.txt"
    assert case.recorded[0]["details"]["location"] == "p1:/seed.txt"
    text = invoke("export-file", "--exhibit", "EX-001", "p1:/Telegram/chat export.txt", "--out", str(out))
    assert "SHA-256" in text and hashlib.sha256("สวัสดี 你好".encode()).hexdigest() in text


def test_keys_are_parsed_or_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert files.parse_keys(["p2=123456-654321", "*=pw=with=equals"]) == {
        "p2": "123456-654321",
        "*": "pw=with=equals",
    }
    monkeypatch.setattr(typer, "prompt", lambda *a, **k: "typed secret")
    assert files.parse_keys(["p3"]) == {"p3": "typed secret"}
    with pytest.raises(UsageError):
        files.parse_keys(["=x"])


def test_every_command_has_an_example() -> None:
    for command in (files.files_command, files.export_command):
        assert "Example: evidence-intake " in (command.__doc__ or "")
