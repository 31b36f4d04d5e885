"""Several processes appending at once never fork the chain; a killed process never leaves half an entry."""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chain_of_custody import Ledger

from ._workers import append_forever, append_many


@pytest.mark.slow
def test_four_processes_appending_250_each(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(0)
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        counts = pool.starmap(append_many, [(str(path), worker, 250) for worker in range(4)])
    assert counts == [250] * 4
    with Ledger.open(path, readonly=True) as ledger:
        report = ledger.verify()
        assert report.ok, [p.reason for p in report.problems]
        assert report.entries == len(ledger) == 1000
        per_worker = collections.Counter(e.details["worker"] for e in ledger.entries())
        assert per_worker == {0: 250, 1: 250, 2: 250, 3: 250}
        # each station's own entries are in its order: nobody's append was lost or duplicated
        for worker in range(4):
            mine = [e.details["i"] for e in ledger.entries() if e.details["worker"] == worker]
            assert mine == list(range(250))
        assert len({e.uuid for e in ledger.entries()}) == 1000


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_kill_9_in_a_burst_of_appends(build_ledger: Callable[..., Path], tmp_path: Path, round_: int) -> None:
    path = build_ledger(3)
    started = tmp_path / f"started-{round_}"
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=append_forever, args=(str(path), str(started)))
    child.start()
    deadline = time.monotonic() + 60
    while not started.exists():
        assert child.is_alive() and time.monotonic() < deadline, "the appending process did not start"
        time.sleep(0.01)
    time.sleep(0.2 + 0.13 * round_)  # let it get well into the burst; the kill lands wherever it lands
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    assert child.exitcode == -signal.SIGKILL
    with Ledger.open(path) as ledger:
        report = ledger.verify()
        assert report.ok, [p.reason for p in report.problems]
        size = len(ledger)
        assert size > 4
        assert report.entries == size
        rows, leaves = (
            sqlite3.connect(path)
            .execute(
                "SELECT (SELECT COUNT(*) FROM entries), (SELECT COUNT(*) FROM tree_nodes WHERE level = 0)"
            )
            .fetchone()
        )
        assert rows == leaves == size  # no entry without its tree nodes, no nodes without their entry
        # the ledger goes on after the crash
        ledger.append("note", actor="After the crash", software="tests")
        assert ledger.verify().ok
