"""Deterministic mixed-content input shared by the acquisition and E01 benchmarks.

A third zeros, a third text-like (Thai, Chinese, Burmese, English, JSON), a third random, in
interleaved 4 MiB stripes as on a used disk. The same seed gives the same bytes on every machine.
"""

from __future__ import annotations

import random
from pathlib import Path

STRIPE = 4 * 1024 * 1024

_WORDS = (
    "the of and to in is that for it as was with be by on not he this are or his from at which but have "
    "message sent received wallet USDT TRON transfer account password login phone contact group chat "
    "สวัสดี ครับ ค่ะ โอนเงิน บัญชี ลูกค้า 你好 转账 钱包 客户 账户 မင်္ဂလာပါ "
    '{"id": "type": "text", "timestamp": 1700000000, "from": "+66812345678", "to": "+8613800138000"}'
).split()


def _text_block(rng: random.Random, size: int) -> bytes:
    parts: list[str] = []
    length = 0
    while length < size:
        line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 18)))
        line += f" {rng.randint(0, 10**9)}\n"
        parts.append(line)
        length += len(line.encode())
    return "".join(parts).encode()[:size]


def make_input(path: Path, size: int) -> None:
    """Deterministic: the same seed gives the same bytes on every machine."""
    rng = random.Random(20250314)
    text = _text_block(rng, 16 * 1024 * 1024)
    zeros = bytes(STRIPE)
    written = 0
    stripe = 0
    with open(path, "wb") as f:
        while written < size:
            n = min(STRIPE, size - written)
            kind = stripe % 3
            if kind == 0:
                block = zeros[:n]
            elif kind == 1:
                start = (stripe * 7919 * 4096) % (len(text) - STRIPE)
                block = text[start : start + n]
            else:
                block = rng.randbytes(n)
            f.write(block)
            written += n
            stripe += 1
