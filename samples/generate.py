"""Make the three samples: ``python -m samples.generate [--out DIR]`` from the project root.

Deterministic: fixed seeds, times, ids and tool options; the same run on the same tools gives the same
bytes. Without --out the committed samples in samples/ are rewritten, with SHA256SUMS beside them.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from samples.android import build_android
from samples.ios import build_ios
from samples.laptop import build_laptop

HERE = Path(__file__).resolve().parent
SAMPLES = ("android-EX-001.tar.gz", "iphone-EX-002.zip", "laptop-EX-003.img")


def generate(out: Path) -> dict[str, str]:
    """Write the samples into ``out`` and return their SHA-256 by file name."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="samples-") as scratch:
        work = Path(scratch)
        build_android(work / "android", out / SAMPLES[0])
        build_ios(work / "ios", out / SAMPLES[1])
        build_laptop(work / "laptop", out / SAMPLES[2])
    sums = {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in SAMPLES}
    (out / "SHA256SUMS").write_text("".join(f"{h}  {n}\n" for n, h in sums.items()), encoding="utf-8")
    return sums


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: samples/)")
    args = parser.parse_args(argv)
    if shutil.which("sfdisk") is None:
        print("sfdisk not found (Debian package fdisk)", file=sys.stderr)
    for name, digest in generate(args.out).items():
        size = (args.out / name).stat().st_size
        print(f"{digest}  {name}  ({size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
