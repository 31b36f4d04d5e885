"""Matching evidence paths against parsers' globs, fast enough for millions of entries.

Glob syntax (case-sensitive, like Android and iOS file systems): ``*`` any run of characters
except ``/``; ``?`` one such character; ``[abc]`` / ``[!abc]`` a character class; ``**/`` any number
of folders, including none. Globs are matched against the whole path inside the file system
("/data/data/com.android.providers.telephony/databases/mmssms.db").

Most globs end in a literal file name, so entries are first looked up by their name and only the
few globs with a wildcard in the last segment are tried on every entry.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from evidence_intake.pathglob import translate

__all__ = ["GlobIndex", "translate"]


def _last_segment(glob: str) -> str:
    return glob.rsplit("/", 1)[-1]


def _is_literal(segment: str) -> bool:
    return not any(c in segment for c in "*?[")


@dataclass
class GlobIndex:
    """Which of a set of keys (parser names) want a path."""

    by_name: dict[str, list[tuple[re.Pattern[str], str]]]
    wildcard: list[tuple[re.Pattern[str], str]]

    @classmethod
    def build(cls, wanted: Iterable[tuple[str, Iterable[str]]]) -> GlobIndex:
        by_name: dict[str, list[tuple[re.Pattern[str], str]]] = defaultdict(list)
        wildcard: list[tuple[re.Pattern[str], str]] = []
        for key, globs in wanted:
            for glob in globs:
                pattern = re.compile(translate(glob))
                last = _last_segment(glob)
                if _is_literal(last):
                    by_name[last].append((pattern, key))
                else:
                    wildcard.append((pattern, key))
        return cls(dict(by_name), wildcard)

    def match(self, path: str, name: str | None = None) -> list[str]:
        """Keys whose globs match ``path``, each once, in the order they were given."""
        base = name if name is not None else path.rsplit("/", 1)[-1]
        found: list[str] = []
        for pattern, key in self.by_name.get(base, ()):
            if key not in found and pattern.match(path):
                found.append(key)
        for pattern, key in self.wildcard:
            if key not in found and pattern.match(path):
                found.append(key)
        return found
