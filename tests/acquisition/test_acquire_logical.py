"""Logical acquisitions through the CLI: tar, tar.gz, zip and folder sources, copied or in place."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from evidence_intake.evidence.model import EntryType
from tests.evidence.logical_samples import build_folder, build_tar, build_zip, phone_items
from tests.helpers import add_exhibit, cli, cli_json, make_case


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-002", "phone")
    return root


def manifest_members(path: Path) -> dict[str, dict]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {m["path"]: m for m in lines if "path" in m and "sha256" in m.get("hashes", {})}


def expected_files(items: list) -> dict[str, bytes]:
    return {"/" + i.path: i.data for i in items if i.kind is EntryType.FILE}


@pytest.mark.parametrize(("kind", "name"), [("tar", "ffs.tar"), ("gzip", "ffs.tar.gz"), ("zip", "ffs.zip")])
def test_container_is_copied_byte_for_byte_with_a_manifest(
    case_dir: Path, tmp_path: Path, kind: str, name: str
) -> None:
    items = phone_items()
    source = tmp_path / name
    if kind == "zip":
        build_zip(source, items)
    else:
        build_tar(source, items, "gzip" if kind == "gzip" else "")
    original = source.read_bytes()
    result = cli_json("acquire", source, "--exhibit", "EX-002", "--case", case_dir)
    acq = result["acquisition"]
    assert acq["kind"] == "logical" and acq["format"] == ("zip" if kind == "zip" else "tar")
    [preserved] = acq["paths"]
    assert Path(preserved).read_bytes() == original and source.read_bytes() == original
    assert acq["hashes"]["sha256"] == hashlib.sha256(original).hexdigest()
    assert acq["hashes"]["md5"] == hashlib.md5(original).hexdigest()
    members = manifest_members(Path(acq["manifest_path"]))
    for path, data in expected_files(items).items():
        assert members[path]["hashes"]["sha256"] == hashlib.sha256(data).hexdigest(), path
        assert members[path]["size"] == len(data)
    assert [o["status"] for o in cli_json("verify", "--case", case_dir, "--exhibit", "EX-002")] == [
        "verified"
    ]


def test_folder_copy_keeps_links_and_verifies(case_dir: Path, tmp_path: Path) -> None:
    items = phone_items()
    source = build_folder(tmp_path / "extraction", items)
    acq = cli_json("acquire", source, "--exhibit", "EX-002", "--case", case_dir)["acquisition"]
    copy = Path(acq["paths"][0])
    assert copy.is_dir() and copy.name == "EX-002.files"
    assert (copy / "sdcard" / "last_photo").is_symlink()
    for path, data in expected_files(items).items():
        assert (copy / path.lstrip("/")).read_bytes() == data
    assert "manifest_sha256" in acq["hashes"]
    assert cli_json("verify", "--case", case_dir)[0]["status"] == "verified"
    # a member changed in the preserved copy is caught and named
    (copy / "sdcard" / "微信" / "聊天记录.txt").write_text("changed", encoding="utf-8")
    result = cli("verify", "--case", case_dir, "--json", expect=5)
    assert "聊天记录.txt" in result.stdout


def test_in_place_references_the_source_without_copying(case_dir: Path, tmp_path: Path) -> None:
    source = build_zip(tmp_path / "iphone.zip", phone_items())
    acq = cli_json("acquire", source, "--exhibit", "EX-002", "--case", case_dir, "--in-place")["acquisition"]
    assert acq["in_place"] is True and acq["paths"] == [str(source.resolve())]
    assert not list((case_dir / "evidence" / "EX-002").glob("*.zip"))
    assert (case_dir / "evidence" / "EX-002" / "EX-002.manifest.jsonl").is_file()


def test_options_that_do_not_apply_to_logical_sources(case_dir: Path, tmp_path: Path) -> None:
    source = build_tar(tmp_path / "a.tar", phone_items())
    assert (
        "--split"
        in cli(
            "acquire", source, "--exhibit", "EX-002", "--case", case_dir, "--split", "1MiB", expect=2
        ).stderr
    )
    raw = tmp_path / "disk.img"
    raw.write_bytes(bytes(4096))
    assert (
        "--in-place"
        in cli("acquire", raw, "--exhibit", "EX-002", "--case", case_dir, "--in-place", expect=2).stderr
    )


def test_a_preserved_file_changed_after_acquisition_is_refused_when_read(
    case_dir: Path, tmp_path: Path
) -> None:
    """Reading an exhibit checks each file read whole against the manifest: a changed or added file is
    an IntegrityError naming it; files as acquired read as before; a partial read is not judged."""
    from evidence_intake.case import Case
    from evidence_intake.errors import IntegrityError
    from evidence_intake.evidence.opener import open_exhibit

    items = phone_items()
    source = build_folder(tmp_path / "extraction", items)
    acq = cli_json("acquire", source, "--exhibit", "EX-002", "--case", case_dir)["acquisition"]
    [preserved] = acq["paths"]
    files = expected_files(items)
    changed, kept = sorted(files)[:2]
    with Case.open(case_dir) as case, open_exhibit(case, "EX-002") as tree:
        entries = {e.path: e for e in tree.walk() if e.type is EntryType.FILE}
        with tree.open(entries[kept]) as fh:
            assert fh.read() == files[kept]
    target = Path(preserved) / changed.lstrip("/")
    target.chmod(0o644)
    target.write_bytes(files[changed] + b"!")
    (Path(preserved) / "planted.txt").write_bytes(b"not acquired")
    with Case.open(case_dir) as case, open_exhibit(case, "EX-002") as tree:
        entries = {e.path: e for e in tree.walk() if e.type is EntryType.FILE}
        with tree.open(entries[kept]) as fh:
            assert fh.read() == files[kept]
        with tree.open(entries[changed]) as fh:
            assert fh.read(1) == files[changed][:1]  # not judged until read to its end
            with pytest.raises(IntegrityError, match="no longer matches the acquisition manifest") as caught:
                fh.read()
        assert changed in str(caught.value) and "verify --exhibit EX-002" in (caught.value.hint or "")
        with pytest.raises(IntegrityError, match="is not in the acquisition manifest"):
            tree.open(entries["/planted.txt"])


def test_a_member_the_acquisition_could_not_read_is_not_called_foreign(
    case_dir: Path, tmp_path: Path
) -> None:
    """A tar cut off inside its last member: the manifest lists that member with its error and no hash.
    Reading it later reports the damage, never 'not in the acquisition manifest' (which would claim
    the evidence was added to)."""
    from evidence_intake.case import Case
    from evidence_intake.errors import IntakeError
    from evidence_intake.evidence.opener import open_exhibit
    from tests.evidence.logical_samples import Item

    last = Item("sdcard/z-last.bin", EntryType.FILE, bytes(range(256)) * 80)
    source = build_tar(tmp_path / "ffs.tar", [*phone_items(), last])
    data = source.read_bytes()
    source.write_bytes(data[: len(data) - 10_240 - 5_000])  # the end blocks and part of the last member
    acq = cli_json("acquire", source, "--exhibit", "EX-002", "--case", case_dir)["acquisition"]
    members = [json.loads(line) for line in Path(acq["manifest_path"]).read_text().splitlines()]
    damaged = [m["path"] for m in members if m.get("type") == "file" and (m.get("error") or m.get("problem"))]
    assert damaged
    with Case.open(case_dir) as case, open_exhibit(case, "EX-002") as tree:
        entry = next(e for e in tree.walk() if e.path == damaged[-1])
        with pytest.raises(IntakeError) as caught:
            with tree.open(entry) as fh:
                fh.read()
    assert "acquisition manifest" not in str(caught.value)
