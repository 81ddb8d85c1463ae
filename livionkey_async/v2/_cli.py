"""The ``livionkey-async`` commands for API v2, chosen with ``--api v2``.

``livionkey_async._cli`` picks this command set when ``--api v2`` is given, for the commands only
v2 has (``automats``, ``access-rights``), and for the commands that take credentials when
``LIVIONKEY_SERVICE_ACCOUNT_ID`` is set and ``--api`` is not. Credentials come from
``--service-account-id``/``--private-key-file`` or ``LIVIONKEY_SERVICE_ACCOUNT_ID`` and
``LIVIONKEY_PRIVATE_KEY_FILE``: the key itself is never put on a command line. The output helpers
(tables, progress bars, reports) are the V1 commands'.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from .._bulk import BulkReport
from .._cli_bulk import write_report
from .._cli_ops import instant
from .._cli_output import (
    bulk_progress,
    error_name,
    plain_data,
    print_json,
    print_report,
    print_table,
    readable,
)
from .._errors import LivionKeyError
from ._assumptions import DEFAULT_BASE_URL
from ._client import LivionKeyV2Client
from ._models import (
    Contact,
    ContractType,
    IloqKeyContract,
    MechanicalKeyContract,
    NewContractKey,
    NewIloqKeyContract,
    NewMechanicalKeyContract,
)
from ._spec_files import (
    CONTRACT_TYPES,
    ILOQ_COLUMNS,
    MECHANICAL_COLUMNS,
    read_iloq_specs,
    read_mechanical_specs,
)

__all__ = ["COMMANDS"]

# What a listing never prints (``contract create`` shows the pincodes it was asked for).
# Left out of --json output (our field names, as every --json of the command line).
SECRETS = frozenset(
    {"pincode", "pincodes", "installation_pincode", "private_key", "password", "iloq_api_user"}
)
_KINDS = ("iloq", "mechanical")


def _add_connection(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection (API v2)")
    group.add_argument(
        "--base-url", default=os.environ.get("LIVIONKEY_V2_BASE_URL", DEFAULT_BASE_URL)
    )
    group.add_argument(
        "--service-account-id", default=os.environ.get("LIVIONKEY_SERVICE_ACCOUNT_ID")
    )
    group.add_argument(
        "--private-key-file",
        type=Path,
        default=os.environ.get("LIVIONKEY_PRIVATE_KEY_FILE"),
        help="the service account's private key (PEM); or LIVIONKEY_PRIVATE_KEY_FILE",
    )
    group.add_argument("--rate-limit", type=float, default=None, help="requests/second ceiling")
    group.add_argument("--max-connections", type=int, default=16)
    group.add_argument("--json", action="store_true", help="print JSON instead of tables")


def _client(args: argparse.Namespace) -> LivionKeyV2Client:
    if not args.service_account_id:
        raise SystemExit(
            "no service account: pass --service-account-id or set LIVIONKEY_SERVICE_ACCOUNT_ID"
        )
    if args.private_key_file is None:
        raise SystemExit(
            "no private key: pass --private-key-file or set LIVIONKEY_PRIVATE_KEY_FILE"
        )
    try:
        pem = Path(args.private_key_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise SystemExit(f"cannot read the private key file: {exc.strerror}") from None
    return LivionKeyV2Client(
        args.service_account_id,
        pem,
        base_url=args.base_url,
        rate_limit=args.rate_limit,
        max_connections=args.max_connections,
    )


def _run(
    job: Callable[[LivionKeyV2Client, argparse.Namespace], Awaitable[int]],
) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        async def main() -> int:
            async with _client(args) as client:
                return await job(client, args)

        try:
            return asyncio.run(main())
        except LivionKeyError as exc:
            print(f"error: {error_name(exc)}: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:  # a file given on the command line (input, --journal, --report)
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130

    return run


def _json(value: object) -> None:
    print_json(value, secrets=SECRETS)


def _when(value: datetime | None) -> str:
    return "" if value is None else value.isoformat(timespec="minutes")


# -- listings ----------------------------------------------------------------------------------


async def _automats(client: LivionKeyV2Client, args: argparse.Namespace) -> int:
    automats = [automat async for automat in client.automats.iterate()]
    if args.json:
        _json(automats)
        return 0
    rows = [
        (
            a.id,
            a.name,
            a.lifecycle_state,
            f"{sum(locker.is_key_inside for locker in a.lockers)}/{len(a.lockers)}",
            ", ".join(g.name or g.id for g in a.groups),
        )
        for a in automats
    ]
    print_table("automats", ("automat", "name", "state", "keys in", "groups"), rows)
    return 0


def _add_access_rights(parser: argparse.ArgumentParser) -> None:
    _add_connection(parser)
    parser.add_argument("--search", help="only access rights whose name contains this")
    parser.add_argument("--default-only", action="store_true", help="as iLOQ Manager shows them")


async def _access_rights(client: LivionKeyV2Client, args: argparse.Namespace) -> int:
    rights = [
        right
        async for right in client.iloq.access_rights.iterate(
            search=args.search, default_only=args.default_only or None
        )
    ]
    if args.json:
        _json(rights)
    else:
        rows = [(r.id, r.name, r.real_estate_path) for r in rights]
        print_table("iLOQ access rights", ("id", "name", "path"), rows)
    return 0


def _add_contracts(parser: argparse.ArgumentParser) -> None:
    _add_connection(parser)
    parser.add_argument("--kind", choices=_KINDS, default="iloq")
    for when in ("ongoing", "ended", "future"):
        parser.add_argument(f"--{when}", action="store_true", help=f"iLOQ: {when} contracts")


async def _contracts(client: LivionKeyV2Client, args: argparse.Namespace) -> int:
    if args.kind == "mechanical":
        mechanical = [c async for c in client.mechanical.contracts.iterate()]
        if args.json:
            _json(mechanical)
        else:
            rows = [_mechanical_row(c) for c in mechanical]
            print_table("mechanical key contracts", ("id", "keys", "start", "end", "name"), rows)
        return 0
    flags = {w: True for w in ("ongoing", "ended", "future") if getattr(args, w)}
    iloq = [c async for c in client.iloq.contracts.iterate(**flags)]
    if args.json:
        _json(iloq)
    else:
        print_table(
            "iLOQ key contracts",
            ("id", "type", "automat", "keys", "start", "end", "name"),
            [_iloq_row(c) for c in iloq],
        )
    return 0


def _iloq_row(c: IloqKeyContract) -> tuple[object, ...]:
    code = c.contract_type
    kind = code.name.lower() if isinstance(code, ContractType) else str(code or "")
    name = c.contact.name if c.contact else ""
    return (c.id, kind, c.key_automat_id or c.group_id, len(c.keys), *_window(c), name)


def _mechanical_row(c: MechanicalKeyContract) -> tuple[object, ...]:
    keys = ",".join(key.id for key in c.keys)
    return (c.id, keys, *_window(c), c.contact.name if c.contact else "")


def _window(c: IloqKeyContract | MechanicalKeyContract) -> tuple[str, str]:
    return _when(c.start), _when(c.end)


# -- one contract ------------------------------------------------------------------------------


def _add_contract(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create one iLOQ or mechanical key contract")
    _add_connection(create)
    create.add_argument("--kind", choices=_KINDS, default="iloq")
    create.add_argument(
        "--type", choices=sorted(CONTRACT_TYPES), default="default", help="iLOQ only"
    )
    create.add_argument("--access-right", action="append", default=[], help="iLOQ; repeatable")
    create.add_argument("--automat", help="iLOQ: the automat the keys come from")
    create.add_argument("--group", help="iLOQ: a group of automats instead")
    create.add_argument("--number-of-keys", type=int, help="iLOQ, with --automat or --group")
    create.add_argument("--key", action="append", default=[], help="key id; repeatable")
    create.add_argument("--id", help="mechanical: your own unique reference")
    create.add_argument("--start", type=instant)
    create.add_argument("--end", type=instant)
    create.add_argument("--name", required=True, help="the recipient")
    create.add_argument("--email")
    create.add_argument("--phone")
    create.add_argument("--language", default="en")
    create.add_argument(
        "--notify", action="store_true", help="have Livion send its own SMS/email to the contact"
    )
    for action in ("show", "cancel"):
        sub = actions.add_parser(action, help=f"{action} a contract by its id")
        _add_connection(sub)
        sub.add_argument("--kind", choices=_KINDS, default="iloq")
        sub.add_argument("id")


async def _contract(client: LivionKeyV2Client, args: argparse.Namespace) -> int:
    iloq = args.kind == "iloq"
    if args.action == "show":
        found: IloqKeyContract | MechanicalKeyContract = await (
            client.iloq.contracts.get(args.id) if iloq else client.mechanical.contracts.get(args.id)
        )
        if args.json:
            _json(found)
        else:
            fields = plain_data(found, secrets=SECRETS)
            rows = [(k, readable(v)) for k, v in fields.items() if k != "keys"]
            print_table(f"contract {found.id}", ("field", "value"), rows)
        return 0
    if args.action == "cancel":
        await (
            client.iloq.contracts.delete(args.id)
            if iloq
            else client.mechanical.contracts.delete(args.id)
        )
        _show({"id": args.id, "cancelled": True}, args)
        return 0
    notify = bool(args.notify)
    contact = Contact(
        args.name,
        email=args.email,
        phone_number=args.phone,
        language=args.language,
        send_email=notify and args.email is not None,
        send_sms=notify and args.phone is not None,
    )
    if iloq:
        made: IloqKeyContract | MechanicalKeyContract = await client.iloq.contracts.create(
            NewIloqKeyContract(
                contract_type=CONTRACT_TYPES[args.type],
                access_right_ids=args.access_right,
                key_automat_id=args.automat,
                group_id=args.group,
                number_of_keys=args.number_of_keys,
                key_ids=args.key,
                start=args.start,
                end=args.end,
                contact=contact,
            )
        )
    else:
        if args.start is None:
            raise SystemExit("a mechanical contract needs --start")
        made = await client.mechanical.contracts.create(
            NewMechanicalKeyContract(
                id=args.id,
                start=args.start,
                end=args.end,
                contact=contact,
                keys=[NewContractKey(key) for key in args.key],
            )
        )
    _show({"id": made.id, "pincodes": ",".join(made.pincodes)}, args)
    return 0


def _show(data: dict[str, object], args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_table("", ("field", "value"), list(data.items()))


# -- bulk --------------------------------------------------------------------------------------


def _add_bulk(parser: argparse.ArgumentParser) -> None:
    what = parser.add_subparsers(dest="what", required=True, metavar="WHAT")
    contracts = what.add_parser(
        "contracts",
        help="create every contract of a CSV file, each exactly once",
        description=(
            f"iLOQ CSV columns: {', '.join(ILOQ_COLUMNS)}. "
            f"Mechanical CSV columns: {', '.join(MECHANICAL_COLUMNS)}."
        ),
    )
    _add_connection(contracts)
    contracts.add_argument("--kind", choices=_KINDS, default="iloq")
    contracts.add_argument("file", type=Path)
    contracts.add_argument("--concurrency", type=int, default=32)
    contracts.add_argument("--journal", type=Path, help="JSON-lines journal: reruns skip done")
    contracts.add_argument("--report", type=Path, help="write every item's outcome (JSON lines)")


async def _bulk(client: LivionKeyV2Client, args: argparse.Namespace) -> int:
    try:
        # utf-8-sig: spreadsheets save "CSV UTF-8" with a byte-order mark before the header.
        with args.file.open(encoding="utf-8-sig", newline="") as lines:
            specs: list[Any] = (
                read_iloq_specs(lines) if args.kind == "iloq" else read_mechanical_specs(lines)
            )
    except UnicodeDecodeError as exc:
        print(f"error: {args.file} is not UTF-8 text ({exc.reason})", file=sys.stderr)
        return 1
    report: BulkReport[Any, Any] = BulkReport()
    create = (
        client.bulk.create_iloq_contracts
        if args.kind == "iloq"
        else client.bulk.create_mechanical_contracts
    )
    # Ctrl-C cancels the job: every item it reached is in the report, which is shown.
    with (
        bulk_progress(len(specs), f"{args.kind} contracts") as update,
        contextlib.suppress(asyncio.CancelledError),
    ):
        await create(
            specs,
            concurrency=args.concurrency,
            journal=args.journal,
            on_progress=None if args.json else update,
            report=report,
        )
    if args.report is not None:
        write_report(args.report, report, lambda spec: {"spec": _spec_label(spec)})
    extra: dict[str, object] = {"429s": client.stats.throttled, "retries": client.stats.retries}
    if args.json:
        counts = {
            "succeeded": len(report.succeeded),
            "failed": len(report.failed),
            "not_attempted": len(report.not_attempted),
        }
        print(json.dumps({**counts, **extra}))
    else:
        print_report(
            f"bulk {args.kind} contracts from {args.file.name}", report, extra, _spec_label
        )
    return 0 if report.ok else 1


def _spec_label(spec: Any) -> str:
    """How a report names a contract spec: its id (mechanical) or its window and contact."""
    reference = getattr(spec, "id", None)
    if reference:
        return str(reference)
    start, contact = getattr(spec, "start", None), getattr(spec, "contact", None)
    who = getattr(contact, "name", None) or ""
    return f"{_when(start)} {who}".strip()


def _sim_arguments(parser: argparse.ArgumentParser) -> None:
    from ..testing._v2 import _command

    _command.add_arguments(parser)


def _sim(args: argparse.Namespace) -> int:
    from ..testing._v2 import _command

    return _command.run(args)


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    from . import _demo

    _demo.add_arguments(parser)


def _demo_run(args: argparse.Namespace) -> int:
    from . import _demo

    return _demo.run(args)


Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]

COMMANDS: dict[str, Command] = {
    "automats": ("list the automats (API v2)", _add_connection, _run(_automats)),
    "access-rights": (
        "list the iLOQ access rights (API v2)",
        _add_access_rights,
        _run(_access_rights),
    ),
    "contracts": (
        "list iLOQ or mechanical key contracts (API v2)",
        _add_contracts,
        _run(_contracts),
    ),
    "contract": ("create, show or cancel a key contract (API v2)", _add_contract, _run(_contract)),
    "bulk": ("bulk-create key contracts from a CSV file (API v2)", _add_bulk, _run(_bulk)),
    "sim": ("run the LivionKey API v2 simulator", _sim_arguments, _sim),
    "demo": (
        "LivionKey20 and LivionKey30 bookings on the API v2 simulator",
        _demo_arguments,
        _demo_run,
    ),
}
