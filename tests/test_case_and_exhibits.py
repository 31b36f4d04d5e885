from __future__ import annotations

import errno
import json
import os
import re
import stat
from pathlib import Path

import pytest

from evidence_intake.case import Case
from evidence_intake.errors import UsageError
from evidence_intake.exhibits import check_imei, luhn_valid
from tests.helpers import add_exhibit, cli, cli_json, make_case

VALID_IMEI = "356938035643809"
VALID_IMEI_2 = "490154203237518"


def test_case_init_makes_the_folder_ledger_and_workstation_key(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    for name in (
        "case.json",
        "ledger.sqlite",
        "case.sqlite",
        "evidence",
        "photos",
        "reports",
        "exports",
        "scratch",
    ):
        assert (root / name).exists(), name
    settings = json.loads((root / "case.json").read_text())
    assert settings["case_number"] == "TCSD 123/2568" and settings["timezone"] == "Asia/Bangkok"
    entries = cli_json("custody", "show", "--case", root)
    assert [e["action"] for e in entries] == ["case_created", "key_registered"]
    assert entries[0]["actor"] == "Pol.Lt. Somchai Jaidee"
    assert entries[0]["host"] and entries[0]["software"].startswith("evidence-intake ")
    keys = Path(os.environ["EVIDENCE_INTAKE_KEYS"])
    private = [p for p in keys.rglob("*") if p.is_file() and "work" in p.name and not p.name.endswith(".pub")]
    assert private and stat.S_IMODE(private[0].stat().st_mode) == 0o600
    assert not any(root.rglob("*.key")), "no key may live inside the case folder"


def test_case_init_refuses_a_folder_with_content(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    result = cli(
        "case", "init", tmp_path / "busy", "--case-number", "1", "--title", "t", "--examiner", "e", expect=6
    )
    assert "not an empty folder" in result.stderr
    assert (tmp_path / "busy" / "file").read_text() == "x"


@pytest.mark.parametrize(("error", "refused"), [(errno.EROFS, "new"), (errno.EACCES, "photos")])
def test_case_init_where_folders_cannot_be_made_says_to_choose_a_writable_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: int, refused: str
) -> None:
    """A disc, a read-only share, a folder of another user. Simulated: as root (CI) chmod stops nothing."""
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        if self.name == refused:
            raise OSError(error, os.strerror(error), str(self))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    folder = tmp_path / "ro" / "new"
    result = cli("case", "init", folder, "--case-number", "1", "--title", "t", "--examiner", "e", expect=1)
    assert f"error: the case folder {folder} cannot be created there: {os.strerror(error)}" in result.stderr
    assert (
        "what to do: the storage is read-only or not writable by this user: choose a writable location"
        in (result.stderr)
    )
    assert "report this" not in result.stderr
    assert not (tmp_path / "ro").exists()  # nothing half-made is left behind


def test_case_is_found_from_option_environment_and_parent_folders(tmp_path: Path, monkeypatch) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root)
    assert len(cli_json("exhibit", "list", "--case", root)) == 1
    monkeypatch.setenv("EVIDENCE_INTAKE_CASE", str(root))
    assert len(cli_json("exhibit", "list")) == 1
    monkeypatch.delenv("EVIDENCE_INTAKE_CASE")
    inner = root / "evidence" / "deep"
    inner.mkdir()
    monkeypatch.chdir(inner)
    assert len(cli_json("exhibit", "list")) == 1
    monkeypatch.chdir(tmp_path)
    result = cli("exhibit", "list", expect=3)
    assert "no case found" in result.stderr


def test_a_folder_that_is_not_a_case(tmp_path: Path) -> None:
    result = cli("exhibit", "list", "--case", tmp_path, expect=3)
    assert "is not a case folder" in result.stderr


def test_examiner_from_option_environment_or_case(tmp_path: Path, monkeypatch) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    monkeypatch.setenv("EVIDENCE_INTAKE_EXAMINER", "Sgt. Malee")
    add_exhibit(root, "EX-002")
    cli(
        "exhibit",
        "add",
        "--case",
        root,
        "--exhibit",
        "EX-003",
        "--kind",
        "sim",
        "--description",
        "SIM",
        "--examiner",
        "Capt. Aung",
    )
    actors = {e["exhibit"]: e["actor"] for e in cli_json("custody", "show", "--case", root) if e["exhibit"]}
    assert actors == {"EX-001": "Pol.Lt. Somchai Jaidee", "EX-002": "Sgt. Malee", "EX-003": "Capt. Aung"}


def test_exhibit_with_every_field(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    photo = tmp_path / "front.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 jpeg bytes")
    record = add_exhibit(
        root,
        "EX-001",
        "phone",
        "--make",
        "Apple",
        "--model",
        "iPhone 12",
        "--serial",
        "F2LDX1XXXXXX",
        "--imei",
        f"{VALID_IMEI},{VALID_IMEI_2}",
        "--phone-number",
        "081 234 5678",
        "--seal",
        "A-0042",
        "--seized-at",
        "14/03/2568 09:30",
        "--seized-from",
        "สมชาย (Suspect 1)",
        "--location",
        "Building C, KK Park, Myawaddy",
        "--latitude",
        "16.69",
        "--longitude",
        "98.51",
        "--powered-on",
        "yes",
        "--screen-locked",
        "yes",
        "--airplane-mode",
        "no",
        "--faraday-bag",
        "yes",
        "--condition",
        "cracked screen",
        "--photo",
        str(photo),
    )
    assert record["imeis"] == [VALID_IMEI, VALID_IMEI_2]
    assert record["phone_number"] == "+66812345678" and record["phone_number_raw"] == "081 234 5678"
    assert record["seized_at"].startswith("2025-03-14T02:30:00")
    assert record["condition"] == {
        "powered_on": "yes",
        "screen_locked": "yes",
        "airplane_mode": "no",
        "faraday_bag": "yes",
        "notes": "cracked screen",
    }
    [copied] = record["photographs"]
    assert Path(copied["path"]).read_bytes() == photo.read_bytes()
    import hashlib

    assert copied["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    actions = [e["action"] for e in cli_json("custody", "show", "--case", root, "--exhibit", "EX-001")]
    assert actions == ["exhibit_registered", "seized", "sealed", "photographed"]
    shown = cli_json("exhibit", "show", "EX-001", "--case", root)
    assert shown["custody"]["holder"] == "Pol.Lt. Somchai Jaidee" and shown["custody"]["seal"] == "A-0042"
    # every time is given in the one form the ledger, the artefacts and case.json use
    times = [shown["seized_at"], shown["registered_at"], shown["photographs"][0]["added_at"]]
    times.append(shown["custody"]["last_entry"]["timestamp"])
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", t) for t in times), times
    assert shown["seized_at"] == "2025-03-14T02:30:00.000000Z"
    table = cli("exhibit", "show", "EX-001", "--case", root).stdout
    assert "iPhone 12" in table and "2568" not in table.split("seized at")[0]


def test_invalid_imei_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    result = cli(
        "exhibit",
        "add",
        "--case",
        root,
        "--exhibit",
        "EX-1",
        "--kind",
        "phone",
        "--description",
        "x",
        "--imei",
        "356938035643808",
        expect=2,
    )
    assert "check digit" in result.stderr
    assert cli_json("exhibit", "list", "--case", root) == []


def test_duplicate_exhibit_is_refused(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    result = cli(
        "exhibit",
        "add",
        "--case",
        root,
        "--exhibit",
        "EX-001",
        "--kind",
        "phone",
        "--description",
        "x",
        expect=6,
    )
    assert "already registered" in result.stderr
    assert len(cli_json("exhibit", "list", "--case", root)) == 1


def test_unknown_exhibit_lists_the_known_ones(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    add_exhibit(root, "EX-002")
    result = cli("exhibit", "show", "EX-404", "--case", root, expect=3)
    assert "EX-001, EX-002" in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--kind", "tablet", "not one of"),
        ("--seized-at", "last tuesday", "accepted forms"),
        ("--phone-number", "12", "not a possible number"),
        ("--latitude", "95", "out of range"),
        ("--powered-on", "maybe", "yes, no, unknown"),
    ],
)
def test_bad_values_are_refused_before_anything_is_written(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    root = make_case(tmp_path / "case")
    args = ["exhibit", "add", "--case", root, "--exhibit", "EX-9", "--kind", "phone", "--description", "d"]
    args = [a for a in args]
    if option == "--kind":
        args[args.index("--kind") + 1] = value
    else:
        args += [option, value]
        if option == "--latitude":
            args += ["--longitude", "98"]
    result = cli(*args, expect=2)
    assert message in result.stderr
    assert len(cli_json("custody", "show", "--case", root)) == 2


@pytest.mark.parametrize("region", ["ZZ", "XX", "Thailand", "T1", ""])
def test_case_init_refuses_a_region_the_phone_rules_do_not_know(tmp_path: Path, region: str) -> None:
    """A two-letter code is not enough: "ZZ" used to make a case whose every phone number failed later."""
    folder = tmp_path / "case"
    result = cli(
        "case",
        "init",
        folder,
        "--case-number",
        "1",
        "--title",
        "t",
        "--examiner",
        "e",
        "--region",
        region,
        expect=2,
    )
    assert f"region {region!r} is not a country code" in result.stderr
    assert "ISO 3166-1" in result.stderr and "TH (Thailand)" in result.stderr
    assert not folder.exists()


def test_case_init_takes_a_region_in_any_case(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    cli("case", "init", folder, "--case-number", "1", "--title", "t", "--examiner", "e", "--region", " mm ")
    assert json.loads((folder / "case.json").read_text())["region"] == "MM"


@pytest.mark.parametrize("region", ["Thailand", "ZZ", "th-TH"])
def test_exhibit_add_refuses_an_unknown_region_before_anything_is_written(
    tmp_path: Path, region: str
) -> None:
    root = make_case(tmp_path / "case")
    result = cli(
        "exhibit",
        "add",
        "--case",
        root,
        "--exhibit",
        "P4",
        "--kind",
        "phone",
        "--description",
        "x",
        "--region",
        region,
        "--phone-number",
        "081 234 5678",
        expect=2,
    )
    assert f"region {region!r} is not a country code" in result.stderr
    assert "cannot be read" not in result.stderr  # the region is blamed, not the number
    assert "what to do: a region is a two-letter ISO 3166-1 country code" in result.stderr
    assert len(cli_json("custody", "show", "--case", root)) == 2
    assert cli_json("exhibit", "list", "--case", root) == []


def test_exhibit_region_reads_its_phone_number(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    record = add_exhibit(root, "P4", "phone", "--region", "mm", "--phone-number", "09 123 456 789")
    assert record["region"] == "MM" and record["phone_number"].startswith("+959")


def test_a_case_made_with_an_unknown_region_is_named_when_an_exhibit_is_added(tmp_path: Path) -> None:
    """Cases made before regions were checked may hold "ZZ"; --region lets their exhibits be added."""
    root = make_case(tmp_path / "case")
    settings = json.loads((root / "case.json").read_text())
    (root / "case.json").write_text(json.dumps({**settings, "region": "ZZ"}))
    args = ["exhibit", "add", "--case", root, "--exhibit", "P4", "--kind", "phone", "--description", "x"]
    result = cli(*args, "--phone-number", "081 234 5678", expect=2)
    assert "the case's region (in case.json) 'ZZ' is not a country code" in result.stderr
    assert "give this exhibit's region with --region" in result.stderr
    record = cli_json(*args, "--phone-number", "081 234 5678", "--region", "TH")
    assert record["phone_number"] == "+66812345678"


def test_luhn() -> None:
    assert luhn_valid(VALID_IMEI) and not luhn_valid("356938035643808")
    assert check_imei("35-693803-564380-9") == VALID_IMEI
    with pytest.raises(UsageError):
        check_imei("3569380356438091")


def test_case_settings_file_that_is_damaged(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    (root / "case.json").write_text("{ not json")
    result = cli("exhibit", "list", "--case", root, expect=1)
    assert "not a readable case settings file" in result.stderr
    assert (root / "case.json").read_text() == "{ not json"


def test_case_object_round_trip(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    with Case.open(root) as case:
        assert case.settings.region == "TH" and case.examiner() == "Pol.Lt. Somchai Jaidee"
        assert case.examiner("  Sgt. Malee ") == "Sgt. Malee"


@pytest.mark.parametrize("content", ["[]", "null", '"x"', "{not json"])
def test_a_case_json_that_is_not_the_settings_is_a_clear_error(tmp_path: Path, content: str) -> None:
    root = make_case(tmp_path / "case")
    (root / "case.json").write_text(content, encoding="utf-8")
    result = cli("exhibit", "list", "--case", root, expect=1)
    assert "case.json is not a readable case settings file" in result.stderr
    assert (root / "case.json").read_text(encoding="utf-8") == content  # left as it is


def test_proving_an_entry_that_does_not_exist_names_the_range(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    for entry in ("99", "0", "-1"):
        result = cli("custody", "prove", "--entry", entry, "--case", root, expect=3)
        assert "the ledger of this case has entries 1 to 2" in result.stderr


def test_a_damaged_register_is_a_clear_error_naming_it_never_a_traceback(tmp_path: Path) -> None:
    """case.sqlite with a damaged page: each command either works or says which file is damaged."""
    import shutil

    from typer.testing import CliRunner

    from evidence_intake.cli import app

    origin = make_case(tmp_path / "origin")
    for n in ("EX-001", "EX-002", "EX-003"):
        add_exhibit(origin, n)
    failed = 0
    for page in range(2, 9):
        root = tmp_path / f"case-{page}"
        shutil.copytree(origin, root)
        with open(root / "case.sqlite", "r+b") as fh:
            fh.seek(4096 * page + 8)
            fh.write(b"\xa5" * 2000)
        for command in (["exhibit", "list"], ["exhibit", "show", "EX-002"], ["case", "show"]):
            result = CliRunner().invoke(app, [*command, "--case", str(root)])
            assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
                f"page {page}, {command}: {result.exception!r}"
            )
            if result.exit_code != 0:
                failed += 1
                assert "case.sqlite" in result.stderr, (page, command, result.stderr)
    assert failed  # the damage was seen somewhere, and reported


def test_a_folder_given_as_a_photograph_says_so(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    folder = tmp_path / "photos"
    folder.mkdir()
    result = cli("exhibit", "photo", "--exhibit", "EX-001", folder, "--case", root, expect=2)
    assert "is a folder" in result.stderr and "photos/*.jpg" in result.stderr


def test_a_missing_photograph_is_not_found_whichever_command_is_given_it(tmp_path: Path) -> None:
    """Exit 3 and the usual error and hint, from `exhibit photo` as from `exhibit add --photo`."""
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    front, missing = tmp_path / "front.jpg", tmp_path / "nophoto.jpg"
    front.write_bytes(b"\xff\xd8\xff\xe0 jpeg bytes")
    photo = cli("exhibit", "photo", "--exhibit", "EX-001", front, missing, "--case", root, expect=3)
    add = ["exhibit", "add", "--exhibit", "EX-002", "--kind", "phone", "--description", "d", "--case", root]
    added = cli(*add, "--photo", missing, expect=3)
    for result in (photo, added):
        assert f"error: photograph {missing} not found" in result.stderr
        assert "what to do: check the file name" in result.stderr
    assert not [p for p in (root / "photos").rglob("*") if p.is_file()]  # front.jpg was not copied either
    actions = [e["action"] for e in cli_json("custody", "show", "--case", root)]
    assert "photographed" not in actions and actions.count("exhibit_registered") == 1


def test_an_expected_hash_of_the_wrong_form_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    source = tmp_path / "card.dd"
    source.write_bytes(bytes(4096))
    for wrong in ("sha256:zz", "md5:" + "0" * 31, "sha1:" + "g" * 40):
        result = cli("acquire", source, "--exhibit", "EX-001", "--case", root, "--expect", wrong, expect=2)
        assert "hexadecimal digits" in result.stderr
    assert not (root / "evidence" / "EX-001").exists() or not any((root / "evidence" / "EX-001").iterdir())


def test_photographs_that_fill_the_disk_leave_no_cut_off_copy(tmp_path: Path) -> None:
    from tests.helpers import small_disk

    with small_disk(tmp_path / "disk", "1m") as disk:
        root = make_case(disk / "case")
        add_exhibit(root, "EX-001")
        small, big = tmp_path / "seal.jpg", tmp_path / "front.jpg"
        small.write_bytes(os.urandom(10_000))
        big.write_bytes(os.urandom(4 << 20))
        result = cli("exhibit", "photo", "--exhibit", "EX-001", small, big, "--case", root, expect=7)
        assert "No space left" in result.stderr
        photos = root / "photos"
        assert not photos.exists() or not [p for p in photos.rglob("*") if p.is_file()]


def test_an_emptied_register_is_not_rebuilt_as_a_new_one(tmp_path: Path) -> None:
    """case.sqlite cut to 0 bytes: refused, so that no exhibit can be registered a second time."""
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    (root / "case.sqlite").write_bytes(b"")
    for wal in ("case.sqlite-wal", "case.sqlite-shm"):
        (root / wal).unlink(missing_ok=True)
    result = cli("exhibit", "list", "--case", root, expect=1)
    assert "is empty" in result.stderr
    cli(
        "exhibit",
        "add",
        "--case",
        root,
        "--exhibit",
        "EX-001",
        "--kind",
        "phone",
        "--description",
        "x",
        expect=1,
    )
    assert (root / "case.sqlite").stat().st_size == 0
    assert cli("custody", "verify", "--case", root).exit_code == 0
