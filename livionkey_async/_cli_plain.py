"""The command line's output without rich (installed without the ``cli`` extra): plain text.

Tables become aligned columns, the progress bar one line on stderr (rewritten in place on a
terminal, printed once at the end otherwise), and rich markup is printed as its text.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ._bulk import BulkProgress

__all__ = ["PlainConsole", "escape", "print_table", "progress", "progress_extra"]

# rich markup tags (`[bold]`, `[/yellow]`, `[bold green]`), not escaped ones (`\[`); what
# rich's own `escape` escapes.
_TAG = re.compile(r"(?<!\\)\[/?[a-z#@][^\[\]]*\]")
_TAG_LIKE = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")
# A terminal's line is rewritten at most this often.
_REDRAW = 0.5


def escape(text: str) -> str:
    """What ``rich.markup.escape`` does: a backslash before each tag-like ``[``."""
    return _TAG_LIKE.sub(lambda m: f"{m.group(1)}{m.group(1)}\\{m.group(2)}", text)


class PlainConsole:
    """Enough of rich's ``Console`` for our commands: ``print`` of markup, as plain text."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr

    @property
    def file(self) -> TextIO:
        return sys.stderr if self._stderr else sys.stdout

    def print(self, *objects: Any, **_: Any) -> None:
        text = " ".join(str(o) for o in objects)
        print(_TAG.sub("", text).replace("\\[", "["), file=self.file)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Aligned columns under a title, two spaces apart."""
    widths = [len(column) for column in columns]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    if title:
        print(title)
    print(line(columns))
    print(line(["-" * width for width in widths]))
    for row in rows:
        print(line(row))


def progress_extra(state: BulkProgress) -> str:
    """What a progress line adds when there is something to say: not attempted, skipped."""
    extra = ""
    if state.not_attempted:
        extra += f" {state.not_attempted} not attempted"
    if state.skipped:
        extra += f" {state.skipped} skipped"
    return extra


@contextmanager
def progress(total: int | None, description: str) -> Iterator[Callable[[BulkProgress], None]]:
    """One progress line on stderr: rewritten on a terminal, else printed once at the end."""
    terminal = sys.stderr.isatty()
    last: list[str] = []
    drawn = [0.0]

    def update(state: BulkProgress) -> None:
        whole = total if state.total is None else state.total  # a shard's part, say
        of = "?" if whole is None else str(whole)
        text = (
            f"{description} {state.done - state.not_attempted}/{of} {state.failed} failed"
            f"{progress_extra(state)} {state.rate:.1f}/s"
        )
        last[:] = [text]
        now = time.monotonic()
        if terminal and now - drawn[0] >= _REDRAW:
            drawn[0] = now
            print(f"\r{text}", end="", file=sys.stderr, flush=True)

    try:
        yield update
    finally:
        if last:
            print(f"\r{last[0]}" if terminal else last[0], file=sys.stderr, flush=True)
        elif terminal:
            print(file=sys.stderr)
