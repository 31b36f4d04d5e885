"""Where units of work run: in this process, or in a pool of worker processes below its priority."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

__all__ = ["WORKER_NICENESS", "InlineExecutor", "default_jobs", "make_executor"]


class InlineExecutor(Executor):
    """Runs each unit at once in this process (``--jobs 0``, and tests)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def default_jobs() -> int:
    """One worker per CPU: per record the workers' conversions cost more than the main process's
    merging and indexing (bench/extract.py); running below its priority, the workers take the CPU
    time it leaves (measured: two workers 20-30 % faster than one on two CPUs)."""
    return max(1, os.cpu_count() or 1)


WORKER_NICENESS = 10
PARENT_CHECK_SECONDS = 0.5


def _worker_started(parent: int | None = None) -> None:
    """Worker processes yield the CPU to the main process, which alone writes the store.

    The store is written by one process (SQLite has one writer), so its merging and indexing is the
    critical path; the workers convert ahead of it (``window`` units in flight) and only need the
    CPU time the main process leaves. Without this, two workers and the main process share two
    CPUs evenly and the main process, the slowest link, gets two thirds of one.
    """
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # not permitted here: the workers keep the main process's priority
        pass
    if parent is not None:
        _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """End this worker when the process that started it ends.

    A main process that is killed (kill -9, the OOM killer) cannot shut its pool down: its workers,
    handed to another parent, would wait for work for ever. A daemon thread checks every
    ``PARENT_CHECK_SECONDS`` that the parent is still this worker's parent (on every platform; Linux's
    PR_SET_PDEATHSIG is not used because it fires when the *thread* that started the worker ends).
    The unit in progress is abandoned: its shard is in the run's scratch folder, which the next
    extraction removes with the rest of the killed run.
    """
    if os.getppid() != parent:  # the parent ended before this worker got here
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def make_executor(jobs: int) -> Executor:
    """A pool of ``jobs`` worker processes (spawned, so units must really be picklable).

    ``jobs=0`` runs every unit in the main process, one after the other (for debugging).
    """
    if jobs <= 0:
        return InlineExecutor()
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=get_context("spawn"),
        initializer=_worker_started,
        initargs=(os.getpid(),),
    )
