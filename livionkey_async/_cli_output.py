"""How the command line shows things: tables and a progress bar, or JSON with ``--json``.

Kept apart from the commands so each command only decides *what* to show. Tables and the
progress bar use rich when the ``cli`` extra is installed and plain text otherwise
(``_cli_plain``), so the command line works either way. ``--json`` prints our own field names
(snake_case, as the Python models name them), times as ISO 8601 in UTC, secrets left out: a
stable format. Pincodes are shown only where the operator asked for that contract's pincode.
"""

from __future__ import annotations

import enum
import json
import os
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

import attrs

from . import _cli_plain
from ._bulk import BulkProgress, BulkReport
from ._errors import LoginError, SpecChangedError

__all__ = [
    "bulk_progress",
    "changed_count",
    "error_name",
    "escape",
    "have_rich",
    "plain_data",
    "print_json",
    "print_report",
    "print_table",
    "readable",
    "refused_login",
    "rich_console",
    "say",
    "silence_stdout",
]

# Our names of the secrets a listing must not print (``contract pincode`` shows the one asked
# for, ``contract create`` the one made).
SECRET_FIELDS = frozenset({"pincode", "key_code", "backup_codes"})


def have_rich() -> bool:
    """Whether rich (the ``cli`` extra) can be imported."""
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def rich_console(stderr: bool = False) -> Any:
    """A rich ``Console``, or a plain one that prints the text of rich markup without it."""
    if not have_rich():
        return _cli_plain.PlainConsole(stderr=stderr)
    from rich.console import Console

    return Console(stderr=stderr)


def escape(text: str) -> str:
    """``text`` made safe to embed in the markup ``rich_console().print`` reads."""
    if not have_rich():
        return _cli_plain.escape(text)
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def say(text: str = "") -> None:
    """Print a line to stdout; once stdout is closed (``sim | head``), say nothing more."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        silence_stdout()


def silence_stdout() -> None:
    """The reader of stdout went away: send what is left to /dev/null, so neither this nor the
    interpreter's final flush raises again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def error_name(error: object) -> str:
    """The error's nearest public class name (``TransportError``, not a private ``_NotSent``)."""
    for cls in type(error).__mro__:
        if not cls.__name__.startswith("_"):
            return cls.__name__
    return type(error).__name__  # pragma: no cover - object itself is public


def refused_login(error: LoginError) -> str:
    """The one line that says the credentials were refused, and where they came from."""
    return (
        f"error: the credentials were refused ({error_name(error)}: {error}); check "
        "LIVIONKEY_EMAIL and LIVIONKEY_PASSWORD (or --email / --password)"
    )


# -- our JSON ----------------------------------------------------------------------------------


def plain_data(
    value: object, *, keep_secrets: bool = False, secrets: Collection[str] = SECRET_FIELDS
) -> Any:
    """Models (and lists, tuples, dicts of them) as JSON data in our own field names, the
    ``secrets`` fields left out (another API's secret fields: API v2's)."""
    return _plain(value, () if keep_secrets else secrets)


def _plain(value: object, secrets: Collection[str]) -> Any:
    if attrs.has(type(value)):
        fields = attrs.asdict(cast(attrs.AttrsInstance, value), recurse=False)
        return _plain(fields, secrets)
    if isinstance(value, datetime):
        spec = "milliseconds" if value.microsecond else "seconds"
        return value.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v, secrets) for k, v in value.items() if k not in secrets}
    if isinstance(value, frozenset | set):
        return sorted(_plain(item, secrets) for item in value)
    if isinstance(value, list | tuple):
        return [_plain(item, secrets) for item in value]
    return value


def print_json(
    value: object, *, keep_secrets: bool = False, secrets: Collection[str] = SECRET_FIELDS
) -> None:
    """``value`` as indented JSON on stdout, in our field names (``plain_data``)."""
    print(json.dumps(plain_data(value, keep_secrets=keep_secrets, secrets=secrets), indent=2))


def readable(value: object) -> str:
    """One table cell: our JSON data (``plain_data``) as an operator reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(readable(item) for item in value)
    if isinstance(value, dict):
        if set(value) == {"device_id", "key_id"}:  # a KeyRef
            return f"{value['device_id']}/{value['key_id']}"
        parts = [f"{k}: {readable(v)}" for k, v in value.items() if v not in (None, [], {})]
        return "; ".join(parts)
    return str(value)


# -- tables and progress -----------------------------------------------------------------------


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    whole: Collection[str] = (),
) -> None:
    """A table on stdout. Cells are shown with ``readable``. In the ``whole`` columns a value
    without spaces (an id an operator copies into the next command) is never cut or broken,
    however narrow the terminal; prose still wraps."""
    cells = [[c if isinstance(c, str) else readable(plain_data(c)) for c in row] for row in rows]
    if not have_rich():
        _cli_plain.print_table(title, columns, cells)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title or None)
    for index, column in enumerate(columns):
        if column in whole:
            words = [len(row[index]) for row in cells if " " not in row[index]]
            table.add_column(column, min_width=max([len(column), *words]), overflow="fold")
        else:
            table.add_column(column, overflow="fold")
    for row in cells:
        table.add_row(*(Text(cell) for cell in row))  # data, never markup
    rich_console().print(table)


Update = Callable[[BulkProgress], None]


@contextmanager
def bulk_progress(total: int | None, description: str, *, enabled: bool = True) -> Iterator[Update]:
    """A progress bar on stderr fed by a bulk job's ``on_progress`` hook: the items attempted
    of the total, failed, not attempted and skipped (when any), the rate of items worked on.

    Disabled (``--json``), it shows nothing at all.
    """
    if not enabled:
        yield lambda _: None
    elif not have_rich():
        with _cli_plain.progress(total, description) as update:
            yield update
    else:
        with _rich_progress(total, description) as update:
            yield update


@contextmanager
def _rich_progress(total: int | None, description: str) -> Iterator[Update]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed{task.fields[extra]}"),
        TextColumn("{task.fields[rate]:>7.1f}/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=rich_console(stderr=True),
        transient=False,
    )
    task = progress.add_task(description, total=total, failed=0, extra="", rate=0.0)

    def update(state: BulkProgress) -> None:
        progress.update(
            task,
            total=total if state.total is None else state.total,  # a shard's part, say
            completed=state.done - state.not_attempted,
            failed=state.failed,
            extra=_cli_plain.progress_extra(state),
            rate=state.rate,
        )

    with progress:
        yield update


def changed_count(report: BulkReport[Any, Any]) -> int:
    """Items a journal rerun found done before with a different spec."""
    return sum(1 for item in report.failed if isinstance(item.error, SpecChangedError))


def print_report(
    title: str,
    report: BulkReport[Any, Any],
    extra: Mapping[str, object],
    label: Callable[[Any], str],
) -> None:
    """The summary table of a bulk job, then the first failures with their reasons."""
    rows: list[tuple[str, object]] = [
        ("succeeded", len(report.succeeded)),
        ("  of which reconciled", report.reconciled),
        ("  of which skipped (journal)", sum(1 for r in report.succeeded if r.skipped)),
        ("failed", len(report.failed)),
        ("  of which changed since the journal", changed_count(report)),
        ("not attempted", len(report.not_attempted)),
        ("elapsed", f"{report.elapsed:.2f}s"),
        *extra.items(),
    ]
    print_table(title, ("", "value"), [(name, str(value)) for name, value in rows])
    # A refused login is said once, by the caller, not once per item.
    failed = [item for item in report.failed if not isinstance(item.error, LoginError)]
    if failed:
        failures = [
            (str(item.index), label(item.spec), error_name(item.error), str(item.error))
            for item in failed[:10]
        ]
        print_table("first failures", ("item", "spec", "error", "message"), failures)
