from __future__ import annotations

from evidence_intake.cli import main

main()
