from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chain_of_custody import Signer
from evidence_intake.case import Case
from tests.helpers import cli, cli_json, small_disk
from tests.reports.case_builder import build_case


def run_verify(package: Path, keys: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`bundle verify` in a fresh process: no case, another key store, nothing in the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_INTAKE")}
    env["EVIDENCE_INTAKE_KEYS"] = str(keys)
    return subprocess.run(
        [sys.executable, "-m", "evidence_intake", "bundle", "verify", str(package), "--json", *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=keys,
        check=False,
    )


@pytest.fixture
def package(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A folder package of EX-001 (with its image), copied elsewhere, the case deleted."""
    built = build_case(tmp_path, with_e01=False)
    made = cli_json(
        "export",
        "bundle",
        "--case",
        built.root,
        "--exhibit",
        "EX-001",
        "--out",
        tmp_path / "out",
        "--with-images",
    )
    with Case.open(built.root) as case:
        last = case.ledger.last()
    assert last is not None and last.action == "exported"
    assert last.details["sha256"] == made["sha256"] == made["manifest_sha256"]
    assert (
        made["manifest_sha256"]
        == hashlib.sha256((tmp_path / "out" / "manifest.json").read_bytes()).hexdigest()
    )
    elsewhere = tmp_path / "partner" / "received"
    shutil.copytree(tmp_path / "out", elsewhere)
    shutil.rmtree(built.root)
    shutil.rmtree(tmp_path / "out")
    return elsewhere, made


def test_a_package_verifies_on_a_machine_without_the_case(
    package: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, made = package
    other_keys = tmp_path / "other-keys"
    other_keys.mkdir()
    done = run_verify(path, other_keys, "--trust-key", str(made["checkpoint"]["key_id"]))  # type: ignore[index]
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] and result["signer_trusted"] and result["exhibit"] == "EX-001"
    assert result["entries"] == len(made["entries"])  # type: ignore[arg-type]
    assert any("images of acquisition" in c for c in result["checked"])
    assert not any(other_keys.iterdir())  # verify made no key and wrote nothing


def _edit_json(path: Path, change: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _failing(path: Path, tmp_path: Path) -> list[str]:
    keys = tmp_path / "k"
    keys.mkdir(exist_ok=True)
    done = run_verify(path, keys)
    assert done.returncode == 5, (done.returncode, done.stdout, done.stderr)
    assert "does not verify" in done.stderr
    return list(json.loads(done.stdout)["problems"])


def _custody_file(path: Path, action: str) -> Path:
    for file in sorted((path / "custody").iterdir()):
        if json.loads(file.read_text(encoding="utf-8"))["entry"]["action"] == action:
            return file
    raise AssertionError(action)


def test_a_changed_entry_fails(package: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    path, _ = package
    file = _custody_file(path, "transferred")
    _edit_json(file, lambda d: d["entry"].__setitem__("to_party", "Somebody else"))
    problems = _failing(path, tmp_path)
    seq = int(file.stem)
    assert any(f"entry {seq} (transferred): its content does not match its entry hash" in p for p in problems)
    assert any(f"file custody/{file.name}" in p and "was changed" in p for p in problems)


def test_a_changed_entry_with_its_hash_recomputed_still_fails(
    package: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    from chain_of_custody import compute_entry_hash

    path, _ = package
    file = _custody_file(path, "transferred")

    def forge(d: dict[str, object]) -> None:
        entry = d["entry"]
        entry["reason"] = "no reason"  # type: ignore[index]
        fields = {k: v for k, v in entry.items() if k not in ("entry_hash", "signature")}  # type: ignore[union-attr]
        entry["entry_hash"] = compute_entry_hash(fields)  # type: ignore[index]
        d["proof"]["entry_hash"] = entry["entry_hash"]  # type: ignore[index]

    _edit_json(file, forge)
    problems = _failing(path, tmp_path)
    seq = int(file.stem)
    assert any(
        f"entry {seq} (transferred): its inclusion proof does not lead to the signed checkpoint" in p
        for p in problems
    )
    assert any(f"entry {seq} (transferred): its signature does not verify" in p for p in problems)


def test_a_dropped_entry_fails(package: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    path, _ = package
    file = _custody_file(path, "transferred")
    file.unlink()
    problems = _failing(path, tmp_path)
    assert any(
        f"entry {int(file.stem)} is listed in the manifest but" in p and "dropped" in p for p in problems
    )


def test_a_changed_hash_fails(package: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    path, _ = package
    forged = "0" * 64
    _edit_json(path / "acquisitions.json", lambda d: d[0]["hashes"].__setitem__("sha256", forged))
    problems = _failing(path, tmp_path)
    assert any(
        "its SHA256 in acquisitions.json" in p and forged in p and "hash was changed" in p for p in problems
    )


def test_a_changed_image_byte_fails(package: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    path, _ = package
    (image,) = (path / "images").rglob("*.raw")
    image.chmod(0o644)
    data = bytearray(image.read_bytes())
    data[1000] ^= 1
    image.write_bytes(bytes(data))
    problems = _failing(path, tmp_path)
    assert any(f"image segment images/{image.parent.name}/{image.name}" in p for p in problems)


def test_a_swapped_key_fails(package: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    path, made = package
    key_id = str(made["checkpoint"]["key_id"])  # type: ignore[index]
    intruder = Signer.generate()

    def swap(keys: dict[str, dict[str, object]]) -> None:
        keys[key_id]["public_key"] = intruder.public_key_hex

    _edit_json(path / "keys.json", swap)
    problems = _failing(path, tmp_path)
    assert any(f"key {key_id} in keys.json" in p and "swapped" in p for p in problems)

    # The intruder also re-signs the manifest and registers the key under its own id: still caught.
    def replace(keys: dict[str, dict[str, object]]) -> None:
        info = keys.pop(key_id)
        keys[intruder.key_id] = {**info, "public_key": intruder.public_key_hex}

    _edit_json(path / "keys.json", replace)
    manifest = path / "manifest.json"
    _edit_json(
        manifest,
        lambda m: [
            f.update(
                size=(path / f["path"]).stat().st_size,
                sha256=hashlib.sha256((path / f["path"]).read_bytes()).hexdigest(),
            )
            for f in m["files"]
        ],
    )
    _edit_json(manifest, lambda m: m["checkpoint"].__setitem__("key_id", intruder.key_id))
    (path / "manifest.sig").write_text(
        json.dumps({"key_id": intruder.key_id, "signature": intruder.sign(manifest.read_bytes()).hex()}),
        encoding="utf-8",
    )
    problems = _failing(path, tmp_path)
    assert any(
        f"key {intruder.key_id} in keys.json does not match its key_registered entry" in p for p in problems
    )


def test_zip_packages_verify_and_a_single_changed_byte_anywhere_is_reported(tmp_path: Path) -> None:
    built = build_case(tmp_path)  # EX-002 is an E01
    out = tmp_path / "EX-002.zip"
    made = cli_json(
        "export", "bundle", "--case", built.root, "--exhibit", "EX-002", "--out", out, "--with-images"
    )
    assert made["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    keys = tmp_path / "k"
    keys.mkdir()
    assert run_verify(out, keys).returncode == 0
    with zipfile.ZipFile(out) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert any(name.endswith(".E01") for name in members)
    for name in sorted(members):
        data = bytearray(members[name])
        data[len(data) // 2] ^= 0x01
        forged = tmp_path / f"forged-{hashlib.sha256(name.encode()).hexdigest()[:8]}.zip"
        with zipfile.ZipFile(forged, "w") as archive:
            for other, content in members.items():
                archive.writestr(other, bytes(data) if other == name else content)
        done = run_verify(forged, keys)
        assert done.returncode == 5, f"a changed byte in {name} was not noticed"


def test_export_refuses_to_overwrite_and_needs_a_known_exhibit(tmp_path: Path) -> None:
    built = build_case(tmp_path, with_e01=False)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("x")
    cli(
        "export", "bundle", "--case", built.root, "--exhibit", "EX-001", "--out", tmp_path / "taken", expect=6
    )
    cli("export", "bundle", "--case", built.root, "--exhibit", "EX-404", "--out", tmp_path / "n", expect=3)
    cli("bundle", "verify", tmp_path / "nothing-here", expect=3)
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    cli("bundle", "verify", tmp_path / "junk.zip", expect=2)


def test_a_package_cut_off_on_its_way_fails_verification(tmp_path: Path) -> None:
    built = build_case(tmp_path, with_e01=False)
    out = tmp_path / "EX-001.zip"
    cli("export", "bundle", "--case", built.root, "--exhibit", "EX-001", "--out", out)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(out.read_bytes()[: out.stat().st_size // 2])
    result = cli("bundle", "verify", cut, expect=5)
    assert "damaged zip" in result.stderr and "ask the sending agency" in result.stderr


@pytest.mark.parametrize("name", ["EX-002.zip", "EX-002"])
def test_a_full_disk_leaves_no_package_and_no_entry(tmp_path: Path, name: str) -> None:
    """The destination fills while the package (with its E01 image) is written: exit 7, nothing left."""
    built = build_case(tmp_path)
    with small_disk(tmp_path / "small-disk", "16k") as small:
        out = small / name
        result = cli(
            "export", "bundle", "--case", built.root, "--exhibit", "EX-002", "--out", out, "--with-images",
            expect=7,
        )  # fmt: skip
        assert "No space left" in result.stderr and str(out) in result.stderr
        assert list(small.iterdir()) == []  # neither the package nor its staging folder is left
    with Case.open(built.root) as case:
        assert not list(case.ledger.entries(action="exported"))


@pytest.mark.parametrize("name", ["EX-001.zip", "EX-001"])
def test_an_image_gone_from_the_case_leaves_no_package_and_no_entry(tmp_path: Path, name: str) -> None:
    """An image the case records but that is no longer on disk: exit 4 naming it, nothing written."""
    built = build_case(tmp_path, with_e01=False)
    with Case.open(built.root) as case:
        image = Path(case.latest_acquisition("EX-001").paths[0])
    image.rename(tmp_path / "moved-away")
    out = tmp_path / "out" / name
    out.parent.mkdir()
    result = cli(
        "export",
        "bundle",
        "--case",
        built.root,
        "--exhibit",
        "EX-001",
        "--out",
        out,
        "--with-images",
        expect=4,
    )
    assert f"cannot read {image}" in result.stderr and "the package was not written" in result.stderr
    assert "report this" not in result.stderr and "cannot write the package" not in result.stderr
    assert list(out.parent.iterdir()) == []
    with Case.open(built.root) as case:
        assert not list(case.ledger.entries(action="exported"))
