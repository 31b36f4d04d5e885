"""A preserved logical source read against its acquisition manifest.

A folder, tar or zip is preserved in the case with a manifest of every member's hash. Extraction
reads those files again, possibly months later; if one no longer has the bytes the manifest records
(the preserved copy was altered, or the disk under it failed), artefacts taken from it could not be
traced to the acquired evidence. ``ManifestCheckedTree`` hashes each member while it is read from
start to end and, at its end, compares with the manifest: a difference (or a member the manifest
does not know) raises IntegrityError naming the member, so that file is not used and the others
are. A member the manifest lists without a hash (the acquisition could not read it whole: a cut-off
member, a bad CRC) is read unchecked, and its reader reports that damage as it did then. A reader
that seeks is not checked (its hash would not be the member's); the engine and ``export-file`` read
files whole.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from evidence_intake.errors import IntegrityError
from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree, Volume

# Formats whose manifest hashes are of the same bytes the tree gives (an iOS backup's files may be
# read decrypted, while its manifest hashed what is stored).
CHECKED_FORMATS = ("folder", "tar", "zip")


class ManifestCheckedTree(EvidenceTree):
    def __init__(self, tree: EvidenceTree, manifest: Path, exhibit: str) -> None:
        from evidence_intake.acquisition.manifest import read_manifest

        self._tree = tree
        self.problems = tree.problems  # the same list: what the tree finds while walking
        self._manifest = manifest
        self._exhibit = exhibit
        self.expected: dict[str, list[dict[str, str]]] = {}
        self.recorded: set[str] = set()  # every file the manifest lists, hashed or not
        for member in read_manifest(manifest).members:  # IntegrityError when the manifest was altered
            if member.type != EntryType.FILE.value:
                continue
            self.recorded.add(member.path)
            if member.error is None and member.hashes and member.read == member.size:
                self.expected.setdefault(member.path, []).append(dict(member.hashes))

    def volumes(self) -> list[Volume]:
        return self._tree.volumes()

    def walk(self) -> Iterator[Entry]:
        return self._tree.walk()

    def lookup(self, location: str) -> Entry | None:
        return self._tree.lookup(location)

    def close(self) -> None:
        self._tree.close()

    def open(self, entry: Entry) -> BinaryIO:
        stream = self._tree.open(entry)
        if entry.type != EntryType.FILE:
            return stream
        expected = self.expected.get(entry.path)
        if expected is None and entry.path in self.recorded:
            # listed, but the acquisition could not read it whole (a cut-off member, a bad CRC): there
            # is no hash to hold it to, and reading it reports that damage itself
            return stream
        if expected is None:
            stream.close()
            raise IntegrityError(
                f"{entry.location} is not in the acquisition manifest {self._manifest.name}: the preserved "
                "evidence has a file it did not have when acquired; it was not used",
                path=entry.location,
                hint=f"run `evidence-intake verify --exhibit {self._exhibit}` and compare the preserved copy "
                "with its backup",
            )
        return io.BufferedReader(_CheckedReader(stream, entry, expected, self._manifest, self._exhibit))


class _CheckedReader(io.RawIOBase):
    def __init__(
        self, stream: BinaryIO, entry: Entry, expected: list[dict[str, str]], manifest: Path, exhibit: str
    ) -> None:
        super().__init__()
        self._stream = stream
        self._entry = entry
        self._expected = expected
        self._manifest = manifest
        self._exhibit = exhibit
        names = sorted({name for hashes in expected for name in hashes})
        self._name = "sha256" if "sha256" in names else names[0]
        self._hash = hashlib.new(self._name)
        self._position = 0
        self._sequential = True
        self._checked = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._stream.seek(offset, whence)
        if position != self._position:
            self._sequential = False  # read out of order: the hash would not be the member's
        return position

    def tell(self) -> int:
        return self._stream.tell()

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if self._sequential:
            self._hash.update(data)
            self._position += n
            if n == 0 and len(buffer) > 0:
                self._check()
        return n

    def _check(self) -> None:
        if self._checked:
            return
        self._checked = True
        got = self._hash.hexdigest()
        if any(hashes.get(self._name) == got for hashes in self._expected):
            return
        recorded = ", ".join(h.get(self._name, "?") for h in self._expected)
        raise IntegrityError(
            f"{self._entry.location} no longer matches the acquisition manifest {self._manifest.name} "
            f"({self._name} recorded {recorded}, read now {got}): the preserved evidence changed after it "
            "was acquired; the file was not used",
            path=self._entry.location,
            hint=f"run `evidence-intake verify --exhibit {self._exhibit}`; restore the preserved copy from "
            "its backup, then extract again",
        )

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            super().close()


def checked(tree: EvidenceTree, fmt: str, manifest: Path | None, exhibit: str) -> EvidenceTree:
    """``tree`` read against ``manifest`` where its format allows; as it is otherwise."""
    if manifest is None or fmt not in CHECKED_FORMATS:
        return tree
    return ManifestCheckedTree(tree, manifest, exhibit)
