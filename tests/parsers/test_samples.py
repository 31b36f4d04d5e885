"""The built-in parsers on the project's Android sample (samples/android-EX-001.tar.gz), end to end.

The sample is a tar of a phone's file system with real app schemas and synthetic content; its
README lists what is in it and which identifiers a correlation step must find. This reads it
through the real evidence opener and all built-in parsers, and checks those facts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence_intake.evidence.opener import open_evidence
from evidence_intake.parsers.registry import ParserRegistry
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.util import sha256_tree, store_rows

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
ANDROID = SAMPLES / "android-EX-001.tar.gz"


@pytest.fixture()
def extracted(case: FakeCase, run_extract: Runner) -> FakeCase:
    if not ANDROID.is_file():
        pytest.fail(f"{ANDROID} is missing: the samples are part of the project")
    before = sha256_tree(SAMPLES)
    registry = ParserRegistry(i for i in ParserRegistry.discover() if i.builtin)
    report = run_extract(open_evidence([ANDROID]), registry=registry)
    assert not report.failed, report.exhibits[0].problems
    assert sha256_tree(SAMPLES) == before
    return case


def test_counts_match_the_sample(extracted: FakeCase) -> None:
    def count(sql: str) -> int:
        return int(store_rows(extracted, sql)[0]["n"])

    assert count("SELECT count(*) AS n FROM messages WHERE app = 'SMS'") == 8  # row 9 was deleted
    assert count("SELECT count(*) AS n FROM messages WHERE app = 'MMS'") == 1
    assert count("SELECT count(*) AS n FROM contacts WHERE parser = 'android.contacts'") == 9
    assert count("SELECT count(*) AS n FROM contacts WHERE parser = 'android.contacts' AND is_deleted") == 1
    assert count("SELECT count(*) AS n FROM calls WHERE parser = 'android.calllog'") == 7
    assert count("SELECT count(*) AS n FROM encrypted_stores") == 2


def test_picture_only_mms_from_ko_min(extracted: FakeCase) -> None:
    (mms,) = store_rows(extracted, "SELECT * FROM messages WHERE app = 'MMS'")
    assert mms["sender_phone"] == "+959425550188" and mms["direction"] == "incoming" and mms["body"] is None
    assert json.loads(str(mms["attachments"]))[0]["mime_type"] == "image/jpeg"


def test_shared_identifiers_are_found(extracted: FakeCase) -> None:
    def where(value: str) -> set[tuple[str, str]]:
        rows = store_rows(extracted, "SELECT kind, role FROM identifiers WHERE value = ?", (value,))
        return {(r["kind"], r["role"]) for r in rows}

    boss = where("+855965550187")
    assert {("contacts", "phone"), ("calls", "number")} <= boss and any(k == "messages" for k, _ in boss)
    assert ("contacts", "handle") in where("855965550187@s.whatsapp.net")
    victim = where("+66815550199")  # written 081-555-0199 on the phone: normalised with region TH
    assert {("contacts", "phone"), ("calls", "number"), ("messages", "sender")} <= victim
    assert ("contacts", "handle") in where("6512340871")  # Telegram sync row of @golden_dawn_hr
