"""What keeps a report page self-contained and inert, shared by the custody and the artefact report.

Every piece of text in a page comes from users or from evidence, so it goes through ``esc``: escaped
for element content and for quoted attribute values alike. The Sarabun font travels inside the style
sheet as ``data:`` URLs, so that nothing is fetched and Thai shows the same on any machine. The page's
Content-Security-Policy allows its own inline style sheet (and, in the artefact page, its scripts) by
their SHA-256 only, computed by ``csp_hash``.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from pathlib import Path

from evidence_intake.reports import fonts


def esc(value: object) -> str:
    """``value`` as text that HTML shows and never parses as markup (quotes escaped too)."""
    return escape(str(value), quote=True)


def font_data(path: Path) -> str:
    """The font file in base64, for a ``data:font/ttf;base64,…`` URL."""
    return base64.b64encode(path.read_bytes()).decode("ascii")


def embed_fonts(css: str) -> str:
    """The style sheet with Sarabun Regular and Bold in place of its ``{regular}`` and ``{bold}`` marks."""
    return css.replace("{regular}", font_data(fonts.REGULAR)).replace("{bold}", font_data(fonts.BOLD))


def csp_hash(text: str) -> str:
    """The CSP source that allows exactly this inline style sheet or script: ``sha256-`` and base64."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
