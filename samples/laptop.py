"""EX-003: the finance clerk's laptop disk, an 8 MiB MBR image with a FAT16 and an ext4 partition.

Built with the real tools, every variable pinned: sfdisk (fixed disk identifier), mkfs.fat (--invariant:
volume id 1234-ABCD, fixed boot-sector times), mtools with preserved source times (mcopy -m) in the
laptop's time zone, mke2fs -d with a fixed UUID and hash seed under E2FSPROGS_FAKE_TIME, then debugfs
pinning every inode's times (mke2fs copies the source files' ctime and atime, which no one can set).

Why FAT16 and not FAT32: FAT32 needs at least 65,525 clusters (32 MiB even with 512-byte clusters), and
The Sleuth Kit tells FAT types apart by cluster count, so a FAT32 forced onto a few MiB is not readable.
A small partition formatted by Windows is FAT16 too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from samples import story as s
from samples.encodings import eth_address, tron_address

SECTOR = 512
IMAGE_SECTORS = 16384  # 8 MiB
P1_START, P1_SECTORS = 2048, 6144  # FAT16, 3 MiB
P2_START, P2_SECTORS = 8192, 8192  # ext4, 4 MiB
DISK_ID = "0x5da7a003"
EXT4_UUID = "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
EXT4_HASH_SEED = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
FAT_TIME = s.unix_s(s.bkk(3, 13, 22, 0))
EXT4_TIME = s.unix_s(s.bkk(3, 13, 23, 0))
TOOLS = ("sfdisk", "mkfs.fat", "mcopy", "mdel", "mkfs.ext4", "debugfs")

DELETED_NAME = "old_accounts.txt"


def ledger_csv() -> str:
    tron2 = tron_address(s.TRON_LABEL_2)
    rows = [
        "date,victim,phone,amount_thb,paid_to_account,usdt,usdt_address,note",
        f"2025-02-20,ปราณี ส.,{s.PRANEE.local},50000,{s.MULE_BANK_ACCOUNT},1420,{tron2},第一笔 首次投资",
        f"2025-02-27,ปราณี ส.,{s.PRANEE.local},120000,{s.MULE_BANK_ACCOUNT},3410,{tron2},加码 ค่าธรรมเนียมถอน",
        f"2025-03-03,สมศักดิ์ ม.,080-000-0101,35000,{s.MULE_BANK_ACCOUNT},995,{tron2},new customer",
        f"2025-03-06,Mr. Lee (SG),+65 8555 0123,80000,{s.MULE_BANK_ACCOUNT},2270,{tron2},英语组 English team",
    ]
    return "\n".join(rows) + "\n"


def notes_txt() -> str:
    return (
        "บันทึกการเงิน / 财务笔记 / finance notes\n"
        "========================================\n"
        f"USDT (TRC20) กระเป๋าหลัก 主钱包: {tron_address(s.TRON_LABEL)}\n"
        f"USDT payout 发工资: {tron_address(s.TRON_LABEL_2)}\n"
        f"ETH hot wallet: {eth_address(s.ETH_LABEL)}\n"
        f"HR Telegram: @{s.TELEGRAM_USERNAME}\n"
        f"บัญชีม้าปัจจุบัน: {s.MULE_BANK_ACCOUNT} (วิชัย) โทร {s.WICHAI.local}\n"
        f"老板柬埔寨号码: {s.BOSS_WANG.phone}\n"
        "ทุกวันศุกร์ส่งยอดให้เฮีย Chen ก่อน 2 ทุ่ม\n"
    )


def contacts_vcf() -> str:
    cards = [
        ("Chen หัวหน้า", s.CHEN.local),
        ("Wichai บัญชีม้า", s.WICHAI.local),
        ("王老板", "+855 96 555 0187"),
    ]
    out = []
    for name, tel in cards:
        out += [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"FN:{name}",
            f"N:{name};;;;",
            f"TEL;TYPE=CELL:{tel}",
            "END:VCARD",
        ]
    return "\r\n".join(out) + "\r\n"


def _write(root: Path, rel: str, text: str, when: int) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (when, when))


def _pin_dirs(root: Path, when: int) -> None:
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        os.utime(folder, (when, when))
    os.utime(root, (when, when))


def _run(args: list[str], env: dict[str, str] | None = None, stdin: str | None = None) -> None:
    subprocess.run(
        args, check=True, env={**os.environ, **(env or {})}, input=stdin, text=True, capture_output=True
    )


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _fat(work: Path) -> Path:
    src = work / "fat"
    docs = "Documents"
    _write(src, f"{docs}/ledger_2025-03.csv", ledger_csv(), FAT_TIME - 3600)
    _write(src, f"{docs}/notes.txt", notes_txt(), FAT_TIME - 1800)
    _write(src, f"{docs}/contacts.vcf", contacts_vcf(), FAT_TIME - 7200)
    _write(
        src,
        f"{docs}/{DELETED_NAME}",
        f"บัญชีเก่า (ปิดแล้ว)\nSCB 987-6-55501-0\n{s.MULE_BANK_ACCOUNT}\n",
        FAT_TIME - 9000,
    )
    _pin_dirs(src, FAT_TIME)
    image = work / "p1.img"
    image.unlink(missing_ok=True)
    _run(
        [
            "mkfs.fat",
            "-C",
            "-F",
            "16",
            "-n",
            "USERDATA",
            "--invariant",
            "-s",
            "1",
            "-S",
            "512",
            "-h",
            str(P1_START),
            str(image),
            str(P1_SECTORS * SECTOR // 1024),
        ]
    )
    env = {"MTOOLS_SKIP_CHECK": "1", "TZ": "ICT-7", "SOURCE_DATE_EPOCH": str(FAT_TIME)}
    _run(["mcopy", "-s", "-m", "-i", str(image), str(src / docs), "::/"], env)
    _run(["mdel", "-i", str(image), f"::/{docs}/{DELETED_NAME}"], env)
    return image


def _ext4(work: Path) -> Path:
    src = work / "ext4"
    home = "home/somchai"
    _write(
        src,
        f"{home}/wallet/seed_backup.txt",
        "Electrum 4.5 seed (standard) — เก็บไว้ห้ามหาย 备份助记词\n"
        f"{s.SEED_PHRASE}\n"
        f"receiving: {tron_address(s.TRON_LABEL)}\n",
        EXT4_TIME - 5000,
    )
    _write(
        src,
        f"{home}/.bash_history",
        "ls Documents\nelectrum --offline restore\nscp ledger_2025-03.csv chen@10.8.0.2:/tmp/\n"
        f"xdg-open https://t.me/{s.TELEGRAM_USERNAME}\n",
        EXT4_TIME - 400,
    )
    _write(
        src,
        f"{home}/Documents/script_customer.txt",
        "话术 (客户第三天)\n1. 先聊感情，不提钱。\n2. ถามเรื่องงาน รายได้ ครอบครัว\n"
        "3. Day 3: show the gold app profit screenshot, minimum 10,000 THB.\n",
        EXT4_TIME - 90000,
    )
    _pin_dirs(src, EXT4_TIME)
    image = work / "p2.img"
    image.unlink(missing_ok=True)
    with image.open("wb") as handle:
        handle.truncate(P2_SECTORS * SECTOR)
    fake = {"E2FSPROGS_FAKE_TIME": str(EXT4_TIME), "SOURCE_DATE_EPOCH": str(EXT4_TIME)}
    _run(
        [
            "mkfs.ext4",
            "-q",
            "-F",
            "-b",
            "1024",
            "-N",
            "64",
            "-L",
            "home",
            "-U",
            EXT4_UUID,
            "-m",
            "0",
            "-E",
            f"hash_seed={EXT4_HASH_SEED},root_owner=0:0",
            "-d",
            str(src),
            str(image),
        ],
        fake,
    )
    paths = ["/", "/lost+found"] + ["/" + p.relative_to(src).as_posix() for p in sorted(src.rglob("*"))]
    commands = []
    for path in paths:
        when = (
            int((src / path.lstrip("/")).stat().st_mtime) if path not in ("/", "/lost+found") else EXT4_TIME
        )
        for field in ("atime", "ctime", "mtime", "crtime"):
            commands.append(f'sif "{path}" {field} @{when}')
        commands.append(
            f'sif "{path}" uid 1000' if path.startswith("/home/somchai") else f'sif "{path}" uid 0'
        )
        commands.append(
            f'sif "{path}" gid 1000' if path.startswith("/home/somchai") else f'sif "{path}" gid 0'
        )
    script = work / "debugfs.cmds"
    script.write_text("\n".join(commands) + "\n", encoding="utf-8")
    _run(["debugfs", "-w", "-f", str(script), str(image)], fake)
    return image


def build_laptop(work: Path, out: Path) -> None:
    """Build the two file systems in ``work`` and assemble the partitioned disk image at ``out``."""
    missing = missing_tools()
    if missing:
        raise RuntimeError(
            f"cannot build {out.name}: missing {', '.join(missing)} "
            "(Debian packages fdisk, dosfstools, mtools, e2fsprogs)"
        )
    work.mkdir(parents=True, exist_ok=True)
    fat = _fat(work)
    ext4 = _ext4(work)
    out.unlink(missing_ok=True)
    with out.open("wb") as handle:
        handle.truncate(IMAGE_SECTORS * SECTOR)
    table = (
        f"label: dos\nlabel-id: {DISK_ID}\nunit: sectors\n\n"
        f"start={P1_START}, size={P1_SECTORS}, type=6\n"
        f"start={P2_START}, size={P2_SECTORS}, type=83\n"
    )
    _run(["sfdisk", "--no-reread", "--no-tell-kernel", "-q", str(out)], stdin=table)
    with out.open("r+b") as handle:
        handle.seek(P1_START * SECTOR)
        handle.write(fat.read_bytes())
        handle.seek(P2_START * SECTOR)
        handle.write(ext4.read_bytes())
