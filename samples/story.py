"""The people, numbers and identifiers of the sample case, shared by the three devices.

Everything is synthetic: names are invented, phone numbers use the "555" blocks where the numbering plan
allows, addresses are derived from labels (no one holds their keys). The facts a correlation step should
find are listed in samples/README.md; the test checks them against these constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

BKK = timezone(timedelta(hours=7), "ICT")
MAC_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)

# The fixed time everything was "made": the raid, 2025-03-14 06:00 in Bangkok.
RAID = datetime(2025, 3, 14, 6, 0, tzinfo=BKK)


def bkk(month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    """A wall-clock time in Bangkok (ICT, UTC+7) in 2025."""
    return datetime(2025, month, day, hour, minute, second, tzinfo=BKK)


def unix_s(when: datetime) -> int:
    return int(when.timestamp())


def unix_ms(when: datetime) -> int:
    return int(when.timestamp()) * 1000 + when.microsecond // 1000


def mac_s(when: datetime) -> float:
    return (when - MAC_EPOCH).total_seconds()


def mac_ns(when: datetime) -> int:
    delta = when - MAC_EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


@dataclass(frozen=True)
class Person:
    key: str
    name: str  # as the device owner saved it
    phone: str  # E.164
    local: str  # as written in the country's own form


# Device owners
CHEN = Person("chen", "陈志强 (Chen Zhiqiang)", "+66925550143", "092-555-0143")  # EX-001, team leader
NANG = Person("nang", "Nang Aye Aye", "+959765550123", "09 765 550123")  # EX-002, recruiter/translator
SOMCHAI = Person("somchai", "Somchai Rattanakul", "+66625550177", "062-555-0177")  # EX-003 laptop, finance

# Others
BOSS_WANG = Person("wang", "王老板 Boss Wang", "+855965550187", "096 555 0187")  # Cambodia
LIU = Person("liu", "刘洋 (HR Shenzhen)", "+8613955500178", "139 5550 0178")  # China
KO_MIN = Person("komin", "Ko Min Thu", "+959425550188", "09 42555 0188")  # Myanmar worker
PRANEE = Person("pranee", "คุณปราณี (ลูกค้า)", "+66815550199", "081-555-0199")  # Thai victim
WICHAI = Person("wichai", "วิชัย บัญชีม้า", "+66895550112", "089-555-0112")  # Thai account mule
DARA = Person("dara", "Dara Sok", "+85592555014", "092 555 014")  # Cambodia driver

# Identifiers shared between devices (the correlation facts)
SHARED_CAMBODIA_NUMBER = BOSS_WANG.phone  # Android contacts + iPhone WhatsApp (+ calls on both)
TELEGRAM_USERNAME = "golden_dawn_hr"  # Android Telegram users + iPhone contacts (IM field) + laptop notes
TELEGRAM_USER_ID = 6_512_340_871
MULE_BANK_ACCOUNT = "KBank 123-4-55501-2"  # Android LINE chat + laptop ledger
MULE_BANK_ACCOUNT_DIGITS = "1234555012"

# Filled in by generate.py at import time of encodings (kept here so every builder sees the same values)
TRON_LABEL = "operation-dawn/usdt-collection"
TRON_LABEL_2 = "operation-dawn/usdt-payout"
ETH_LABEL = "operation-dawn/eth-hot"

# BIP-39 test vector (entropy 0x7f × 16) from the public reference vectors: synthetic, valid checksum.
SEED_PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"

ANDROID_WHATSAPP_LID = "203944150871257"  # a "@lid" privacy id the Android WhatsApp maps to Boss Wang
LINE_MID_CHEN = "u1f0c5e5a9b3c4d7e8f901a2b3c4d5e6f"
LINE_MID_SOMCHAI = "u7a2b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"
LINE_MID_PRANEE = "u3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"
LINE_GROUP_FINANCE = "c9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
IOS_WHATSAPP_GROUP = "group.net.whatsapp.WhatsApp.shared"
IOS_WHATSAPP_CONTAINER = "5A3C1E8B-2F4D-4B6A-9C7E-1D2F3A4B5C6D"
IOS_LINE_CONTAINER = "8B7A6C5D-4E3F-4A2B-9C1D-0E9F8A7B6C5D"
IOS_FILES_CONTAINER = "C2D3E4F5-A6B7-4C8D-9E0F-1A2B3C4D5E6F"
