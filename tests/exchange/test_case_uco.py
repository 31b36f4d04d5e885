from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from evidence_intake.case import Case
from tests.helpers import cli, cli_json, small_disk
from tests.reports.case_builder import IMEI, build_case


def _validate(tool: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool, str(path)], capture_output=True, text=True, check=False, timeout=600)


def test_case_uco_export_is_valid_and_holds_devices_acquisitions_extractions_and_the_chain(
    tmp_path: Path, require_tool: Callable[..., str]
) -> None:
    # `make test` installs case-utils in its own environment (.tools/) and puts case_validate on PATH
    case_validate = require_tool("case_validate", "case-utils, from PyPI")
    built = build_case(tmp_path)
    out = tmp_path / "case.jsonld"
    made = cli_json("export", "case-uco", "--case", built.root, "--out", out)
    document = json.loads(out.read_text(encoding="utf-8"))
    done = _validate(case_validate, out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Conforms: True" in done.stdout

    graph = document["@graph"]
    by_type: dict[str, list[dict[str, object]]] = {}
    for node in graph:
        by_type.setdefault(str(node["@type"]), []).append(node)
    phone = by_type["uco-observable:MobilePhone"][0]
    facets = {f["@type"]: f for f in phone["uco-core:hasFacet"]}  # type: ignore[union-attr]
    assert facets["uco-observable:MobileDeviceFacet"]["uco-observable:IMEI"] == [IMEI]
    assert facets["uco-observable:DeviceFacet"]["uco-observable:serialNumber"] == "R58N12ABCDE"
    assert {
        r["case-investigation:exhibitNumber"] for r in by_type["case-investigation:ProvenanceRecord"]
    } >= {
        "EX-001",
        "EX-002",
    }
    actions = by_type["case-investigation:InvestigativeAction"]
    names = [a["uco-core:name"] for a in actions]
    assert names.count("acquisition") == 2
    for wanted in ("transferred", "sealed", "seized", "verified", "extraction_completed", "parser_error"):
        assert wanted in names, wanted
    with Case.open(built.root) as case:
        acquisitions = case.acquisitions()
        entries = [e for e in case.ledger.entries() if e.exhibit is not None and e.seq < made["ledger_seq"]]
    hashes = {
        h["uco-types:hashValue"]["@value"]
        for n in graph
        for f in n.get("uco-core:hasFacet", [])
        for h in f.get("uco-observable:hash", [])
    }  # type: ignore[union-attr]
    for acq in acquisitions:
        assert acq.hashes["sha256"].upper() in hashes
    refs = {
        r["uco-core:externalIdentifier"]
        for a in actions
        for r in a.get("uco-core:externalReference", [])  # type: ignore[union-attr]
    }
    assert {f"{e.seq}:{e.entry_hash}" for e in entries} <= refs  # every exhibit entry, by number and hash
    parsers = {(t["uco-core:name"], t.get("uco-tool:version")) for t in by_type["uco-tool:Tool"]}
    assert ("android.sms", "1.2.0") in parsers and ("line.chats", "0.9.1") in parsers

    # Reproducible: the same case state gives the same graph.
    with Case.open(built.root) as case:
        from evidence_intake.exchange.case_uco import case_uco_document

        again = case_uco_document(case, exhibit=None, end=made["ledger_seq"] - 1)
    assert again == document

    # The check can fail: a hash that is not hex is refused by case_validate.
    bad = json.loads(out.read_text(encoding="utf-8"))
    for node in bad["@graph"]:
        for facet in node.get("uco-core:hasFacet", []):
            for h in facet.get("uco-observable:hash", []):
                h["uco-types:hashValue"]["@value"] = "not hex"
    broken = tmp_path / "broken.jsonld"
    broken.write_text(json.dumps(bad), encoding="utf-8")
    assert _validate(case_validate, broken).returncode != 0


def test_a_full_disk_leaves_no_cut_off_export_and_no_entry(tmp_path: Path) -> None:
    built = build_case(tmp_path)
    with small_disk(tmp_path / "small-disk", "8k") as small:
        out = small / "case.jsonld"
        result = cli("export", "case-uco", "--case", built.root, "--out", out, expect=7)
        assert "No space left" in result.stderr and "what was written was deleted" in result.stderr
        assert not out.exists()
    with Case.open(built.root) as case:
        assert not list(case.ledger.entries(action="exported"))
