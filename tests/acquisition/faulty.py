"""A source that fails on chosen byte ranges, as a failing disk does (EIO), for tests."""

from __future__ import annotations

import errno
from typing import Any

from evidence_intake.acquisition.sources import Source


class FaultySource(Source):
    kind = "test"

    def __init__(
        self, data: bytes, bad: list[tuple[int, int]], *, sector_size: int = 512, flaky: int = 0
    ) -> None:
        from pathlib import Path

        self.path = Path("/dev/test-faulty")
        self.data = data
        self.size = len(data)
        self.sector_size = sector_size
        self.bad = bad
        self.flaky = flaky  # reads of a bad range that fail before they succeed (0 = always fail)
        self.attempts: dict[tuple[int, int], int] = {}
        self.reads = 0

    def readinto(self, offset: int, buffer: memoryview) -> int:
        self.reads += 1
        end = min(offset + len(buffer), self.size)
        for start, length in self.bad:
            if offset < start + length and start < end:
                key = (start, length)
                self.attempts[key] = self.attempts.get(key, 0) + 1
                if not self.flaky or self.attempts[key] <= self.flaky:
                    raise OSError(errno.EIO, "Input/output error")
        n = end - offset
        buffer[:n] = self.data[offset:end]
        return n

    def identity(self) -> dict[str, Any]:
        return {"kind": self.kind, "size": self.size}
