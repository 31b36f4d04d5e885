from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidence_intake.acquisition.checksums import check, hash_paths
from evidence_intake.acquisition.hashing import BLOCK
from evidence_intake.cli import app
from tests.helpers import RecordedProgress


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "extraction"
    (root / "data" / "ไลน์").mkdir(parents=True)
    (root / "data" / "ไลน์" / "chat.db").write_bytes(b"SQLite format 3\x00" + bytes(100))
    (root / "微信.txt").write_text("转账", encoding="utf-8")
    (root / "empty").write_bytes(b"")
    return root


def test_hash_folder_in_sha256sum_format_and_check_with_coreutils(
    tree: Path, monkeypatch, require_tool
) -> None:
    sha256sum = require_tool("sha256sum", "coreutils")
    monkeypatch.chdir(tree.parent)
    result = CliRunner().invoke(app, ["hash", "extraction"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    for line in lines:
        digest, path = line.split("  ", 1)
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == digest
    sums = tree.parent / "sums.txt"
    sums.write_text(result.stdout, encoding="utf-8")
    assert subprocess.run([sha256sum, "-c", str(sums)], cwd=tree.parent, capture_output=True).returncode == 0


def test_several_algorithms_write_tagged_lines(tree: Path, monkeypatch, require_tool) -> None:
    md5sum = require_tool("md5sum", "coreutils")
    monkeypatch.chdir(tree.parent)
    result = CliRunner().invoke(app, ["hash", "extraction/empty", "-a", "md5,sha1,sha256"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"MD5 (extraction/empty) = {hashlib.md5(b'').hexdigest()}",
        f"SHA1 (extraction/empty) = {hashlib.sha1(b'').hexdigest()}",
        f"SHA256 (extraction/empty) = {hashlib.sha256(b'').hexdigest()}",
    ]
    md5_lines = tree.parent / "md5.txt"
    md5_lines.write_text(result.stdout.splitlines()[0] + "\n")
    assert (
        subprocess.run([md5sum, "-c", str(md5_lines)], cwd=tree.parent, capture_output=True).returncode == 0
    )


def test_check_catches_a_changed_and_a_missing_file(tree: Path, monkeypatch) -> None:
    monkeypatch.chdir(tree.parent)
    runner = CliRunner()
    listing = runner.invoke(app, ["hash", "extraction", "-a", "sha256,md5"]).stdout
    (tree.parent / "sums").write_text(listing, encoding="utf-8")
    ok = runner.invoke(app, ["hash", "--check", "sums"])
    assert ok.exit_code == 0 and "FAILED" not in ok.stdout
    (tree / "微信.txt").write_text("转账 changed", encoding="utf-8")
    (tree / "empty").unlink()
    bad = runner.invoke(app, ["hash", "--check", "sums", "--json"])
    assert bad.exit_code == 5
    statuses = {(r["path"], r["algorithm"]): r["status"] for r in json.loads(bad.stdout)}
    assert statuses[("extraction/微信.txt", "sha256")] == "FAILED"
    assert statuses[("extraction/empty", "md5")] == "MISSING"
    assert statuses[("extraction/data/ไลน์/chat.db", "sha256")] == "OK"


def test_a_malformed_checksum_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sums"
    bad.write_text("this is not a checksum line\n")
    result = CliRunner().invoke(app, ["hash", "--check", str(bad)])
    assert result.exit_code == 2
    assert "line 1" in result.stderr


def test_a_manifest_with_a_byte_order_mark_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows tools write UTF-8 with a BOM; the first line must still be a checksum line."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.bin").write_bytes(b"seized")
    digest = hashlib.sha256(b"seized").hexdigest()
    (tmp_path / "SHA256SUMS").write_bytes(("\ufeff" + f"{digest}  a.bin\r\n").encode("utf-8"))
    assert [r.to_dict() for r in check(tmp_path / "SHA256SUMS")] == [
        {"path": "a.bin", "algorithm": "sha256", "status": "OK"}
    ]


def test_hashing_and_checking_report_every_files_bytes(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What draws the bar of `hash` and `hash --check`: one phase per file, every byte read counted."""
    (tree / "phone.dd").write_bytes(bytes(BLOCK + 5))  # read in two blocks
    hashed = RecordedProgress()
    items = list(hash_paths([tree], ("sha256", "md5"), progress=hashed))
    assert hashed.phases == [(f"hashing {i.path}", i.size, i.size) for i in items]
    assert ("hashing " + str(tree / "phone.dd"), BLOCK + 5, BLOCK + 5) in hashed.phases
    monkeypatch.chdir(tree)
    [phone] = [i for i in items if i.path.endswith("phone.dd")]
    (tree / "sums").write_text(f"{phone.hashes['sha256']}  phone.dd\n")
    checked = RecordedProgress()
    assert [r.status for r in check(tree / "sums", progress=checked)] == ["OK"]
    assert checked.phases == [("checking phone.dd", BLOCK + 5, BLOCK + 5)]


def test_progress_bars_go_to_stderr_and_leave_stdout_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bars_drawn: None
) -> None:
    """With bars drawn (a terminal), stdout still holds exactly the sha256sum lines or the JSON."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.bin").write_bytes(b"seized")
    (tmp_path / "b.bin").write_bytes(b"image")
    digests = {
        name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in ("a.bin", "b.bin")
    }
    runner = CliRunner()
    listed = runner.invoke(app, ["hash", "a.bin", "b.bin"])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout == f"{digests['a.bin']}  a.bin\n{digests['b.bin']}  b.bin\n"
    assert "hashing a.bin" in listed.stderr and "hashing b.bin" in listed.stderr
    as_json = runner.invoke(app, ["hash", "a.bin", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == [
        {"path": "a.bin", "size": 6, "hashes": {"sha256": digests["a.bin"]}}
    ]
    assert "hashing a.bin" in as_json.stderr
    (tmp_path / "sums").write_text(listed.stdout)
    checked = runner.invoke(app, ["hash", "--check", "sums"])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout == "a.bin: OK\nb.bin: OK\n"
    assert "checking a.bin" in checked.stderr


def test_without_a_terminal_nothing_but_the_lines_is_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.bin").write_bytes(b"seized")
    result = CliRunner().invoke(app, ["hash", "a.bin"])
    assert result.stdout == f"{hashlib.sha256(b'seized').hexdigest()}  a.bin\n" and result.stderr == ""
