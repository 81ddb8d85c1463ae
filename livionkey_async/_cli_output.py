"""How the command line shows things: rich tables and progress bars, or JSON with ``--json``.

Kept apart from the commands so each command only decides *what* to show. Secrets (pincodes)
are shown only where the operator asked for that contract's pincode.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ._bulk import BulkProgress, BulkReport
from ._convert import unstructure
from ._errors import LoginError, SpecChangedError

__all__ = [
    "bulk_progress",
    "changed_count",
    "error_name",
    "print_json",
    "print_report",
    "print_table",
    "refused_login",
    "rich_console",
]


def rich_console(stderr: bool = False) -> Any:
    """A rich ``Console``, or a clear message when the ``cli`` extra is not installed."""
    try:
        from rich.console import Console
    except ImportError:  # pragma: no cover - depends on the environment
        sys.exit("the command line needs rich: pip install 'livionkey-async[cli]'")
    return Console(stderr=stderr)


def refused_login(error: LoginError) -> str:
    """The one line that says the credentials were refused, and where they came from."""
    return (
        f"error: the credentials were refused ({error_name(error)}: {error}); check "
        "LIVIONKEY_EMAIL and LIVIONKEY_PASSWORD (or --email / --password)"
    )


def error_name(error: object) -> str:
    """The error's nearest public class name (``TransportError``, not a private ``_NotSent``)."""
    for cls in type(error).__mro__:
        if not cls.__name__.startswith("_"):
            return cls.__name__
    return type(error).__name__  # pragma: no cover - object itself is public


# Wire names of secrets a listing must not print (``contract pincode`` shows the one asked for).
SECRET_FIELDS = frozenset({"pincode", "keyCode", "backupCodes"})


def print_json(value: object) -> None:
    """Models, lists of models or plain data, as indented JSON on stdout, secrets left out."""
    print(json.dumps(_without_secrets(unstructure(value)), indent=2, default=str))


def _without_secrets(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_secrets(v) for k, v in data.items() if k not in SECRET_FIELDS}
    if isinstance(data, list):
        return [_without_secrets(item) for item in data]
    return data


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    rich_console().print(table)


@contextmanager
def bulk_progress(total: int | None, description: str) -> Iterator[Any]:
    """A progress bar (done, failed, rate, ETA) fed by a bulk job's ``on_progress`` hook."""
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
        TextColumn("[red]{task.fields[failed]} failed"),
        TextColumn("{task.fields[rate]:>7.1f}/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=rich_console(stderr=True),
        transient=False,
    )
    task = progress.add_task(description, total=total, failed=0, rate=0.0)

    def update(state: BulkProgress) -> None:
        progress.update(task, completed=state.done, failed=state.failed, rate=state.rate)

    with progress:
        yield update


def print_report(title: str, report: BulkReport[Any, Any], extra: dict[str, object]) -> None:
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
    print_table(title, ("", "value"), rows)
    # A refused login is said once, by the caller, not once per item.
    failed = [item for item in report.failed if not isinstance(item.error, LoginError)]
    if failed:
        failures = [
            (item.index, _label(item.spec), error_name(item.error), str(item.error))
            for item in failed[:10]
        ]
        print_table("first failures", ("item", "spec", "error", "message"), failures)


def changed_count(report: BulkReport[Any, Any]) -> int:
    """Items a journal rerun found done before with a different spec."""
    return sum(1 for item in report.failed if isinstance(item.error, SpecChangedError))


def _label(spec: object) -> str:
    for name in ("contract_id", "key_id"):
        value = getattr(spec, name, None)
        if isinstance(value, str):
            return value
    return str(spec)[:40]
