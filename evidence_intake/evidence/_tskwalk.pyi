"""The file-system walk in C over the system's libtsk (see _tskwalk.c); built only where libtsk-dev is."""

from collections.abc import Callable, Iterator
from datetime import datetime

from evidence_intake.evidence.model import Entry, EntryType

TSK_VERSION: str

def configure(
    entry: type[Entry],
    detail: type[tuple[object, ...]],
    file: EntryType,
    directory: EntryType,
    link: EntryType,
    other: EntryType,
) -> None: ...
def utc_time(seconds: int, nanoseconds: int) -> datetime | None: ...

class FileSystem:
    ftype: int
    def __init__(self, read_at: Callable[[int, int], bytes], size: int, offset: int, ftype: int) -> None: ...
    def walk(
        self, volume: str, label: str, ntfs: bool, report: Callable[[str, str], None]
    ) -> Iterator[Entry]: ...
    def close(self) -> None: ...
