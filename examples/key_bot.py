"""A LivionKey bot: reminds whoever keeps a key too long, pages the operators on device alarms.

With webhooks (Livion pushes each event as it happens; alarms come only this way)::

    export LIVIONKEY_EMAIL=... LIVIONKEY_PASSWORD=...        # LIVIONKEY_BASE_URL for another host
    export LIVIONKEY_WEBHOOK_SECRET=whsec_...                # or LIVIONKEY_WEBHOOK_API_KEY (legacy)
    python examples/key_bot.py --port 8000                   # Livion posts to https://.../livion

Without webhooks, it polls the key statuses of some automats instead (``client.keys.watch``;
the V1 API has no alarms to poll)::

    python examples/key_bot.py --poll 00001 00002 --interval 60

A pushed event and a polled one are the same classes, so :meth:`KeyBot.handle` serves both.
Notices go to a ``notify`` coroutine: this one logs them; a real bot sends an email, an SMS or a
chat message there. Pincodes and codes are never part of a notice.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Literal

import attrs
from aiohttp import web

from livionkey_async import Contract, KeyWatch, LivionKeyClient, LivionKeyError, NotFoundError
from livionkey_async.webhooks import DeviceAlarmEvent, KeyStatusEvent, WebhookEvent, WebhookReceiver

log = logging.getLogger("key_bot")

NoticeKind = Literal["reminder", "alarm", "alarm-acknowledged", "alarm-cleared"]


@attrs.frozen
class Notice:
    """What the bot tells whom: a reminder to the person holding a key, or an alarm for the
    operators. ``contacts``: the person's emails and phone numbers (a reminder only)."""

    kind: NoticeKind
    text: str
    device_id: str | None
    key_id: str | None = None
    contract_id: str | None = None
    person: str | None = None
    contacts: tuple[str, ...] = ()


Notify = Callable[[Notice], Awaitable[None]]


async def log_notice(notice: Notice) -> None:
    """The default way to tell: a log line (a real bot sends an email, an SMS, a chat message)."""
    log.warning("%s: %s", notice.kind, notice.text)


class KeyBot:
    """Reacts to ``key-not-returned`` key statuses and to device alarms.

    A reminder names the person and booking of the contract the key was under: the event's
    contract when it names one (a pushed event), else the key's contract that started last (a
    polled event names none).
    """

    def __init__(self, client: LivionKeyClient, notify: Notify = log_notice) -> None:
        self._client = client
        self._notify = notify

    async def handle(self, event: WebhookEvent) -> None:
        """React to one event, pushed or polled; others are ignored."""
        if isinstance(event, KeyStatusEvent) and event.state == "key-not-returned":
            await self._remind(event)
        elif isinstance(event, DeviceAlarmEvent):
            await self._alarm(event)

    async def _remind(self, event: KeyStatusEvent) -> None:
        contract = await self._contract_of(event)
        where = f"key {event.key_id} of automat {event.device_id}"
        if contract is None:
            text = f"{where} was not returned (no contract found)"
            await self._notify(Notice("reminder", text, event.device_id, event.key_id))
            return
        contacts = tuple(
            address for c in contract.contacts for address in (c.email, c.phone_number) if address
        )
        text = f"{contract.person}: please return {where} (booking {contract.contract_id})"
        await self._notify(
            Notice(
                "reminder",
                text,
                event.device_id,
                event.key_id,
                contract.contract_id,
                contract.person,
                contacts,
            )
        )

    async def _contract_of(self, event: KeyStatusEvent) -> Contract | None:
        if event.contract_object_id is not None:
            try:
                return await self._client.contracts.get(event.contract_object_id)
            except NotFoundError:
                pass  # deleted since: look on the key
        if event.key_id is None or event.device_id is None:
            return None
        key = await self._client.keys.get(event.key_id, device_id=event.device_id)
        when = event.occurred_at or datetime.now(UTC)
        started = [c for c in key.contracts if c.start is not None and c.start <= when]
        return max(started, key=lambda c: c.start or when) if started else None

    async def _alarm(self, event: DeviceAlarmEvent) -> None:
        what = f"{event.alarm_type} on automat {event.device_id}"
        kind: NoticeKind
        if event.state == "deactivated":
            kind, text = "alarm-cleared", f"{what} is over"
        elif event.acknowledged:
            kind, text = "alarm-acknowledged", f"{what} was acknowledged"
        else:
            since = f" since {event.start:%Y-%m-%d %H:%M} UTC" if event.start else ""
            kind, text = "alarm", f"{what}{since}"
        await self._notify(Notice(kind, text, event.device_id))


def webhook_app(bot: KeyBot, receiver: WebhookReceiver, path: str = "/livion") -> web.Application:
    """An aiohttp application receiving Livion's webhooks for ``bot``.

    The bot runs as the receiver's callback, before the delivery is answered: if it fails, the
    answer is a 500 and Livion delivers the event again (the receiver's dedupe drops copies of
    an event already handled).
    """
    receiver.add_handler(KeyStatusEvent, bot.handle)
    receiver.add_handler(DeviceAlarmEvent, bot.handle)
    app = web.Application()
    app.router.add_post(path, receiver.aiohttp_handler)
    return app


async def poll(bot: KeyBot, events: KeyWatch) -> None:
    """Feed ``bot`` the key-status changes ``events`` (``client.keys.watch(...)``) finds, until
    cancelled. A reminder that cannot be sent now (the service fails) is logged, not retried:
    polling has no one to deliver it again."""
    async with events:
        async for event in events:
            try:
                await bot.handle(event)
            except LivionKeyError as exc:
                log.error("could not handle %s of key %s: %s", event.state, event.key_id, exc)


async def run(args: argparse.Namespace) -> None:
    email, password = os.environ.get("LIVIONKEY_EMAIL"), os.environ.get("LIVIONKEY_PASSWORD")
    if not email or not password:
        raise SystemExit("set LIVIONKEY_EMAIL and LIVIONKEY_PASSWORD")
    secrets = os.environ.get("LIVIONKEY_WEBHOOK_SECRET", "").split()
    api_key = os.environ.get("LIVIONKEY_WEBHOOK_API_KEY") or None
    if not args.poll and not secrets and not api_key:
        raise SystemExit("set LIVIONKEY_WEBHOOK_SECRET (or _API_KEY), or --poll DEVICE...")
    base_url = os.environ.get("LIVIONKEY_BASE_URL", "https://api.livionkey.com")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with LivionKeyClient(email, password, base_url=base_url) as client:
        bot = KeyBot(client)
        if args.poll:
            watch = client.keys.watch(args.poll, interval=args.interval)
            polling = asyncio.create_task(poll(bot, watch))
            await stop.wait()
            polling.cancel()
            return
        receiver = WebhookReceiver(signing_secret=secrets or None, api_key=api_key)
        runner = web.AppRunner(webhook_app(bot, receiver))
        await runner.setup()
        try:
            await web.TCPSite(runner, args.host, args.port).start()
            log.warning("listening on http://%s:%d/livion; Ctrl-C stops", args.host, args.port)
            await stop.wait()
        finally:
            await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--poll", nargs="+", metavar="DEVICE", help="poll these automats instead")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between polls")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
