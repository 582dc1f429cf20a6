"""Progress of ``gencode index`` on stderr: a bar on a terminal, a few lines elsewhere.

On a terminal, click's bar redraws one line in place. Without one (CI, a log file, a pipe)
every redraw becomes a line of its own, and the demo printed about 700 of them. There, as
pip and tqdm do, a line goes out only when another tenth of the files is done or
:data:`INTERVAL` seconds have passed since the last one: at most ten lines plus one per
interval, however many functions a file holds. The closing summary is the caller's and is
always printed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

import click

INTERVAL = 5.0
"""Seconds between two progress lines when stderr is not a terminal (unless a tenth passed)."""


class IndexProgress(Protocol):
    """What ``gencode index`` reports while it works."""

    def file_done(self, display: str) -> None:
        """One more file is indexed (or failed, or was skipped)."""

    def inside_file(self, path: str, stage: str, done: int, total: int) -> None:
        """Work inside one file: ``stage`` (summarize, embed) ``done`` of ``total``."""


class _Bar:
    """click's bar, redrawn in place: only for a terminal."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def file_done(self, display: str) -> None:
        self.bar.update(1, display)

    def inside_file(self, path: str, stage: str, done: int, total: int) -> None:
        # Model summaries of a big file take a while: show how far into it we are.
        self.bar.label = (
            f"indexing ({stage} {done}/{total} in {path})" if done < total else "indexing"
        )
        self.bar.render_progress()


class LineProgress:
    """Throttled progress lines, for a stderr that is a file or a pipe."""

    def __init__(
        self,
        total: int,
        *,
        out: TextIO,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.out = out
        self.interval = interval
        self.clock = clock
        self.files = 0
        self.started = self.last = clock()
        self.tenth = 0
        self.inside = ""
        click.echo(f"indexing {total} file{'' if total == 1 else 's'}", file=out)

    def file_done(self, display: str) -> None:
        self.files += 1
        self.inside = ""
        tenth = 10 * self.files // self.total if self.total else 10
        if tenth > self.tenth:
            self.tenth = tenth
            self._line()
        else:
            self._maybe()

    def inside_file(self, path: str, stage: str, done: int, total: int) -> None:
        self.inside = f", {stage} {done}/{total} in {path}" if done < total else ""
        self._maybe()

    def _maybe(self) -> None:
        if self.clock() - self.last >= self.interval:
            self._line()

    def _line(self) -> None:
        self.last = self.clock()
        share = f" ({100 * self.files // self.total}%)" if self.total else ""
        click.echo(
            f"indexing: {self.files}/{self.total} files{share}{self.inside}, "
            f"{self.last - self.started:.0f} s",
            file=self.out,
        )


@contextmanager
def index_progress(total: int, *, out: TextIO) -> Iterator[IndexProgress]:
    """A bar when ``out`` is a terminal, throttled lines otherwise."""
    if not out.isatty():
        yield LineProgress(total, out=out)
        return

    def shown(display: str | None) -> str | None:
        return display

    with click.progressbar(
        iterable=None,
        length=total,
        label="indexing",
        file=out,
        show_pos=True,
        item_show_func=shown,
    ) as bar:
        yield _Bar(bar)
