"""The operator commands: devices, keys, contracts and one contract (bulk jobs: ``_cli_bulk``).

Credentials come from ``--email``/``--password`` or the ``LIVIONKEY_EMAIL``/``LIVIONKEY_PASSWORD``
environment variables (or a prompt): examples never put the password on the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime

from ._assumptions import DEFAULT_BASE_URL
from ._cli_output import (
    error_name,
    plain_data,
    print_json,
    print_table,
    refused_login,
    silence_stdout,
)
from ._client import LivionKeyClient
from ._errors import LivionKeyError, LoginError, NotFoundError
from ._models import Contact, Contract, KeyRef, NewContract
from ._shared import SharedStore
from ._spec_files import parse_instant

__all__ = ["COMMANDS", "ENVIRONMENT", "add_connection_arguments", "instant", "run_with_client"]

ENVIRONMENT = """\
environment:
  LIVIONKEY_EMAIL      the account's email (instead of --email)
  LIVIONKEY_PASSWORD   its password (instead of --password, which other users can see)
  LIVIONKEY_BASE_URL   the API's address (instead of --base-url), e.g. a simulator's
  LIVIONKEY_REDIS_URL  a Redis shared with other workers (instead of --redis)
"""
# What exit status a shell expects after Ctrl-C, and after its reader closed stdout.
INTERRUPTED = 130
BROKEN_PIPE = 141


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--base-url",
        default=os.environ.get("LIVIONKEY_BASE_URL", DEFAULT_BASE_URL),
        help="the API's address (env LIVIONKEY_BASE_URL; default %(default)s)",
    )
    group.add_argument("--email", default=None, help="the account (env LIVIONKEY_EMAIL)")
    group.add_argument(
        "--password",
        default=None,
        help="prefer the LIVIONKEY_PASSWORD environment variable: a command line is visible",
    )
    group.add_argument("--rate-limit", type=float, default=None, help="requests/second ceiling")
    group.add_argument("--max-connections", type=int, default=16)
    group.add_argument(
        "--redis",
        metavar="URL",
        default=os.environ.get("LIVIONKEY_REDIS_URL"),
        help="share the login and the rate budget with other workers through this Redis "
        "(env LIVIONKEY_REDIS_URL; needs the redis extra)",
    )
    group.add_argument(
        "--json", action="store_true", help="print JSON (our field names) instead of tables"
    )
    parser.epilog = ENVIRONMENT
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def _store(args: argparse.Namespace) -> SharedStore | None:
    url = getattr(args, "redis", None)
    if not url:
        return None
    try:
        from .redis import RedisStore
    except ImportError:
        raise SystemExit(
            "--redis needs the redis extra: pip install 'livionkey-async[redis]'"
        ) from None
    return RedisStore(url)


def _client(args: argparse.Namespace, store: SharedStore | None = None) -> LivionKeyClient:
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
        store=store,
    )


def run_with_client(
    job: Callable[[LivionKeyClient, argparse.Namespace], Awaitable[int]],
) -> Callable[[argparse.Namespace], int]:
    """A command that runs ``job`` with a client, every failure a one-line message."""

    def run(args: argparse.Namespace) -> int:
        async def main() -> int:
            store = _store(args)
            try:
                async with _client(args, store) as client:
                    return await job(client, args)
            finally:
                if store is not None:
                    await store.aclose()

        try:
            return asyncio.run(main())
        except LoginError as exc:
            print(refused_login(exc), file=sys.stderr)
            return 1
        except LivionKeyError as exc:
            print(f"error: {error_name(exc)}: {exc}", file=sys.stderr)
            return 1
        except BrokenPipeError:  # `livionkey-async devices | head`: the reader has enough
            silence_stdout()
            return BROKEN_PIPE
        except OSError as exc:  # a file given on the command line (input, --journal, --report)
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return INTERRUPTED

    return run


def instant(text: str) -> datetime:
    """An argparse type: an ISO-8601 date with a time zone."""
    try:
        value = parse_instant(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone (add Z or +02:00)")
    return value


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
        rows = [(d.device_id, d.name, d.product, d.connection_state, d.tag) for d in devices]
        print_table(
            "devices", ("device", "name", "product", "connection", "tag"), rows, whole={"device"}
        )
    return 0


def _add_keys(parser: argparse.ArgumentParser) -> None:
    add_connection_arguments(parser)
    parser.add_argument("device", help="device id")


async def _keys(client: LivionKeyClient, args: argparse.Namespace) -> int:
    keys = await client.devices.keys(args.device)
    if args.json:
        print_json(keys)
    else:
        rows = [(k.key_id, k.name, k.locker_index, k.shared, len(k.contracts)) for k in keys]
        print_table(
            f"keys of {args.device}",
            ("key", "name", "locker", "shared", "contracts"),
            rows,
            whole={"key"},
        )
    return 0


def _add_contracts(parser: argparse.ArgumentParser) -> None:
    add_connection_arguments(parser)
    parser.add_argument("devices", nargs="*", metavar="DEVICE", help="device ids (default: all)")
    parser.add_argument("--start", type=instant, help="only contracts valid at or after this")
    parser.add_argument("--end", type=instant, help="only contracts valid before this")


async def _contracts(client: LivionKeyClient, args: argparse.Namespace) -> int:
    contracts = await client.contracts.list(
        device_ids=args.devices or None, start=args.start, end=args.end
    )
    if args.json:
        print_json(contracts)
    else:
        where = f"on {', '.join(args.devices)}" if args.devices else "of the account"
        rows = [(c.id, c.contract_id, c.keys, c.start, c.end, c.person) for c in contracts]
        print_table(
            f"contracts {where}",
            ("id", "contract_id", "keys", "start", "end", "person"),
            rows,
            whole={"id", "contract_id"},
        )
    return 0


# -- one contract --------------------------------------------------------------------------------


def _add_contract(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create one contract (exactly once)")
    add_connection_arguments(create)
    create.add_argument("--contract-id", required=True, help="your own unique reference")
    create.add_argument("--device", required=True)
    create.add_argument("--key", required=True)
    create.add_argument("--start", required=True, type=instant)
    create.add_argument("--end", type=instant)
    create.add_argument("--perm", action="store_true")
    create.add_argument("--person", required=True)
    contact = create.add_argument_group("contact (Livion notifies them)")
    contact.add_argument("--contact-email")
    contact.add_argument("--contact-phone")
    contact.add_argument(
        "--language", help="of the notification: fi-fi, en-gb, swe-swe, no-no or da-da"
    )
    show = actions.add_parser("show", help="show one contract by its object id")
    add_connection_arguments(show)
    show.add_argument("id")
    cancel = actions.add_parser(
        "cancel", help="delete a contract (one already gone counts as cancelled)"
    )
    add_connection_arguments(cancel)
    cancel.add_argument("id")
    cancel.add_argument("--notify", action="store_true", help="have Livion notify the person")
    pincode = actions.add_parser("pincode", help="set or regenerate a contract's pincode")
    add_connection_arguments(pincode)
    pincode.add_argument("id")
    pincode.add_argument("--device", help="with --key: the contract's key (default: its own)")
    pincode.add_argument("--key")
    pincode.add_argument("--pincode", help="the new pincode; omitted: a generated one")
    # Option combinations argparse cannot express: usage errors (exit 2) before any call.
    create.set_defaults(check=functools.partial(_check_create, create))
    pincode.set_defaults(check=functools.partial(_check_pincode, pincode))


def _check_create(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.language and not (args.contact_email or args.contact_phone):
        parser.error("--language is the contact's: give --contact-email or --contact-phone too")


def _check_pincode(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if (args.device is None) != (args.key is None):
        parser.error("--device and --key go together (or leave both out)")


async def _contract(client: LivionKeyClient, args: argparse.Namespace) -> int:
    if args.action == "create":
        contacts = []
        if args.contact_email or args.contact_phone:
            contacts.append(
                Contact(
                    email=args.contact_email,
                    phone_number=args.contact_phone,
                    send_email=True if args.contact_email else None,
                    send_sms=True if args.contact_phone else None,
                    language=args.language,
                )
            )
        created = await client.contracts.create(
            NewContract(
                contract_id=args.contract_id,
                keys=[KeyRef(args.device, args.key)],
                start=args.start,
                end=args.end,
                perm=args.perm,
                person=args.person,
                contacts=contacts,
            )
        )
        _show(created, args, keep_secrets=True)  # the pincode it was given, once
    elif args.action == "show":
        contract = await client.contracts.get(args.id)
        if args.json:
            print_json(contract)
        else:
            _show(contract, args, title=f"contract {contract.id}")
    elif args.action == "cancel":
        try:
            await client.contracts.delete(args.id, cancellation=args.notify)
            gone = False
        except NotFoundError:  # cancelled before (or never there): as bulk cancel counts it
            gone = True
        _show({"id": args.id, "deleted": True, "already_gone": gone}, args)
    else:
        pin = await client.contracts.set_pincode(
            args.id, await _keys_of(client, args), args.pincode
        )
        _show({"id": args.id, "pincode": pin}, args, keep_secrets=True)
    return 0


async def _keys_of(client: LivionKeyClient, args: argparse.Namespace) -> tuple[KeyRef, ...]:
    """The keys a pincode command names, or else the contract's own."""
    if args.device is not None:
        return (KeyRef(args.device, args.key),)
    contract: Contract = await client.contracts.get(args.id)
    return contract.keys


def _show(
    value: object, args: argparse.Namespace, *, title: str = "", keep_secrets: bool = False
) -> None:
    """One object as JSON, or as a table of its fields (our names, readable values)."""
    if args.json:
        print_json(value, keep_secrets=keep_secrets)
        return
    data = plain_data(value, keep_secrets=keep_secrets)
    print_table(title, ("field", "value"), list(data.items()), whole={"value"})


Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]

COMMANDS: dict[str, Command] = {
    "devices": ("list the account's devices", _add_devices, run_with_client(_devices)),
    "keys": ("list a device's keys", _add_keys, run_with_client(_keys)),
    "contracts": (
        "list the contracts of the account, or of some devices",
        _add_contracts,
        run_with_client(_contracts),
    ),
    "contract": (
        "create, show, cancel a contract or set its pincode",
        _add_contract,
        run_with_client(_contract),
    ),
}
