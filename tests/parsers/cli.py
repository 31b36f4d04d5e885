"""Running the extraction commands in-process, against a stand-in case.

The whole CLI (evidence_intake.cli) needs the chain-of-custody ledger, merged separately; until it
is importable, the commands under test are mounted on a small app with the same error handling
(an IntakeError becomes its message and its exit status).
"""

from __future__ import annotations

import sys
import types
from typing import Any

import click
import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from evidence_intake.errors import IntakeError
from tests.parsers.fakecase import FakeCase


class _Group(TyperGroup):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IntakeError as exc:
            click.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"  what to do: {exc.hint}", err=True)
            raise typer.Exit(exc.exit_code) from exc


def cli_app() -> typer.Typer:
    try:
        from evidence_intake.cli import app
    except ImportError:
        from evidence_intake.commands import artefacts, extract, parsers

        app = typer.Typer(cls=_Group, no_args_is_help=True, pretty_exceptions_enable=False)
        for module in (extract, artefacts, parsers):
            module.register(app)
    return app


def use_case(monkeypatch: pytest.MonkeyPatch, case: FakeCase) -> None:
    """Make ``Case.locate`` (imported by the commands when they run) return ``case``."""

    class Case:
        @staticmethod
        def locate(explicit: Any = None, *, reading: bool = False) -> FakeCase:
            return case

    fake = types.ModuleType("evidence_intake.case")
    fake.Case = Case  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "evidence_intake.case", fake)
    import evidence_intake.register as register

    monkeypatch.setattr(register, "exhibit_ids", lambda _case: sorted(case.exhibits))


def invoke(*args: str, expect: int = 0) -> Any:
    result = CliRunner().invoke(cli_app(), list(args))
    assert result.exit_code == expect, (
        f"exit {result.exit_code} != "
        f"{expect}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}\n{result.exception!r}"
    )
    return result
