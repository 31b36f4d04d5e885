"""Run the benchmarks: ``python -m bench`` (all) or ``python -m bench ledger acquire`` (some).

Each benchmark module in this folder defines ``run(quick: bool) -> None``. Figures are printed
next to those of the reference tool measured in the same run, as a ratio. Record them in
docs/performance.md with the date and machine.
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import os
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def as_installed() -> None:
    """Measure the tool as an installation runs it: with its modules' bytecode compiled.

    pip compiles the bytecode of what it installs; an editable install of this tree, run with
    PYTHONDONTWRITEBYTECODE set (as some shells and containers do), would recompile every module
    of the project at every start, about 0.1 s that no user pays. The packages are compiled once
    here and the variable is cleared for the commands the benchmarks start.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False
    for package in ("evidence_intake", "chain_of_custody"):
        compileall.compile_dir(ROOT / package, quiet=1)


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all): {', '.join(available())}")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, to check that a benchmark runs")
    args = parser.parse_args()
    names = args.names or available()
    for name in names:
        if name not in available():
            print(f"unknown benchmark {name!r}; known: {', '.join(available())}", file=sys.stderr)
            return 2
    as_installed()
    for name in names:
        print(f"\n=== bench/{name} ===", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.run(quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
