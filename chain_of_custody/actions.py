"""The closed list of things a ledger entry can record.

A closed list keeps a ledger readable years later: every action has one meaning, written down here, and
a typing mistake ("aquired") is refused at once instead of being preserved forever.
"""

from __future__ import annotations

ACTION_MEANINGS: dict[str, str] = {
    "case_created": "the case and its ledger were opened",
    "exhibit_registered": "an exhibit was given its id and described",
    "seized": "the item was seized (where, by whom, from whom)",
    "sealed": "the item was put in a sealed bag or container (seal number in details)",
    "seal_broken": "a seal was broken (by whom, why)",
    "photographed": "the item was photographed (photo hashes in details)",
    "transferred": "the item was handed over (from_party to to_party)",
    "received": "the item was received (from_party to to_party)",
    "stored": "the item was put in storage (location)",
    "acquisition_started": "imaging or copying of the item began",
    "acquisition_completed": "imaging finished (image paths, sizes and hashes in details)",
    "acquisition_failed": "imaging failed or was cut short (error and what was saved in details)",
    "verified": "an image or copy was re-hashed and matched",
    "verification_failed": "an image or copy was re-hashed and did not match",
    "extraction_started": "parsers began reading the acquired evidence",
    "extraction_completed": "parsers finished (counts and versions in details)",
    "extraction_failed": "an extraction run failed or was interrupted (status and counts so far in details)",
    "parser_error": "a parser failed on a file; the run went on",
    "report_generated": "a report was produced (its hash in details)",
    "secrets_revealed": "seed phrases, keys or passwords from evidence were shown unmasked (details: what)",
    "exported": "data was exported (its hash and destination in details)",
    "returned": "the item was returned to its owner",
    "disposed": "the item was destroyed or disposed of",
    "note": "a free-text remark by the examiner",
    "key_registered": "a public signing key entered the ledger (written by Ledger.register_key)",
}

ACTIONS: frozenset[str] = frozenset(ACTION_MEANINGS)

KEY_PURPOSES: frozenset[str] = frozenset({"workstation", "officer"})
