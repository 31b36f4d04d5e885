"""The whole intake on the three samples, through the real command line: ``make demo``.

Every step prints the command it runs (copy it to do the same by hand) and then runs it with
``python -m evidence_intake``. Commands that this version does not have yet are named and skipped,
never imitated. The demo case folder (./demo-case) is recreated on every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CASE = Path("demo-case")
EXAMINER = "Pol.Lt. Somchai Demo"
EXHIBITS = [
    (
        "EX-001",
        "phone",
        "Samsung Galaxy A54, black, cracked back (team leader)",
        "android-EX-001.tar.gz",
        None,
    ),
    ("EX-002", "phone", "iPhone 13, blue case with Burmese sticker (recruiter)", "iphone-EX-002.zip", None),
    ("EX-003", "computer", "Lenovo laptop, grey, 'finance' label (disk image)", "laptop-EX-003.img", "e01"),
]
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


class Demo:
    def __init__(self, case: Path) -> None:
        self.failed: list[str] = []
        self.written: list[tuple[str, Path]] = []
        self.env = {**os.environ, "EVIDENCE_INTAKE_EXAMINER": EXAMINER, "EVIDENCE_INTAKE_CASE": str(case)}
        self.env.pop("NO_COLOR", None)

    def step(self, title: str) -> None:
        print(f"\n{BOLD}== {title}{RESET}", flush=True)

    def run(
        self, *args: str, capture: bool = False, ok: tuple[int, ...] = (0,)
    ) -> subprocess.CompletedProcess[str]:
        print(f"{BOLD}$ evidence-intake {shlex.join(args)}{RESET}", flush=True)
        result = subprocess.run(
            [sys.executable, "-m", "evidence_intake", *args],
            cwd=ROOT,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE if capture else None,
            check=False,
        )
        if result.returncode not in ok:
            self.failed.append(f"evidence-intake {shlex.join(args)} (exit status {result.returncode})")
            print(f"{BOLD}   -> exit status {result.returncode}{RESET}", flush=True)
        return result


def _remove(path: Path) -> None:
    """Remove the previous demo case; acquired images are read-only (0444), so writable first."""
    if not path.exists():
        return
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            target = Path(folder) / name
            if not target.is_symlink():
                target.chmod(
                    target.stat().st_mode | stat.S_IWUSR | stat.S_IRUSR | stat.S_IXUSR * target.is_dir()
                )
    shutil.rmtree(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--case", type=Path, default=CASE, help="demo case folder (recreated), default ./demo-case"
    )
    case: Path = parser.parse_args(argv).case
    started = time.monotonic()
    demo = Demo(case)
    os.chdir(ROOT)
    _remove(ROOT / case)
    print(f"{DIM}Demo case folder: {ROOT / case} (recreated on every run){RESET}")
    print(f"{DIM}The demo sets EVIDENCE_INTAKE_CASE={case} and EVIDENCE_INTAKE_EXAMINER='{EXAMINER}'.{RESET}")

    demo.step("1. A case, its exhibits, a hand-over, and the chain of custody checked")
    demo.run(
        "case",
        "init",
        str(case),
        "--case-number",
        "TCSD 77/2568",
        "--title",
        "Operation Dawn (demo)",
        "--examiner",
        EXAMINER,
        "--agency",
        "Thai Police Cyber (demo)",
    )
    for exhibit, kind, description, _sample, _format in EXHIBITS:
        demo.run(
            "exhibit",
            "add",
            "--exhibit",
            exhibit,
            "--kind",
            kind,
            "--description",
            description,
            "--seal",
            f"A-{exhibit[-3:]}",
            "--seized-at",
            "2568-03-14 06:30",
            "--seized-from",
            "Building C, room 5",
            "--location",
            "Myawaddy border raid (demo)",
        )
    demo.run(
        "custody",
        "log",
        "--exhibit",
        "EX-001",
        "--action",
        "transferred",
        "--from",
        EXAMINER,
        "--to",
        "Sgt. Malee (evidence room)",
        "--reason",
        "ส่งมอบเพื่อเก็บรักษา / storage pending analysis",
        "--location",
        "TCSD HQ",
    )
    demo.run("custody", "verify")

    demo.step("2. Acquisition of the sample media: hashes while reading, verified after writing")
    acquisitions: dict[str, dict[str, Any]] = {}
    for exhibit, _kind, _description, sample, fmt in EXHIBITS:
        args = ["acquire", str((SAMPLES / sample).relative_to(ROOT)), "--exhibit", exhibit]
        args += ["--format", fmt] if fmt else []
        result = demo.run(*args, "--json", capture=True)
        if result.returncode == 0 and result.stdout.strip():
            answer = json.loads(result.stdout)
            record = acquisitions[exhibit] = answer.get("acquisition", {})
            for algorithm, digest in record.get("hashes", {}).items():
                print(f"   {exhibit} {record.get('format')} {algorithm:7} {digest}")
            print(f"   {exhibit} image written: {', '.join(record.get('paths', []))}")
            print(f"   {exhibit} verification: {json.dumps(answer.get('verification'), sort_keys=True)}")
    demo.run("verify")
    e01 = case / "evidence" / "EX-003" / "EX-003.E01"
    demo.run("image", "info", str(e01))

    demo.step("3. Listing the images and extractions")
    demo.run("files", "--exhibit", "EX-003")
    demo.run("files", "--exhibit", "EX-003", "--deleted")
    demo.run("files", "--exhibit", "EX-001", "--path", "*.db")
    demo.run("files", "--exhibit", "EX-002", "--path", "**/*.sqlite*")

    demo.step("4. Chats, contacts and calls extracted and shown")
    demo.run("extract", "--all", ok=(0, 8))
    for kind in ("messages", "contacts", "calls"):
        demo.run("artefacts", "--kind", kind)
    demo.run("artefacts", "--kind", "messages", "--search", "USDT")

    demo.step("5. Reports and exports")
    reports = case / "reports"
    for lang in ("en", "th"):
        out = reports / f"custody-{lang}.pdf"
        if (
            demo.run("report", "custody", "--format", "pdf", "--lang", lang, "--out", str(out)).returncode
            == 0
        ):
            demo.written.append((f"custody report ({lang})", out))
    out = reports / "artefacts.html"
    if demo.run("report", "artefacts", "--format", "html", "--out", str(out)).returncode == 0:
        demo.written.append(("artefact report", out))
    out = case / "exports" / "case-uco.jsonld"
    if demo.run("export", "case-uco", "--out", str(out)).returncode == 0:
        demo.written.append(("CASE/UCO export", out))
    out = case / "exports" / "EX-001-bundle.zip"
    if demo.run("export", "bundle", "--exhibit", "EX-001", "--out", str(out)).returncode == 0:
        demo.written.append(("exchange package", out))
        demo.run("bundle", "verify", str(out))
    demo.run("custody", "verify")
    demo.run("custody", "head")

    demo.step("Summary")
    print(f"{'exhibit':8} {'source':24} {'format':8} {'size':>12}  sha256")
    for exhibit, _kind, _description, sample, _fmt in EXHIBITS:
        record = acquisitions.get(exhibit, {})
        sha = record.get("hashes", {}).get("sha256", "(not acquired)")
        print(f"{exhibit:8} {sample:24} {record.get('format', '-'):8} {record.get('size', 0):>12,}  {sha}")
    counts = []
    for kind in ("messages", "contacts", "calls", "accounts"):
        listing = demo.run("artefacts", "--kind", kind, "--format", "json", capture=True)
        if listing.returncode == 0 and listing.stdout.strip():
            counts.append(f"{kind}: {len(json.loads(listing.stdout))}")
    print("artefacts  " + ", ".join(counts))
    for label, path in demo.written:
        print(f"{label:24} {(ROOT / path).resolve()}")
    print(f"{DIM}finished in {time.monotonic() - started:.0f} s{RESET}")
    if demo.failed:
        print("\nThese steps failed:", *demo.failed, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
