"""``livionkey-async bulk WHAT FILE``: a bulk job from a CSV or JSON-lines file.

Every kind of job (``contracts``, ``keys``, ``update``, ``cancel``) reads its file the same way
(every row checked before anything is sent; updates and cancels may name contracts by your
``contract_id``, resolved with one account-wide listing), runs with the same progress bar,
journal and Ctrl-C handling, and ends with the same summary, ``--report`` lines and exit status:
0 when every item succeeded, 1 otherwise, 130 when interrupted (the summary still accounts for
every row). Several workers may split one file (``--shard I/N``, each item in exactly one part)
and share a journal in Redis (``--redis URL --shared-journal NAME``).
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
from ._errors import LivionKeyError, LoginError, SpecChangedError, StoreError
from ._fanout import ItemResult, Outcome
from ._job_files import (
    CANCEL_COLUMNS,
    KEY_COLUMNS,
    UPDATE_COLUMNS,
    Target,
    UpdateRow,
    read_cancel_file,
    read_key_file,
    read_update_file,
)
from ._models import Contract, ContractUpdate, NewContract, NewKey
from ._shard import Shard
from ._spec_files import COLUMNS, Problems, read_spec_file

__all__ = ["COMMAND", "run_bulk"]

R = TypeVar("R")  # a row of the file
S = TypeVar("S")  # what the bulk helper takes

Start = Callable[
    [LivionKeyClient, Sequence[S], argparse.Namespace, ProgressHook, BulkReport[S, Any]],
    Awaitable[object],
]


@attrs.frozen
class Prepared(Generic[S]):
    """The items to run, and the rows settled without a request (a contract to cancel that is
    not on the account any more: cancelled already)."""

    specs: list[S]
    gone: list[Target] = attrs.field(factory=list)


@attrs.frozen
class BulkKind(Generic[R, S]):
    """What one ``bulk WHAT`` command reads, runs and reports."""

    help: str
    columns: tuple[str, ...]
    read: Callable[[str, Iterable[str]], list[R]]
    prepare: Callable[[LivionKeyClient, list[R]], Awaitable[Prepared[S]]]
    start: Start[S]
    # The item's own fields in a --report line, and its name in the failures table.
    names: Callable[[S], dict[str, object]]
    label: Callable[[S], str]


async def _as_read(client: LivionKeyClient, rows: list[S]) -> Prepared[S]:
    return Prepared(rows)


def _start(
    helper: Callable[[LivionKeyClient], Callable[..., Awaitable[object]]],
    **extra: Callable[[argparse.Namespace], object],
) -> Start[Any]:
    """Run one of ``client.bulk``'s helpers with the command's options (and ``extra`` ones)."""

    async def start(
        client: LivionKeyClient,
        specs: Sequence[Any],
        args: argparse.Namespace,
        on_progress: ProgressHook,
        report: BulkReport[Any, Any],
    ) -> object:
        return await helper(client)(
            specs,
            concurrency=args.concurrency,
            journal=args.journal_target,
            shard=args.shard,
            on_progress=on_progress,
            report=report,
            **{name: option(args) for name, option in extra.items()},
        )

    return start


class _Account:
    """The account's contracts, listed once, by object id and by your contract_id."""

    def __init__(self, contracts: Iterable[Contract]) -> None:
        self.by_id = {c.id: c for c in contracts if c.id is not None}
        self.by_contract_id = {c.contract_id: c for c in self.by_id.values() if c.contract_id}

    @classmethod
    async def of(cls, client: LivionKeyClient, needed: bool) -> _Account:
        return cls(await client.contracts.list() if needed else ())

    def find(self, target: Target) -> Contract | None:
        if target.id is not None:
            return self.by_id.get(target.id)
        return self.by_contract_id.get(target.contract_id or "")


async def _prepare_updates(
    client: LivionKeyClient, rows: list[UpdateRow]
) -> Prepared[tuple[str, ContractUpdate]]:
    needed = any(row.target.id is None or not row.keys for row in rows)
    account = await _Account.of(client, needed)
    problems = Problems()
    pairs: list[tuple[str, ContractUpdate]] = []
    for row in rows:
        found = account.find(row.target)
        object_id = row.target.id or (found.id if found is not None else None)
        if object_id is None or (not row.keys and found is None):
            problems.add(row.target.line, f"no contract {row.target.label} on the account")
            continue
        try:
            pairs.append((object_id, row.update(found.keys if found is not None else ())))
        except LivionKeyError as exc:
            problems.add(row.target.line, str(exc))
    problems.raise_any()
    return Prepared(pairs)


async def _prepare_cancels(client: LivionKeyClient, targets: list[Target]) -> Prepared[str]:
    account = await _Account.of(client, any(t.id is None for t in targets))
    ids: list[str] = []
    gone: list[Target] = []
    for target in targets:
        found = account.find(target) if target.id is None else None
        object_id = target.id or (found.id if found is not None else None)
        if object_id is None:
            gone.append(target)  # not on the account: cancelled already, as an id gone is
        else:
            ids.append(object_id)
    return Prepared(ids, gone)


def _cancel_names(spec: str | Target) -> dict[str, object]:
    if isinstance(spec, Target):
        return {"id": spec.id, "contract_id": spec.contract_id}
    return {"id": spec}


KINDS: dict[str, BulkKind[Any, Any]] = {
    "contracts": BulkKind[NewContract, NewContract](
        help="create every contract of a CSV or JSON-lines file, each exactly once",
        columns=COLUMNS,
        read=read_spec_file,
        prepare=_as_read,
        start=_start(lambda client: client.bulk.create_contracts),
        names=lambda spec: {"contract_id": spec.contract_id},
        label=lambda spec: spec.contract_id,
    ),
    "keys": BulkKind[NewKey, NewKey](
        help="add every key of a CSV or JSON-lines file to its automat, each exactly once",
        columns=KEY_COLUMNS,
        read=read_key_file,
        prepare=_as_read,
        start=_start(lambda client: client.bulk.create_keys),
        names=lambda spec: {"device_id": spec.device_id, "key_id": spec.key_id},
        label=lambda spec: f"{spec.device_id}/{spec.key_id}",
    ),
    "update": BulkKind[UpdateRow, tuple[str, ContractUpdate]](
        help="change contracts (by id or contract_id) as a CSV or JSON-lines file says",
        columns=UPDATE_COLUMNS,
        read=read_update_file,
        prepare=_prepare_updates,
        start=_start(lambda client: client.bulk.update_contracts),
        names=lambda pair: {"id": pair[0]},
        label=lambda pair: pair[0],
    ),
    "cancel": BulkKind[Target, str](
        help="cancel contracts (by id or contract_id); one already gone counts as cancelled",
        columns=CANCEL_COLUMNS,
        read=read_cancel_file,
        prepare=_prepare_cancels,
        start=_start(
            lambda client: client.bulk.delete_contracts,
            cancellation=lambda args: args.notify,
        ),
        names=_cancel_names,
        label=lambda spec: spec if isinstance(spec, str) else spec.label,
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
        sub.add_argument(
            "--shared-journal",
            metavar="NAME",
            help="a journal in the --redis store, shared by every worker (instead of --journal)",
        )
        sub.add_argument(
            "--shard",
            type=_shard,
            metavar="I/N",
            help="run part I of N (each item in exactly one part, by a hash of its key)",
        )
        sub.add_argument("--report", type=Path, help="write every item's outcome (JSON lines)")
        if name == "cancel":
            sub.add_argument("--notify", action="store_true", help="have Livion notify each person")


def _shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _journal_target(client: LivionKeyClient, args: argparse.Namespace) -> object:
    if args.shared_journal is None:
        return args.journal
    if args.journal is not None:
        raise SystemExit("error: --journal and --shared-journal exclude each other")
    if client.store is None:
        raise SystemExit("error: --shared-journal needs --redis URL (or LIVIONKEY_REDIS_URL)")
    return client.store.journal(args.shared_journal)


async def _bulk(client: LivionKeyClient, args: argparse.Namespace) -> int:
    kind = KINDS[args.what]
    args.journal_target = _journal_target(client, args)
    try:
        # utf-8-sig: spreadsheets save "CSV UTF-8" with a byte-order mark before the header.
        with args.file.open(encoding="utf-8-sig", newline="") as lines:
            rows = kind.read(args.file.name, lines)
    except UnicodeDecodeError as exc:
        print(
            f"error: {args.file} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            file=sys.stderr,
        )
        return 1
    prepared = await kind.prepare(client, rows)
    if args.shard is not None:  # the helper splits the items; the rows settled here split alike
        prepared = Prepared(
            prepared.specs, [target for target in prepared.gone if args.shard.owns(target.label)]
        )
    report: BulkReport[Any, Any]
    journal_failed: StoreError | None = None
    try:
        report, interrupted = await run_bulk(
            lambda on_progress, report: kind.start(
                client, prepared.specs, args, on_progress, report
            ),
            total=len(prepared.specs) if args.shard is None else None,  # the job's progress says
            description=args.what,
            quiet=args.json,
        )
    except StoreError as failed:  # the shared journal missed lines: the outcomes still stand
        if failed.report is None:
            raise
        journal_failed, report, interrupted = failed, failed.report, False
    for offset, target in enumerate(prepared.gone):  # settled by the listing: reconciled
        index = len(prepared.specs) + offset
        report.add(ItemResult(index, target, Outcome.SUCCEEDED, reconciled=True))
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
    if journal_failed is not None:
        print(f"error: {error_name(journal_failed)}: {journal_failed}", file=sys.stderr)
        return 1
    if interrupted:
        return INTERRUPTED
    return 0 if report.ok else 1


async def run_bulk(
    start: Callable[[ProgressHook, BulkReport[S, Any]], Awaitable[object]],
    *,
    total: int | None,
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
            line: dict[str, object] = {"index": item.index, **names(item.spec)}
            line.setdefault("id", getattr(item.result, "id", None))
            line |= {
                "outcome": item.outcome.value,
                "reconciled": item.reconciled,
                "skipped": item.skipped,
                "error": None if item.error is None else error_name(item.error),
                "message": None if item.error is None else item.error.message,
                "changed_fields": (
                    list(item.error.fields) if isinstance(item.error, SpecChangedError) else []
                ),
            }
            out.write(json.dumps(line) + "\n")


COMMAND = (
    "bulk jobs from a CSV or JSON-lines file: contracts, keys, update, cancel",
    add_arguments,
    run_with_client(_bulk),
)
