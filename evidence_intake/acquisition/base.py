"""The contract between the acquisition engine and an image format.

The engine reads the source once, hashes every byte and hands the same bytes, in order, to one
``ImageWriter``. Writers know nothing of sources or hashing; the engine knows nothing of formats.
A new format (E01 beside raw) is one more subclass.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageMetadata:
    """What a self-describing format (E01) stores about the acquisition; raw formats ignore it."""

    case_number: str
    evidence_number: str  # the exhibit id
    examiner: str
    description: str
    notes: str = ""
    acquired_at: datetime
    system_at: datetime
    operating_system: str
    software: str  # "evidence-intake 0.1.0"
    model: str | None = None
    serial: str | None = None
    media_type: str = "fixed"  # fixed, removable, optical, memory
    physical: bool = True  # a whole device, not a partition or logical file


@dataclass(frozen=True, slots=True)
class ErrorRange:
    """Bytes of the source that could not be read and were written as zeros."""

    offset: int
    length: int

    def to_dict(self) -> dict[str, int]:
        return {"offset": self.offset, "length": self.length}


class ImageWriter(abc.ABC):
    """Writes the media bytes handed to it, in order, to one or more files under a base path.

    ``write`` may be called with any sizes; the caller reuses its buffer as soon as ``write``
    returns, so a writer that keeps data for later (worker threads) must copy it. ``finish``
    receives the hashes the engine computed over
    exactly those bytes (hex, by algorithm name) and the error map, completes the files and returns
    them in order. ``abort`` closes what exists and leaves it as it is, so that the engine can mark
    it incomplete (and ``resume`` it when the format allows).
    """

    format: ClassVar[str]
    resumable: ClassVar[bool] = False
    required_hashes: ClassVar[frozenset[str]] = frozenset()  # hashes the format stores itself

    @abc.abstractmethod
    def write(self, data: bytes | memoryview) -> None: ...

    @abc.abstractmethod
    def finish(self, *, hashes: Mapping[str, str], error_map: Sequence[ErrorRange]) -> list[Path]: ...

    @abc.abstractmethod
    def abort(self) -> None: ...

    @property
    @abc.abstractmethod
    def paths(self) -> list[Path]:
        """Files written so far, in order (the first segment first)."""

    @property
    @abc.abstractmethod
    def bytes_accepted(self) -> int:
        """Media bytes handed to ``write`` so far."""
