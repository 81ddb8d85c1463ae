"""The operator commands: devices, keys, contracts, one contract, and bulk provisioning.

Credentials come from ``--email``/``--password`` or the ``LIVIONKEY_EMAIL``/``LIVIONKEY_PASSWORD``
environment variables (or a prompt): examples never put the password on the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ._assumptions import DEFAULT_BASE_URL
from ._bulk import BulkReport
from ._cli_output import (
    bulk_progress,
    changed_count,
    error_name,
    print_json,
    print_report,
    print_table,
    refused_login,
)
from ._client import LivionKeyClient
from ._errors import LivionKeyError, LoginError
from ._fanout import ItemResult
from ._models import Contact, CreatedContract, KeyRef, NewContract
from ._spec_files import COLUMNS, parse_instant, read_spec_file

__all__ = ["COMMANDS"]


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--base-url", default=os.environ.get("LIVIONKEY_BASE_URL", DEFAULT_BASE_URL))
    group.add_argument("--email", default=os.environ.get("LIVIONKEY_EMAIL"))
    group.add_argument(
        "--password",
        default=None,
        help="prefer the LIVIONKEY_PASSWORD environment variable: a command line is visible",
    )
    group.add_argument("--rate-limit", type=float, default=None, help="requests/second ceiling")
    group.add_argument("--max-connections", type=int, default=16)
    group.add_argument("--json", action="store_true", help="print JSON instead of tables")


def _client(args: argparse.Namespace) -> LivionKeyClient:
    email = args.email or os.environ.get("LIVIONKEY_EMAIL")
    password = args.password or os.environ.get("LIVIONKEY_PASSWORD")
    if not email:
        raise SystemExit("no email: pass --email or set LIVIONKEY_EMAIL")
    if not password:
        if not sys.stdin.isatty():
            raise SystemExit("no password: set LIVIONKEY_PASSWORD")
        password = getpass.getpass(f"LivionKey password for {email}: ")
    return LivionKeyClient(
        email,
        password,
        base_url=args.base_url,
        rate_limit=args.rate_limit,
        max_connections=args.max_connections,
    )


def _run(
    job: Callable[[LivionKeyClient, argparse.Namespace], Awaitable[int]],
) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        async def main() -> int:
            async with _client(args) as client:
                return await job(client, args)

        try:
            return asyncio.run(main())
        except LoginError as exc:
            print(refused_login(exc), file=sys.stderr)
            return 1
        except LivionKeyError as exc:
            print(f"error: {error_name(exc)}: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:  # a file given on the command line (input, --journal, --report)
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130

    return run


# -- devices, keys, contracts ------------------------------------------------------------------


def _add_devices(parser: argparse.ArgumentParser) -> None:
    add_connection_arguments(parser)
    parser.add_argument("--products", help="comma-separated, e.g. key30,keyX,keypad")


async def _devices(client: LivionKeyClient, args: argparse.Namespace) -> int:
    products = args.products.split(",") if args.products else None
    devices = [device async for device in client.devices.iterate(products=products)]
    if args.json:
        print_json(devices)
    else:
        rows = [
            (d.device_id, d.name, d.product, d.connection_state, ",".join(d.tag)) for d in devices
        ]
        print_table("devices", ("device", "name", "product", "connection", "tag"), rows)
    return 0


def _add_device_arg(parser: argparse.ArgumentParser) -> None:
    add_connection_arguments(parser)
    parser.add_argument("device", help="device id")


async def _keys(client: LivionKeyClient, args: argparse.Namespace) -> int:
    keys = await client.devices.keys(args.device)
    if args.json:
        print_json(keys)
    else:
        rows = [(k.key_id, k.name, k.locker_index, k.shared, len(k.contracts)) for k in keys]
        print_table(
            f"keys of {args.device}", ("key", "name", "locker", "shared", "contracts"), rows
        )
    return 0


async def _contracts(client: LivionKeyClient, args: argparse.Namespace) -> int:
    contracts = await client.devices.contracts(args.device)
    if args.json:
        print_json(contracts)
    else:
        rows = [
            (c.id, c.contract_id, ",".join(k.key_id for k in c.keys), c.start, c.end, c.person)
            for c in contracts
        ]
        print_table(
            f"contracts on {args.device}",
            ("id", "contract_id", "keys", "start", "end", "person"),
            rows,
        )
    return 0


# -- one contract --------------------------------------------------------------------------------


def _instant(text: str) -> datetime:
    try:
        value = parse_instant(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone (add Z or +02:00)")
    return value


def _add_contract(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create one contract")
    add_connection_arguments(create)
    create.add_argument("--contract-id", required=True, help="your own unique reference")
    create.add_argument("--device", required=True)
    create.add_argument("--key", required=True)
    create.add_argument("--start", required=True, type=_instant)
    create.add_argument("--end", type=_instant)
    create.add_argument("--perm", action="store_true")
    create.add_argument("--person", required=True)
    create.add_argument("--contact-email")
    create.add_argument("--language", default="en-gb")
    show = actions.add_parser("show", help="show one contract by its object id")
    add_connection_arguments(show)
    show.add_argument("id")
    cancel = actions.add_parser("cancel", help="delete a contract")
    add_connection_arguments(cancel)
    cancel.add_argument("id")
    cancel.add_argument("--notify", action="store_true", help="have Livion notify the person")
    pincode = actions.add_parser("pincode", help="set or regenerate a contract's pincode")
    add_connection_arguments(pincode)
    pincode.add_argument("id")
    pincode.add_argument("--device", required=True)
    pincode.add_argument("--key", required=True)
    pincode.add_argument("--pincode", help="the new pincode; omitted: a generated one")


async def _contract(client: LivionKeyClient, args: argparse.Namespace) -> int:
    if args.action == "create":
        contacts = [Contact(email=args.contact_email, send_email=True, language=args.language)]
        created = await client.contracts.create(
            NewContract(
                contract_id=args.contract_id,
                keys=[KeyRef(args.device, args.key)],
                start=args.start,
                end=args.end,
                perm=args.perm,
                person=args.person,
                contacts=contacts if args.contact_email else [],
            )
        )
        _show({"id": created.id, "pincode": created.pincode}, args)
    elif args.action == "show":
        contract = await client.contracts.get(args.id)
        if args.json:
            print_json(contract)
        else:
            print_table(f"contract {contract.id}", ("field", "value"), _fields(contract))
    elif args.action == "cancel":
        await client.contracts.delete(args.id, cancellation=args.notify)
        _show({"id": args.id, "deleted": True}, args)
    else:
        refs = [KeyRef(args.device, args.key)]
        pin = await client.contracts.set_pincode(args.id, refs, args.pincode)
        _show({"id": args.id, "pincode": pin}, args)
    return 0


def _fields(value: object) -> list[tuple[str, object]]:
    data = json.loads(json.dumps(_plain(value), default=str))
    return [(k, v) for k, v in data.items() if k != "pincode"]


def _plain(value: object) -> Any:
    from ._convert import unstructure

    return unstructure(value)


def _show(data: dict[str, object], args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_table("", ("field", "value"), list(data.items()))


# -- bulk ----------------------------------------------------------------------------------------


def _add_bulk(parser: argparse.ArgumentParser) -> None:
    what = parser.add_subparsers(dest="what", required=True, metavar="WHAT")
    contracts = what.add_parser(
        "contracts",
        help="create every contract of a CSV or JSON-lines file",
        description=f"CSV columns: {', '.join(COLUMNS)}",
    )
    add_connection_arguments(contracts)
    contracts.add_argument("file", type=Path)
    contracts.add_argument("--concurrency", type=int, default=32)
    contracts.add_argument("--journal", type=Path, help="JSON-lines journal: reruns skip done")
    contracts.add_argument("--report", type=Path, help="write every item's outcome (JSON lines)")


async def _bulk(client: LivionKeyClient, args: argparse.Namespace) -> int:
    try:
        # utf-8-sig: spreadsheets save "CSV UTF-8" with a byte-order mark before the header.
        with args.file.open(encoding="utf-8-sig", newline="") as lines:
            specs = read_spec_file(args.file.name, lines)
    except UnicodeDecodeError as exc:
        print(
            f"error: {args.file} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            file=sys.stderr,
        )
        return 1
    report = await run_bulk_contracts(
        client, specs, concurrency=args.concurrency, journal=args.journal, quiet=args.json
    )
    if args.report is not None:
        write_report(args.report, report)
    extra: dict[str, object] = {"429s": client.stats.throttled, "logins": client.stats.logins}
    if args.json:
        print(
            json.dumps(
                {
                    "succeeded": len(report.succeeded),
                    "failed": len(report.failed),
                    "changed": changed_count(report),
                    "not_attempted": len(report.not_attempted),
                    **extra,
                }
            )
        )
    else:
        print_report(f"bulk contracts from {args.file.name}", report, extra)
    refused = next((i.error for i in report.failed if isinstance(i.error, LoginError)), None)
    if refused is not None:
        print(refused_login(refused), file=sys.stderr)
    return 0 if report.ok else 1


async def run_bulk_contracts(
    client: LivionKeyClient,
    specs: list[NewContract],
    *,
    concurrency: int,
    journal: Path | None,
    quiet: bool = False,
) -> BulkReport[NewContract, CreatedContract]:
    """Run a bulk create with a progress bar; Ctrl-C still ends with a full report."""
    report: BulkReport[NewContract, CreatedContract] = BulkReport()
    # Ctrl-C cancels the job: every item it reached is in the report, which is shown.
    with (
        bulk_progress(len(specs), "contracts") as update,
        contextlib.suppress(asyncio.CancelledError),
    ):
        await client.bulk.create_contracts(
            specs,
            concurrency=concurrency,
            journal=journal,
            on_progress=None if quiet else update,
            report=report,
        )
    return report


def write_report(path: Path, report: BulkReport[Any, Any]) -> None:
    """Every item's outcome, one JSON object per line, in input order. No secrets."""
    items: list[ItemResult[Any, Any]] = [
        *report.succeeded,
        *report.failed,
        *report.not_attempted,
    ]
    with path.open("w", encoding="utf-8") as out:
        for item in sorted(items, key=lambda i: i.index):
            out.write(
                json.dumps(
                    {
                        "index": item.index,
                        "contract_id": getattr(item.spec, "contract_id", None),
                        "outcome": item.outcome.value,
                        "id": getattr(item.result, "id", None),
                        "reconciled": item.reconciled,
                        "skipped": item.skipped,
                        "error": None if item.error is None else error_name(item.error),
                        "message": None if item.error is None else item.error.message,
                    }
                )
                + "\n"
            )


Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]

COMMANDS: dict[str, Command] = {
    "devices": ("list the account's devices", _add_devices, _run(_devices)),
    "keys": ("list a device's keys", _add_device_arg, _run(_keys)),
    "contracts": ("list a device's contracts", _add_device_arg, _run(_contracts)),
    "contract": (
        "create, show, cancel a contract or set its pincode",
        _add_contract,
        _run(_contract),
    ),
    "bulk": ("bulk-provision contracts from a CSV or JSON-lines file", _add_bulk, _run(_bulk)),
}
