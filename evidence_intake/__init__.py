"""evidence-intake: digital-forensics evidence intake with a tamper-evident chain of custody."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evidence-intake")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

SOFTWARE = f"evidence-intake {__version__}"
