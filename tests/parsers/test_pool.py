"""Worker processes of the pool: they end when the main process is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

WORKER_PARENT = """
import os, sys, time
from evidence_intake.parsers.pool import make_executor

pool = make_executor(1)
print(pool.submit(os.getpid).result(), flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    """The process has ended (a zombie nobody reaps counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


def test_pool_workers_end_when_the_main_process_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", WORKER_PARENT],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        assert not _gone(worker)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 30  # generous: the worker checks its parent twice a second
    while not _gone(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    ended = _gone(worker)
    if not ended:
        os.kill(worker, signal.SIGKILL)
    assert ended, "the worker outlived its killed parent"
