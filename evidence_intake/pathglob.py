"""One glob dialect for every place that matches evidence paths (parsers' globs, `files --path`).

Case-sensitive, as Android and iOS file systems are: ``*`` any run of characters except ``/``;
``?`` one such character; ``[abc]`` / ``[!abc]`` a character class; ``**/`` any number of folders,
including none; ``**`` elsewhere any run of characters, ``/`` included.
"""

from __future__ import annotations

import re


def translate(glob: str) -> str:
    """An anchored regular expression for ``glob``."""
    out: list[str] = []
    i = 0
    n = len(glob)
    while i < n:
        ch = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = glob.find("]", i + 2 if glob.startswith("[!", i) else i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = glob[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "^" + "".join(out) + "$"
