"""E01 writing speed and size: our EwfWriter against libewf's ewfacquire, on the same file, same run.

Input: a deterministic mixed-content file (a third zeros, a third text-like, a third random, in
interleaved 4 MiB stripes as on a used disk): 1 GiB, or 64 MiB with --quick. Both tools write one
segment at compression "fast" and store MD5 and SHA-1. Our side hashes the stream the way the
engine does (MD5 and SHA-1 in their own threads) and fsyncs its segment; ewfacquire's output is
fsynced too, inside its timing, so that both pay for getting the bytes to disk.

Goal: at least 3x faster than ewfacquire, output no more than 5% larger. The image we
wrote is also verified each round by verify_ewf and by ewfverify (MD5, SHA-1 and SHA-256 both).
The tools run alternately, five rounds (three with --quick). The machine is shared, so both the
median and the best wall time are printed, with CPU seconds (ours: every thread of this process;
ewfacquire: the child), which contention disturbs less.
"""

from __future__ import annotations

import hashlib
import os
import queue
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench._mixed import make_input
from evidence_intake.acquisition.base import ImageMetadata
from evidence_intake.acquisition.ewf_writer import EwfWriter
from evidence_intake.evidence.ewf_info import verify_ewf

READ_BLOCK = 4 * 1024 * 1024
SEGMENT = 8 * 1024**3  # one segment for both tools


class _ThreadedHasher:
    """One thread per algorithm, fed the same blocks: how the acquisition engine hashes a stream."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self._queues: list[queue.Queue[bytes | None]] = []
        self._threads: list[threading.Thread] = []
        self.hexdigests: dict[str, str] = {}
        for name in names:
            q: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
            t = threading.Thread(target=self._run, args=(name, q), daemon=True)
            t.start()
            self._queues.append(q)
            self._threads.append(t)

    def _run(self, name: str, q: queue.Queue[bytes | None]) -> None:
        h = hashlib.new(name)
        while (block := q.get()) is not None:
            h.update(block)
        self.hexdigests[name] = h.hexdigest()

    def update(self, block: bytes) -> None:
        for q in self._queues:
            q.put(block)

    def finish(self) -> dict[str, str]:
        for q in self._queues:
            q.put(None)
        for t in self._threads:
            t.join()
        return self.hexdigests


def _metadata() -> ImageMetadata:
    now = datetime.now(UTC)
    return ImageMetadata(
        case_number="BENCH",
        evidence_number="EX-001",
        examiner="bench",
        description="bench/e01.py",
        acquired_at=now,
        system_at=now,
        operating_system="Linux",
        software="evidence-intake bench",
    )


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_ours(source: Path, target: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (all threads) and output bytes of one E01 written by EwfWriter."""
    cpu = _cpu(resource.RUSAGE_SELF)
    start = time.perf_counter()
    size = source.stat().st_size
    writer = EwfWriter(
        target, metadata=_metadata(), media_size=size, compression="fast", segment_size=SEGMENT
    )
    hasher = _ThreadedHasher(("md5", "sha1"))
    with open(source, "rb") as f:
        while block := f.read(READ_BLOCK):
            hasher.update(block)
            writer.write(block)
    hashes = hasher.finish()
    paths = writer.finish(hashes=hashes, error_map=[])
    elapsed = time.perf_counter() - start
    return elapsed, _cpu(resource.RUSAGE_SELF) - cpu, sum(p.stat().st_size for p in paths)


def run_ewfacquire(tool: str, source: Path, target: Path) -> tuple[float, float, int]:
    cpu = _cpu(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [tool, "-u", "-q", "-c", "fast", "-d", "sha1", "-S", str(SEGMENT), "-t", str(target), str(source)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    paths = sorted(target.parent.glob(target.name + ".E*"))
    for p in paths:
        with open(p, "rb+") as f:
            os.fsync(f.fileno())
    elapsed = time.perf_counter() - start
    return elapsed, _cpu(resource.RUSAGE_CHILDREN) - cpu, sum(p.stat().st_size for p in paths)


def verify_ours(first: Path) -> tuple[float, float]:
    cpu = _cpu(resource.RUSAGE_SELF)
    start = time.perf_counter()
    result = verify_ewf(first)
    if not result.ok:
        raise SystemExit(f"verification of our own image failed: {result.status}")
    return time.perf_counter() - start, _cpu(resource.RUSAGE_SELF) - cpu


def verify_ewfverify(tool: str, first: Path) -> tuple[float, float]:
    cpu = _cpu(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([tool, "-q", "-d", "sha1,sha256", str(first)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _cpu(resource.RUSAGE_CHILDREN) - cpu


def _clean(target: Path) -> None:
    for p in target.parent.glob(target.name + ".E*"):
        p.unlink()


def _line(name: str, size: int, runs: list[tuple[float, float, int]]) -> None:
    walls = [r[0] for r in runs]
    print(
        f"{name:28s} wall median {statistics.median(walls):6.2f} s, best {min(walls):6.2f} s "
        f"({size / min(walls) / 2**20:6.1f} MiB/s); CPU {statistics.median(r[1] for r in runs):6.2f} s; "
        f"{runs[-1][2]:,} bytes"
    )
    print(f"{'':28s} runs: {', '.join(f'{w:.2f}' for w in walls)}")


def run(quick: bool) -> None:
    size = (64 if quick else 1024) * 1024 * 1024
    rounds = 3 if quick else 5
    tool = shutil.which("ewfacquire")
    with tempfile.TemporaryDirectory(prefix="bench-e01-") as tmp:
        folder = Path(tmp)
        source = folder / "mixed.bin"
        make_input(source, size)
        print(
            f"input: {size / 2**20:.0f} MiB mixed (zeros / text-like / random), {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        ours: list[tuple[float, float, int]] = []
        theirs: list[tuple[float, float, int]] = []
        verify_tool = shutil.which("ewfverify")
        checks: list[tuple[float, float]] = []
        their_checks: list[tuple[float, float]] = []
        for _ in range(rounds):
            ours.append(run_ours(source, folder / "ours"))
            checks.append(verify_ours(folder / "ours.E01"))
            if verify_tool:
                their_checks.append(verify_ewfverify(verify_tool, folder / "ours.E01"))
            _clean(folder / "ours")
            if tool:
                theirs.append(run_ewfacquire(tool, source, folder / "theirs"))
                _clean(folder / "theirs")
        _line("EwfWriter fast + md5 + sha1", size, ours)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{'':28s} peak RSS of this process, input generation included: {rss:.0f} MiB (goal < 200)")
        if not tool:
            print("ewfacquire not installed (Debian package ewf-tools): no reference figure")
            return
        _line("ewfacquire -c fast -d sha1", size, theirs)
        median = statistics.median(r[0] for r in theirs) / statistics.median(r[0] for r in ours)
        best = min(r[0] for r in theirs) / min(r[0] for r in ours)
        cpu = statistics.median(r[1] for r in theirs) / statistics.median(r[1] for r in ours)
        print(f"speed-up: {median:.2f}x median wall, {best:.2f}x best wall, {cpu:.2f}x CPU (goal >= 3x)")
        print(f"size ratio: {ours[-1][2] / theirs[-1][2]:.4f} (goal <= 1.05)")
        if their_checks:
            ours_v = statistics.median(c[0] for c in checks)
            theirs_v = statistics.median(c[0] for c in their_checks)
            our_cpu = statistics.median(c[1] for c in checks)
            their_cpu = statistics.median(c[1] for c in their_checks)
            print(
                f"verify our image, MD5+SHA-1+SHA-256: verify_ewf {ours_v:.2f} s (CPU {our_cpu:.2f} s), "
                f"ewfverify -d sha1,sha256 {theirs_v:.2f} s (CPU {their_cpu:.2f} s): {theirs_v / ours_v:.2f}x"
            )
