"""Ledgers built inside the tests: small, real, durable files in tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from chain_of_custody import Ledger, Signer

SOFTWARE = "evidence-intake 0.1.0 (tests)"
ACTOR = "Pol.Lt. Somchai Jaidee"


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "case" / "ledger.sqlite"


@pytest.fixture
def build_ledger(ledger_path: Path) -> Callable[..., Path]:
    """``build_ledger(n, signer=None, sign_every=1)``: a closed ledger of ``n`` entries after the key
    registration (when signed), alternating realistic actions; returns its path."""

    def build(n: int, signer: Signer | None = None, sign_every: int = 1) -> Path:
        ledger_path.parent.mkdir(parents=True, exist_ok=True)
        with Ledger.create(ledger_path, case_id="TH-2026-0042") as ledger:
            if signer is not None:
                ledger.register_key(
                    signer,
                    owner="Forensic workstation 3",
                    purpose="workstation",
                    actor=ACTOR,
                    software=SOFTWARE,
                )
            actions = ("exhibit_registered", "sealed", "photographed", "transferred", "received", "note")
            for i in range(n - (1 if signer is not None else 0)):
                ledger.append(
                    actions[i % len(actions)],
                    actor=ACTOR,
                    exhibit=f"EX-{i % 7 + 1:03d}",
                    details={"i": i, "seal": f"TH-SEAL-{i:05d}", "หมายเหตุ": "ผู้ต้องหา", "备注": "嫌疑人"},
                    software=SOFTWARE,
                    signer=signer if signer is not None and i % sign_every == 0 else None,
                )
        return ledger_path

    return build
