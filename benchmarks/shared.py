"""Many worker processes on one account: with the shared Redis store, and without it.

A simulator in its own process limits the account to 100 requests/s with a bucket of 10
(``--rate 100 --burst 10 --latency 0.02``; its login throttle is on, at its default of 30 logins a
minute). For 4 and then 16 worker PROCESSES, each with its own ``LivionKeyClient``
(``rate_limit=None``: the limit is discovered), every process fans out 500
``GET /devices/00001`` at once, the processes released together by a barrier; first with a
``RedisStore`` shared by all of them, then without (side by side in one run; the simulator is
reset before each, and each run with the store has a fresh namespace, so nothing is learnt from
an earlier one).

Reported: aggregate time (from the release until the last process is done) against the ideal
(all requests / 100 per second), logins and 429s as the simulator counted them, and client CPU
per HTTP exchange (``time.process_time()`` of every worker over its fan-out, summed, divided by
the exchanges the clients sent, their retries included): the difference between the two runs of
one size is what the store adds. Targets (printed as PASS or MISS, never asserted): with the
store, at most 1.10 x ideal, one login in all, 429s under 1 % of the requests.

Run: ``make bench-shared`` (it starts a private redis-server, as ``make test`` does), or
``python -m benchmarks.shared --redis URL [--requests 500] [--processes 4 16]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import time
from collections.abc import Sequence
from typing import Any

import attrs

from livionkey_async import LivionKeyClient

from ._support import (
    SimControl,
    SimInfo,
    Target,
    console,
    environment,
    print_table,
    print_targets,
    running_sim,
    write_json,
)

LIMIT = 100.0
SIM_FLAGS = ("--rate", "100", "--burst", "10", "--latency", "0.02")
DEVICE = "00001"
READY_TIMEOUT = 120.0


@attrs.frozen
class WorkerResult:
    """What one worker process did between the release and its last answer."""

    finished: float  # wall clock (time.time) at its last answer
    cpu: float  # process CPU seconds over its fan-out
    requests: int  # HTTP exchanges its client sent (retries and logins included)
    errors: int


async def _fan_out(info: SimInfo, redis: str | None, namespace: str, count: int, start: Any) -> Any:
    store = None
    if redis is not None:
        from livionkey_async.redis import RedisStore

        store = RedisStore(redis, namespace=namespace)
    client = LivionKeyClient(info.email, info.password, base_url=info.url, store=store)
    try:
        async with client:
            await asyncio.to_thread(start.wait, READY_TIMEOUT)  # released with the others
            cpu0 = time.process_time()
            results = await asyncio.gather(
                *(client.devices.get(DEVICE) for _ in range(count)), return_exceptions=True
            )
            finished, cpu = time.time(), time.process_time() - cpu0
    finally:
        if store is not None:
            await store.aclose()
    errors = sum(1 for r in results if isinstance(r, BaseException))
    return WorkerResult(finished, cpu, client.stats.requests, errors)


def _worker(
    info: SimInfo, redis: str | None, namespace: str, count: int, start: Any, out: Any
) -> None:
    out.put(asyncio.run(_fan_out(info, redis, namespace, count, start)))


@attrs.frozen
class Run:
    processes: int
    shared: bool
    requests: int
    elapsed: float
    logins: int
    throttled: int
    errors: int
    exchanges: int
    cpu_us: float  # per exchange

    @property
    def ideal(self) -> float:
        return self.requests / LIMIT

    @property
    def ratio(self) -> float:
        return self.elapsed / self.ideal

    def as_dict(self) -> dict[str, object]:
        return {
            **attrs.asdict(self),
            "ideal_s": self.ideal,
            "elapsed_over_ideal": round(self.ratio, 4),
        }


async def _run(
    info: SimInfo, control: SimControl, processes: int, redis: str | None, count: int
) -> Run:
    await control.reset()
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(processes + 1), context.Queue()
    namespace = f"bench-{secrets.token_hex(4)}"
    workers = [
        context.Process(target=_worker, args=(info, redis, namespace, count, start, out))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        await asyncio.to_thread(start.wait, READY_TIMEOUT)
        released = time.time()
        results: list[WorkerResult] = [
            await asyncio.to_thread(out.get, True, 600.0) for _ in workers
        ]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
    sim = await control.stats()
    exchanges = sum(r.requests for r in results)
    return Run(
        processes=processes,
        shared=redis is not None,
        requests=processes * count,
        elapsed=max(r.finished for r in results) - released,
        logins=sim["logins"],
        throttled=sim["throttled"],
        errors=sum(r.errors for r in results),
        exchanges=exchanges,
        cpu_us=1e6 * sum(r.cpu for r in results) / max(1, exchanges),
    )


def _targets(runs: Sequence[Run]) -> list[Target]:
    targets = []
    for run in (r for r in runs if r.shared):
        alone = next((r for r in runs if r.processes == run.processes and not r.shared), None)
        share = 100 * run.throttled / run.requests
        targets += [
            Target(
                f"{run.processes} processes with the store: aggregate time <= 1.10 x ideal",
                run.ratio <= 1.10,
                f"{run.ratio:.3f} x ideal ({run.elapsed:.1f} s for {run.ideal:.0f} s)",
            ),
            Target(f"{run.processes} processes: 1 login", run.logins == 1, f"{run.logins}"),
            Target(
                f"{run.processes} processes: 429s under 1 % of requests",
                share < 1.0,
                f"{run.throttled} ({share:.2f} %)",
            ),
        ]
        if alone is not None:
            console.print(
                f"  {run.processes} processes: CPU added by the store "
                f"{run.cpu_us - alone.cpu_us:+.0f} us per exchange "
                f"({run.cpu_us:.0f} with, {alone.cpu_us:.0f} without)"
            )
    return targets


async def main(args: argparse.Namespace) -> None:
    redis = args.redis or os.environ.get("LIVIONKEY_TEST_REDIS_URL")
    if not redis:
        raise SystemExit("no Redis: run `make bench-shared`, or pass --redis URL")
    began = time.perf_counter()
    runs: list[Run] = []
    async with running_sim(*SIM_FLAGS) as info, SimControl(info) as control:
        for processes in args.processes:
            for shared in (True, False):
                run = await _run(info, control, processes, redis if shared else None, args.requests)
                console.print(
                    f"{processes} processes, {'with' if shared else 'without'} the store: "
                    f"{run.elapsed:.1f} s, {run.logins} logins, {run.throttled} 429s"
                )
                runs.append(run)
    rows = [
        (
            f"{run.processes} processes, {'with the store' if run.shared else 'no store'}",
            run.requests,
            f"{run.elapsed:.2f}",
            f"{run.ideal:.0f}",
            f"{run.ratio:.3f}",
            run.logins,
            run.throttled,
            f"{100 * run.throttled / run.requests:.2f}",
            run.errors,
            f"{run.cpu_us:.0f}",
        )
        for run in runs
    ]
    print_table(
        f"{args.requests} requests per process at once, limit 100/s burst 10, latency 20 ms",
        (
            "run",
            "requests",
            "aggregate s",
            "ideal s",
            "/ ideal",
            "logins",
            "429s",
            "429 %",
            "errors",
            "CPU us/exchange",
        ),
        rows,
    )
    console.print()
    targets = _targets(runs)
    print_targets(targets)
    path = write_json(
        "shared.json",
        {
            "benchmark": "shared",
            "environment": environment(),
            "simulator_flags": list(SIM_FLAGS),
            "requests_per_process": args.requests,
            "runs": [run.as_dict() for run in runs],
            "targets": [target.as_dict() for target in targets],
            "seconds": round(time.perf_counter() - began, 1),
        },
    )
    console.print(f"\nresults: {path} ({time.perf_counter() - began:.0f} s)")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.shared", description=__doc__)
    parser.add_argument("--redis", help="a Redis URL (default: LIVIONKEY_TEST_REDIS_URL)")
    parser.add_argument("--requests", type=int, default=500, help="requests per process")
    parser.add_argument("--processes", type=int, nargs="+", default=[4, 16])
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
