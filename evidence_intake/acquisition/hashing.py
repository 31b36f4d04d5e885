"""Several hashes over one stream of bytes, computed in parallel worker threads.

hashlib releases the GIL while it hashes a large buffer, so each worker thread (a "lane") gets a
real core. Algorithms are spread over the lanes by their cost, so that on two cores MD5 (the
slowest of the defaults) has a lane of its own and SHA-1 + SHA-256 share the other. The caller
hands over a buffer and gets it back (``wait``) once every lane is done with it: memory is the
caller's buffers and nothing else.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evidence_intake.errors import UsageError

ALGORITHMS = ("md5", "sha1", "sha256", "sha512", "blake2b")
DEFAULT_ALGORITHMS = ("md5", "sha1", "sha256")
# Relative cost per byte measured with OpenSSL's hashlib on x86-64 with SHA extensions.
_COST = {"md5": 2.3, "sha1": 1.0, "sha256": 1.0, "sha512": 2.6, "blake2b": 2.6}


def parse_algorithms(text: str | Sequence[str]) -> tuple[str, ...]:
    items = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    names: list[str] = []
    for item in items:
        name = item.strip().lower().replace("-", "")
        if not name:
            continue
        if name not in ALGORITHMS:
            raise UsageError(f"unknown hash algorithm {item!r}", hint=f"choose from {', '.join(ALGORITHMS)}")
        if name not in names:
            names.append(name)
    if not names:
        raise UsageError("no hash algorithm given", hint=f"choose from {', '.join(ALGORITHMS)}")
    return tuple(names)


def _lanes(algorithms: Sequence[str], workers: int) -> list[list[str]]:
    lanes: list[list[str]] = [[] for _ in range(max(1, min(workers, len(algorithms))))]
    loads = [0.0] * len(lanes)
    for name in sorted(algorithms, key=lambda a: -_COST[a]):
        i = loads.index(min(loads))
        lanes[i].append(name)
        loads[i] += _COST[name]
    return lanes


# A buffer to hash and the token to release, a drain mark, or None (stop).
_Job = tuple[memoryview, threading.Semaphore] | threading.Event | None


class _Lane(threading.Thread):
    def __init__(self, names: list[str]) -> None:
        super().__init__(daemon=True, name=f"hash-{'+'.join(names)}")
        self.hashers = {n: hashlib.new(n) for n in names}
        self.jobs: queue.Queue[tuple[memoryview, threading.Semaphore] | threading.Event | None] = (
            queue.Queue()
        )
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            if isinstance(job, threading.Event):  # drain(): everything queued before it is done
                job.set()
                continue
            data, done = job
            try:
                for h in self.hashers.values():
                    h.update(data)
            except BaseException as exc:  # a lane never dies silently: the owner re-raises
                self.error = exc
            finally:
                done.release()


class MultiHasher:
    """Feed buffers with ``submit``; each must stay untouched until ``wait`` for it returns."""

    def __init__(self, algorithms: Sequence[str] = DEFAULT_ALGORITHMS, *, workers: int | None = None) -> None:
        self.algorithms = tuple(algorithms)
        self._lanes = [_Lane(names) for names in _lanes(self.algorithms, workers or (os.cpu_count() or 2))]
        for lane in self._lanes:
            lane.start()
        self.bytes_hashed = 0

    def submit(self, data: memoryview | bytes) -> threading.Semaphore:
        """Start hashing ``data``; returns a token to ``wait`` on before the buffer is reused."""
        done = threading.Semaphore(0)
        view = memoryview(data)
        for lane in self._lanes:
            lane.jobs.put((view, done))
        self.bytes_hashed += len(view)
        return done

    def wait(self, token: threading.Semaphore) -> None:
        for _ in self._lanes:
            token.acquire()
        for lane in self._lanes:
            if lane.error is not None:
                raise lane.error

    def drain(self) -> None:
        """Wait until every lane has finished every buffer handed to it so far.

        Unlike ``wait`` this does not count on a token: after an interruption (Ctrl-C) that landed
        inside a ``wait``, the token is part-consumed and waiting on it again would never return.
        Lane errors are left for ``raise_errors``.
        """
        marks = []
        for lane in self._lanes:
            mark = threading.Event()
            lane.jobs.put(mark)
            marks.append(mark)
        for mark in marks:
            mark.wait()

    def raise_errors(self) -> None:
        for lane in self._lanes:
            if lane.error is not None:
                raise lane.error

    def update(self, data: memoryview | bytes) -> None:
        self.wait(self.submit(data))

    def hexdigests(self) -> dict[str, str]:
        """Digests so far (call once all submitted buffers were waited for)."""
        out: dict[str, str] = {}
        for lane in self._lanes:
            for name, h in lane.hashers.items():
                out[name] = h.hexdigest()
        return {name: out[name] for name in self.algorithms}

    def close(self) -> None:
        for lane in self._lanes:
            lane.jobs.put(None)
        for lane in self._lanes:
            lane.join()

    def __enter__(self) -> MultiHasher:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


BLOCK = 8 << 20


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """A read error (EIO from a failing card) comes without a file name; give it the file being read."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise


def hash_file(
    path: Path, algorithms: Sequence[str] = DEFAULT_ALGORITHMS, *, progress: Any = None
) -> dict[str, str]:
    """Hash a file read-only with double buffering (read the next block while the last is hashed)."""
    with _naming(path), MultiHasher(algorithms) as hasher, open(path, "rb", buffering=0) as fh:
        buffers = [bytearray(BLOCK), bytearray(BLOCK)]
        pending: list[threading.Semaphore | None] = [None, None]
        i = 0
        while True:
            token = pending[i]
            if token is not None:
                hasher.wait(token)
                pending[i] = None
            n = fh.readinto(buffers[i])
            if not n:
                break
            pending[i] = hasher.submit(memoryview(buffers[i])[:n])
            if progress is not None:
                progress(n)
            i ^= 1
        for token in pending:
            if token is not None:
                hasher.wait(token)
        return hasher.hexdigests()


def hash_files(paths: Iterable[Path], algorithms: Sequence[str] = DEFAULT_ALGORITHMS) -> dict[str, str]:
    """Hashes of the concatenation of ``paths`` (the segments of a split image, in order)."""
    with MultiHasher(algorithms) as hasher:
        for path in paths:
            with _naming(path), open(path, "rb", buffering=0) as fh:
                while chunk := fh.read(BLOCK):
                    hasher.update(chunk)
        return hasher.hexdigests()
