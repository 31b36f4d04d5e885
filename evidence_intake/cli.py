"""The ``evidence-intake`` command: assembles the command groups and turns errors into exit statuses."""

from __future__ import annotations

import errno
import importlib
import sys
from functools import cache
from typing import Any

import typer
from typer.core import TyperGroup

from chain_of_custody.errors import LedgerError
from evidence_intake import __version__
from evidence_intake.console import error
from evidence_intake.errors import InsufficientSpaceError, IntakeError, disk_full, from_ledger_error


def report_error(exc: IntakeError) -> None:
    error(exc.message, exc.hint)


def _report_os_error(exc: OSError) -> int:
    """A system error that no library path turned into an IntakeError: a message naming the file and
    the reason instead of a traceback; a full disk keeps its exit status (7). Returns the status."""
    reason = exc.strerror or str(exc)
    if exc.filename is not None:
        message = f"{exc.filename}: {reason}"
    else:  # the system gave no file name and no caller added one
        message = f"{reason} (the system did not say on which file)"
    problem: IntakeError
    if disk_full(exc):
        problem = InsufficientSpaceError(
            message, hint="free space on that disk, then run the command again; what was recorded is kept"
        )
    elif exc.errno == errno.EIO:
        problem = IntakeError(
            message,
            hint="the device holding it returned a read error (a failing disk or card, or a file that "
            "cannot be read front to back); image a failing device with `evidence-intake acquire`, "
            "which maps unreadable sectors",
        )
    else:
        problem = IntakeError(
            message,
            hint="check the path and its permissions; if they are right, report this with the command line",
        )
    report_error(problem)
    return problem.exit_code


# Command name -> the module in evidence_intake.commands that registers it, in the order `--help`
# lists them. Modules are imported only when their command runs, so that a command pays at start-up
# only for the libraries it uses (the PDF renderer alone takes longer to import than most commands
# take to run).
COMMANDS: dict[str, str] = {
    "case": "case",
    "exhibit": "exhibit",
    "custody": "custody",
    "acquire": "acquire",
    "verify": "acquire",
    "hash": "hash",
    "image": "image",
    "files": "files",
    "export-file": "files",
    "parsers": "parsers",
    "extract": "extract",
    "artefacts": "artefacts",
    "report": "report",
    "export": "export",
    "bundle": "bundle",
}


@cache
def _module_group(module_name: str) -> Any:
    module = importlib.import_module(f"evidence_intake.commands.{module_name}")
    holder = typer.Typer(rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]})
    module.register(holder)
    return typer.main.get_group(holder)


class IntakeGroup(TyperGroup):
    """Root group: an IntakeError anywhere below becomes its message on stderr and its exit status."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        module_name = COMMANDS.get(cmd_name)
        return None if module_name is None else _module_group(module_name).get_command(ctx, cmd_name)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except IntakeError as exc:
            report_error(exc)
            raise typer.Exit(exc.exit_code) from exc
        except LedgerError as exc:  # the chain_of_custody library's own errors, never a traceback
            problem = from_ledger_error(exc)
            report_error(problem)
            raise typer.Exit(problem.exit_code) from exc
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # the reader of stdout went away (`| head`): Click ends quietly, as before
            raise typer.Exit(_report_os_error(exc)) from exc
        except KeyboardInterrupt:
            error("interrupted")
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=IntakeGroup,
    name="evidence-intake",
    help=(
        "Evidence intake for seized phones and computers: register exhibits, image and hash them, "
        "extract chats, wallets and contacts, and keep a tamper-evident chain of custody.\n\n"
        "Example: evidence-intake case init ./CASE-001 --case-number 'TCSD 123/2568' "
        "--title 'Operation Dawn' --examiner 'Pol.Lt. Somchai'"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"evidence-intake {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Evidence intake with a tamper-evident chain of custody."""


def main() -> None:
    app()
