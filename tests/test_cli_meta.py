"""Every command is reachable, has help, and shows an example; the lazy command table is complete."""

from __future__ import annotations

import errno
import importlib
import pkgutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import evidence_intake.commands
from evidence_intake.cli import COMMANDS, app


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = []
    for name, module_name in COMMANDS.items():
        group = typer.main.get_group(_holder(module_name))
        command = group.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None, f"{module_name} does not register {name!r}"
        paths.append([name])  # a group too: its help is where one starts
        paths.extend([name, sub] for sub in getattr(command, "commands", None) or ())
    return paths


def _holder(module_name: str) -> typer.Typer:
    holder = typer.Typer()
    importlib.import_module(f"evidence_intake.commands.{module_name}").register(holder)
    return holder


def test_every_registered_command_is_in_the_lazy_table() -> None:
    registered: set[str] = set()
    for info in pkgutil.iter_modules(evidence_intake.commands.__path__):
        if info.name.startswith("_"):
            continue
        group = typer.main.get_group(_holder(info.name))
        registered.update(group.commands)
    assert registered == set(COMMANDS)


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for path in _command_paths():
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Example: evidence-intake " in result.stdout, f"{' '.join(path)} --help shows no example"


def test_root_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (
            OSError(errno.EIO, "Input/output error", "/media/card/DCIM"),
            1,
            "/media/card/DCIM: Input/output error",
        ),
        (OSError(errno.ENOSPC, "No space left on device", "/mnt/out/x"), 7, "/mnt/out/x: No space left"),
    ],
)
def test_a_system_error_is_a_message_naming_the_file_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, error: OSError, status: int, words: str
) -> None:
    import evidence_intake.commands.hash as hash_module

    def failing(*_args: object, **_kwargs: object) -> object:
        raise error

    monkeypatch.setattr(hash_module, "hash_paths", failing)
    (tmp_path / "f").write_bytes(b"x")
    result = CliRunner().invoke(app, ["hash", str(tmp_path / "f")])
    assert result.exit_code == status
    assert f"error: {words}" in result.stderr and "what to do:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_read_error_that_names_no_file_is_reported_with_the_file_being_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """EIO from read() carries no file name (`hash /proc/self/mem`, a failing card): the message names it."""
    import io

    import evidence_intake.acquisition.hashing as hashing

    class FailingRead(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: object) -> int:
            raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(hashing, "open", lambda *_args, **_kwargs: FailingRead(), raising=False)
    (tmp_path / "card.dd").write_bytes(b"x")
    result = CliRunner().invoke(app, ["hash", str(tmp_path / "card.dd")])
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'card.dd'}: Input/output error" in result.stderr
    assert "what to do: the device holding it returned a read error" in result.stderr
    assert "no file named" not in result.stderr and "Traceback" not in result.stderr


def test_a_system_error_without_a_file_says_so_plainly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import evidence_intake.commands.hash as hash_module

    def failing(*_args: object, **_kwargs: object) -> object:
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(hash_module, "hash_paths", failing)
    (tmp_path / "f").write_bytes(b"x")
    result = CliRunner().invoke(app, ["hash", str(tmp_path / "f")])
    assert result.exit_code == 1
    assert "error: Permission denied (the system did not say on which file)" in result.stderr


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    """`evidence-intake hash DIR | head -1`: a closed pipe is not an error to report."""
    import subprocess
    import sys

    for i in range(3000):
        (tmp_path / f"f{i:04d}.txt").write_text(str(i))
    process = subprocess.Popen(
        [sys.executable, "-m", "evidence_intake", "hash", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # as head does after its line
    err = process.stderr.read().decode()
    process.wait(timeout=60)
    assert first.endswith(b"f0000.txt\n")
    assert "error:" not in err and "Traceback" not in err
