"""Fonts for reports: the shipped Thai font, and system fonts found for every other script in the text.

Thai official documents are set in TH Sarabun; the report ships **Sarabun** (Cadson Demak's OFL-licensed
revival of TH Sarabun New, licence in ``fonts/OFL.txt``), so Thai and Latin render on any machine, with
HarfBuzz shaping the vowels and tone marks. Text in other scripts (Chinese above all: WeChat names and
messages from scam compounds) needs a system font: for each script present in the text that Sarabun lacks,
fontconfig (``fc-match``) is asked for a font covering it, and that font's own character map is checked
(fc-match always answers with *some* font, even one that lacks the character). A script that no installed
font covers is named in a warning, never left as silent empty boxes.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

FONT_DIR = Path(str(resources.files("evidence_intake.reports") / "fonts"))
REGULAR = FONT_DIR / "Sarabun-Regular.ttf"
BOLD = FONT_DIR / "Sarabun-Bold.ttf"
LICENCE = FONT_DIR / "OFL.txt"
FAMILY = "Sarabun"


@dataclass(frozen=True, slots=True)
class Script:
    """A group of code points looked up together, with what to install when no font covers it."""

    label: str
    ranges: tuple[tuple[int, int], ...]
    fc_lang: str | None
    package: str


SCRIPTS: tuple[Script, ...] = (
    Script(
        "Chinese (CJK)",
        (
            (0x2E80, 0x2FDF),
            (0x3000, 0x303F),
            (0x3100, 0x312F),
            (0x31A0, 0x31BF),
            (0x3400, 0x4DBF),
            (0x4E00, 0x9FFF),
            (0xF900, 0xFAFF),
            (0xFE30, 0xFE4F),
            (0xFF00, 0xFFEF),
            (0x20000, 0x3134F),
        ),
        "zh-cn",
        "fonts-noto-cjk",
    ),
    Script("Japanese kana", ((0x3040, 0x30FF), (0x31F0, 0x31FF)), "ja", "fonts-noto-cjk"),
    Script("Korean", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF)), "ko", "fonts-noto-cjk"),
    Script("Burmese", ((0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)), "my", "fonts-noto-core"),
    Script("Khmer", ((0x1780, 0x17FF), (0x19E0, 0x19FF)), "km", "fonts-noto-core"),
    Script("Lao", ((0x0E80, 0x0EFF),), "lo", "fonts-noto-core"),
    Script("Vietnamese and other Latin", ((0x0180, 0x024F), (0x1E00, 0x1EFF)), None, "fonts-noto-core"),
    Script("Cyrillic", ((0x0400, 0x052F),), "ru", "fonts-noto-core"),
    Script("Arabic", ((0x0600, 0x06FF), (0x0750, 0x077F)), "ar", "fonts-noto-core"),
    Script("Devanagari", ((0x0900, 0x097F),), "hi", "fonts-noto-core"),
    Script("emoji and symbols", ((0x2600, 0x27BF), (0x1F000, 0x1FAFF)), None, "fonts-noto-color-emoji"),
)
OTHER = Script("other", (), None, "fonts-noto-core")


def script_of(char: str) -> Script:
    code = ord(char)
    for script in SCRIPTS:
        if any(lo <= code <= hi for lo, hi in script.ranges):
            return script
    return OTHER


@dataclass(frozen=True, slots=True)
class FontFile:
    """A font file (``index``: the face inside a .ttc collection)."""

    path: Path
    index: int = 0

    @property
    def key(self) -> str:
        """A family name for fpdf2 that is unique per face."""
        stem = "".join(ch for ch in self.path.stem.lower() if ch.isalnum())
        return f"fb{stem}{self.index}"


@dataclass
class FontPlan:
    """Which fonts a document needs: Sarabun, fallbacks for other scripts, and what nothing covers."""

    regular: Path = REGULAR
    bold: Path = BOLD
    fallbacks: list[FontFile] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)  # script label -> sample characters
    packages: dict[str, str] = field(default_factory=dict)  # script label -> Debian package to install

    def warnings(self) -> list[str]:
        return [
            f"no installed font can show {label} characters (for example {' '.join(samples[:5])}): they "
            f"appear as empty boxes in the PDF; install a font for them (Debian: apt-get install "
            f"{self.packages.get(label, 'fonts-noto-core')}) and generate the report again"
            for label, samples in self.missing.items()
        ]


@cache
def coverage(path: Path, index: int = 0) -> frozenset[int]:
    """The code points a font file maps to glyphs (empty when it cannot be read)."""
    try:
        font = TTFont(path, fontNumber=index, lazy=True)
        try:
            cmap = font.getBestCmap() or {}
        finally:
            font.close()
    except (OSError, TTLibError, AssertionError, KeyError, ValueError):
        return frozenset()
    return frozenset(cmap)


def fc_match(charset: Iterable[int], lang: str | None) -> FontFile | None:
    """fontconfig's best font for these code points (and language); None without fontconfig."""
    tool = shutil.which("fc-match")
    if tool is None:
        return None
    pattern = ":charset=" + " ".join(f"{c:x}" for c in charset)
    if lang:
        pattern = f":lang={lang}" + pattern
    try:
        done = subprocess.run(
            [tool, "--format=%{file}|%{index}", pattern],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    file, _, index = done.stdout.strip().partition("|")
    if done.returncode != 0 or not file:
        return None
    try:
        return FontFile(Path(file), int(index or 0))
    except ValueError:
        return FontFile(Path(file))


def _needs_glyph(char: str) -> bool:
    return not (char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"))


def plan_fonts(
    text: str,
    *,
    lookup: Callable[[Iterable[int], str | None], FontFile | None] = fc_match,
    attempts: int = 3,
) -> FontPlan:
    """Fonts for ``text``: Sarabun, plus a covering system font for each other script it contains."""
    plan = FontPlan()
    own = coverage(REGULAR)
    needed = sorted({c for c in text if _needs_glyph(c) and ord(c) not in own})
    groups: dict[Script, list[int]] = {}
    for char in needed:
        groups.setdefault(script_of(char), []).append(ord(char))
    for script, codes in groups.items():
        left = list(codes)
        for _ in range(attempts):
            if not left:
                break
            found = lookup(left[:8], script.fc_lang)
            if found is None:
                break
            covered = coverage(found.path, found.index)
            if left[0] not in covered:
                break
            if found not in plan.fallbacks:
                plan.fallbacks.append(found)
            left = [c for c in left if c not in covered]
        if left:
            plan.missing[script.label] = [chr(c) for c in left[:10]]
            plan.packages[script.label] = script.package
    return plan
