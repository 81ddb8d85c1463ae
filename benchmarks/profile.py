"""Where the client's CPU goes: cProfile over 3,000 requests, as a sorted table per layer.

The simulator runs in its own process (as in every benchmark), unlimited and without latency,
so what is profiled is the client's own work per request: the pacer, the token, the retry
machinery, building the URL and the body, aiohttp, JSON, cattrs, the stats. Written to
``benchmarks/results/profile.txt`` (the top functions by own time and by cumulative time, and a
table of own time grouped by layer); run ``make profile``.

The profiler's timer is ``time.process_time`` (CPU, not wall time: the machines are shared), and
the layer table is the median of ``--repeat`` profiles. ``--out`` writes elsewhere: the "before"
table in ``benchmarks/README.md`` came from this script run against an older checkout of the
package (``PYTHONPATH=<old checkout> python -m benchmarks.profile --out ...``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import time
from collections import defaultdict
from pathlib import Path

from livionkey_async import LivionKeyClient

from ._support import RESULTS, console, running_sim

# Own time of a function counted for the first layer whose marker is in its file name.
LAYERS: tuple[tuple[str, str], ...] = (
    ("livionkey_async/_pacing", "pacer"),
    ("livionkey_async/_auth", "auth (token)"),
    ("livionkey_async/_transport", "transport (request path)"),
    ("livionkey_async/_http", "HTTP edge (bounded read, decode)"),
    ("livionkey_async/_convert", "cattrs conversion (ours)"),
    ("livionkey_async/_ratelimit_headers", "rate-limit headers"),
    ("livionkey_async/_retry_budget", "retry budget"),
    ("livionkey_async/_stats", "stats"),
    ("livionkey_async/_devices", "resource method"),
    ("livionkey_async/_arguments", "argument checks"),
    ("livionkey_async/", "other of ours"),
    ("cattrs", "cattrs (library)"),
    ("<cattrs generated", "cattrs (generated code)"),
    ("<attrs generated", "attrs (generated __init__)"),
    ("tenacity", "tenacity"),
    ("yarl", "yarl (URLs)"),
    ("multidict", "multidict (headers)"),
    ("aiohttp", "aiohttp"),
    ("json", "json"),
    ("asyncio", "asyncio (event loop)"),
    ("logging", "logging"),
)


def layer_of(filename: str) -> str:
    for marker, name in LAYERS:
        if marker in filename:
            return name
    return "other (stdlib, builtins)"


async def workload(
    url: str, email: str, password: str, requests: int, warmup: int, repeat: int
) -> tuple[list[dict[str, float]], cProfile.Profile]:
    """Per-layer own CPU time of each of ``repeat`` profiles, and the last profiler."""
    runs: list[dict[str, float]] = []
    async with LivionKeyClient(
        email, password, base_url=url, rate_limit=100_000, max_connections=16
    ) as client:
        await asyncio.gather(*(client.devices.get("00001") for _ in range(warmup)))
        for _ in range(repeat):
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            await asyncio.gather(*(client.devices.get("00001") for _ in range(requests)))
            profiler.disable()
            runs.append(by_layer(profiler))
    return runs, profiler


def by_layer(profiler: cProfile.Profile) -> dict[str, float]:
    layers: dict[str, float] = defaultdict(float)
    stats = pstats.Stats(profiler)
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        layers[layer_of(filename)] += own
    return layers


def write_report(
    runs: list[dict[str, float]], profiler: cProfile.Profile, requests: int, path: Path
) -> Path:
    names = {name for run in runs for name in run}
    median = {name: statistics.median(run.get(name, 0.0) for run in runs) for name in names}
    total = statistics.median(sum(run.values()) for run in runs)
    out = io.StringIO()
    out.write(
        f"{requests} x client.devices.get(), profiled with cProfile (CPU time), "
        f"median of {len(runs)} profiles\n"
    )
    out.write(f"total own time: {total:.3f} s = {1e6 * total / requests:.0f} us per request\n\n")
    out.write(f"{'layer':<32} {'us/request':>10} {'share':>7}\n")
    for name, own in sorted(median.items(), key=lambda item: -item[1]):
        out.write(f"{name:<32} {1e6 * own / requests:>10.1f} {100 * own / total:>6.1f}%\n")
    for order in ("tottime", "cumulative"):
        out.write(f"\n-- the last profile, top 40 by {order} --\n")
        listing = io.StringIO()
        pstats.Stats(profiler, stream=listing).sort_stats(order).print_stats(40)
        out.write(listing.getvalue().split("\n", 6)[-1])
    path.write_text(out.getvalue(), encoding="utf-8")
    console.print(out.getvalue().split("\n-- top")[0])
    console.print(f"written to {path}")
    return path


async def main(requests: int, warmup: int, repeat: int, path: Path) -> None:
    async with running_sim("--devices", "20", "--keys", "5") as sim:
        runs, last = await workload(sim.url, sim.email, sim.password, requests, warmup, repeat)
    write_report(runs, last, requests, path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "profile.txt")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.warmup, args.repeat, args.out))
