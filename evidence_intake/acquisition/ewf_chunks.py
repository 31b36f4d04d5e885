"""How the E01 writer turns a chunk of media into the bytes it stores (runs in worker threads).

Deflate is the cost of E01, so: "fast" uses ISA-L's deflate (the ``isal`` package) at level 1,
about four times faster than zlib level 1 at a slightly better ratio; "best" uses zlib level 9.
Both release the GIL and write standard zlib streams (RFC 1950) that every EWF reader inflates.
An all-zero chunk reuses one precomputed compressed chunk. Random-looking data comes in runs (an
encrypted partition, a folder of JPEGs), so after a chunk that did not shrink the next one is
first sampled, and stored raw (with its Adler-32) when its samples do not shrink either.
"""

from __future__ import annotations

import struct
import zlib

from isal import isal_zlib

from evidence_intake.acquisition import ewf_format as fmt

SAMPLE_SIZE = 1024
INCOMPRESSIBLE_RATIO = 0.97  # a sample that deflates to more than this is "random-looking"

Packed = tuple[bytes, bool]  # stored bytes, compressed?


def compress(data: bytes, level: int) -> bytes:
    """Level 9 ("best") through zlib, the fast levels (1-3) through ISA-L."""
    if level <= isal_zlib.ISAL_BEST_COMPRESSION:
        return isal_zlib.compress(data, level)
    return zlib.compress(data, level)


def _raw_chunk(data: bytes) -> Packed:
    return data + struct.pack("<I", fmt.adler32(data)), False


def _looks_incompressible(data: bytes) -> bool:
    """True when the start, middle and end of the chunk do not shrink: deflate would be wasted."""
    if len(data) < 4 * SAMPLE_SIZE:
        return False
    mid = len(data) // 2
    sample = data[:SAMPLE_SIZE] + data[mid : mid + SAMPLE_SIZE] + data[-SAMPLE_SIZE:]
    return len(isal_zlib.compress(sample, 1)) > INCOMPRESSIBLE_RATIO * len(sample)


def pack_batch(chunks: list[bytes], level: int, zero: bytes, zero_packed: bytes) -> list[Packed]:
    """Stored bytes and compressed flag of each chunk of a batch.

    Sampling only after a chunk that did not shrink: elsewhere it would cost more than it saves.
    """
    out: list[Packed] = []
    after_raw = False
    for data in chunks:
        if level == 0:
            out.append(_raw_chunk(data))
        elif len(data) == len(zero) and data == zero:
            out.append((zero_packed, True))
            after_raw = False
        elif after_raw and _looks_incompressible(data):
            out.append(_raw_chunk(data))
        else:
            packed = compress(data, level)
            after_raw = len(packed) >= len(data)
            out.append(_raw_chunk(data) if after_raw else (packed, True))
    return out
