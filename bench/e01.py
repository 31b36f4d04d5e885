"""E01 writing speed and size: our EwfWriter against libewf's ewfacquire, on the same file, same run.

Input: a deterministic mixed-content file (a third zeros, a third text-like, a third random, in
interleaved 4 MiB stripes as on a used disk): 1 GiB, or 64 MiB with --quick. Both tools write one
segment at compression "fast" and store MD5 and SHA-1. Our side hashes the stream the way the
engine does (MD5 and SHA-1 in their own threads) and fsyncs its segment; ewfacquire's output is
fsynced too, inside its timing, so that both pay for getting the bytes to disk.

Goal (issue 4): at least 3x faster than ewfacquire, output no more than 5% larger.
Each tool runs three times (alternating); the median is reported.
"""

from __future__ import annotations

import hashlib
import os
import queue
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from evidence_intake.acquisition.base import ImageMetadata
from evidence_intake.acquisition.ewf_writer import EwfWriter

STRIPE = 4 * 1024 * 1024
READ_BLOCK = 4 * 1024 * 1024
SEGMENT = 8 * 1024**3  # one segment for both tools

_WORDS = (
    "the of and to in is that for it as was with be by on not he this are or his from at which but have "
    "message sent received wallet USDT TRON transfer account password login phone contact group chat "
    "สวัสดี ครับ ค่ะ โอนเงิน บัญชี ลูกค้า 你好 转账 钱包 客户 账户 မင်္ဂလာပါ "
    '{"id": "type": "text", "timestamp": 1700000000, "from": "+66812345678", "to": "+8613800138000"}'
).split()


def _text_block(rng: random.Random, size: int) -> bytes:
    parts: list[str] = []
    length = 0
    while length < size:
        line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 18)))
        line += f" {rng.randint(0, 10**9)}\n"
        parts.append(line)
        length += len(line.encode())
    return "".join(parts).encode()[:size]


def make_input(path: Path, size: int) -> None:
    """Deterministic: the same seed gives the same bytes on every machine."""
    rng = random.Random(20250314)
    text = _text_block(rng, 16 * 1024 * 1024)
    zeros = bytes(STRIPE)
    written = 0
    stripe = 0
    with open(path, "wb") as f:
        while written < size:
            n = min(STRIPE, size - written)
            kind = stripe % 3
            if kind == 0:
                block = zeros[:n]
            elif kind == 1:
                start = (stripe * 7919 * 4096) % (len(text) - STRIPE)
                block = text[start : start + n]
            else:
                block = rng.randbytes(n)
            f.write(block)
            written += n
            stripe += 1


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


def run_ours(source: Path, target: Path) -> tuple[float, int]:
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
    return elapsed, sum(p.stat().st_size for p in paths)


def run_ewfacquire(tool: str, source: Path, target: Path) -> tuple[float, int]:
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
    return elapsed, sum(p.stat().st_size for p in paths)


def _clean(target: Path) -> None:
    for p in target.parent.glob(target.name + ".E*"):
        p.unlink()


def run(quick: bool) -> None:
    size = (64 if quick else 1024) * 1024 * 1024
    tool = shutil.which("ewfacquire")
    with tempfile.TemporaryDirectory(prefix="bench-e01-") as tmp:
        folder = Path(tmp)
        source = folder / "mixed.bin"
        make_input(source, size)
        print(f"input: {size / 2**20:.0f} MiB mixed (zeros / text-like / random), {os.cpu_count()} CPUs")
        ours: list[float] = []
        theirs: list[float] = []
        our_size = their_size = 0
        for _ in range(3):
            t, our_size = run_ours(source, folder / "ours")
            ours.append(t)
            _clean(folder / "ours")
            if tool:
                t, their_size = run_ewfacquire(tool, source, folder / "theirs")
                theirs.append(t)
                _clean(folder / "theirs")
        our_t = statistics.median(ours)
        rate = size / our_t / 2**20
        print(
            f"evidence-intake EwfWriter fast+md5+sha1: {our_t:6.2f} s  {rate:7.1f} MiB/s  {our_size:,} bytes"
        )
        print(f"  runs: {', '.join(f'{t:.2f}' for t in ours)}")
        if not tool:
            print("ewfacquire not installed (Debian package ewf-tools): no reference figure")
            return
        their_t = statistics.median(theirs)
        print(
            f"ewfacquire -c fast -d sha1:                {their_t:6.2f} s  "
            f"{size / their_t / 2**20:7.1f} MiB/s  {their_size:,} bytes"
        )
        print(f"  runs: {', '.join(f'{t:.2f}' for t in theirs)}")
        print(f"speed-up: {their_t / our_t:.2f}x (goal >= 3x)")
        print(f"size ratio: {our_size / their_size:.4f} (goal <= 1.05)")
