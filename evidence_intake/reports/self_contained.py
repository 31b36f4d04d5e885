"""What keeps a report page self-contained and inert, shared by the custody and the artefact report.

Every piece of text in a page comes from users or from evidence, so it goes through ``esc``: escaped
for element content and for quoted attribute values alike.
"""

from __future__ import annotations

from html import escape


def esc(value: object) -> str:
    """``value`` as text that HTML shows and never parses as markup (quotes escaped too)."""
    return escape(str(value), quote=True)
