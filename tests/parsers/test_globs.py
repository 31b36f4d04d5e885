from __future__ import annotations

import re

import pytest

from evidence_intake.parsers.globs import GlobIndex, translate


@pytest.mark.parametrize(
    ("glob", "path", "expected"),
    [
        ("**/databases/mmssms.db", "/data/data/com.android.providers.telephony/databases/mmssms.db", True),
        ("**/databases/mmssms.db", "/databases/mmssms.db", True),
        ("**/databases/mmssms.db", "/data/databases/mmssms.db-wal", False),
        ("**/databases/mmssms.db", "/data/databases/MMSSMS.DB", False),  # case-sensitive, like ext4
        ("/data/*/x.db", "/data/a/x.db", True),
        ("/data/*/x.db", "/data/a/b/x.db", False),  # * does not cross folders
        ("**/Databases/msgstore*.db.crypt1[245]", "/sdcard/WhatsApp/Databases/msgstore.db.crypt15", True),
        (
            "**/Databases/msgstore*.db.crypt1[245]",
            "/sdcard/WhatsApp/Databases/msgstore-2024-01-02.1.db.crypt14",
            True,
        ),
        ("**/Databases/msgstore*.db.crypt1[245]", "/sdcard/WhatsApp/Databases/msgstore.db.crypt13", False),
        ("**/a?c", "/x/abc", True),
        ("**/a?c", "/x/a/c", False),
        ("**/[!a]bc", "/x/xbc", True),
        ("**/[!a]bc", "/x/abc", False),
        ("/data/**", "/data/a/b/c", True),
        ("**/name.with+regex(chars).db", "/p/name.with+regex(chars).db", True),
    ],
)
def test_translate(glob: str, path: str, expected: bool) -> None:
    assert bool(re.match(translate(glob), path)) is expected


def test_index_matches_literal_names_and_wildcards_once_per_key() -> None:
    index = GlobIndex.build(
        [
            ("sms", ["**/databases/mmssms.db", "/data/**/mmssms.db"]),
            ("calls", ["**/calllog.db", "**/contacts2.db"]),
            ("contacts", ["**/contacts2.db"]),
            ("crypt", ["**/msgstore*.db.crypt1[45]"]),
        ]
    )
    assert index.match("/data/data/p/databases/mmssms.db") == ["sms"]
    assert index.match("/data/data/p/databases/contacts2.db") == ["calls", "contacts"]
    assert index.match("/sdcard/WhatsApp/Databases/msgstore.db.crypt14") == ["crypt"]
    assert index.match("/data/data/p/databases/other.db") == []
