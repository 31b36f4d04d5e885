"""File type from content (libmagic through python-magic), so that a renamed database is still found.

``mime_type`` looks at the first ``HEAD_SIZE`` bytes (64 KiB): enough for every signature that
matters here (SQLite's header is 100 bytes, ZIP-based office and APK files name their first member
within the first few KiB, tar's "ustar" is at 257, ISO 9660's descriptor at 32 KiB), while reading
no more than one buffer of each file. The libmagic handle is opened once per thread (it is not
thread-safe) and results are cached by content, because phones hold many identical heads
(empty files, zero-filled databases, the same library copied per app); the cache keeps a
16-byte digest of each head, not the head itself.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from fnmatch import fnmatchcase
from typing import Any, BinaryIO

from evidence_intake.errors import EvidenceError

HEAD_SIZE = 65536
_CACHE_SIZE = 4096
_local = threading.local()
_cache: OrderedDict[bytes, str] = OrderedDict()
_cache_lock = threading.Lock()


def _magic() -> Any:
    handle = getattr(_local, "magic", None)
    if handle is None:
        try:
            import magic
        except ImportError as exc:  # python-magic present but libmagic missing
            raise EvidenceError(
                "file types cannot be told: libmagic is not installed",
                hint="install libmagic (Debian: apt-get install libmagic1)",
            ) from exc
        handle = magic.Magic(mime=True)
        _local.magic = handle
    return handle


def mime_type(head: bytes) -> str:
    """The MIME type libmagic gives for these first bytes ("application/vnd.sqlite3", "image/jpeg"…)."""
    head = head[:HEAD_SIZE]
    key = hashlib.blake2b(head, digest_size=16).digest()
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    result = str(_magic().from_buffer(head)) if head else "application/x-empty"
    with _cache_lock:
        _cache[key] = result
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def mime_of_stream(stream: BinaryIO) -> str:
    """The MIME type of an open stream's content, read from its start."""
    return mime_type(stream.read(HEAD_SIZE))


def matches(mime: str, pattern: str) -> bool:
    """``pattern`` as given on the command line: "application/vnd.sqlite3", "image/*", "*sqlite*"."""
    return fnmatchcase(mime.lower(), pattern.strip().lower())
