"""LUKS volumes made by cryptsetup open with their passphrase; the file system inside is walked.

This kernel has no device-mapper, so cryptsetup can write headers and keyslots (luksFormat, with a
volume key we choose) but cannot write data through an opened volume. The keyslots are therefore
cryptsetup's own, and unlocking one proves the derivation (PBKDF2, Argon2i, Argon2id), the stripes and
the digest check; the data area is then encrypted by the test as dm-crypt does (AES-XTS, plain64 IVs
counted in 512-byte units from the segment's start), with an ext4 image inside.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from evidence_intake.evidence.images import open_image
from evidence_intake.evidence.luks import LuksVolume, WrongPassphrase
from evidence_intake.evidence.tsk import TskTree
from tests.evidence.imaging import fill_folder, make_disk, make_ext4, place, run

Tools = Callable[..., dict[str, str]]
PASSPHRASE = "รหัสผ่าน 2568 ห้ามบอกใคร"
VOLUME_KEY = bytes(range(64))
FILES = {
    "seed.txt": b"abandon ability able about above absent\n",
    "chat/notes.txt": "โอน USDT".encode() * 300,
}


def luks(
    tools: dict[str, str],
    tmp_path: Path,
    name: str,
    *options: str,
    content: bytes | None = None,
    mib: int = 24,
) -> tuple[Path, int, int]:
    """A LUKS volume holding ``content`` (by default the ext4 of FILES); returns it, its data offset and
    its sector size."""
    volume = tmp_path / f"{name}.img"
    with volume.open("wb") as fh:
        fh.truncate(mib << 20)
    (tmp_path / "vk").write_bytes(VOLUME_KEY)
    (tmp_path / "pass").write_text(PASSPHRASE, encoding="utf-8")
    run(
        tools["cryptsetup"], "luksFormat", "-q", *options,
        "--volume-key-file", tmp_path / "vk", "--key-file", tmp_path / "pass", volume,
    )  # fmt: skip
    if "luks1" in options:
        dump = run(tools["cryptsetup"], "luksDump", volume)
        offset = int(
            next(line for line in dump.splitlines() if line.startswith("Payload offset")).split()[-1]
        )
        offset, sector = offset * 512, 512
    else:
        segment = json.loads(run(tools["cryptsetup"], "luksDump", "--dump-json-metadata", volume))[
            "segments"
        ]["0"]
        offset, sector = int(segment["offset"]), int(segment["sector_size"])
    if content is None:
        files = fill_folder(tmp_path / f"{name}-files", FILES)
        content = make_ext4(tools, tmp_path / f"{name}.ext4", files, size="4M").read_bytes()
    plain = content
    encrypted = bytearray()
    for start in range(0, len(plain), sector):
        tweak = (start // 512).to_bytes(16, "little")
        encryptor = Cipher(algorithms.AES(VOLUME_KEY), modes.XTS(tweak)).encryptor()
        encrypted += encryptor.update(plain[start : start + sector]) + encryptor.finalize()
    with volume.open("r+b") as fh:
        fh.seek(offset)
        fh.write(encrypted)
    return volume, offset, sector


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("luks2-argon2id", ("--type", "luks2", "--pbkdf", "argon2id", "--pbkdf-memory", "32768",
                            "--pbkdf-force-iterations", "4")),
        ("luks2-argon2i", ("--type", "luks2", "--pbkdf", "argon2i", "--pbkdf-memory", "32768",
                           "--pbkdf-force-iterations", "4")),
        ("luks2-pbkdf2-512", ("--type", "luks2", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000",
                              "--sector-size", "512")),
        ("luks1", ("--type", "luks1", "--pbkdf-force-iterations", "1000")),
    ],
)  # fmt: skip
def test_the_passphrase_opens_cryptsetups_keyslots_and_the_data_reads(
    tools: Tools, tmp_path: Path, name: str, options: tuple[str, ...]
) -> None:
    t = tools("cryptsetup", "mkfs.ext4")
    volume, _, sector = luks(t, tmp_path, name, *options)
    assert sector == (512 if name in ("luks1", "luks2-pbkdf2-512") else 4096)
    with TskTree(open_image([volume]), keys={"*": PASSPHRASE}) as tree:
        [info] = tree.volumes()
        assert (info.filesystem, info.problem) == ("ext4", None)
        assert info.description.endswith(f"{name[:5].upper()}, opened with the key given")
        found = {e.path: e for e in tree.walk() if e.type.value == "file"}
        assert set(found) == {"/seed.txt", "/chat/notes.txt"}
        for path, content in FILES.items():
            with tree.open(found["/" + path]) as stream:
                assert stream.read() == content


def test_a_wrong_passphrase_or_none_is_said_and_never_shown(tools: Tools, tmp_path: Path) -> None:
    t = tools("cryptsetup", "mkfs.ext4")
    volume, _, _ = luks(
        t, tmp_path, "v", "--type", "luks2", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"
    )
    with TskTree(open_image([volume]), keys={"*": "not the passphrase"}) as tree:
        [problem] = tree.problems
        assert problem.kind == "encrypted"
        assert problem.reason == "LUKS2 volume in image: the passphrase given does not open it"
        assert list(tree.walk()) == []
    with TskTree(open_image([volume])) as tree:
        assert tree.problems[0].reason.startswith("LUKS2-encrypted volume in image; give its passphrase")
        assert tree.problems[0].reason.endswith("(--key '*')")  # the name a key for a bare image takes
    with open_image([volume]) as reader, pytest.raises(WrongPassphrase):
        LuksVolume(reader, 0, reader.size).unlock("")


def test_a_luks_partition_beside_a_plain_one(tools: Tools, tmp_path: Path) -> None:
    t = tools("cryptsetup", "mkfs.ext4", "sfdisk")
    volume, _, _ = luks(t, tmp_path, "home", "--type", "luks1", "--pbkdf-force-iterations", "1000")
    boot = make_ext4(
        t, tmp_path / "boot.ext4", fill_folder(tmp_path / "boot", {"vmlinuz": b"kernel"}), size="4M"
    )
    disk = make_disk(
        t, tmp_path / "laptop.img", "gpt", [(2048, 8192, "L"), (10240, 24 << 11, "L")], sectors=62000
    )
    place(disk, boot, 2048)
    place(disk, volume, 10240)
    with TskTree(open_image([disk])) as tree:
        assert tree.problems[0].reason.endswith("(--key p2)")
    with TskTree(open_image([disk]), keys={"p2": PASSPHRASE}) as tree:
        assert [(v.name, v.filesystem) for v in tree.volumes()] == [("p1", "ext4"), ("p2", "ext4")]
        files = {e.location for e in tree.walk() if e.type.value == "file"}
        assert {"p1:/vmlinuz", "p2:/seed.txt", "p2:/chat/notes.txt"} <= files


def test_a_damaged_luks2_header_falls_back_to_its_second_copy(tools: Tools, tmp_path: Path) -> None:
    t = tools("cryptsetup", "mkfs.ext4")
    volume, _, _ = luks(
        t, tmp_path, "v", "--type", "luks2", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"
    )
    with volume.open("r+b") as fh:  # break the first JSON area; its checksum no longer matches
        fh.seek(4096 + 10)
        fh.write(b"#####")
    with TskTree(open_image([volume]), keys={"*": PASSPHRASE}) as tree:
        assert tree.volumes()[0].filesystem == "ext4"
    with volume.open("r+b") as fh:  # and the second copy too: a clear problem, no crash
        fh.seek(16384 + 4096 + 10)
        fh.write(b"#####")
    with TskTree(open_image([volume]), keys={"*": PASSPHRASE}) as tree:
        [problem] = tree.problems
        assert "LUKS2" in problem.reason and "cannot be opened" in problem.reason
        assert "checksum" in problem.reason


def test_cryptsetup_agrees_the_passphrase_is_right(tools: Tools, tmp_path: Path) -> None:
    """The passphrase the tests use is the one cryptsetup itself accepts (and rejects the wrong one)."""
    t = tools("cryptsetup", "mkfs.ext4")
    volume, _, _ = luks(
        t, tmp_path, "v", "--type", "luks2", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"
    )
    ok = subprocess.run(
        [t["cryptsetup"], "open", "--test-passphrase", "--key-file", tmp_path / "pass", volume]
    )
    (tmp_path / "bad").write_text("nope")
    bad = subprocess.run(
        [t["cryptsetup"], "open", "--test-passphrase", "--key-file", tmp_path / "bad", volume],
        capture_output=True,
    )
    assert (ok.returncode, bad.returncode != 0) == (0, True)


def test_lvm_inside_luks_as_ubuntu_installs_it(tools: Tools, tmp_path: Path) -> None:
    """Full-disk encryption as Ubuntu's installer sets it up: a LUKS partition holding an LVM volume
    group, whose logical volumes hold the file systems. Opened with the passphrase, all the way down."""
    from tests.evidence.test_lvm import lv_text, lvm_tools, make_volume_group, pe_start, put

    t = {**lvm_tools(tools), **tools("cryptsetup", "sfdisk")}
    root = make_ext4(t, tmp_path / "root.ext4", fill_folder(tmp_path / "root", FILES), size="4M").read_bytes()
    _, (pv,), metadata = make_volume_group(t, tmp_path, [lv_text("root", [(0, 4, "striped", [("pv0", 2)])])])
    put(pv, pe_start(metadata) + (2 << 20), root)
    volume, _, _ = luks(
        t, tmp_path, "crypt", "--type", "luks2", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000",
        content=pv.read_bytes(), mib=96,
    )  # fmt: skip
    disk = make_disk(t, tmp_path / "laptop.img", "gpt", [(2048, 96 << 11, "L")], sectors=(96 << 11) + 4096)
    place(disk, volume, 2048)
    with TskTree(open_image([disk]), keys={"p1": PASSPHRASE}) as tree:
        volumes = [(v.name, v.filesystem, v.offset) for v in tree.volumes()]
        assert volumes == [("p1", "lvm", 2048 * 512), ("p1.root", "ext4", 0)]
        assert "LUKS2, opened with the key given" in tree.volumes()[0].description
        files = {e.location for e in tree.walk() if e.type.value == "file"}
        assert files == {"p1.root:/seed.txt", "p1.root:/chat/notes.txt"}


def test_crafted_key_derivation_parameters_are_refused_not_run(tools: Tools, tmp_path: Path) -> None:
    """A header asking for two billion PBKDF2 rounds would keep the workstation busy for hours."""
    t = tools("cryptsetup", "mkfs.ext4")
    volume, _, _ = luks(t, tmp_path, "v", "--type", "luks1", "--pbkdf-force-iterations", "1000")
    with volume.open("r+b") as fh:  # keyslot 0: active flag, then its iteration count (big-endian)
        fh.seek(208 + 4)
        fh.write((2_147_483_647).to_bytes(4, "big"))
    with TskTree(open_image([volume]), keys={"*": PASSPHRASE}) as tree:
        [problem] = tree.problems
        assert problem.reason.endswith(
            "cannot be opened: the header's PBKDF2 iteration count (2147483647) is outside what cryptsetup "
            "writes (1000 to 50000000)"
        )
