"""Logical sources: listing a tar (plain and gzip) and hashing every member for the manifest.

Reference tools measured in the same run: GNU ``tar -tvf`` for the listing, and ``sha256sum``
over the whole archive for hashing (the floor: one pass over the same bytes, no per-member work).
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from evidence_intake.acquisition.manifest import build_manifest
from evidence_intake.evidence.logical import TarTree


def _best(action: Callable[[], object], repeat: int) -> float:
    """Median of ``repeat`` runs: the machine is shared, one run says little."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _build(folder: Path, files: int, size: int, compression: str) -> Path:
    path = folder / ("phone.tar.gz" if compression else "phone.tar")
    options = {"compresslevel": 1} if compression else {}
    with tarfile.open(path, "w:gz" if compression else "w", **options) as tar:  # type: ignore[call-overload]
        for n in range(files):
            data = os.urandom(size // 2) + bytes(size - size // 2)
            info = tarfile.TarInfo(f"data/media/0/DCIM/Camera/IMG_{n:06d}.jpg")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _row(what: str, ours: float, reference: float, tool: str) -> None:
    print(f"{what:<34} ours {ours:8.3f} s   {tool:<16} {reference:8.3f} s   ratio {ours / reference:6.2f}")


def run(quick: bool) -> None:
    files, size, repeat = (200, 16 * 1024, 3) if quick else (3000, 64 * 1024, 5)
    for tool in ("tar", "sha256sum"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed; skipping")
            return
    with tempfile.TemporaryDirectory() as temp:
        for compression in ("", "gzip"):
            archive = _build(Path(temp), files, size, compression)
            label = f"{files} members, {files * size // 2**20} MiB" + (", gzip" if compression else "")
            print(f"-- {label} ({archive.stat().st_size // 2**20} MiB on disk)")
            listing = _best(lambda a=archive: sum(1 for _ in TarTree(a).walk()), repeat)  # type: ignore[misc]
            flag = "-tzvf" if compression else "-tvf"
            tar_list = _best(
                lambda a=archive, f=flag: subprocess.run(  # type: ignore[misc]
                    ["tar", f, str(a)], check=True, stdout=subprocess.DEVNULL
                ),
                repeat,
            )
            _row("list members", listing, tar_list, f"tar {flag}")
            manifest = _best(lambda a=archive: sum(1 for _ in build_manifest(TarTree(a))), repeat)  # type: ignore[misc]
            whole = _best(
                lambda a=archive: subprocess.run(  # type: ignore[misc]
                    ["sha256sum", str(a)], check=True, stdout=subprocess.DEVNULL
                ),
                repeat,
            )
            _row("sha256 of every member", manifest, whole, "sha256sum (whole)")
