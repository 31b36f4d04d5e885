"""A read-only, seekable stream of a known number of bytes, read by offset.

The openers read files, NTFS streams, APFS entries and byte ranges of images from libraries that
only offer "read N bytes at offset X"; this gives them the file object every consumer expects.
"""

from __future__ import annotations

import abc
import io
from typing import Any


class OffsetStream(io.RawIOBase, abc.ABC):
    """Subclasses give ``_read_at``; ``_ended`` says what a read that returns nothing means."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size
        self._position = 0

    @abc.abstractmethod
    def _read_at(self, offset: int, size: int) -> bytes: ...

    def _ended(self, position: int) -> bytes:
        """No bytes came back before the recorded size: by default, the end of the data."""
        return b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def get_size(self) -> int:
        return self._size

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        remaining = max(0, self._size - self._position)
        want = remaining if size is None or size < 0 else min(size, remaining)
        if want == 0:
            return b""
        data = self._read_at(self._position, want) or self._ended(self._position)
        self._position += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
