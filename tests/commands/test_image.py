"""``evidence-intake image info`` on the command line: tables for people, JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from evidence_intake.acquisition.base import ErrorRange
from evidence_intake.commands import image
from evidence_intake.errors import EvidenceError
from tests.acquisition.ewf_builders import CHUNK, media, write_e01


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Test root."""

    image.register(root)
    return root


def test_info_table(tmp_path: Path, app: typer.Typer) -> None:
    write_e01(tmp_path / "EX-001", media(5 * CHUNK), error_map=[ErrorRange(1024, 2048)])
    result = CliRunner().invoke(app, ["image", "info", str(tmp_path / "EX-001.E01")])
    assert result.exit_code == 0, result.output
    for expected in ("EnCase 6", "TCSD 123/2568", "Pol.Lt. Somchai", "SM-A515F", "EX-001.E01", "2-5"):
        assert expected in result.output


def test_info_json(tmp_path: Path, app: typer.Typer) -> None:
    write_e01(tmp_path / "EX-002", media(2 * CHUNK))
    result = CliRunner().invoke(
        app, ["image", "info", str(tmp_path / "EX-002.E01"), "--json", "--segment-hashes"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["evidence_number"] == "EX-001"
    assert data["media_size"] == 2 * CHUNK
    assert len(data["segments"][0]["sha256"]) == 64
    assert data["stored_hashes"]["md5"] is not None


def test_segment_hashes_show_progress_on_stderr_and_keep_stdout_json(
    tmp_path: Path, app: typer.Typer, bars_drawn: None
) -> None:
    write_e01(tmp_path / "EX-002", media(2 * CHUNK))
    result = CliRunner().invoke(
        app, ["image", "info", str(tmp_path / "EX-002.E01"), "--json", "--segment-hashes"]
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["segments"][0]["sha256"]) == 64
    assert "hashing EX-002.E01" in result.stderr


def test_info_raw(tmp_path: Path, app: typer.Typer) -> None:
    (tmp_path / "sd.img").write_bytes(bytes(4096))
    result = CliRunner().invoke(app, ["image", "info", str(tmp_path / "sd.img"), "--json"])
    assert json.loads(result.stdout) == {
        "path": str(tmp_path / "sd.img"),
        "format": "raw",
        "segments": [{"path": str(tmp_path / "sd.img"), "number": 1, "size": 4096, "sha256": None}],
        "media_size": 4096,
    }


def test_info_of_a_broken_image_raises_the_intake_error(tmp_path: Path, app: typer.Typer) -> None:
    (tmp_path / "b.E01").write_bytes(b"EVF\x09\x0d\x0a\xff\x00\x01\x01\x00\x00\x00")
    result = CliRunner().invoke(app, ["image", "info", str(tmp_path / "b.E01")])
    assert isinstance(result.exception, EvidenceError)  # the root CLI turns it into exit status 4
    assert "b.E01 at offset 13" in result.exception.message


def test_help_has_an_example(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["image", "info", "--help"])
    assert "Example: evidence-intake image info" in result.output
