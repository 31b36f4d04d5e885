"""How long-running library work reports progress; the CLI draws bars, tests count, batch jobs log."""

from __future__ import annotations


class Progress:
    """Receives progress from the engines. The base class ignores it (quiet library use)."""

    def phase(self, name: str, total: int | None) -> None:
        """A new phase begins (reading, re-hashing for resume, verifying…); ``total`` in its units."""

    def advance(self, n: int) -> None:
        """``n`` more units done in the current phase."""
