"""The ``sim`` subcommand: run the simulator in the foreground until Ctrl-C or SIGTERM.

Lets an operator (or another language's test suite) point a client at a local LivionKey with
chosen data, limits and faults, without writing Python.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator

from .._cli_output import say
from ._config import Faults, SimConfig
from ._iloq import _command as iloq_command
from ._server import Simulator

__all__ = ["add_arguments", "add_fault_arguments", "faults_from_args", "run", "stop_signal"]


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be within 0..1, not {text}")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {text}")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, not {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, not {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``sim`` flags on ``parser``."""
    defaults = SimConfig()
    serve = parser.add_argument_group("server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    serve.add_argument(
        "--port", type=int, default=8080, help="port, 0 = any free one (%(default)s)"
    )
    serve.add_argument("--access-log", action="store_true", help="log every request to stderr")
    data = parser.add_argument_group("seeded data")
    data.add_argument("--devices", type=_count, default=defaults.devices, help="key30 automats")
    data.add_argument(
        "--keys", type=_count, default=defaults.keys, help="keys per key30 automat (0..30)"
    )
    data.add_argument("--email", default=defaults.email, help="account email (%(default)s)")
    data.add_argument("--password", default=defaults.password, help="account password")
    data.add_argument("--seed", type=int, default=defaults.seed, help="seed of data and faults")
    data.add_argument(
        "--token-lifetime",
        type=_positive,
        default=defaults.token_lifetime,
        metavar="SECONDS",
        help="login token lifetime (%(default)s)",
    )
    add_fault_arguments(parser)


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    """The rate-limit and fault flags, shared with ``sim --api v2``."""
    limits = parser.add_argument_group("rate limit (per account; off unless --rate)")
    limits.add_argument("--rate", type=_positive, default=None, help="requests per second")
    limits.add_argument("--burst", type=_positive_int, default=None, help="bucket size")
    limits.add_argument(
        "--rate-limit-headers",
        action="store_true",
        help="send RateLimit/RateLimit-Policy and X-RateLimit-* headers",
    )
    faults = parser.add_argument_group("faults (all off by default)")
    faults.add_argument("--latency", type=_non_negative, default=0.0, metavar="S")
    faults.add_argument("--jitter", type=_non_negative, default=0.0, metavar="S")
    faults.add_argument("--fail-rate", type=_probability, default=0.0, metavar="P")
    faults.add_argument("--drop-rate", type=_probability, default=0.0, metavar="P")
    faults.add_argument("--drop-after-commit-rate", type=_probability, default=0.0, metavar="P")
    faults.add_argument("--slow-rate", type=_probability, default=0.0, metavar="P")
    faults.add_argument("--slow-seconds", type=_non_negative, default=30.0, metavar="S")
    # `sim iloq [flags]` runs the iLOQ simulator instead; plain `sim` stays the V1 one.
    services = parser.add_subparsers(dest="service", metavar="[iloq]")
    summary = "run the iLOQ 5 Series Public API simulator (for `iloq check`)"
    iloq_command.add_arguments(services.add_parser("iloq", help=summary, description=summary))


def config_from_args(args: argparse.Namespace) -> SimConfig:
    """The :class:`SimConfig` the parsed flags describe."""
    return SimConfig(
        host=args.host,
        port=args.port,
        access_log=args.access_log,
        devices=args.devices,
        keys=args.keys,
        email=args.email,
        password=args.password,
        seed=args.seed,
        token_lifetime=args.token_lifetime,
        rate=args.rate,
        burst=args.burst,
        rate_limit_headers=args.rate_limit_headers,
        faults=faults_from_args(args),
    )


def faults_from_args(args: argparse.Namespace) -> Faults:
    """The :class:`Faults` the fault flags describe."""
    return Faults(
        latency=args.latency,
        jitter=args.jitter,
        fail_rate=args.fail_rate,
        drop_rate=args.drop_rate,
        drop_after_commit_rate=args.drop_after_commit_rate,
        slow_rate=args.slow_rate,
        slow_seconds=args.slow_seconds,
    )


@contextlib.asynccontextmanager
async def stop_signal() -> AsyncIterator[asyncio.Event]:
    """An event set by Ctrl-C or SIGTERM while the block runs (shared with ``sim --api v2``)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows: Ctrl-C raises
            continue
        handled.append(sig)
    try:
        yield stop
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


async def _serve(config: SimConfig) -> None:
    async with stop_signal() as stop, Simulator(config) as sim:
        devices = ", ".join(
            f"{d.device_id} ({d.product}, {len(d.keys)} keys)" for d in sim.state.devices.values()
        )
        # `say`: once stdout is closed (`sim | head -1`), it keeps serving, quietly.
        say(f"LivionKey simulator listening on {sim.url}")
        say(f"  email:    {config.email}")
        say(f"  password: {config.password}")
        say(f"  devices:  {devices}")
        say(f"  control:  {sim.url}/_sim/stats, /_sim/faults, /_sim/reset, /_sim/webhooks")
        say("Press Ctrl-C to stop.")
        await stop.wait()
    say("simulator stopped")


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM; 0 on a clean stop, 2 on a bad configuration."""
    if getattr(args, "service", None) == "iloq":
        return iloq_command.run(args)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"sim: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(config))
    except OSError as exc:
        print(f"sim: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
