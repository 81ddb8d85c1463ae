"""The ``webhooks`` subcommand: ``listen`` for deliveries, ``send`` signed samples to an endpoint.

For operators checking a set-up: ``listen`` verifies each delivery and prints its event as a
table row or a JSON line (pincodes and codes left out); ``send`` posts one signed sample of each
event type, as Livion's test delivery does, and reports each answer. Secrets come from the
environment only, never the command line: ``LIVIONKEY_WEBHOOK_SECRET`` (``whsec_...``; several
separated by spaces) and ``LIVIONKEY_WEBHOOK_API_KEY`` (the legacy shared-secret header's value).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from datetime import datetime

import aiohttp
from aiohttp import web

from .._cli_output import print_table
from .._convert import unstructure
from .._errors import LivionKeyError
from .._events import (
    SECRET_FIELDS,
    CodeEnteredEvent,
    ContractUpdateEvent,
    DeviceAlarmEvent,
    KeyStatusEvent,
    UnknownEvent,
    WebhookEvent,
)
from ._encode import encode_event, event_type
from ._parse import CATALOG
from ._receiver import WebhookReceiver
from ._samples import sample_events
from ._signing import sign

__all__ = ["add_arguments", "run"]

SECRET_ENV = "LIVIONKEY_WEBHOOK_SECRET"  # noqa: S105 - the variable's name
API_KEY_ENV = "LIVIONKEY_WEBHOOK_API_KEY"
_COLUMNS = ("time", "event", "what", "device", "key", "contract", "delivery")
_WIDTHS = (20, 15, 30, 10, 8, 12, 0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``webhooks listen`` and ``webhooks send`` on ``parser``."""
    actions = parser.add_subparsers(dest="webhooks_action", required=True, metavar="ACTION")
    listen = actions.add_parser(
        "listen",
        help="receive deliveries and print each verified event",
        description=f"Receive deliveries on any path; secrets from {SECRET_ENV} (signed) "
        f"and/or {API_KEY_ENV} (legacy).",
    )
    listen.add_argument("--host", default="127.0.0.1", help="address to bind (%(default)s)")
    listen.add_argument("--port", type=int, default=8000, help="0 = any free port (%(default)s)")
    listen.add_argument("--json", action="store_true", help="one JSON line per event")
    listen.add_argument("--count", type=int, default=None, help="stop after this many events")
    listen.add_argument("--api-key-header", default="x-api-key", help="legacy secret header")
    send = actions.add_parser(
        "send",
        help="post a signed sample of each event type to URL, as Livion's test delivery does",
        description=f"Sign with {SECRET_ENV} (v2) or send {API_KEY_ENV} (legacy).",
    )
    send.add_argument("url")
    send.add_argument("--shape", choices=("v2", "legacy"), default="v2")
    send.add_argument(
        "--type", action="append", choices=tuple(CATALOG), help="only this type (repeatable)"
    )
    send.add_argument("--api-key-header", default="x-api-key", help="legacy secret header")
    send.add_argument("--timeout", type=float, default=10.0, help="seconds per delivery")
    send.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    secrets = os.environ.get(SECRET_ENV, "").split()
    api_key = os.environ.get(API_KEY_ENV) or None
    try:
        if args.webhooks_action == "listen":
            if not secrets and not api_key:
                print(f"webhooks listen: set {SECRET_ENV} and/or {API_KEY_ENV}", file=sys.stderr)
                return 2
            receiver = WebhookReceiver(
                signing_secret=secrets, api_key=api_key, api_key_header=args.api_key_header
            )
            shapes = ["signed"] * bool(secrets) + [f"legacy {args.api_key_header}"] * bool(api_key)
            return asyncio.run(_listen(receiver, args, " and ".join(shapes)))
        if args.shape == "v2" and not secrets:
            print(f"webhooks send: set {SECRET_ENV} to sign the samples", file=sys.stderr)
            return 2
        if args.shape == "legacy" and not api_key:
            print(f"webhooks send: set {API_KEY_ENV} for legacy samples", file=sys.stderr)
            return 2
        return asyncio.run(_send(args, secrets, api_key))
    except LivionKeyError as exc:  # a malformed secret: the message never shows it
        print(f"webhooks: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"webhooks: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


# -- listen --------------------------------------------------------------------------------------


async def _listen(receiver: WebhookReceiver, args: argparse.Namespace, shapes: str) -> int:
    stop = asyncio.Event()
    seen = 0

    @receiver.on(WebhookEvent)
    async def show(event: WebhookEvent) -> None:
        nonlocal seen
        print(_json_line(event) if args.json else _row(event), flush=True)
        seen += 1
        if args.count is not None and seen >= args.count:
            stop.set()

    app = web.Application()
    app.router.add_post("/{path:.*}", receiver.aiohttp_handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    try:
        site = web.TCPSite(runner, args.host, args.port)
        await site.start()
        port = runner.addresses[0][1]
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
                continue
            handled.append(sig)
        print(
            f"listening for Livion webhooks on http://{args.host}:{port}/ ({shapes}); Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
        if not args.json:
            print(_line(_COLUMNS), flush=True)
        await stop.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        await runner.cleanup()
    stats = receiver.stats
    print(
        f"stopped: {stats.accepted} events, {stats.duplicates} duplicates, "
        f"{stats.unauthorized} refused",
        file=sys.stderr,
        flush=True,
    )
    return 0


def _line(cells: tuple[str, ...]) -> str:
    return " ".join(cell.ljust(width) for cell, width in zip(cells, _WIDTHS, strict=True)).rstrip()


def _row(event: WebhookEvent) -> str:
    when = event.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ") if event.occurred_at else "-"
    what: str | None = None
    device = key = contract = None
    if isinstance(event, KeyStatusEvent):
        what, device, key, contract = event.state, event.device_id, event.key_id, event.contract_id
    elif isinstance(event, ContractUpdateEvent):
        what, device, key = event.contract_type, event.device_id, event.key_id
        contract = event.contract_id
    elif isinstance(event, CodeEnteredEvent):
        what, device, key = event.code_type, event.device_id, event.key_id
        contract = event.contract_id
    elif isinstance(event, DeviceAlarmEvent):
        what, device = f"{event.alarm_type} {event.state}", event.device_id
    elif isinstance(event, UnknownEvent):
        what = event.reason
    cells = (when, event_type(event), what, device, key, contract, event.delivery_id)
    return _line(tuple(cell or "-" for cell in cells))


def _json_line(event: WebhookEvent) -> str:
    data = {k: v for k, v in unstructure(event).items() if k not in SECRET_FIELDS}
    return json.dumps({"event": event_type(event), **data}, default=str)


# -- send ----------------------------------------------------------------------------------------


async def _send(args: argparse.Namespace, secrets: list[str], api_key: str | None) -> int:
    events = [e for e in sample_events(datetime.now().astimezone()) if _wanted(e, args.type)]
    rows: list[tuple[str, str, str, str]] = []
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for event in events:
            kind = event_type(event)
            body = encode_event(event, shape=args.shape)
            headers = {"content-type": "application/json"}
            if args.shape == "v2":
                headers |= sign(body, secrets, event_type=kind)
            else:
                assert api_key is not None  # checked by run()
                headers[args.api_key_header] = api_key
            delivery = headers.get("webhook-id", "-")
            try:
                async with session.post(
                    args.url, data=body, headers=headers, allow_redirects=False
                ) as reply:
                    rows.append((kind, delivery, str(reply.status), (await reply.text())[:80]))
            except (aiohttp.ClientError, TimeoutError) as exc:
                rows.append((kind, delivery, "-", f"{type(exc).__name__}: {exc}"[:80]))
    if args.json:
        keys = ("event", "delivery", "status", "answer")
        print(json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=2))
    else:
        print_table(f"samples sent to {args.url}", ("event", "delivery", "status", "answer"), rows)
    return 0 if all(status.startswith("2") for _, _, status, _ in rows) else 1


def _wanted(event: WebhookEvent, types: list[str] | None) -> bool:
    return types is None or event_type(event) in types
