"""A booking web service run by several worker processes on one LivionKey account.

``python examples/booking_service.py --workers 4 --port 8080`` starts four aiohttp.web workers
on one port (``SO_REUSEPORT``: the kernel spreads the connections). Every worker has its own
``LivionKeyClient`` and all of them share one ``RedisStore``: one login for the account, one
rate budget (so together they keep under the account's limit), and, if you add webhooks, one
dedupe store. ``POST /bookings`` creates the booking's contract exactly once: its
``contract_id`` is the booking's own id, so a booking retried by a browser or a load balancer, to
this worker or another, gets the same contract back, never a second one.

Environment: ``LIVIONKEY_EMAIL``, ``LIVIONKEY_PASSWORD``, ``LIVIONKEY_BASE_URL`` (a simulator's,
say) and ``REDIS_URL``. Needs the ``redis`` extra. The launcher prints
``listening on http://HOST:PORT`` once every worker serves, and stops them on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from datetime import datetime
from typing import Any

from aiohttp import web

from livionkey_async import KeyRef, LivionKeyClient, LivionKeyError, NewContract, ValidationError
from livionkey_async.redis import RedisStore

CLIENT = web.AppKey("client", LivionKeyClient)


def booking_contract(booking: dict[str, Any]) -> NewContract:
    """The contract of one booking (``ValidationError`` for a body that is not one)."""
    try:
        return NewContract(
            contract_id=f"booking-{booking['booking_id']}",
            keys=(KeyRef(device_id=str(booking["device_id"]), key_id=str(booking["key_id"])),),
            start=datetime.fromisoformat(str(booking["start"])),
            end=datetime.fromisoformat(str(booking["end"])),
            person=str(booking["person"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"not a booking: {exc}") from None


async def create_booking(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    try:
        contract = booking_contract(await request.json())
        made = await client.contracts.create(contract)  # exactly once, by contract_id
    except ValueError:
        return web.json_response({"error": "the body is not JSON"}, status=400)
    except ValidationError as exc:
        return web.json_response({"error": exc.message}, status=400)
    except LivionKeyError as exc:  # the account refused it, or LivionKey is out of reach
        return web.json_response({"error": type(exc).__name__}, status=502)
    body = {"contract_id": contract.contract_id, "id": made.id, "worker": os.getpid()}
    return web.json_response(body, status=201)


async def worker_stats(request: web.Request) -> web.Response:
    stats = request.app[CLIENT].stats
    return web.json_response(
        {"worker": os.getpid(), "logins": stats.logins, "throttled": stats.throttled}
    )


async def serve(port: int, host: str, ready: Any) -> None:
    """One worker: a client sharing the account through Redis, and the web app."""
    store = RedisStore(os.environ["REDIS_URL"], namespace="booking-service")
    client = LivionKeyClient(
        os.environ["LIVIONKEY_EMAIL"],
        os.environ["LIVIONKEY_PASSWORD"],
        base_url=os.environ.get("LIVIONKEY_BASE_URL", "https://api.livionkey.com"),
        store=store,
    )
    app = web.Application()
    app[CLIENT] = client
    app.router.add_post("/bookings", create_booking)
    app.router.add_get("/stats", worker_stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with client:
            await web.TCPSite(runner, host, port, reuse_port=True).start()
            ready.put(os.getpid())
            await stop.wait()
    finally:
        await runner.cleanup()
        await store.aclose()


def run_worker(port: int, host: str, ready: Any) -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve(port, host, ready))


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args(argv)
    port = args.port or free_port(args.host)
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    workers = [
        context.Process(target=run_worker, args=(port, args.host, ready), daemon=True)
        for _ in range(args.workers)
    ]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            ready.get(timeout=60)
        print(f"listening on http://{args.host}:{port} ({args.workers} workers)", flush=True)
        while not stop.wait(0.5) and all(worker.is_alive() for worker in workers):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()  # SIGTERM: each worker closes its client and its store
        for worker in workers:
            worker.join(timeout=10)
    return 0 if all(worker.exitcode in (0, -signal.SIGTERM) for worker in workers) else 1


if __name__ == "__main__":
    sys.exit(main())
