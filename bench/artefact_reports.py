"""Artefact report speed: writing the messages of a case as CSV, JSONL, HTML and XLSX.

A case is made with the CLI and filled by ``extract()`` from bench/extract.py's generated Android
extraction at 1/5 scale (200,000 SMS in Thai, Chinese, Burmese and English; 1/100 with --quick). Then,
each in a fresh process so that peak memory is its own:

* ours: ``generate_artefact_report(case, fmt=…, kinds=["messages"])``: every column of the view with its
  provenance, escaping or neutralising, hashing the file from disk, the ledger entry;
* reference: the sqlite3 command-line shell writing the same view, ``SELECT * FROM messages``, with
  ``-csv``, ``-json`` (one JSON array, not lines) and ``-html`` (bare table rows: no page, no script, no
  conversations, no local times). XLSX has no reference tool: it is set against the sqlite3 CSV.

Each is run twice (once with --quick) and the better run is printed, with the ratio.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._extracting import folder_tree, in_child
from bench.extract import generate

FORMATS = ("csv", "jsonl", "html", "xlsx")
REFERENCE_MODE = {"csv": "-csv", "jsonl": "-json", "html": "-html", "xlsx": "-csv"}
EXAMINER = "bench"


def _cli(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "evidence_intake", *args], check=True, env=env, capture_output=True)


def _make_case(base: Path, evidence: Path, env: dict[str, str]) -> Path:
    root = base / "case"
    init = ["case", "init", str(root), "--case-number", "BENCH 1/2568", "--title", "bench"]
    _cli(*init, "--examiner", EXAMINER, env=env)
    exhibit = ["exhibit", "add", "--case", str(root), "--exhibit", "EX-001", "--kind", "phone"]
    _cli(*exhibit, "--description", "bench", env=env)
    from evidence_intake.case import Case
    from evidence_intake.parsers.engine import extract

    with Case.open(root) as case:
        extract(case, ["EX-001"], examiner=EXAMINER, open_tree=folder_tree(evidence))
    return root


def _ours(root: str, fmt: str, out: str, queue: Any) -> None:
    from evidence_intake.case import Case
    from evidence_intake.reports.artefacts import generate_artefact_report

    with Case.open(Path(root)) as case:
        started = time.perf_counter()
        result = generate_artefact_report(case, fmt=fmt, examiner=EXAMINER, out=Path(out), kinds=["messages"])
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"seconds": seconds, "rows": result.counts["messages"], "bytes": result.size, "mib": peak})


def _reference(store: Path, mode: str, out: Path) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    with open(out, "wb") as fh:
        subprocess.run(
            ["sqlite3", "-readonly", mode, "-header", str(store), "SELECT * FROM messages"],
            stdout=fh,
            check=True,
        )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "bytes": out.stat().st_size, "mib": max(peak, before) / 1024}


def run(quick: bool) -> None:
    if shutil.which("sqlite3") is None:
        print("sqlite3 (Debian package sqlite3) is not installed: no reference to measure against")
        return
    scale = 1 / 100 if quick else 1 / 5
    repeats = 1 if quick else 2
    base = Path(tempfile.mkdtemp(prefix="bench-areports-"))
    env = {**os.environ, "EVIDENCE_INTAKE_KEYS": str(base / "keys")}
    os.environ["EVIDENCE_INTAKE_KEYS"] = env["EVIDENCE_INTAKE_KEYS"]
    try:
        evidence = base / "evidence"
        t = time.perf_counter()
        sizes = generate(evidence, scale)
        root = _make_case(base, evidence, env)
        print(f"case with {sizes['sms']:,} SMS extracted in {time.perf_counter() - t:.1f} s", flush=True)
        store = root / "artefacts.sqlite"
        for fmt in FORMATS:
            ours, refs = [], []
            for n in range(repeats):
                ours.append(in_child(_ours, str(root), fmt, str(base / f"ours-{fmt}-{n}.{fmt}")))
                refs.append(_reference(store, REFERENCE_MODE[fmt], base / f"ref-{fmt}-{n}"))
            best = min(ours, key=lambda r: r["seconds"])
            ref = min(refs, key=lambda r: r["seconds"])
            rate, ref_rate = best["rows"] / best["seconds"], best["rows"] / ref["seconds"]
            print(
                f"{fmt:5s} ours {best['rows']:,} rows in {best['seconds']:.2f} s = {rate:,.0f} rows/s, "
                f"{best['bytes'] / 2**20:.0f} MiB file, peak {best['mib']:.0f} MiB | "
                f"sqlite3 {REFERENCE_MODE[fmt]} {ref['seconds']:.2f} s = {ref_rate:,.0f} rows/s, "
                f"{ref['bytes'] / 2**20:.0f} MiB | ratio ours/reference {rate / ref_rate:.2f}",
                flush=True,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)
