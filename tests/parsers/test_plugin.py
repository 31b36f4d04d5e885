"""Plugins are found through real entry-point discovery, and broken ones are reported, not fatal.

The example plugin (tests/plugin_example) is installed the way pip lays out a wheel: its package on a
site folder plus a ``*.dist-info`` with METADATA and the entry points of its own pyproject.toml. The
folder is put on sys.path, so ``importlib.metadata`` finds it exactly as it finds an installed plugin.
"""

from __future__ import annotations

import shutil
import sqlite3
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence_intake.parsers.registry import ParserRegistry
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree
from tests.parsers.util import make_db, store_rows

EXAMPLE = Path(__file__).resolve().parent.parent / "plugin_example"
Installer = Callable[..., None]


def write_dist(site: Path, name: str, version: str, entry_points: dict[str, str]) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = ["[evidence_intake.parsers]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")


@pytest.fixture()
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


@pytest.fixture()
def install_example(site: Path) -> Path:
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    shutil.copytree(EXAMPLE / "ei_samsung_logs", site / "ei_samsung_logs")
    write_dist(site, project["name"], project["version"], project["entry-points"]["evidence_intake.parsers"])
    return site


def test_the_example_plugin_is_discovered_beside_the_built_ins(install_example: Path) -> None:
    registry = ParserRegistry.discover()
    assert registry.failures == []
    info = registry.get("samsung.logs")
    assert (info.distribution, info.distribution_version) == ("evidence-intake-samsung-logs", "1.0")
    assert info.entry_point == "ei_samsung_logs.parser:SamsungLogsParser" and not info.builtin
    assert {"android.sms", "android.contacts", "android.calllog", "android.encrypted"} <= {
        i.name for i in registry
    }
    assert registry.get("android.sms").builtin


LOGS_SQL = (
    "CREATE TABLE logs (_id INTEGER PRIMARY KEY AUTOINCREMENT,number TEXT,address TEXT,date "
    "INTEGER,duration INTEGER,"
    "type INTEGER,new INTEGER,name TEXT,name_reversed TEXT,numbertype INTEGER,numberlabel "
    "TEXT,voicemail_uri TEXT,"
    "is_read INTEGER,countryiso TEXT,geocoded_location TEXT,lookup_uri TEXT,matched_number TEXT,"
    "normalized_number TEXT,photo_id INTEGER NOT NULL DEFAULT 0,formatted_number TEXT,messageid TEXT,"
    "logtype INTEGER NOT NULL,frequent INTEGER,contactid INTEGER NOT NULL,raw_contact_id "
    "INTEGER,m_subject TEXT,"
    "m_content TEXT,sns_tid TEXT,sns_pkey TEXT,account_name TEXT,account_id TEXT,sns_receiver_count TEXT,"
    "sp_type TEXT,cnap_name TEXT,cdnip_number TEXT, service_type INTEGER, country_code TEXT,cityid "
    "TEXT,_data TEXT,"
    "has_content INTEGER,mime_type TEXT,source_data TEXT,source_package TEXT,state INTEGER);"
)


@pytest.mark.parametrize("jobs", [0, 1])
def test_the_example_plugin_extracts_through_the_engine(
    install_example: Path, tmp_path: Path, case: FakeCase, run_extract: Runner, jobs: int
) -> None:
    db = make_db(tmp_path / "ev/data/data/com.sec.android.provider.logsprovider/databases/logs.db", LOGS_SQL)
    conn = sqlite3.connect(db)
    cols = "(_id, number, date, duration, type, name, countryiso, logtype, contactid)"
    conn.executemany(
        f"INSERT INTO logs {cols} VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
        [
            (1, "0812345678", 1700000000000, 30, 1, "พี่นก", "TH", 100),
            (2, "0812345678", 1700000100000, 0, 3, "พี่นก", "TH", 500),
            (3, "0812345678", 1700000200000, None, 1, None, "TH", 300),  # an SMS row: not a call
        ],
    )
    conn.commit()
    conn.close()
    report = run_extract(FolderTree(tmp_path / "ev"), registry=ParserRegistry.discover(), jobs=jobs)
    assert not report.failed and report.exhibits[0].parsers["samsung.logs"].records == 2
    calls = store_rows(case, "SELECT * FROM calls ORDER BY record_rowid")
    assert [(c["call_type"], c["status"], c["number_e164"]) for c in calls] == [
        ("voice", "answered", "+66812345678"),
        ("video", "missed", "+66812345678"),
    ]
    assert {c["parser"] for c in calls} == {"samsung.logs"} and calls[0]["record_table"] == "logs"


def test_broken_plugins_are_listed_with_their_error(site: Path) -> None:
    (site / "ei_broken").mkdir()
    (site / "ei_broken" / "__init__.py").write_text(
        "from evidence_intake.parsers import Parser\n"
        "from evidence_intake.artefacts.model import Message\n"
        "NOT_A_PARSER = 42\n"
        "class Unnamed(Parser):\n    name = 'bad name!'\n    version = '1'\n    kinds = (Message,)\n"
        "    globs = ('relative/path.db',)\n"
        "class Imposter(Parser):\n    name = 'android.sms'\n    version = '9.9'\n    kinds = (Message,)\n"
        "    globs = ('**/x.db',)\n    limitations = 'none'\n",
        encoding="utf-8",
    )
    write_dist(
        site,
        "ei-broken",
        "0.1",
        {
            "missing.module": "ei_does_not_exist.parser:Parser",
            "not.a.parser": "ei_broken:NOT_A_PARSER",
            "bad name!": "ei_broken:Unnamed",
            "other.name": "ei_broken:Imposter",
            "android.sms": "ei_broken:Imposter",
        },
    )
    registry = ParserRegistry.discover()
    errors = {f.entry_point: f.error for f in registry.failures}
    assert "import failed: ModuleNotFoundError" in errors["ei_does_not_exist.parser:Parser"]
    assert "is not a subclass" in errors["ei_broken:NOT_A_PARSER"]
    assert (
        "name 'bad name!'" in errors["ei_broken:Unnamed"]
        and "limitations is empty" in errors["ei_broken:Unnamed"]
    )
    assert "must start with '/' or '**/'" in errors["ei_broken:Unnamed"]
    imposter = [f for f in registry.failures if f.entry_point == "ei_broken:Imposter"]
    assert {("parser calls itself" in f.error) or ("already taken" in f.error) for f in imposter} == {True}
    assert len(imposter) == 2
    assert all(f.distribution == "ei-broken" for f in registry.failures)
    # the built-in parser keeps its name and its code
    assert registry.get("android.sms").distribution == "evidence-intake"
