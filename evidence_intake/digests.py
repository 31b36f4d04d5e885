"""The SHA-256 of one file, for the small files the tool writes or copies (logs, photographs,
scratch copies, bundles). Media and images (and their segments) go through acquisition.hashing
instead, which computes several hashes in one pass on parallel threads and reports progress."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the file at ``path``, read front to back; OSError if it cannot be read."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
