"""The one read pass: read the source in large blocks, hash every byte, write it, survive bad sectors.

Three things overlap: the main thread reads block k+1 and writes block k while the hash lanes
hash block k. Buffers are reused in a ring, so memory is ``ring × block`` whatever the media size.

A read error never aborts the pass. The failed block is retried, then split in halves down to
single sectors; sectors that still cannot be read are written as zeros and recorded in the error
map. The hashes cover the image as written (zeros included), and the record says so.
"""

from __future__ import annotations

import mmap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from evidence_intake.acquisition.base import ErrorRange, ImageWriter
from evidence_intake.acquisition.hashing import MultiHasher
from evidence_intake.acquisition.sources import Source

DEFAULT_BLOCK = 8 << 20
RING = 3


@dataclass
class PassState:
    """How far the pass got: what the engine records when it is interrupted."""

    offset: int = 0
    errors: list[ErrorRange] = field(default_factory=list)
    retried_reads: int = 0

    def add_error(self, offset: int, length: int) -> None:
        last = self.errors[-1] if self.errors else None
        if last is not None and last.offset + last.length == offset:
            self.errors[-1] = ErrorRange(last.offset, last.length + length)
        else:
            self.errors.append(ErrorRange(offset, length))


def _read_exact(source: Source, offset: int, view: memoryview) -> int:
    """Fill ``view`` from ``offset``; returns bytes read (short only at the end of the media)."""
    done = 0
    while done < len(view):
        n = source.readinto(offset + done, view[done:])
        if n <= 0:
            break
        done += n
    return done


def read_block(source: Source, offset: int, view: memoryview, state: PassState, retries: int) -> None:
    """Fill ``view`` (whose length never runs past the media end) surviving media errors."""
    for attempt in range(retries + 1):
        try:
            n = _read_exact(source, offset, view)
        except OSError:
            if attempt < retries:
                state.retried_reads += 1
                time.sleep(0.05 * (attempt + 1))
                continue
            break
        if n == len(view):
            return
        # A short read inside the known size: the medium ended early or the rest is unreadable.
        _narrow(source, offset + n, view[n:], state, retries=0)
        return
    _narrow(source, offset, view, state, retries=1)


def _narrow(source: Source, offset: int, view: memoryview, state: PassState, *, retries: int) -> None:
    """Bisect a failing range down to sectors; zero and record what cannot be read."""
    sector = source.sector_size
    if len(view) <= sector:
        for _ in range(retries + 1):
            try:
                if _read_exact(source, offset, view) == len(view):
                    return
            except OSError:
                continue
        view[:] = bytes(len(view))
        state.add_error(offset, len(view))
        return
    half = ((len(view) // 2 + sector - 1) // sector) * sector
    for start, part in ((0, view[:half]), (half, view[half:])):
        try:
            if _read_exact(source, offset + start, part) == len(part):
                continue
        except OSError:
            pass
        _narrow(source, offset + start, part, state, retries=retries)


def copy_and_hash(
    source: Source,
    writer: ImageWriter | None,
    hasher: MultiHasher,
    state: PassState,
    *,
    block_size: int = DEFAULT_BLOCK,
    retries: int = 2,
    on_progress: Callable[[int], None] | None = None,
    on_checkpoint: Callable[[PassState], None] | None = None,
    checkpoint_bytes: int = 64 << 20,
    checkpoint_seconds: float = 5.0,
    stop: threading.Event | None = None,
) -> None:
    """Copy ``source`` from ``state.offset`` to its end through ``hasher`` into ``writer``.

    With no writer it is a hashing pass only (``--verify-source`` reads the source a second time).

    ``state`` is updated as blocks are written, so that whatever interrupts the pass, it tells
    exactly how many bytes are in the image and which ranges were zero-filled.
    ``on_checkpoint`` is called every ``checkpoint_bytes`` or ``checkpoint_seconds``, whichever
    comes first, with every byte up to ``state.offset`` handed to the writer; making them durable
    (the points a resume can trust) is the callback's business.
    """
    block_size = max(source.sector_size, (block_size // source.sector_size) * source.sector_size)
    # Page-aligned buffers (anonymous maps), so that writers can hand them to the device directly.
    buffers = [memoryview(mmap.mmap(-1, block_size)) for _ in range(RING)]
    tokens: list[threading.Semaphore | None] = [None] * RING
    since_checkpoint = 0
    last_checkpoint = time.monotonic()
    slot = 0
    try:
        while state.offset < source.size:
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt
            token = tokens[slot]
            if token is not None:
                hasher.wait(token)
                tokens[slot] = None
            length = min(block_size, source.size - state.offset)
            view = buffers[slot][:length]
            read_block(source, state.offset, view, state, retries)
            tokens[slot] = hasher.submit(view)
            if writer is not None:
                writer.write(view)
            state.offset += length
            since_checkpoint += length
            if on_progress is not None:
                on_progress(length)
            due = (
                since_checkpoint >= checkpoint_bytes
                or time.monotonic() - last_checkpoint >= checkpoint_seconds
            )
            if on_checkpoint is not None and due:
                on_checkpoint(state)
                since_checkpoint = 0
                last_checkpoint = time.monotonic()
            slot = (slot + 1) % RING
    finally:
        # No lane may still read a buffer when this returns, whatever interrupted the loop (a token
        # part-consumed by a Ctrl-C inside wait() would make waiting on it again hang forever).
        hasher.drain()
    hasher.raise_errors()
