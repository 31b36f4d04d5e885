"""Helpers shared by tests: a case made through the CLI, and running the CLI with exit codes."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from evidence_intake.cli import app
from evidence_intake.progress import Progress


def cli(*args: str | Path, expect: int = 0) -> Any:
    """Run the CLI in-process; check the exit status; return the result (stdout, stderr)."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == expect, (
        f"exit {result.exit_code} != {expect}\nstdout:\n{result.stdout}\n"
        f"stderr:\n{result.stderr}\n{result.exception!r}"
    )
    return result


def cli_json(*args: str | Path, expect: int = 0) -> Any:
    return json.loads(cli(*args, "--json", expect=expect).stdout)


class RecordedProgress(Progress):
    """Progress as the engines report it: [phase name, total, units advanced] for every phase."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, int | None, int]] = []

    def phase(self, name: str, total: int | None) -> None:
        self.phases.append((name, total, 0))

    def advance(self, n: int) -> None:
        name, total, done = self.phases[-1]
        self.phases[-1] = (name, total, done + n)


def make_case(root: Path, *, examiner: str = "Pol.Lt. Somchai Jaidee") -> Path:
    cli(
        "case",
        "init",
        root,
        "--case-number",
        "TCSD 123/2568",
        "--title",
        "Operation Dawn",
        "--examiner",
        examiner,
        "--agency",
        "Technology Crime Suppression Division",
    )
    return root


def add_exhibit(case: Path, exhibit: str = "EX-001", kind: str = "phone", *extra: str) -> Any:
    return cli_json(
        "exhibit",
        "add",
        "--case",
        case,
        "--exhibit",
        exhibit,
        "--kind",
        kind,
        "--description",
        f"test exhibit {exhibit}",
        *extra,
    )


@contextmanager
def small_disk(folder: Path, size: str, *, inodes: int | None = None) -> Iterator[Path]:
    """``folder`` as a tmpfs of ``size`` ("64k", "2m"), and of ``inodes`` files and folders if given:
    a disk that fills up, for full-disk tests.

    Mounting needs root (CI runs as root); elsewhere the test is skipped with the reason.
    """
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        [
            "mount",
            "-t",
            "tmpfs",
            "-o",
            f"size={size}" + (f",nr_inodes={inodes}" if inodes else ""),
            "tmpfs",
            str(folder),
        ],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"file systems cannot be mounted here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@contextmanager
def read_only_view(folder: Path, mountpoint: Path) -> Iterator[Path]:
    """``folder`` seen through ``mountpoint`` as read-only storage (a disc handed to the court).

    As root (CI), a read-only bind mount: the kernel refuses every write, as a disc would. Elsewhere
    the files and folders are made read-only for their owner for the duration, and restored after.
    """
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in (folder, *folder.rglob("*"))}
        for path, mode in modes.items():
            path.chmod(mode & ~0o222)
        try:
            yield folder
        finally:
            for path, mode in sorted(modes.items(), key=lambda item: len(item[0].parts)):
                path.chmod(mode)
        return
    mountpoint.mkdir(parents=True, exist_ok=True)
    for args in (["--bind", str(folder), str(mountpoint)], ["-o", "remount,bind,ro", str(mountpoint)]):
        mounted = subprocess.run(["mount", *args], capture_output=True, text=True)
        if mounted.returncode != 0:
            subprocess.run(["umount", str(mountpoint)], check=False, capture_output=True)
            pytest.skip(f"file systems cannot be mounted here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=False)
