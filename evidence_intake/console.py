"""Where output goes: data on stdout, everything else (logs, progress, errors) on one stderr console."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from evidence_intake.progress import Progress as ProgressSink

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

# rich.progress and rich.table are imported where a bar or a table is drawn (about 20 ms at every
# start otherwise, for commands that print neither).

err = Console(stderr=True, highlight=False, soft_wrap=True)

# Text from evidence (chat messages, file names, app fields) is shown as it is: never read as Rich
# markup ("[link=…]", "[/]" would restyle it, hide it or stop the command) and never passed to the
# terminal as control sequences (ESC, OSC 8 links, cursor moves). Control characters other than tab
# and line feed are shown as their Unicode control pictures (U+001B as ␛, DEL as ␡).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"


def plain(value: Any) -> Text:
    """``value`` as literal text for the terminal: no markup, no control sequences."""
    return Text(_CONTROLS.sub(_picture, "" if value is None else str(value)))


def _line(label: str, style: str, message: Any) -> Text:
    return Text.assemble((label, style), " ", plain(message))


def out() -> Console:
    """A console on the current stdout (looked up each time so that test runners can capture it)."""
    console = Console(file=sys.stdout, highlight=False, soft_wrap=False)
    if not console.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
        console = Console(file=sys.stdout, highlight=False, soft_wrap=False, width=200)
    return console


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset):
        return sorted(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


def print_json(data: Any) -> None:
    """Machine-readable output: plain JSON on stdout, never colour or wrapping."""
    sys.stdout.write(dumps(data) + "\n")
    sys.stdout.flush()


def print_jsonl(rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
    sys.stdout.flush()


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A readable table on stdout; None shows as an empty cell."""
    from rich.table import Table

    t = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    for row in rows:
        t.add_row(*(plain(v) for v in row))
    out().print(t)


def key_values(title: str | None, pairs: Iterable[tuple[str, Any]]) -> None:
    """Labelled values on stdout, one per line, values aligned; a value's further lines indented.

    Drawn as text rather than as a rich table: it is what every command prints on success, and
    rich.table costs about 12 ms to import.
    """
    items = [(str(k), "" if v is None else str(v)) for k, v in pairs]
    width = max((len(k) for k, _ in items), default=0)
    text = Text()
    if title:
        text.append(title, style="italic")
        text.append("\n")
    for key, value in items:
        text.append(key.ljust(width), style="bold")
        text.append(" ")
        text.append_text(plain(value.replace("\n", "\n" + " " * (width + 1))))
        text.append("\n")
    text.rstrip()
    out().print(text)


def info(message: str) -> None:
    err.print(plain(message))


def warn(message: str) -> None:
    err.print(_line("warning:", "yellow", message))


def problem(message: str) -> None:
    """A failed check, on stderr: "✗ message"."""
    err.print(_line("✗", "red", message))


def error(message: str, hint: str | None = None) -> None:
    """An error and what to do about it, on stderr."""
    err.print(_line("error:", "bold red", message))
    if hint:
        err.print(Text("  ") + _line("what to do:", "dim", hint))


class _NoBar:
    """What ``progress`` yields when stderr is not a terminal: the calls the commands make, doing nothing."""

    def add_task(self, description: str, total: float | None = None, **fields: Any) -> int:
        return 0

    def update(self, task: int, **fields: Any) -> None:
        pass

    def advance(self, task: int, advance: float = 1) -> None:
        pass

    def stop_task(self, task: int) -> None:
        pass


@contextmanager
def progress(*, transfer: bool = False) -> Iterator[Progress]:
    """A progress display on stderr: bytes, rate and time left for transfers, n of m for counts.

    When stderr is not a terminal (a script, a batch job, a log file) there is nothing to draw, and
    rich.progress (about 10 ms at start-up) is not imported at all.
    """
    if not err.is_terminal:
        yield _NoBar()  # type: ignore[misc]
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns: list[Any] = [TextColumn("[progress.description]{task.description}"), BarColumn()]
    if transfer:
        columns += [DownloadColumn(binary_units=True), TransferSpeedColumn(), TimeRemainingColumn()]
    else:
        columns += [MofNCompleteColumn(), TaskProgressColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=False) as p:
        yield p


class BarProgress(ProgressSink):
    """Engine progress drawn as rich bars on stderr, one bar per phase."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def phase(self, name: str, total: int | None) -> None:
        if self.task is not None:
            self.bar.stop_task(self.task)
        self.task = self.bar.add_task(name, total=total)

    def advance(self, n: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, n)
