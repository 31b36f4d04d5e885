"""The samples: deterministic, equal to what the generator makes, real schemas, the facts the README lists."""

from __future__ import annotations

import re
import sqlite3
import struct
import subprocess
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from samples import story
from samples.encodings import TL_MESSAGE_LAYER173, keccak256, tron_address
from samples.generate import SAMPLES, generate
from samples.laptop import P1_START, P2_START, TOOLS
from samples.sqlitebuild import SCHEMAS

HERE = Path(__file__).resolve().parents[2] / "samples"

# Which schema file each database member was built from.
DATABASES = {
    "android/mmssms": "mmssms.db",
    "android/contacts2": "contacts2.db",
    "android/calllog": "calllog.db",
    "android/whatsapp_msgstore": "com.whatsapp/databases/msgstore.db",
    "android/whatsapp_wa": "com.whatsapp/databases/wa.db",
    "android/line_naver_line": "naver_line",
    "android/telegram_cache4": "cache4.db",
    "android/viber_messages": "viber_messages",
    "android/viber_data": "viber_data",
    "android/messenger_threads_db2": "threads_db2",
    "ios/sms": "SMS/sms.db",
    "ios/addressbook": "AddressBook.sqlitedb",
    "ios/callhistory": "CallHistory.storedata",
    "ios/whatsapp_chatstorage": "ChatStorage.sqlite",
    "ios/whatsapp_contactsv2": "ContactsV2.sqlite",
    "ios/whatsapp_callhistory": "Shared/AppGroup/5A3C1E8B-2F4D-4B6A-9C7E-1D2F3A4B5C6D/CallHistory.sqlite",
    "ios/line": "Line.sqlite",
}


@pytest.fixture(scope="module")
def tools(require_tool: Callable[..., str]) -> None:
    packages = {"sfdisk": "fdisk", "mkfs.fat": "dosfstools", "mcopy": "mtools", "mdel": "mtools"}
    for tool in TOOLS:
        require_tool(tool, packages.get(tool, "e2fsprogs"))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, tools: None) -> Path:
    out = tmp_path_factory.mktemp("made")
    generate(out)
    return out


def members() -> dict[str, bytes]:
    """Every file of the Android tar and the iPhone zip, by path."""
    found: dict[str, bytes] = {}
    with tarfile.open(HERE / SAMPLES[0]) as tar:
        for info in tar:
            if info.isfile():
                handle = tar.extractfile(info)
                assert handle is not None
                found[info.name] = handle.read()
    with zipfile.ZipFile(HERE / SAMPLES[1]) as archive:
        for info in archive.infolist():
            if not info.is_dir():
                found[info.filename] = archive.read(info)
    return found


def open_db(data: bytes, tmp_path: Path, name: str) -> sqlite3.Connection:
    path = tmp_path / name.replace("/", "_")
    path.write_bytes(data)
    return sqlite3.connect(path)


def test_generator_is_deterministic(made: Path, tmp_path: Path) -> None:
    generate(tmp_path)
    for name in (*SAMPLES, "SHA256SUMS"):
        assert (tmp_path / name).read_bytes() == (made / name).read_bytes(), name


def test_committed_samples_are_what_the_generator_makes(made: Path) -> None:
    for name in (*SAMPLES, "SHA256SUMS"):
        assert (HERE / name).read_bytes() == (made / name).read_bytes(), (
            f"samples/{name} differs from what samples/generate.py makes: regenerate with "
            "`python -m samples.generate` and commit, never edit a sample by hand"
        )


def test_samples_are_small() -> None:
    sizes = {name: (HERE / name).stat().st_size for name in SAMPLES}
    assert sizes["laptop-EX-003.img"] <= 8 * 1024 * 1024
    assert sum(sizes.values()) < 10 * 1024 * 1024


def test_every_database_opens_and_has_its_schema_tables(tmp_path: Path) -> None:
    files = members()
    assert len(DATABASES) == len(list(SCHEMAS.glob("*/*.sql")))
    for schema_name, suffix in DATABASES.items():
        matches = [path for path in files if path.endswith(suffix)]
        assert len(matches) == 1, (schema_name, matches)
        declared = sqlite3.connect(":memory:")
        declared.executescript((SCHEMAS / f"{schema_name}.sql").read_text(encoding="utf-8"))
        wanted = {r[0] for r in declared.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        conn = open_db(files[matches[0]], tmp_path, matches[0])
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert wanted <= have, (schema_name, wanted - have)
        for table in wanted:
            columns = [r[1] for r in declared.execute(f'PRAGMA table_info("{table}")')]
            assert [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')] == columns


def test_encrypted_stores_are_not_plain_sqlite() -> None:
    files = members()
    signal = files["data/data/org.thoughtcrime.securesms/databases/signal.db"]
    assert not signal.startswith(b"SQLite format 3\x00") and len(signal) % 4096 == 0
    crypt = files["sdcard/Android/media/com.whatsapp/WhatsApp/Databases/msgstore.db.crypt14"]
    assert crypt[1] == 0x01 and crypt[2:4] == b"\x08\x00" and b"2.25.4.77" in crypt[: crypt[0] + 2]


def test_telegram_blobs_are_tl_messages_of_layer_173(tmp_path: Path) -> None:
    files = members()
    conn = open_db(files["data/data/org.telegram.messenger/files/cache4.db"], tmp_path, "cache4.db")
    rows = conn.execute("SELECT mid, date, data FROM messages_v2 ORDER BY mid").fetchall()
    assert rows
    for mid, date, blob in rows:
        constructor, flags, blob_mid = struct.unpack_from("<IIi", blob)
        assert (constructor, blob_mid) == (TL_MESSAGE_LAYER173, mid)
        offset = 12 + (12 if flags & (1 << 8) else 0) + 12  # from_id, then peer_id
        assert struct.unpack_from("<i", blob, offset)[0] == date
        length = blob[offset + 4]
        assert blob[offset + 5 : offset + 5 + length].decode("utf-8")
    users = dict(conn.execute("SELECT uid, name FROM users"))
    assert users[story.TELEGRAM_USER_ID].endswith(";;;" + story.TELEGRAM_USERNAME)


def test_ios_sms_dates_and_attributed_body(tmp_path: Path) -> None:
    conn = open_db(members()["private/var/mobile/Library/SMS/sms.db"], tmp_path, "sms.db")
    dates = [r[0] for r in conn.execute("SELECT date FROM message")]
    assert any(d < 1_000_000_000 for d in dates) and any(d > 10**15 for d in dates)
    text, body = conn.execute("SELECT text, attributedBody FROM message WHERE text IS NULL").fetchone()
    assert text is None
    start = body.index(b"NSString\x01\x94\x84\x01+") + 13
    length = body[start] if body[start] < 0x80 else struct.unpack_from("<h", body, start + 1)[0]
    skip = 1 if body[start] < 0x80 else 3
    assert "@" + story.TELEGRAM_USERNAME in body[start + skip : start + skip + length].decode("utf-8")
    assert conn.execute("SELECT count(*) FROM chat_recoverable_message_join").fetchone() == (1,)


def test_shared_identifiers_are_on_both_devices(tmp_path: Path) -> None:
    files = members()
    contacts = open_db(
        files["data/data/com.android.providers.contacts/databases/contacts2.db"], tmp_path, "c2"
    )
    phones = [r[0].replace(" ", "") for r in contacts.execute("SELECT data1 FROM data WHERE mimetype_id = 2")]
    assert story.SHARED_CAMBODIA_NUMBER in phones
    wa_ios = next(k for k in files if k.endswith("ContactsV2.sqlite"))
    ios = open_db(files[wa_ios], tmp_path, "cv2")
    assert (story.SHARED_CAMBODIA_NUMBER,) in ios.execute("SELECT ZPHONENUMBER FROM ZWAADDRESSBOOKCONTACT")
    line = open_db(files["data/data/jp.naver.line.android/databases/naver_line"], tmp_path, "line")
    texts = " ".join(r[0] for r in line.execute("SELECT content FROM chat_history WHERE content IS NOT NULL"))
    assert tron_address(story.TRON_LABEL) in texts and story.MULE_BANK_ACCOUNT in texts


def test_disk_image_lists_the_documents_and_the_deleted_file(require_tool: Callable[..., str]) -> None:
    fls = require_tool("fls", "sleuthkit")
    icat = require_tool("icat", "sleuthkit")
    image = str(HERE / SAMPLES[2])
    fat = subprocess.run(
        [fls, "-r", "-p", "-o", str(P1_START), image], check=True, capture_output=True, text=True
    )
    assert re.search(r"^r/r \* \d+:\tDocuments/old_accounts\.txt$", fat.stdout, re.M)
    for name in ("ledger_2025-03.csv", "notes.txt", "contacts.vcf"):
        assert re.search(rf"^r/r \d+:\tDocuments/{re.escape(name)}$", fat.stdout, re.M), name
    ext4 = subprocess.run(
        [fls, "-r", "-p", "-o", str(P2_START), image], check=True, capture_output=True, text=True
    )
    for name in ("home/somchai/wallet/seed_backup.txt", "home/somchai/.bash_history"):
        assert f"\t{name}\n" in ext4.stdout, name
    notes = re.search(r"^r/r (\d+):\tDocuments/notes\.txt$", fat.stdout, re.M)
    assert notes is not None
    text = subprocess.run([icat, "-o", str(P1_START), image, notes.group(1)], check=True, capture_output=True)
    assert tron_address(story.TRON_LABEL) in text.stdout.decode("utf-8")
    assert "@" + story.TELEGRAM_USERNAME in text.stdout.decode("utf-8")


def test_addresses_are_well_formed() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    address = tron_address(story.TRON_LABEL)
    assert address.startswith("T") and len(address) == 34
    assert len(story.SEED_PHRASE.split()) == 12
