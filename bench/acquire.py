"""Acquisition speed: `acquire --format raw` with MD5+SHA-1+SHA-256 against md5sum and dc3dd, same run.

Input: the deterministic 1 GiB mixed-content file of bench/_mixed.py (64 MiB with --quick), in the
page cache for every tool (each reads it once before timing), so that the figures compare the work
of the tools, not the disk. Measured, alternating, five rounds (three with --quick):

* ours: ``evidence-intake acquire FILE --exhibit B --no-verify`` in a fresh case: one read pass,
  three hashes, the image written and made durable (its resume points are fsynced), the ledger and
  the log written; the process's own peak RSS is recorded. ``--verify`` (re-reading the image) is
  measured once more on its own, since md5sum and dc3dd do not verify.
* ``md5sum FILE``: one hash, nothing written;
* ``dc3dd if=FILE of=IMAGE hash=md5 hash=sha1 hash=sha256``: three hashes and the image written.

Goals: ours ≤ 1.15 × md5sum's time, ≥ 2.5 × faster than dc3dd, peak RSS < 200 MiB.
The machine may be shared: medians and best times are printed, with CPU seconds.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._mixed import make_input

GOAL_MD5SUM = 1.15
GOAL_DC3DD = 2.5
GOAL_RSS_MIB = 200
PACKAGES = {"md5sum": "coreutils", "dc3dd": "dc3dd"}


def _hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one child process.

    The peak is the child's own high-water mark (VmHWM), sampled until it exits: the rusage
    maximum would include the memory of this (forking) process.
    """
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0
    while True:
        done, status, usage = os.wait4(process.pid, os.WNOHANG)
        if done:
            break
        peak = max(peak, _hwm_kib(process.pid))
        time.sleep(0.005)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise RuntimeError(f"{args[0]} failed: {err[-2000:]}")
    if process.stderr:
        process.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime, peak


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "evidence_intake", *args]


def _new_case(work: Path, n: int, env: dict[str, str]) -> Path:
    case = work / f"case-{n}"
    subprocess.run(
        _cli("case", "init", str(case), "--case-number", "BENCH", "--title", "bench", "--examiner", "bench"),
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        _cli(
            "exhibit",
            "add",
            "--case",
            str(case),
            "--exhibit",
            "B",
            "--kind",
            "storage",
            "--description",
            "bench",
        ),
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return case


def run(quick: bool) -> None:
    size = (64 if quick else 1024) * 1024 * 1024
    rounds = 3 if quick else 5
    for tool in ("md5sum", "dc3dd"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (Debian package {PACKAGES[tool]}); skipped")
            return
    with tempfile.TemporaryDirectory(prefix="bench-acquire-") as tmp:
        work = Path(tmp)
        source = work / "mixed.bin"
        make_input(source, size)
        with open(source, "rb") as fh:  # into the page cache for everyone
            while fh.read(64 << 20):
                pass
        env = {**os.environ, "EVIDENCE_INTAKE_KEYS": str(work / "keys"), "EVIDENCE_INTAKE_EXAMINER": "bench"}
        ours: list[tuple[float, float, int]] = []
        md5: list[tuple[float, float, int]] = []
        dc3: list[tuple[float, float, int]] = []
        for n in range(rounds):
            case = _new_case(work, n, env)
            ours.append(
                measure(
                    _cli("acquire", str(source), "--exhibit", "B", "--case", str(case), "--no-verify"), env
                )
            )
            shutil.rmtree(case)
            md5.append(measure(["md5sum", str(source)]))
            image = work / "dc3dd.img"
            dc3.append(
                measure(
                    [
                        "dc3dd",
                        f"if={source}",
                        f"of={image}",
                        "hash=md5",
                        "hash=sha1",
                        "hash=sha256",
                        "nwspc=on",
                    ]
                )
            )
            image.unlink()
        case = _new_case(work, rounds, env)
        verified = measure(_cli("acquire", str(source), "--exhibit", "B", "--case", str(case)), env)
        # The fixed cost of a run (interpreter start, case, ledger entries, log): the same command on
        # a 1 MiB file. On real media (tens of GB and more) it vanishes; on 1 GiB it does not.
        small = work / "small.bin"
        small.write_bytes(source.read_bytes()[: 1 << 20])
        fixed: list[tuple[float, float, int]] = []
        for n in range(rounds):
            case = _new_case(work, rounds + 1 + n, env)
            fixed.append(
                measure(
                    _cli("acquire", str(small), "--exhibit", "B", "--case", str(case), "--no-verify"), env
                )
            )

    def line(name: str, runs: list[tuple[float, float, int]]) -> float:
        walls = [r[0] for r in runs]
        median = statistics.median(walls)
        print(
            f"  {name:<44} median {median:6.2f} s  best {min(walls):6.2f} s  "
            f"CPU {statistics.median(r[1] for r in runs):6.2f} s  "
            f"peak RSS {max(r[2] for r in runs) / 1024:6.0f} MiB"
        )
        return median

    mib = size / 2**20
    print(
        f"input: {mib:.0f} MiB mixed content, page-cached; {os.cpu_count()} CPUs; "
        f"{rounds} rounds, alternating"
    )
    t_ours = line("evidence-intake acquire (3 hashes, raw, no verify)", ours)
    t_md5 = line("md5sum (1 hash, nothing written)", md5)
    t_dc3 = line("dc3dd (3 hashes, image written)", dc3)
    print(
        f"  {'evidence-intake acquire with --verify (once)':<44} "
        f"{verified[0]:6.2f} s  CPU {verified[1]:6.2f} s"
    )
    t_fixed = line("evidence-intake acquire of 1 MiB (fixed cost)", fixed)
    rss = max(r[2] for r in ours) / 1024
    print(
        f"throughput: ours {mib / t_ours:.0f} MiB/s, md5sum {mib / t_md5:.0f} MiB/s, "
        f"dc3dd {mib / t_dc3:.0f} MiB/s"
    )
    print(
        f"ratio ours / md5sum = {t_ours / t_md5:.2f} (goal ≤ {GOAL_MD5SUM})   "
        f"dc3dd / ours = {t_dc3 / t_ours:.2f} (goal ≥ {GOAL_DC3DD})   "
        f"peak RSS {rss:.0f} MiB (goal < {GOAL_RSS_MIB})"
    )
    print(
        f"without the fixed cost of a run ({t_fixed:.2f} s): "
        f"ours / md5sum = {(t_ours - t_fixed) / t_md5:.2f}, the rate media of any size are read at"
    )
