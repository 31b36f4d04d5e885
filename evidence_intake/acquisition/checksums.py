"""Standalone hashing of files and folders, and checking of checksum files, like sha256sum and -c.

One algorithm writes the GNU form ("<hex>  <path>"), which sha256sum -c reads; several write the
BSD tagged form ("SHA256 (<path>) = <hex>"), which names its algorithm on every line and which
GNU's tools also read. Both forms are accepted by ``check``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from evidence_intake.acquisition.hashing import hash_file
from evidence_intake.errors import NotFoundError, UsageError
from evidence_intake.progress import Progress

_GNU = re.compile(r"^(?P<hex>[0-9a-fA-F]{32,128}) [ *](?P<path>.+)$")
_BSD = re.compile(r"^(?P<alg>[A-Za-z0-9-]+) ?\((?P<path>.+)\) ?= ?(?P<hex>[0-9a-fA-F]{32,128})$")
_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_TAG = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256", "sha512": "SHA512", "blake2b": "BLAKE2b"}


@dataclass(frozen=True, slots=True)
class FileHashes:
    path: str
    size: int
    hashes: dict[str, str]

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "size": self.size, "hashes": self.hashes}


def iter_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Files named, and every regular file under folders named (sorted, links not followed)."""
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
                dirnames.sort()
                for name in sorted(filenames):
                    full = Path(dirpath) / name
                    if full.is_file() and not full.is_symlink():
                        yield full
        elif path.is_file():
            yield path
        else:
            raise NotFoundError(f"{path} is not a file or folder", path=path)


def hash_paths(
    paths: Sequence[Path], algorithms: Sequence[str], *, progress: Progress | None = None
) -> Iterator[FileHashes]:
    """Each file's hashes, as soon as it is read; one ``progress`` phase per file, in bytes."""
    sink = progress or Progress()
    for path in iter_files(paths):
        size = path.stat().st_size
        sink.phase(f"hashing {path}", size)
        yield FileHashes(str(path), size, hash_file(path, algorithms, progress=sink.advance))


def format_line(item: FileHashes, algorithm: str, *, tagged: bool) -> str:
    if tagged:
        return f"{_TAG[algorithm]} ({item.path}) = {item.hashes[algorithm]}"
    return f"{item.hashes[algorithm]}  {item.path}"


@dataclass(frozen=True, slots=True)
class CheckResult:
    path: str
    algorithm: str
    status: str  # OK, FAILED, MISSING

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "algorithm": self.algorithm, "status": self.status}


def parse_checksums(text: str, *, source: str) -> list[tuple[str, str, str]]:
    """(algorithm, path, hex) for every line of a checksum file, GNU or BSD form."""
    entries: list[tuple[str, str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        m = _BSD.match(line)
        if m:
            alg = m.group("alg").lower().replace("-", "")
            if alg not in _TAG:
                raise UsageError(f"{source} line {number}: unknown algorithm {m.group('alg')}")
            entries.append((alg, m.group("path"), m.group("hex").lower()))
            continue
        m = _GNU.match(line)
        if m and len(m.group("hex")) in _BY_LENGTH:
            entries.append((_BY_LENGTH[len(m.group("hex"))], m.group("path"), m.group("hex").lower()))
            continue
        raise UsageError(
            f"{source} line {number} is not a checksum line: {line[:80]!r}",
            hint="lines look like '<hex>  <path>' (sha256sum) or 'SHA256 (<path>) = <hex>'",
        )
    if not entries:
        raise UsageError(f"{source} holds no checksum lines")
    return entries


def check(manifest: Path, *, progress: Progress | None = None) -> list[CheckResult]:
    """Check every line; paths are relative to the current folder, as with sha256sum -c.

    One ``progress`` phase per file read, in bytes.
    """
    sink = progress or Progress()
    if not manifest.is_file():
        raise NotFoundError(f"checksum file {manifest} not found", path=manifest)
    # utf-8-sig: manifests written by Windows tools often start with a byte-order mark
    text = manifest.read_text(encoding="utf-8-sig", errors="surrogateescape")
    entries = parse_checksums(text, source=str(manifest))
    by_path: dict[str, list[tuple[str, str]]] = {}
    for alg, path, value in entries:
        by_path.setdefault(path, []).append((alg, value))
    results: list[CheckResult] = []
    for path, wanted in by_path.items():
        file = Path(path)
        if not file.is_file():
            results.extend(CheckResult(path, alg, "MISSING") for alg, _ in wanted)
            continue
        sink.phase(f"checking {path}", file.stat().st_size)
        got = hash_file(file, sorted({alg for alg, _ in wanted}), progress=sink.advance)
        results.extend(
            CheckResult(path, alg, "OK" if got[alg] == value else "FAILED") for alg, value in wanted
        )
    return results
