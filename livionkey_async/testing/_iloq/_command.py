"""``livionkey-async sim iloq``: run the iLOQ simulator in the foreground until Ctrl-C or SIGTERM.

Lets an integrator (or a test) point ``livionkey-async iloq check`` at a local iLOQ service with
a chosen misconfiguration, without writing Python. Its flags use ``iloq_``-prefixed destinations
so they never collide with the V1 simulator's flags on the parent ``sim`` command.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from ._config import IloqFaults, IloqSimConfig, locking_systems
from ._server import IloqSimulator
from ._vocabulary import ENDPOINTS, RIGHT_BITS

__all__ = ["add_arguments", "config_from_args", "run"]


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``sim iloq`` flags on ``parser``."""
    defaults = IloqSimConfig()
    endpoints = ", ".join(name.rsplit("/", 1)[-1] for name in ENDPOINTS)
    serve = parser.add_argument_group("server")
    serve.add_argument(
        "--host", dest="iloq_host", default="127.0.0.1", metavar="HOST", help="(%(default)s)"
    )
    serve.add_argument(
        "--port",
        dest="iloq_port",
        type=int,
        default=8081,
        metavar="PORT",
        help="0 = any free one (%(default)s)",
    )
    serve.add_argument("--access-log", dest="iloq_access_log", action="store_true")
    customer = parser.add_argument_group("the customer and its API user")
    customer.add_argument(
        "--service-code", dest="iloq_service_code", default=defaults.customer_code
    )
    customer.add_argument(
        "--username", dest="iloq_username", default=defaults.username, metavar="USER"
    )
    customer.add_argument(
        "--password", dest="iloq_password", default=defaults.password, metavar="PASSWORD"
    )
    knobs = parser.add_argument_group("misconfigurations (all off by default)")
    knobs.add_argument(
        "--locking-systems", dest="iloq_locking_systems", type=_count, default=1, metavar="N",
        help="locking systems the user sees (0: none; default 1)",
    )  # fmt: skip
    knobs.add_argument(
        "--pool", dest="iloq_pool", metavar="NAME",
        help="GetUrl sends the customer to /NAME/ (e.g. iloqwspool2); the service address "
        "itself then answers CreateSession with Result 6",
    )  # fmt: skip
    knobs.add_argument("--locked-out", dest="iloq_locked_out", action="store_true")
    knobs.add_argument("--password-expired", dest="iloq_password_expired", action="store_true")
    knobs.add_argument(
        "--session-result", dest="iloq_session_result", type=int, metavar="N",
        help="force CreateSession's Result (3 HTTPS required, 4 database update, ...)",
    )  # fmt: skip
    knobs.add_argument("--public-api-off", dest="iloq_public_api_off", action="store_true")
    knobs.add_argument(
        "--api-access-rights-off", dest="iloq_api_access_rights_off", action="store_true"
    )
    knobs.add_argument(
        "--missing-right", dest="iloq_missing_rights", action="append", default=[],
        choices=sorted(RIGHT_BITS), metavar="RIGHT",
        help=f"a usage right the user lacks (repeatable): {', '.join(RIGHT_BITS)}",
    )  # fmt: skip
    faults = parser.add_argument_group("slow or failing server")
    faults.add_argument(
        "--latency", dest="iloq_latency", type=_non_negative, default=0.0, metavar="S"
    )
    faults.add_argument(
        "--latency-on", dest="iloq_latency_on", action="append", default=[], metavar="ENDPOINT",
        help=f"only these endpoints are slow (repeatable): {endpoints}",
    )  # fmt: skip
    faults.add_argument("--fail-status", dest="iloq_fail_status", type=int, metavar="STATUS")
    faults.add_argument(
        "--fail-on", dest="iloq_fail_on", action="append", default=[], metavar="ENDPOINT",
        help="only these endpoints fail (repeatable)",
    )  # fmt: skip
    faults.add_argument("--fail-times", dest="iloq_fail_times", type=_count, metavar="N")


def config_from_args(args: argparse.Namespace) -> IloqSimConfig:
    """The :class:`IloqSimConfig` the parsed flags describe (``ValueError`` if inconsistent)."""
    return IloqSimConfig(
        customer_code=args.iloq_service_code,
        username=args.iloq_username,
        password=args.iloq_password,
        locking_systems=locking_systems(
            args.iloq_locking_systems,
            public_api=not args.iloq_public_api_off,
            api_access_rights=not args.iloq_api_access_rights_off,
            missing_rights=frozenset(args.iloq_missing_rights),
        ),
        pool=args.iloq_pool,
        locked_out=args.iloq_locked_out,
        password_expired=args.iloq_password_expired,
        session_result=args.iloq_session_result,
        faults=IloqFaults(
            latency=args.iloq_latency,
            latency_on=frozenset(args.iloq_latency_on),
            fail_status=args.iloq_fail_status,
            fail_on=frozenset(args.iloq_fail_on),
            fail_times=args.iloq_fail_times,
        ),
        host=args.iloq_host,
        port=args.iloq_port,
        access_log=args.iloq_access_log,
    )


async def _serve(config: IloqSimConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            continue
        handled.append(sig)
    try:
        async with IloqSimulator(config) as sim:
            systems = ", ".join(s.name for s in config.locking_systems) or "(none)"
            print(f"iLOQ simulator listening on {sim.url}", flush=True)
            print(f"  service address: {sim.service_address}", flush=True)
            print(f"  service code:    {config.customer_code}", flush=True)
            print(f"  user name:       {config.username}", flush=True)
            print(f"  password:        {config.password}", flush=True)
            print(f"  locking systems: {systems}", flush=True)
            print("Press Ctrl-C to stop.", flush=True)
            await stop.wait()
            print(
                f"sessions opened: {len(sim.sessions)}, left open: {len(sim.open_sessions())}",
                flush=True,
            )
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
    print("simulator stopped", flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM; 0 on a clean stop, 2 on a bad configuration."""
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"sim iloq: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(config))
    except OSError as exc:
        print(f"sim iloq: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
