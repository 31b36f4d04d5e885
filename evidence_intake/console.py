"""Where output goes: data on stdout, everything else (logs, progress, errors) on one stderr console."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from evidence_intake.progress import Progress as ProgressSink

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from rich.text import Text

# Rich is loaded only to draw on a terminal (or where FORCE_COLOR / TTY_COMPATIBLE ask for its
# styling). Output to a pipe, a file or a test runner is the same text written directly, so scripts
# and batch jobs do not pay for a terminal library at every start (about 35 ms); rich.progress and
# rich.table are imported only where a bar or a table is drawn.


def _styled(stream: IO[str]) -> bool:
    """Whether output on ``stream`` goes through Rich (styles, bars): a terminal, or forced by env."""
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: plain text
        return False


@cache
def _err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def __getattr__(name: str) -> Any:
    if name == "err":  # the stderr console, created on first use
        return _err()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Text from evidence (chat messages, file names, app fields) is shown as it is: never read as Rich
# markup ("[link=…]", "[/]" would restyle it, hide it or stop the command) and never passed to the
# terminal as control sequences (ESC, OSC 8 links, cursor moves). Control characters other than tab
# and line feed are shown as their Unicode control pictures (U+001B as ␛, DEL as ␡).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"


def literal(value: Any) -> str:
    """``value`` as text safe for a terminal: control characters shown as pictures."""
    return _CONTROLS.sub(_picture, "" if value is None else str(value))


def plain(value: Any) -> Text:
    """``value`` as literal Rich text: no markup, no control sequences."""
    from rich.text import Text

    return Text(literal(value))


def _line(label: str, style: str, message: Any) -> Text:
    from rich.text import Text

    return Text.assemble((label, style), " ", plain(message))


def _note(label: str, style: str, message: Any, indent: str = "") -> None:
    """One labelled line on stderr: styled on a terminal, plain text anywhere else."""
    stream = sys.stderr
    if not _styled(stream):
        stream.write(f"{indent}{label} {literal(message)}\n" if label else f"{indent}{literal(message)}\n")
        stream.flush()
        return
    from rich.text import Text

    text = _line(label, style, message) if label else plain(message)
    _err().print(Text(indent) + text if indent else text)


def out() -> Console:
    """A console on the current stdout (looked up each time so that test runners can capture it)."""
    from rich.console import Console

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

    Drawn as text rather than as a rich table: it is what every command prints on success.
    """
    items = [(literal(k), "" if v is None else str(v)) for k, v in pairs]
    width = max((len(k) for k, _ in items), default=0)
    lines = [
        (key.ljust(width), literal(value.replace("\n", "\n" + " " * (width + 1)))) for key, value in items
    ]
    stream = sys.stdout
    if not _styled(stream):
        stream.write((f"{title}\n" if title else "") + "".join(f"{k} {v}".rstrip() + "\n" for k, v in lines))
        stream.flush()
        return
    from rich.text import Text

    text = Text()
    if title:
        text.append(title + "\n", style="italic")
    for key, value in lines:
        text.append(key, style="bold")
        text.append(" " + value + "\n")
    text.rstrip()
    out().print(text)


def info(message: str) -> None:
    _note("", "", message)


def warn(message: str) -> None:
    _note("warning:", "yellow", message)


def passed(message: str) -> None:
    """A check that passed, on stderr: "✓ message"."""
    _note("✓", "green", message)


def problem(message: str) -> None:
    """A failed check, on stderr: "✗ message"."""
    _note("✗", "red", message)


def error(message: str, hint: str | None = None) -> None:
    """An error and what to do about it, on stderr."""
    _note("error:", "bold red", message)
    if hint:
        _note("what to do:", "dim", hint, indent="  ")


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


def _bars_drawn() -> bool:
    """Whether progress bars are drawn: stderr is a terminal (or FORCE_COLOR says to draw as on one)."""
    return _styled(sys.stderr) and _err().is_terminal


@contextmanager
def progress(*, transfer: bool = False, transient: bool = False) -> Iterator[Progress]:
    """A progress display on stderr: bytes, rate and time left for transfers, n of m for counts.

    When stderr is not a terminal (a script, a batch job, a log file) there is nothing to draw, and
    rich.progress (about 10 ms at start-up) is not imported at all. A ``transient`` display is
    erased when it ends. While a display is shown, rich prints what is written to sys.stdout above
    it, on stderr: write data on stdout only after the display has ended.
    """
    if not _bars_drawn():
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
    with Progress(*columns, console=_err(), transient=transient) as p:
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


# A file smaller than this is hashed in well under a second: no bar is drawn for it (a folder of
# thousands of small files would otherwise flicker a bar per file).
FILE_BAR_FROM = 64 << 20


class FileBars(ProgressSink):
    """Engine progress for work done file after file (hashing), each phase one file of ``total`` bytes.

    The file being read gets a bar on stderr that is erased when the next one starts or on ``close``.
    A command that writes each file's result on stdout as soon as it has it calls ``close`` first, so
    that no bar is shown while it writes (see ``progress``). Use it as a context manager.
    """

    def __init__(self) -> None:
        self._shown: ExitStack | None = None
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def phase(self, name: str, total: int | None) -> None:
        self.close()
        if (total is not None and total < FILE_BAR_FROM) or not _bars_drawn():
            return
        from rich.markup import escape

        shown = ExitStack()
        self._bar = shown.enter_context(progress(transfer=True, transient=True))
        self._shown = shown
        self._task = self._bar.add_task(escape(literal(name)), total=total)

    def advance(self, n: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, n)

    def close(self) -> None:
        """Erase the bar shown, if any."""
        shown, self._shown, self._bar, self._task = self._shown, None, None, None
        if shown is not None:
            shown.close()

    def __enter__(self) -> FileBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
