"""Functions run in child processes (importable by name, as the spawn start method needs)."""

from __future__ import annotations

import os
from pathlib import Path

from chain_of_custody import Ledger

SOFTWARE = "evidence-intake 0.1.0 (tests)"


def append_many(path: str, worker: int, count: int) -> int:
    """One intake station: opens the shared ledger and records ``count`` entries."""
    with Ledger.open(Path(path)) as ledger:
        for i in range(count):
            ledger.append(
                "received",
                actor=f"Station {worker}",
                exhibit=f"EX-{worker}-{i:04d}",
                details={"worker": worker, "i": i, "pid": os.getpid()},
                software=SOFTWARE,
            )
    return count


def append_forever(path: str, started: str) -> None:
    """Appends as fast as it can until killed; touches ``started`` after the first entry."""
    with Ledger.open(Path(path)) as ledger:
        i = 0
        while True:
            ledger.append("note", actor="Burst", details={"i": i, "pad": "ข" * 200}, software=SOFTWARE)
            if i == 0:
                Path(started).touch()
            i += 1
