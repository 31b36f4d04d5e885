"""What the extraction benchmarks share: a case stand-in, the evidence folder as a tree, and running
one measurement in a fresh process so that its peak memory and CPU time are its own."""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evidence_intake.evidence.logical import FolderTree
from evidence_intake.evidence.model import EvidenceTree


class BenchCase:
    """The documented Case API, enough for ``extract()``; the ledger is not what is measured.

    Ledger entries are kept in ``entries`` as (action, details) so that a benchmark can read the
    counts the engine recorded.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.settings = type("S", (), {"region": "TH", "timezone": "Asia/Bangkok"})()
        self.entries: list[tuple[str, dict[str, Any]]] = []

    @property
    def scratch_dir(self) -> Path:
        path = self.root / "scratch"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def artefacts_path(self) -> Path:
        return self.root / "artefacts.sqlite"

    def exhibit(self, exhibit_id: str) -> Any:
        return type("E", (), {"exhibit_id": exhibit_id, "region": None})()

    def record(self, action: str, *, examiner: str, exhibit: str | None = None, details: Any = None) -> Any:
        self.entries.append((action, dict(details or {})))
        return type("Entry", (), {"seq": len(self.entries)})()


def folder_tree(root: Path) -> Callable[[Any, str], EvidenceTree]:
    """An ``open_tree`` for ``extract()`` that reads every exhibit from the folder ``root``."""
    return lambda _case, _exhibit: FolderTree(root)


def usage() -> dict[str, float]:
    """Peak memory (MiB) and CPU seconds of this process and of its finished children (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "own_mib": own.ru_maxrss / 1024,
        "children_mib": children.ru_maxrss / 1024,
        "own_cpu": own.ru_utime + own.ru_stime,
        "children_cpu": children.ru_utime + children.ru_stime,
    }


def in_child(target: Callable[..., None], *args: Any) -> dict[str, Any]:
    """Run ``target(*args, queue)`` in a freshly spawned process and return what it put on the queue."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=target, args=(*args, queue))
    process.start()
    result: dict[str, Any] = queue.get()
    process.join()
    return result
