"""``livionkey-async bulk WHAT FILE``: a bulk job from a CSV or JSON-lines file.

Every kind of job (``contracts``) reads its file the same way (every row checked before anything
is sent), runs with the same progress bar, journal and Ctrl-C handling, and ends with the same
summary, ``--report`` lines and exit status: 0 when every item succeeded, 1 otherwise, 130 when
interrupted (the summary still accounts for every row).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs

from ._bulk import BulkReport, ProgressHook
from ._cli_ops import INTERRUPTED, add_connection_arguments, run_with_client
from ._cli_output import bulk_progress, changed_count, error_name, print_report, refused_login
from ._client import LivionKeyClient
from ._errors import LoginError, SpecChangedError
from ._fanout import ItemResult
from ._models import NewContract
from ._spec_files import COLUMNS, read_spec_file

__all__ = ["COMMAND", "run_bulk"]

S = TypeVar("S")

Start = Callable[
    [LivionKeyClient, Sequence[S], argparse.Namespace, ProgressHook, BulkReport[S, Any]],
    Awaitable[object],
]


@attrs.frozen
class BulkKind(Generic[S]):
    """What one ``bulk WHAT`` command reads, runs and reports."""

    help: str
    columns: tuple[str, ...]
    read: Callable[[str, Iterable[str]], list[S]]
    start: Start[S]
    # The item's own fields in a --report line, and its name in the failures table.
    names: Callable[[S], dict[str, object]]
    label: Callable[[S], str]


async def _create_contracts(
    client: LivionKeyClient,
    specs: Sequence[NewContract],
    args: argparse.Namespace,
    on_progress: ProgressHook,
    report: BulkReport[NewContract, Any],
) -> object:
    return await client.bulk.create_contracts(
        specs,
        concurrency=args.concurrency,
        journal=args.journal,
        on_progress=on_progress,
        report=report,
    )


KINDS: dict[str, BulkKind[Any]] = {
    "contracts": BulkKind[NewContract](
        help="create every contract of a CSV or JSON-lines file, each exactly once",
        columns=COLUMNS,
        read=read_spec_file,
        start=_create_contracts,
        names=lambda spec: {"contract_id": spec.contract_id},
        label=lambda spec: spec.contract_id,
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_subparsers(dest="what", required=True, metavar="WHAT")
    for name, kind in KINDS.items():
        sub = what.add_parser(name, help=kind.help, description=kind.help)
        add_connection_arguments(sub)
        sub.epilog = f"columns: {', '.join(kind.columns)}\n\n{sub.epilog}"
        sub.add_argument("file", type=Path, help="a .csv file with a header row, or .jsonl")
        sub.add_argument("--concurrency", type=int, default=32, help="items in flight")
        sub.add_argument(
            "--journal", type=Path, help="JSON-lines journal: a rerun skips what succeeded"
        )
        sub.add_argument("--report", type=Path, help="write every item's outcome (JSON lines)")


async def _bulk(client: LivionKeyClient, args: argparse.Namespace) -> int:
    kind = KINDS[args.what]
    try:
        # utf-8-sig: spreadsheets save "CSV UTF-8" with a byte-order mark before the header.
        with args.file.open(encoding="utf-8-sig", newline="") as lines:
            specs = kind.read(args.file.name, lines)
    except UnicodeDecodeError as exc:
        print(
            f"error: {args.file} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            file=sys.stderr,
        )
        return 1
    report: BulkReport[Any, Any]
    report, interrupted = await run_bulk(
        lambda on_progress, report: kind.start(client, specs, args, on_progress, report),
        total=len(specs),
        description=args.what,
        quiet=args.json,
    )
    if args.report is not None:
        write_report(args.report, report, kind.names)
    stats = client.stats
    if args.json:
        print(json.dumps(_summary(report, interrupted, stats.throttled, stats.logins)))
    else:
        extra = {"429s": stats.throttled, "logins": stats.logins}
        print_report(f"bulk {args.what} from {args.file.name}", report, extra, kind.label)
    refused = next((i.error for i in report.failed if isinstance(i.error, LoginError)), None)
    if refused is not None:
        print(refused_login(refused), file=sys.stderr)
    if interrupted:
        return INTERRUPTED
    return 0 if report.ok else 1


async def run_bulk(
    start: Callable[[ProgressHook, BulkReport[S, Any]], Awaitable[object]],
    *,
    total: int,
    description: str,
    quiet: bool = False,
) -> tuple[BulkReport[S, Any], bool]:
    """Run a bulk job under a progress bar; answers its report and whether Ctrl-C stopped it
    (the report then accounts for every item all the same)."""
    report: BulkReport[S, Any] = BulkReport()
    interrupted = False
    with bulk_progress(total, description, enabled=not quiet) as update:
        try:
            await start(update, report)
        except asyncio.CancelledError:
            interrupted = True
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # handled here: the summary is still to be shown
    return report, interrupted


def _summary(
    report: BulkReport[Any, Any], interrupted: bool, throttled: int, logins: int
) -> dict[str, object]:
    """The ``--json`` summary of a bulk job (a stable format: keys are only ever added)."""
    return {
        "succeeded": len(report.succeeded),
        "failed": len(report.failed),
        "changed": changed_count(report),
        "not_attempted": len(report.not_attempted),
        "skipped": sum(1 for item in report.succeeded if item.skipped),
        "reconciled": report.reconciled,
        "interrupted": interrupted,
        "elapsed": round(report.elapsed, 3),
        "throttled": throttled,
        "logins": logins,
    }


def write_report(
    path: Path, report: BulkReport[Any, Any], names: Callable[[Any], dict[str, object]]
) -> None:
    """Every item's outcome, one JSON object per line, in input order. No secrets."""
    items: list[ItemResult[Any, Any]] = [
        *report.succeeded,
        *report.failed,
        *report.not_attempted,
    ]
    with path.open("w", encoding="utf-8") as out:
        for item in sorted(items, key=lambda i: i.index):
            line = {
                "index": item.index,
                **names(item.spec),
                "outcome": item.outcome.value,
                "id": getattr(item.result, "id", None),
                "reconciled": item.reconciled,
                "skipped": item.skipped,
                "error": None if item.error is None else error_name(item.error),
                "message": None if item.error is None else item.error.message,
                "changed_fields": list(getattr(item.error, "fields", ()))
                if isinstance(item.error, SpecChangedError)
                else [],
            }
            out.write(json.dumps(line) + "\n")


COMMAND = (
    "bulk jobs from a CSV or JSON-lines file: contracts",
    add_arguments,
    run_with_client(_bulk),
)
