from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence_intake.acquisition.manifest import (
    ManifestMember,
    build_manifest,
    check_manifest,
    read_manifest,
    write_manifest,
)
from evidence_intake.errors import ConflictError, EvidenceError, IntegrityError, UsageError
from evidence_intake.evidence.logical import FolderTree, TarTree, ZipTree
from evidence_intake.evidence.model import EntryType, EvidenceTree
from tests.evidence.logical_samples import Item, build_folder, build_tar, build_zip, phone_items
from tests.evidence.test_logical_zip import patch_member

BUILDERS: dict[str, Callable[[Path, list[Item]], EvidenceTree]] = {
    "tar": lambda folder, items: TarTree(build_tar(folder / "phone.tar", items)),
    "tar.gz": lambda folder, items: TarTree(build_tar(folder / "phone.tgz", items, "gzip")),
    "zip": lambda folder, items: ZipTree(build_zip(folder / "phone.zip", items)),
    "folder": lambda folder, items: FolderTree(build_folder(folder / "phone", items)),
}


def expected_rows(items: list[Item]) -> dict[str, tuple[str, int, dict[str, str], int | None]]:
    rows = {}
    for item in items:
        if item.kind is EntryType.FILE:
            hashes = {
                "md5": hashlib.md5(item.data).hexdigest(),
                "sha256": hashlib.sha256(item.data).hexdigest(),
            }
            rows["/" + item.path] = ("file", len(item.data), hashes, len(item.data))
        elif item.kind is EntryType.LINK:
            rows["/" + item.path] = ("link", len(item.target.encode()), {}, None)
        else:
            rows["/" + item.path] = ("directory", 0, {}, None)
    return rows


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_manifest_members_match_the_container(tmp_path: Path, kind: str) -> None:
    items = phone_items()
    calls: list[tuple[int, int]] = []
    with BUILDERS[kind](tmp_path, items) as tree:
        members = list(
            build_manifest(tree, algorithms=("sha256", "md5"), progress=lambda m, b: calls.append((m, b)))
        )
    found = {m.path: (m.type, m.size, m.hashes, m.read) for m in members}
    assert found == expected_rows(items)
    assert all(m.occurrence == 0 and m.error is None and m.problem is None for m in members)
    total = sum(len(i.data) for i in items if i.kind is EntryType.FILE)
    assert calls[-1] == (len(items), total)
    assert calls == sorted(calls)


def test_written_manifest_is_plain_json_lines_and_reads_back(tmp_path: Path) -> None:
    items = phone_items()
    archive = build_zip(tmp_path / "phone.zip", items)
    container = {"sha256": hashlib.sha256(archive.read_bytes()).hexdigest()}
    out = tmp_path / "EX-001.manifest.jsonl"
    with ZipTree(archive) as tree:
        summary = write_manifest(build_manifest(tree), out, container_hashes=container, source=str(archive))

    text = out.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["format"] == "evidence-intake-manifest" and lines[0]["container_hashes"] == container
    assert lines[0]["source"] == str(archive)
    assert lines[-1]["end"] is True and lines[-1]["members"] == len(items) == len(lines) - 2
    assert "สัญญาเงินกู้.pdf" in text and "聊天记录.txt" in text  # names stay readable
    assert summary.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert (summary.members, summary.files, summary.directories, summary.links) == (17, 6, 10, 1)
    assert summary.bytes_hashed == sum(len(i.data) for i in items if i.kind is EntryType.FILE)
    assert not out.with_name(out.name + ".partial").exists()

    manifest = read_manifest(out)
    assert manifest.header.container_hashes == container
    assert [m.to_dict() for m in manifest.members] == lines[1:-1]
    assert manifest.members[4] == ManifestMember.from_dict(lines[5])

    with pytest.raises(ConflictError):
        write_manifest(iter([]), out, container_hashes=container, source="again")
    assert out.read_text(encoding="utf-8") == text


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_741_944_600
            tar.addfile(info, io.BytesIO(data))
    return path


def test_check_manifest_finds_changed_missing_and_extra_members(tmp_path: Path) -> None:
    original = {"sms/mmssms.db": b"A" * 5000, "line/naver_line": b"B" * 300, "wallet/seed.txt": b"C" * 40}
    first = _tar(tmp_path / "first.tar", original)
    out = tmp_path / "first.manifest.jsonl"
    with TarTree(first) as tree:
        write_manifest(build_manifest(tree), out, container_hashes={}, source="first.tar")
        assert check_manifest(tree, out) == []

    altered = {"sms/mmssms.db": b"A" * 4999 + b"Z", "wallet/seed.txt": b"C" * 40, "new/planted.apk": b"PK"}
    with TarTree(_tar(tmp_path / "second.tar", altered)) as tree:
        differences = check_manifest(tree, out)
    assert [(d.kind, d.path) for d in differences] == [
        ("changed", "/sms/mmssms.db"),
        ("extra", "/new/planted.apk"),
        ("missing", "/line/naver_line"),
    ]
    assert differences[0].detail == "sha256 differs"
    assert str(differences[0]) == "/sms/mmssms.db: changed (sha256 differs)"
    assert differences[0].expected is not None and differences[0].found is not None


def test_same_name_twice_is_told_apart_by_occurrence(tmp_path: Path) -> None:
    archive = tmp_path / "dup.tar"
    with tarfile.open(archive, "w") as tar:
        for data in (b"first", b"second"):
            info = tarfile.TarInfo("./notes.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with TarTree(archive) as tree:
        members = list(build_manifest(tree))
    assert [(m.path, m.occurrence, m.hashes["sha256"]) for m in members] == [
        ("/notes.txt", 0, hashlib.sha256(b"first").hexdigest()),
        ("/notes.txt", 1, hashlib.sha256(b"second").hexdigest()),
    ]


def test_an_altered_or_cut_manifest_is_refused(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "a.tar", {"a.txt": b"alpha", "b.txt": b"beta"})
    out = tmp_path / "a.manifest.jsonl"
    with TarTree(archive) as tree:
        write_manifest(build_manifest(tree), out, container_hashes={}, source="a.tar")
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    good = hashlib.sha256(b"alpha").hexdigest()

    forged = tmp_path / "forged.jsonl"
    forged.write_text("".join(lines).replace(good, hashlib.sha256(b"omega").hexdigest()), encoding="utf-8")
    with pytest.raises(IntegrityError, match="altered"):
        read_manifest(forged)
    with TarTree(archive) as tree, pytest.raises(IntegrityError):
        check_manifest(tree, forged)

    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(IntegrityError, match="incomplete"):
        read_manifest(cut)

    garbled = tmp_path / "garbled.jsonl"
    garbled.write_text(lines[0] + "{not json\n" + "".join(lines[1:]), encoding="utf-8")
    with pytest.raises(EvidenceError, match="line 2"):
        read_manifest(garbled)


def test_members_that_lie_or_cannot_be_read_are_recorded_as_such(tmp_path: Path) -> None:
    archive = tmp_path / "odd.zip"
    payload = bytes(3 * 1024 * 1024)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("liar.bin", payload)
        out.writestr("locked.txt", b"secret")
        out.writestr("fine.txt", b"fine")
    patch_member(archive, "liar.bin", declared=len(payload) * 4)
    patch_member(archive, "locked.txt", set_flags=0x1)
    with ZipTree(archive) as tree:
        tracemalloc.start()
        members = {m.path: m for m in build_manifest(tree)}
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    liar = members["/liar.bin"]
    assert liar.size == len(payload) * 4 and liar.read == len(payload)
    assert liar.hashes == {"sha256": hashlib.sha256(payload).hexdigest()}  # over exactly the bytes read
    assert liar.problem is not None and "yields only" in liar.problem
    locked = members["/locked.txt"]
    assert locked.hashes == {} and locked.error is not None and "encrypted" in locked.error
    assert members["/fine.txt"].hashes == {"sha256": hashlib.sha256(b"fine").hexdigest()}
    assert peak < 6 * 1024 * 1024  # members are hashed as streams


def test_unknown_algorithms_are_refused(tmp_path: Path) -> None:
    with TarTree(_tar(tmp_path / "a.tar", {"a": b"a"})) as tree, pytest.raises(UsageError, match="sha257"):
        list(build_manifest(tree, algorithms=("sha257",)))


@pytest.mark.parametrize("compression", ["", "gzip"])
def test_a_cut_tar_is_hashed_in_one_pass_and_the_cut_member_claims_no_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compression: str
) -> None:
    payloads = {name: (name.encode() * 2000)[:10_000] for name in ("a.bin", "b.bin", "c.bin")}
    plain = _tar(tmp_path / "full.tar", payloads).read_bytes()[: 21_504 + 512 + 4_000]  # c.bin is cut
    archive = tmp_path / "cut.bin"
    archive.write_bytes(gzip.compress(plain, compresslevel=1) if compression else plain)

    def refuse(self: TarTree, entry: object) -> None:
        raise AssertionError("members of a tar are hashed in the walk's single pass, not reopened")

    monkeypatch.setattr(TarTree, "open", refuse)
    with TarTree(archive) as tree:
        members = {m.path: m for m in build_manifest(tree)}
        assert tree.problems and tree.problems[0].kind == "corrupt"
    for name in ("a.bin", "b.bin"):
        assert members["/" + name].hashes == {"sha256": hashlib.sha256(payloads[name]).hexdigest()}
    cut = members["/c.bin"]
    assert cut.hashes == {} and cut.error is not None and "c.bin" in cut.error
