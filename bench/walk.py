"""Walk a file system of 100,000 files (quick: 10,000) through TskTree and through fls, in the same run.

The ext4 image is made with ``mkfs.ext4 -d`` from a generated folder. Our figure is a full walk
with metadata (every entry built, with its four times), as ``evidence-intake files`` does; the
reference is ``fls -r -p -m /`` on the same image, which prints the same metadata. Each side runs
in its own process, three times, alternating, and the best time of each is kept (the machine is
shared). Peak RSS is each process's own maximum resident set, to show that memory stays bounded.
Goal: no more than 2x fls's time. The walk runs in C where that module is built (see
docs/evidence.md); the walk through pytsk3 (EVIDENCE_INTAKE_NATIVE_WALK=0) is measured in the same
rounds for comparison.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
ROUNDS = 3


def build_tree(root: Path, files: int) -> None:
    """``files`` small files, 100 per folder, ten folders per top folder (phone-like fan-out)."""
    per_folder = 100
    for index in range(files):
        folder = root / f"d{index // (per_folder * 10):04d}" / f"s{(index // per_folder) % 10}"
        if index % per_folder == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index % per_folder:03d}.txt").write_bytes(b"x" * (index % 13))


def build_image(folder: Path, image: Path, files: int) -> None:
    size_mib = 64 + files * 6 // 1024
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-N", str(files + 4096), "-d", str(folder), str(image), f"{size_mib}M"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def measure(args: list[str]) -> tuple[float, float, int, str]:
    """Wall time, CPU time (user + system), peak RSS (KiB) and stdout of one child process."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL, cwd=PROJECT)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"{args[0]} failed with status {process.returncode}")
        out.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return elapsed, cpu, int(usage.ru_maxrss), out.read().decode("utf-8", "replace")


def child(image: str) -> None:
    """Run in the measured process: the walk, and nothing but the walk."""
    from evidence_intake.evidence.images import open_image
    from evidence_intake.evidence.tsk import TskTree, native_walk

    count = 0
    start, start_cpu = time.perf_counter(), time.process_time()
    with TskTree(open_image([Path(image)])) as tree:
        for entry in tree.walk():
            count += 1 if entry.mtime is not None or entry.type else 0
    walk, walk_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    how = f"C over libtsk {native_walk()}" if native_walk() else "pytsk3"
    print(json.dumps({"entries": count, "walk_seconds": walk, "walk_cpu": walk_cpu, "how": how}))


def run(quick: bool) -> None:
    files = 10_000 if quick else 100_000
    if shutil.which("fls") is None or shutil.which("mkfs.ext4") is None:
        print("fls (sleuthkit) and mkfs.ext4 (e2fsprogs) are needed for this benchmark")
        return
    with tempfile.TemporaryDirectory(prefix="bench-walk-") as tmp:
        folder = Path(tmp) / "tree"
        image = Path(tmp) / "fs.img"
        started = time.perf_counter()
        build_tree(folder, files)
        build_image(folder, image, files)
        shutil.rmtree(folder)
        built = time.perf_counter() - started
        print(f"image: ext4 with {files:,} files, {image.stat().st_size >> 20} MiB, built in {built:.1f} s")
        ours_cmd = [sys.executable, "-c", f"import bench.walk as w; w.child({str(image)!r})"]
        fls_cmd = ["fls", "-r", "-p", "-m", "/", str(image)]
        ours: list[dict[str, float]] = []
        theirs: list[dict[str, float]] = []
        python: list[float] = []
        entries = lines = 0
        how = ""
        for _ in range(ROUNDS):
            os.environ["EVIDENCE_INTAKE_NATIVE_WALK"] = "0"
            try:
                python.append(json.loads(measure(ours_cmd)[3])["walk_seconds"])
            finally:
                del os.environ["EVIDENCE_INTAKE_NATIVE_WALK"]
            seconds, cpu, rss, out = measure(ours_cmd)
            report = json.loads(out)
            entries, how = report["entries"], report["how"]
            ours.append(
                {
                    "walk": report["walk_seconds"],
                    "walk_cpu": report["walk_cpu"],
                    "process": seconds,
                    "rss": rss,
                }
            )
            seconds, cpu, rss, out = measure(fls_cmd)
            lines = out.count("\n")
            theirs.append({"process": seconds, "cpu": cpu, "rss": rss})

        def best(runs: list[dict[str, float]], key: str) -> float:
            return min(r[key] for r in runs)

        walk_s, walk_cpu, process_s = best(ours, "walk"), best(ours, "walk_cpu"), best(ours, "process")
        fls_s, fls_cpu = best(theirs, "process"), best(theirs, "cpu")
        rss_ours = max(r["rss"] for r in ours) / 1024
        rss_fls = max(r["rss"] for r in theirs) / 1024
        print(f"entries: TskTree {entries:,}, fls lines {lines:,}")
        print(f"TskTree walk  : {how}")
        print(
            f"TskTree walk  : {walk_s:7.3f} s wall, {walk_cpu:7.3f} s CPU (whole process {process_s:.3f} s)"
        )
        print(f"fls -r -p -m /: {fls_s:7.3f} s wall, {fls_cpu:7.3f} s CPU (whole process)")
        print(f"peak RSS      : TskTree process {rss_ours:.1f} MiB, fls {rss_fls:.1f} MiB")
        print(f"ratio         : {walk_s / fls_s:.2f}x fls wall, {walk_cpu / max(fls_cpu, 1e-3):.2f}x fls CPU")
        print(f"                {process_s / fls_s:.2f}x fls for the whole process (with Python start-up)")
        print(f"                (goal: 2x or less; best of {ROUNDS} alternating runs each)")
        print(f"through pytsk3: {min(python):7.3f} s wall ({min(python) / fls_s:.2f}x fls), for comparison")
        per_ours, per_fls = walk_cpu / max(entries, 1) * 1e6, fls_cpu / max(lines, 1) * 1e6
        print(f"CPU per entry : {per_ours:.1f} us TskTree, {per_fls:.1f} us fls")
