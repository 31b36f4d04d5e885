"""`evidence-intake hash`: hash files and folders like sha256sum, or check a checksum file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from evidence_intake import console
from evidence_intake.acquisition.checksums import check, format_line, hash_paths
from evidence_intake.acquisition.hashing import parse_algorithms
from evidence_intake.commands._options import JsonOpt
from evidence_intake.errors import IntegrityError, UsageError


def hash_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files and folders (folders recursively).")
    ] = None,
    algorithms: Annotated[
        str, typer.Option("--algorithms", "-a", help="md5, sha1, sha256, sha512, blake2b (comma separated).")
    ] = "sha256",
    check_file: Annotated[
        Path | None, typer.Option("--check", "-c", help="Check the files listed in a checksum file.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Hash files without a case, in the sha256sum format (or JSON); --check verifies a list.

    Example: evidence-intake hash ./extraction -a md5,sha256 > extraction.sums

    Example: evidence-intake hash --check extraction.sums
    """
    if check_file is not None:
        if paths:
            raise UsageError("give either paths to hash or --check FILE, not both")
        with console.FileBars() as bars:
            results = check(check_file, progress=bars)
        if json_out:
            console.print_json([r.to_dict() for r in results])
        else:
            for r in results:
                sys.stdout.write(
                    f"{r.path}: {r.status}"
                    + (f" ({r.algorithm})" if len({x.algorithm for x in results}) > 1 else "")
                    + "\n"
                )
        bad = [r for r in results if r.status != "OK"]
        if bad:
            raise IntegrityError(f"{len(bad)} of {len(results)} checksums did not match or files are missing")
        return
    if not paths:
        raise UsageError("nothing to hash", hint="give files or folders, or --check FILE")
    algs = parse_algorithms(algorithms)
    tagged = len(algs) > 1
    if json_out:
        with console.FileBars() as bars:
            items = list(hash_paths(paths, algs, progress=bars))
        console.print_json([i.to_dict() for i in items])
        return
    with console.FileBars() as bars:
        for item in hash_paths(paths, algs, progress=bars):
            bars.close()  # each file's lines are written as soon as it is read, never under a bar
            for alg in algs:
                sys.stdout.write(format_line(item, alg, tagged=tagged) + "\n")
            sys.stdout.flush()


def register(root: typer.Typer) -> None:
    root.command("hash")(hash_command)
