"""An image is never written to the media it is taken from, however the devices are stacked.

The sysfs walk is checked on sysfs trees built here (partitions, LVM/LUKS-style slaves, loop devices
and their backing files, cycles); the whole refusal is checked on real loop devices (root only):
a destination on a sibling partition of the source, and a destination inside an image file kept on
the source's own file system.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from evidence_intake.acquisition.devices import devices_under, folder_devices, mounts_on, shared_devices
from tests.helpers import add_exhibit, cli, cli_json, make_case

# -- sysfs trees built here ---------------------------------------------------------------------------


class FakeSys:
    """A /sys with block devices: ``disk("sdb")``, ``part("sdb", "sdb2")``, ``stacked("dm-0", [...])``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "dev" / "block").mkdir(parents=True)
        self._minor = 0

    def _number(self, node: Path, dev: int | None) -> int:
        if dev is None:
            self._minor += 1
            dev = os.makedev(250, self._minor)
        (self.root / "dev" / "block" / f"{os.major(dev)}:{os.minor(dev)}").symlink_to(node)
        (node / "dev").write_text(f"{os.major(dev)}:{os.minor(dev)}\n")
        return dev

    def disk(self, name: str, dev: int | None = None) -> int:
        node = self.root / "devices" / "virtual" / "block" / name
        (node / "slaves").mkdir(parents=True)
        return self._number(node, dev)

    def part(self, disk: str, name: str) -> int:
        node = self.root / "devices" / "virtual" / "block" / disk / name
        node.mkdir(parents=True)
        (node / "partition").write_text("2\n")
        return self._number(node, None)

    def node(self, dev: int) -> Path:
        return (self.root / "dev" / "block" / f"{os.major(dev)}:{os.minor(dev)}").resolve()

    def stacked(self, name: str, lower: list[int]) -> int:
        dev = self.disk(name)
        for below in lower:
            target = self.node(below)
            (self.node(dev) / "slaves" / target.name).symlink_to(target)
        return dev

    def loop(self, name: str, backing: Path) -> int:
        dev = self.disk(name)
        (self.node(dev) / "loop").mkdir()
        (self.node(dev) / "loop" / "backing_file").write_text(f"{backing}\n")
        return dev


def _is_block(path: Path) -> bool:
    try:
        return stat.S_ISBLK(path.stat().st_mode)
    except OSError:
        return False


@pytest.fixture
def fake_sys(tmp_path: Path) -> FakeSys:
    return FakeSys(tmp_path / "sys")


def test_a_partition_rests_on_its_whole_disk(fake_sys: FakeSys) -> None:
    sdb = fake_sys.disk("sdb")
    sdb2 = fake_sys.part("sdb", "sdb2")
    assert devices_under(sdb, sys_root=fake_sys.root) == {"sdb"}
    assert devices_under(sdb2, sys_root=fake_sys.root) == {"sdb"}


def test_stacked_devices_are_followed_down_to_every_disk(fake_sys: FakeSys) -> None:
    fake_sys.disk("sdb")
    fake_sys.disk("sdc")
    sdb2, sdc1 = fake_sys.part("sdb", "sdb2"), fake_sys.part("sdc", "sdc1")
    lvm = fake_sys.stacked("dm-0", [sdb2, sdc1])  # a volume group over two disks
    luks = fake_sys.stacked("dm-1", [lvm])  # dm-crypt on top of it
    assert devices_under(luks, sys_root=fake_sys.root) == {"dm-1", "dm-0", "sdb", "sdc"}
    assert devices_under(lvm, sys_root=fake_sys.root) == {"dm-0", "sdb", "sdc"}
    assert devices_under(sdb2, sys_root=fake_sys.root) == {"sdb"}


def test_a_cycle_in_sysfs_ends(fake_sys: FakeSys) -> None:
    a = fake_sys.disk("dm-0")
    b = fake_sys.stacked("dm-1", [a])
    (fake_sys.node(a) / "slaves" / "dm-1").symlink_to(fake_sys.node(b))
    assert devices_under(b, sys_root=fake_sys.root) == {"dm-0", "dm-1"}


def test_an_unknown_device_rests_on_nothing_known(fake_sys: FakeSys) -> None:
    assert devices_under(os.makedev(259, 77), sys_root=fake_sys.root) == set()


def test_a_loop_device_is_followed_to_its_backing_file_only_when_asked(
    fake_sys: FakeSys, tmp_path: Path
) -> None:
    backing = tmp_path / "inner.img"
    backing.write_bytes(bytes(4096))
    host = fake_sys.disk("sdb", dev=backing.stat().st_dev)  # the disk holding the backing file
    loop = fake_sys.loop("loop3", backing)
    assert devices_under(loop, sys_root=fake_sys.root) == {"loop3"}
    assert devices_under(loop, follow_loop=True, sys_root=fake_sys.root) == {"loop3", "sdb"}
    # The source is never followed through its backing file: imaging a loop device backed by a file
    # on sdb and writing to sdb does not change what the loop device holds.
    assert devices_under(host, follow_loop=True, sys_root=fake_sys.root) == {"sdb"}


def test_a_destination_resting_on_the_source_is_found(fake_sys: FakeSys, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    fake_sys.disk("vda", dev=folder.stat().st_dev)
    sdb = fake_sys.disk("sdb")
    empty = tmp_path / "mountinfo"
    empty.write_text("")
    assert shared_devices(sdb, folder, sys_root=fake_sys.root, mountinfo=empty) == set()
    vda = fake_sys.node(folder.stat().st_dev)
    sdb_over_vda = fake_sys.stacked("dm-5", [folder.stat().st_dev])
    assert vda.name == "vda"
    assert shared_devices(sdb_over_vda, folder, sys_root=fake_sys.root, mountinfo=empty) == {"vda"}


def test_the_mount_source_counts_when_the_file_system_has_its_own_device_number(
    fake_sys: FakeSys, tmp_path: Path
) -> None:
    """btrfs reports an anonymous st_dev (0:NN); the mount's source names the real device."""
    folder = tmp_path / "mnt point" / "images"
    folder.mkdir(parents=True)
    # Any block device node will do: its number is given a disk in the fake sysfs.
    device = next((p for p in sorted(Path("/dev").iterdir()) if _is_block(p)), None)
    if device is None:
        pytest.skip("this machine has no block device node in /dev")
    rdev = device.stat().st_rdev
    fake_sys.disk("sdd", dev=rdev)
    mountinfo = tmp_path / "mountinfo"
    point = str(tmp_path / "mnt point").replace(" ", "\\040")
    mountinfo.write_text(
        "22 1 0:21 / / rw,relatime - ext4 /dev/vda rw\n"
        f"40 22 0:45 / {point} rw,relatime shared:1 - btrfs {device} rw,space_cache\n"
        f"41 22 0:46 / {point}x rw,relatime - tmpfs tmpfs rw\n"
    )
    assert rdev in folder_devices(folder, mountinfo=mountinfo)
    assert shared_devices(rdev, folder, sys_root=fake_sys.root, mountinfo=mountinfo) == {"sdd"}
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    assert rdev not in folder_devices(elsewhere, mountinfo=mountinfo)


def test_mounts_on_a_source_are_those_of_its_partitions_and_the_volumes_above(
    fake_sys: FakeSys, tmp_path: Path
) -> None:
    sdb = fake_sys.disk("sdb")
    sdb1, sdb2 = fake_sys.part("sdb", "sdb1"), fake_sys.part("sdb", "sdb2")
    lvm = fake_sys.stacked("dm-0", [sdb2])
    fake_sys.disk("sdc")
    sdc1 = fake_sys.part("sdc", "sdc1")

    def line(n: int, dev: int, point: str, source: str, opts: str) -> str:
        return f"{n} 1 {os.major(dev)}:{os.minor(dev)} / {point} {opts},relatime - ext4 {source} {opts}"

    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "\n".join(
            [
                line(30, sdb1, "/media/officer/USB\\040STICK", "/dev/sdb1", "rw"),
                line(31, lvm, "/mnt/vg-data", "/dev/mapper/vg-data", "ro"),
                line(32, sdc1, "/mnt/other", "/dev/sdc1", "rw"),
            ]
        )
        + "\n"
    )
    whole = mounts_on(sdb, sys_root=fake_sys.root, mountinfo=mountinfo)
    assert [(m.point, m.read_only) for m in whole] == [
        ("/media/officer/USB STICK", False),
        ("/mnt/vg-data", True),
    ]
    # A partition's own mount counts; its sibling's and other disks' do not.
    assert [m.point for m in mounts_on(sdb1, sys_root=fake_sys.root, mountinfo=mountinfo)] == [
        "/media/officer/USB STICK"
    ]
    assert [m.point for m in mounts_on(sdb2, sys_root=fake_sys.root, mountinfo=mountinfo)] == ["/mnt/vg-data"]
    assert mounts_on(os.makedev(259, 99), sys_root=fake_sys.root, mountinfo=mountinfo) == []


# -- real loop devices ----------------------------------------------------------------------------


@pytest.fixture
def root_tools(require_tool: Callable[..., str]) -> None:
    if os.geteuid() != 0:
        pytest.skip("loop devices and mounts need root")
    for tool, package in (
        ("losetup", "mount"),
        ("mount", "mount"),
        ("sfdisk", "fdisk"),
        ("mkfs.ext4", "e2fsprogs"),
    ):
        require_tool(tool, package)


def _run(*args: str | Path) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()}")
    return done.stdout.strip()


@contextmanager
def _loop(backing: Path, *, partitions: bool = False) -> Iterator[str]:
    device = _run("losetup", "-f", "--show", *(["-P"] if partitions else []), backing)
    try:
        yield device
    finally:
        subprocess.run(["blockdev", "--setrw", device], check=False)
        subprocess.run(["losetup", "-d", device], check=False)


def _partition_node(device: str, number: int, folder: Path) -> Path:
    """The partition's device node: /dev/loopNpK, or one made here when /dev has none (no udev)."""
    name = f"{Path(device).name}p{number}"
    existing = Path("/dev") / name
    if existing.exists():
        return existing
    sysfs = Path("/sys/block") / Path(device).name / name / "dev"
    for attempt in range(50):  # the kernel's partition scan is asynchronous; partx asks for it again
        if sysfs.exists():
            break
        if attempt == 10:
            subprocess.run(["partx", "-a", device], capture_output=True, check=False)
        time.sleep(0.1)
    else:
        pytest.skip(f"the kernel shows no partitions of loop devices here ({sysfs} is missing)")
    major, minor = (int(x) for x in sysfs.read_text().split(":"))
    node = folder / name
    os.mknod(node, stat.S_IFBLK | 0o600, os.makedev(major, minor))
    return node


@contextmanager
def _mounted(device: str | Path, point: Path) -> Iterator[Path]:
    point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", str(device), str(point)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"file systems cannot be mounted here: {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001", "storage")
    return root


def _refused(case_dir: Path, source: str | Path, out: Path, rests_on: str) -> None:
    # --allow-mounted: the sources here have a file system mounted; the destination check is under test.
    args = ("acquire", source, "--exhibit", "EX-001", "--case", case_dir, "--out", out, "--allow-mounted")
    result = cli(*args, expect=6)
    assert f"is on the source device {source}" in result.stderr
    assert f"rest on {rests_on}" in result.stderr and "write the image to another disk" in result.stderr
    assert not out.exists(), "nothing may be written to the source, not even the folder"
    actions = [e["action"] for e in cli_json("custody", "show", "--case", case_dir, "--exhibit", "EX-001")]
    assert "acquisition_started" not in actions


def test_a_destination_on_a_partition_of_the_source_disk_is_refused(
    root_tools: None, case_dir: Path, tmp_path: Path
) -> None:
    backing = tmp_path / "seized-disk.img"
    with backing.open("wb") as f:
        f.truncate(24 * 1024 * 1024)
    _run("sh", "-c", f"printf 'label: gpt\\n,8MiB\\n,\\n' | sfdisk -q '{backing}'")
    with ExitStack() as stack:
        disk = stack.enter_context(_loop(backing, partitions=True))
        first = _partition_node(disk, 1, tmp_path)
        second = _partition_node(disk, 2, tmp_path)
        _run("mkfs.ext4", "-q", second)
        mounted = stack.enter_context(_mounted(second, tmp_path / "mnt"))
        name = Path(disk).name
        _refused(case_dir, disk, mounted / "images", name)  # the whole disk, written through p2
        _refused(case_dir, first, mounted / "images", name)  # p1, with its sibling p2 as destination
        _run("blockdev", "--setrw", disk)  # acquire set it read-only; p2 stays mounted until the end
        # The same partition to a folder on another disk is imaged as usual.
        acq = cli_json("acquire", first, "--exhibit", "EX-001", "--case", case_dir, "--no-verify")[
            "acquisition"
        ]
        assert acq["status"] == "completed" and acq["size"] == 8 * 1024 * 1024
        assert acq["source_identity"]["disk"] == name


def test_a_destination_inside_an_image_file_kept_on_the_source_is_refused(
    root_tools: None, case_dir: Path, tmp_path: Path
) -> None:
    outer = tmp_path / "memory-card.img"
    with outer.open("wb") as f:
        f.truncate(32 * 1024 * 1024)
    _run("mkfs.ext4", "-q", outer)
    with ExitStack() as stack:
        card = stack.enter_context(_loop(outer))
        card_fs = stack.enter_context(_mounted(card, tmp_path / "card"))
        inner = card_fs / "scratch.img"
        with inner.open("wb") as f:
            f.truncate(8 * 1024 * 1024)
        _run("mkfs.ext4", "-q", inner)
        scratch = stack.enter_context(_loop(inner))
        scratch_fs = stack.enter_context(_mounted(scratch, tmp_path / "scratch"))
        _refused(case_dir, card, scratch_fs / "images", Path(card).name)
        _run("blockdev", "--setrw", card)  # acquire set it read-only; its file system is still mounted


def test_imaging_the_device_that_holds_the_case_is_refused(root_tools: None, tmp_path: Path) -> None:
    """A case kept on a USB stick, and that same stick imaged: every ledger entry would write to it."""
    stick = tmp_path / "usb-stick.img"
    with stick.open("wb") as f:
        f.truncate(32 * 1024 * 1024)
    _run("mkfs.ext4", "-q", stick)
    with ExitStack() as stack:
        device = stack.enter_context(_loop(stick))
        mounted = stack.enter_context(_mounted(device, tmp_path / "stick"))
        case_dir = make_case(mounted / "case")
        add_exhibit(case_dir, "EX-001", "storage")
        before = {p: p.read_bytes() for p in case_dir.rglob("*") if p.is_file()}
        result = cli(
            "acquire", device, "--exhibit", "EX-001", "--case", case_dir, "--out", tmp_path / "out", expect=6
        )
        assert f"the case folder {case_dir} is on the device to be imaged" in result.stderr
        assert "never on the seized medium" in result.stderr
        after = {p: p.read_bytes() for p in case_dir.rglob("*") if p.is_file()}
        assert after == before, "nothing in the case (ledger, register, their -wal and -shm) was touched"
        assert not (tmp_path / "out").exists()


def test_a_source_mounted_read_write_is_refused_unless_allowed(
    root_tools: None, case_dir: Path, tmp_path: Path
) -> None:
    card = tmp_path / "sd-card.img"
    with card.open("wb") as f:
        f.truncate(16 * 1024 * 1024)
    _run("mkfs.ext4", "-q", card)
    with ExitStack() as stack:
        device = stack.enter_context(_loop(card))
        point = stack.enter_context(_mounted(device, tmp_path / "auto-mounted"))
        out = tmp_path / "images"
        refused = cli("acquire", device, "--exhibit", "EX-001", "--case", case_dir, "--out", out, expect=6)
        assert f"{device} is mounted read-write ({device} at {point})" in refused.stderr
        assert f"umount {point}" in refused.stderr and "--allow-mounted" in refused.stderr
        assert not out.exists()
        assert _run("blockdev", "--getro", device) == "0", "refused before the device was even opened"
        done = cli_json(
            "acquire",
            device,
            "--exhibit",
            "EX-001",
            "--case",
            case_dir,
            "--out",
            out,
            "--allow-mounted",
            "--no-verify",
        )["acquisition"]
        assert done["status"] == "completed"
        assert done["source_identity"]["mounted"] == [
            {"point": str(point), "source": device, "read_only": False}
        ]
        assert f"mounted read-write at {point}" in Path(done["log_path"]).read_text()
        _run("blockdev", "--setrw", device)
        _run("mount", "-o", "remount,ro", point)
        read_only = cli_json(
            "acquire", device, "--exhibit", "EX-001", "--case", case_dir, "--out", out, "--no-verify"
        )["acquisition"]
        assert read_only["source_identity"]["mounted"] == [
            {"point": str(point), "source": device, "read_only": True}
        ]
        with open(device, "rb") as fh:  # the device, not its backing file: the loop cache may not be flushed
            assert read_only["hashes"]["sha256"] == hashlib.sha256(fh.read()).hexdigest()
