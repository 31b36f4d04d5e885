"""evidence-intake: digital-forensics evidence intake with a tamper-evident chain of custody."""

from __future__ import annotations

# The one place the version is written; pyproject.toml reads it from here. (Looking it up through
# importlib.metadata at every start costs a command 30 ms before it does anything.)
__version__ = "0.1.0"

SOFTWARE = f"evidence-intake {__version__}"
