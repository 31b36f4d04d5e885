from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from evidence_intake.acquisition import physical
from evidence_intake.acquisition.physical import PhysicalOptions, acquire_physical
from evidence_intake.case import Case
from evidence_intake.errors import InsufficientSpaceError, IntegrityError, InterruptedError_
from tests.acquisition.faulty import FaultySource
from tests.helpers import add_exhibit, cli, cli_json, make_case


def mixed_bytes(size: int, seed: int = 7) -> bytes:
    """A third zeros, a third text, a third random: like a real disk."""
    import random

    rng = random.Random(seed)
    third = size // 3
    text = (
        b"Thai \xe0\xb8\x9e\xe0\xb8\xa3\xe0\xb8\xb8\xe0\xb9\x88\xe0\xb8\x87 USDT TRC20 " * (third // 30 + 1)
    )[:third]
    return bytes(third) + text + rng.randbytes(size - 2 * third)


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001", "storage")
    return root


def test_acquire_a_file_to_raw_with_three_hashes_and_verify(case_dir: Path, tmp_path: Path) -> None:
    data = mixed_bytes(3 * 1024 * 1024 + 100)
    source = tmp_path / "usb.dd"
    source.write_bytes(data)
    before = source.stat()
    result = cli_json("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--block-size", "256KiB")
    acq = result["acquisition"]
    assert acq["status"] == "completed" and acq["format"] == "raw" and acq["size"] == len(data)
    assert acq["hashes"] == {a: hashlib.new(a, data).hexdigest() for a in ("md5", "sha1", "sha256")}
    [image] = acq["paths"]
    assert Path(image).read_bytes() == data and Path(image).name == "EX-001.raw"
    assert result["verification"]["image"] == "match"
    assert source.stat().st_mtime_ns == before.st_mtime_ns and source.read_bytes() == data
    log = Path(acq["log_path"]).read_text()
    assert acq["hashes"]["sha256"] in log and "READ ERRORS" in log and "none: every byte" in log
    assert not list(Path(image).parent.glob("*.INCOMPLETE.txt"))
    actions = [e["action"] for e in cli_json("custody", "show", "--case", case_dir, "--exhibit", "EX-001")]
    assert actions[-3:] == ["acquisition_started", "acquisition_completed", "verified"]
    later = cli_json("verify", "--case", case_dir, "--exhibit", "EX-001")
    assert [o["status"] for o in later] == ["verified"]
    # a second acquisition of the same exhibit never overwrites the first
    again = cli_json("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--no-verify")
    assert Path(again["acquisition"]["paths"][0]).name == "EX-001-2.raw"


def test_changed_image_fails_later_verification(case_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "card.img"
    source.write_bytes(mixed_bytes(200_000))
    acq = cli_json("acquire", source, "--exhibit", "EX-001", "--case", case_dir)["acquisition"]
    image = Path(acq["paths"][0])
    os.chmod(image, 0o644)
    with open(image, "r+b") as fh:
        fh.seek(150_000)
        fh.write(b"X")
    result = cli("verify", "--case", case_dir, "--json", expect=5)
    assert "verification_failed" in result.stdout
    assert cli_json("custody", "show", "--case", case_dir)[-1]["action"] == "verification_failed"


def test_split_raw_segments_reassemble(case_dir: Path, tmp_path: Path) -> None:
    data = mixed_bytes(1_000_000)
    source = tmp_path / "disk.bin"
    source.write_bytes(data)
    acq = cli_json("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--split", "256KiB")[
        "acquisition"
    ]
    paths = [Path(p) for p in acq["paths"]]
    assert [p.name for p in paths] == ["EX-001.001", "EX-001.002", "EX-001.003", "EX-001.004"]
    assert b"".join(p.read_bytes() for p in paths) == data
    assert acq["format"] == "split-raw"
    assert [s["sha256"] for s in acq["segment_hashes"]] == [
        hashlib.sha256(p.read_bytes()).hexdigest() for p in paths
    ]
    assert cli("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--split", "100", expect=2)


def test_bad_sectors_give_zeros_an_error_map_and_a_record(case_dir: Path, monkeypatch) -> None:
    data = mixed_bytes(2 * 1024 * 1024)
    bad = [(1_048_576, 4096), (1_500_160, 512)]
    monkeypatch.setattr(physical, "open_source", lambda path: FaultySource(data, bad))
    with Case.open(case_dir) as case:
        result = acquire_physical(
            case,
            Path("/dev/test-faulty"),
            exhibit="EX-001",
            examiner="Sgt. Malee",
            options=PhysicalOptions(block_size=256 * 1024, retries=1),
        )
        acq = result.acquisition
        assert acq.error_map == [{"offset": 1_048_576, "length": 4096}, {"offset": 1_500_160, "length": 512}]
        written = bytearray(data)
        for start, length in bad:
            written[start : start + length] = bytes(length)
        assert acq.paths[0].read_bytes() == bytes(written)
        assert acq.hashes["sha256"] == hashlib.sha256(bytes(written)).hexdigest()
        completed = [e for e in case.ledger.entries(action="acquisition_completed")][-1]
        assert completed.details["error_map"] == acq.error_map
        assert "zeros" in completed.details["hashes_cover"]
        log = acq.log_path.read_text() if acq.log_path else ""
        assert "2 range(s), 4608 bytes could not be read" in log


def test_interruption_marks_incomplete_and_resume_completes(case_dir: Path, monkeypatch) -> None:
    data = mixed_bytes(4 * 1024 * 1024)
    source = FaultySource(data, [])
    stop = threading.Event()
    original = source.readinto

    def readinto(offset: int, buffer: memoryview) -> int:
        if offset >= 2 * 1024 * 1024:
            stop.set()
        return original(offset, buffer)

    source.readinto = readinto  # type: ignore[method-assign]
    monkeypatch.setattr(physical, "open_source", lambda path: source)
    with Case.open(case_dir) as case:
        with pytest.raises(InterruptedError_):
            acquire_physical(
                case,
                Path("/dev/test"),
                exhibit="EX-001",
                examiner="e",
                options=PhysicalOptions(block_size=256 * 1024),
                stop=stop,
            )
        [acq] = case.acquisitions("EX-001")
        assert acq.status == "incomplete" and acq.bytes_done >= 2 * 1024 * 1024
        assert list(acq.paths[0].parent.glob("*.INCOMPLETE.txt"))
        failed = list(case.ledger.entries(action="acquisition_failed"))[-1]
        assert failed.details["bytes_done"] == acq.bytes_done and failed.details["resumable"] is True
        source.readinto = original  # type: ignore[method-assign]
        done = acquire_physical(
            case,
            Path("/dev/test"),
            exhibit="EX-001",
            examiner="e",
            options=PhysicalOptions(block_size=256 * 1024, resume=True),
        )
        assert done.acquisition.hashes["md5"] == hashlib.md5(data).hexdigest()
        assert done.acquisition.paths[0].read_bytes() == data


def test_kill_9_halfway_then_resume_gives_the_clean_hashes(case_dir: Path, tmp_path: Path) -> None:
    size = 384 * 1024 * 1024
    source = tmp_path / "big.img"
    with open(source, "wb") as fh:  # sparse, with content spread through it
        for i in range(0, size, 16 * 1024 * 1024):
            fh.seek(i)
            fh.write(os.urandom(4096) + f"block {i}".encode())
        fh.truncate(size)
    env = {**os.environ, "EVIDENCE_INTAKE_CASE": str(case_dir)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evidence_intake",
            "acquire",
            str(source),
            "--exhibit",
            "EX-001",
            "--block-size",
            "1MiB",
            "--no-verify",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(case_dir / "case.sqlite", timeout=5) as db:
                row = db.execute("SELECT bytes_done FROM acquisitions").fetchone()
            done = row[0] if row else 0
        except sqlite3.Error:
            done = 0
        if done >= 64 * 1024 * 1024:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the acquisition ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < done < size
    resumed = cli_json("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--resume")
    expected = {}
    for alg in ("md5", "sha1", "sha256"):
        h = hashlib.new(alg)
        with open(source, "rb") as fh:
            while chunk := fh.read(8 << 20):
                h.update(chunk)
        expected[alg] = h.hexdigest()
    assert resumed["acquisition"]["hashes"] == expected
    assert resumed["verification"]["image"] == "match"
    actions = [e["action"] for e in cli_json("custody", "show", "--case", case_dir, "--exhibit", "EX-001")]
    assert actions.count("acquisition_failed") == 1 and actions[-2:] == ["acquisition_completed", "verified"]
    entries = cli_json("custody", "show", "--case", case_dir)
    failed = next(e for e in entries if e["action"] == "acquisition_failed")
    assert "killed" in failed["reason"]


def test_bad_sources_and_destinations_are_refused_before_writing(
    case_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    assert (
        "does not exist"
        in cli("acquire", tmp_path / "nope", "--exhibit", "EX-001", "--case", case_dir, expect=3).stderr
    )
    folder = tmp_path / "folder"
    folder.mkdir()
    assert (
        "is a folder"
        in cli(
            "acquire", folder, "--exhibit", "EX-001", "--case", case_dir, "--format", "raw", expect=2
        ).stderr
    )
    source = tmp_path / "s.img"
    source.write_bytes(b"x" * 4096)
    out = tmp_path / "out"
    out.mkdir()
    (out / "taken.raw").write_bytes(b"earlier evidence")
    result = cli(
        "acquire",
        source,
        "--exhibit",
        "EX-001",
        "--case",
        case_dir,
        "--out",
        out,
        "--name",
        "taken",
        expect=6,
    )
    assert "never overwritten" in result.stderr and (out / "taken.raw").read_bytes() == b"earlier evidence"
    assert (
        "--resume"
        in cli("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--resume", expect=2).stderr
    )

    class Usage:
        free = 100

    monkeypatch.setattr(physical.shutil, "disk_usage", lambda path: Usage())
    with Case.open(case_dir) as case, pytest.raises(InsufficientSpaceError, match="4096 bytes needed"):
        acquire_physical(case, source, exhibit="EX-001", examiner="e", options=PhysicalOptions())
        assert not case.acquisitions("EX-001")


def test_an_acquisition_that_does_not_verify_is_still_shown_then_exits_5(
    case_dir: Path, tmp_path: Path
) -> None:
    """The image is made and recorded; a script reading --json still gets its id, hashes and why."""
    data = mixed_bytes(64 * 1024)
    source = tmp_path / "card.dd"
    source.write_bytes(data)
    wrong = "md5:" + "0" * 32
    result = cli(
        "acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--expect", wrong, "--json", expect=5
    )
    shown = json.loads(result.stdout)
    acq = shown["acquisition"]
    assert acq["status"] == "completed" and acq["hashes"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert shown["verification"]["expected"] == {"md5": "MISMATCH"}
    assert shown["problems"] == ["the source does not give the expected (stored) hashes"]
    assert "did not verify" in result.stderr
    with Case.open(case_dir) as case:
        assert [a.id for a in case.acquisitions("EX-001")] == [acq["id"]]
    table = cli("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--expect", wrong, expect=5)
    assert "NOT verified" in table.stdout and "expected (stored) hashes" in table.stdout


@pytest.mark.parametrize(
    ("errno_", "status", "words"),
    [(30, 1, "Read-only file system"), (28, 7, "is full")],  # EROFS, ENOSPC
)
def test_a_destination_that_cannot_be_written_records_nothing(
    case_dir: Path, tmp_path: Path, monkeypatch, errno_: int, status: int, words: str
) -> None:
    """The INCOMPLETE marker is the first file written: when it cannot be, no acquisition is left
    "running" in the register and the ledger holds no acquisition_started for it."""
    source = tmp_path / "s.img"
    source.write_bytes(mixed_bytes(64 * 1024))
    out = tmp_path / "out"
    out.mkdir()
    real_write_text = Path.write_text

    def refusing(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.name.endswith(".INCOMPLETE.txt"):
            raise OSError(errno_, os.strerror(errno_), str(self))
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", refusing)
    result = cli("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--out", out, expect=status)
    assert words in result.stderr and str(out) in result.stderr
    assert "nothing was imaged or recorded" in result.stderr and "Traceback" not in result.stderr
    with Case.open(case_dir) as case:
        assert case.acquisitions("EX-001") == []
    actions = [e["action"] for e in cli_json("custody", "show", "--case", case_dir)]
    assert "acquisition_started" not in actions
    assert list(out.iterdir()) == []
    monkeypatch.undo()
    done = cli_json("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--out", out)
    assert done["acquisition"]["status"] == "completed"


def test_block_device_is_set_read_only_and_identified(case_dir: Path, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("loop devices need root")
    backing = tmp_path / "card.img"
    data = mixed_bytes(2 * 1024 * 1024)
    backing.write_bytes(data)
    setup = subprocess.run(["losetup", "-f", "--show", str(backing)], capture_output=True, text=True)
    if setup.returncode != 0:
        pytest.skip(f"no loop device available here: {setup.stderr.strip()}")
    device = setup.stdout.strip()
    try:
        acq = cli_json("acquire", device, "--exhibit", "EX-001", "--case", case_dir)["acquisition"]
        identity = acq["source_identity"]
        assert identity["kind"] == "block-device" and identity["size"] == len(data)
        assert identity["read_only"] in ("set read-only (BLKROSET)", "already read-only")
        assert acq["hashes"]["sha256"] == hashlib.sha256(data).hexdigest()
        ro = subprocess.run(["blockdev", "--getro", device], capture_output=True, text=True).stdout.strip()
        assert ro == "1"
    finally:
        subprocess.run(["blockdev", "--setrw", device], check=False)
        subprocess.run(["losetup", "-d", device], check=False)


def test_full_destination_mid_acquisition_marks_incomplete_then_resumes(
    case_dir: Path, tmp_path: Path
) -> None:
    """The disk fills after the free-space check (another process wrote to it): nothing done is lost."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    out = tmp_path / "small-disk"
    out.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(out)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"file systems cannot be mounted here: {mounted.stderr.strip()}")
    try:
        data = mixed_bytes(5 * 1024 * 1024)
        source = tmp_path / "card.dd"
        source.write_bytes(data)
        # The check passes, then the space is gone: the other writer is simulated by the small tmpfs.
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(physical.shutil, "disk_usage", lambda path: type("U", (), {"free": 1 << 40})())
            with Case.open(case_dir) as case, pytest.raises(InsufficientSpaceError, match="is full"):
                acquire_physical(
                    case,
                    source,
                    exhibit="EX-001",
                    examiner="e",
                    options=PhysicalOptions(block_size=256 * 1024, out_dir=out, verify=False),
                )
        with Case.open(case_dir) as case:
            [acq] = case.acquisitions("EX-001")
            assert acq.status == "incomplete" and 0 < acq.bytes_done < len(data)
            failed = list(case.ledger.entries(action="acquisition_failed"))[-1]
            assert "the destination disk is full" in failed.reason and failed.details["resumable"] is True
            partial = acq.paths[0].read_bytes()
            assert data.startswith(partial[: acq.bytes_done]), (
                "what was written before the disk filled is kept"
            )
        assert source.read_bytes() == data
        cli("custody", "verify", "--case", case_dir)
        subprocess.run(["mount", "-o", "remount,size=16m", str(out)], check=True)
        resumed = cli_json("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--resume")
        acq = resumed["acquisition"]
        assert acq["hashes"] == {a: hashlib.new(a, data).hexdigest() for a in ("md5", "sha1", "sha256")}
        assert Path(acq["paths"][0]).parent == out, "resumed where it stopped"
        assert Path(acq["paths"][0]).read_bytes() == data and resumed["verification"]["image"] == "match"
        actions = [
            e["action"] for e in cli_json("custody", "show", "--case", case_dir, "--exhibit", "EX-001")
        ]
        assert actions == [
            "exhibit_registered",
            "acquisition_started",
            "acquisition_failed",
            "acquisition_started",  # the resumed run
            "acquisition_completed",
            "verified",
        ]
    finally:
        subprocess.run(["umount", str(out)], check=False)


def test_two_acquisitions_into_one_case_at_once(case_dir: Path, tmp_path: Path) -> None:
    """At a raid site one laptop images several devices at the same time, into the same case."""
    add_exhibit(case_dir, "EX-002", "storage")
    sources = {}
    for n, exhibit in enumerate(("EX-001", "EX-002")):
        sources[exhibit] = tmp_path / f"{exhibit}.dd"
        sources[exhibit].write_bytes(mixed_bytes(24 * 1024 * 1024, seed=n))
    env = {**os.environ, "EVIDENCE_INTAKE_CASE": str(case_dir)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "evidence_intake", "acquire", str(path), "--exhibit", exhibit, "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for exhibit, path in sources.items()
    ]
    results = [run.communicate(timeout=300) for run in runs]
    for run, (_stdout, stderr) in zip(runs, results, strict=True):
        assert run.returncode == 0, stderr
    for (exhibit, path), (stdout, _stderr) in zip(sources.items(), results, strict=True):
        acq = json.loads(stdout)["acquisition"]
        assert acq["exhibit"] == exhibit and acq["status"] == "completed"
        assert acq["hashes"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    cli("custody", "verify", "--case", case_dir)
    for exhibit in sources:
        actions = [e["action"] for e in cli_json("custody", "show", "--case", case_dir, "--exhibit", exhibit)]
        assert actions[-3:] == ["acquisition_started", "acquisition_completed", "verified"]


def test_verify_source_reads_the_source_again_and_catches_a_change(
    case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = mixed_bytes(3 * 1024 * 1024)
    source = tmp_path / "card.dd"
    source.write_bytes(data)
    result = cli_json("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--verify-source")
    expected = {a: hashlib.new(a, data).hexdigest() for a in ("md5", "sha1", "sha256")}
    assert result["verification"]["source"] == "match"
    assert result["verification"]["source_hashes"] == expected
    # A medium that reads differently the second time (failing flash, a device still being written).
    changing = FaultySource(data, [])
    first_pass = 3 * 1024 * 1024 // (256 * 1024)
    original = changing.readinto

    def readinto(offset: int, buffer: memoryview) -> int:
        n = original(offset, buffer)
        if changing.reads > first_pass and offset == 0:
            buffer[0] ^= 0xFF
        return n

    changing.readinto = readinto  # type: ignore[method-assign]
    monkeypatch.setattr(physical, "open_source", lambda path: changing)
    with Case.open(case_dir) as case, pytest.raises(IntegrityError, match="the source read a second time"):
        acquire_physical(
            case,
            Path("/dev/test"),
            exhibit="EX-001",
            examiner="e",
            options=PhysicalOptions(block_size=256 * 1024, verify_source=True),
        )


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.dd", b"", "holds no data (0 bytes)"),
        ("phone.E01", b"not an ewf image" * 64, "is named like an E01 image but does not hold one"),
        ("export.zip", b"\x00" * 2048, "is named like a zip archive but does not hold one"),
    ],
)
def test_a_source_that_is_not_what_it_seems_is_imaged_with_a_note(
    case_dir: Path, tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    result = cli_json("acquire", source, "--exhibit", "EX-001", "--case", case_dir)
    assert any(words in note for note in result["notes"]), result["notes"]
    with Case.open(case_dir) as case:
        [done] = list(case.ledger.entries(action="acquisition_completed"))
    assert any(words in note for note in done.details["notes"])
    log = Path(result["acquisition"]["paths"][0]).with_suffix(".log.txt")
    assert words in log.read_text(encoding="utf-8")
    assert result["acquisition"]["hashes"]["sha256"] == hashlib.sha256(content).hexdigest()
