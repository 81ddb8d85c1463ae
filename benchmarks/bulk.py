"""Bulk benchmark: many contracts against a limited, faulty simulator, and a 100k stream.

Part (i), side by side in one run on ``--devices 100 --keys 30 --rate 100 --burst 10
--latency 0.01 --fail-rate 0.02 --drop-after-commit-rate 0.02`` (reset before each approach):

* ``client.bulk.create_contracts(specs, concurrency=32)``;
* a naive ``asyncio.gather(*(client.contracts.create(s, reconcile=False) for s in specs),
  return_exceptions=True)``;
* a sequential ``for spec in specs: await client.contracts.create(spec, reconcile=False)`` loop
  that catches and counts errors (what people write), on a subset, extrapolated.

The baselines send each create once (``reconcile=False``): what a client without exactly-once
creation does. (A plain ``contracts.create`` now reconciles with the bulk helpers' machinery.)

All three use our ``LivionKeyClient`` with its default pacing (``rate_limit=None``), so what differs
is the bulk helper (bounded fan-out, reconciliation, exactly-once), not the transport. Reported per
approach: time against the ideal (requests that consumed a rate-limit token / 100 per second),
contracts on the simulator, duplicate ``contractId``s, lost items (neither reported ok nor on the
server; reported failed yet on the server), and the client's peak memory.

Part (ii), on a fast simulator (no limit, latency or faults): 100,000 specs streamed through
``client.bulk.stream_create_contracts(generator, concurrency=32)``, results counted and dropped;
``tracemalloc`` current memory sampled every 10,000 items to show whether it stays flat. Run twice
on fresh simulators: with ``check_batch=False`` (nothing remembered per item: flat) and with the
default batch-wide checks (which remember each contract id and window: their cost per item).

Run: ``python -m benchmarks.bulk`` (``make bench-bulk``); ``--specs N`` shortens part (ii).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs

from livionkey_async import (
    BulkProgress,
    Contact,
    KeyRef,
    LivionKeyClient,
    LivionKeyError,
    NewContract,
)

from ._support import (
    SimControl,
    SimInfo,
    Target,
    console,
    environment,
    max_rss_kib,
    measure,
    print_table,
    print_targets,
    running_sim,
    write_json,
)

LIMIT = 100.0  # the simulator's hidden limit, requests per second
DEVICES = 100
KEYS = 30
WINDOWS = 34  # non-overlapping time windows per key: 100 x 30 x 34 = 102,000 valid contracts
CONCURRENCY = 32
SAMPLE_EVERY = 10_000
FAULTY_FLAGS = (
    "--devices",
    str(DEVICES),
    "--keys",
    str(KEYS),
    "--rate",
    f"{LIMIT:g}",
    "--burst",
    "10",
    "--latency",
    "0.01",
    "--fail-rate",
    "0.02",
    "--drop-after-commit-rate",
    "0.02",
)
FAST_FLAGS = ("--devices", str(DEVICES), "--keys", str(KEYS))


def contract_specs(count: int, base: datetime) -> Iterator[NewContract]:
    """``count`` valid contracts, lazily: every key once per window, window after window."""
    if count > DEVICES * KEYS * WINDOWS:
        raise ValueError(f"at most {DEVICES * KEYS * WINDOWS} distinct valid specs")
    contact = (Contact(email="guest@example.com"),)
    for index in range(count):
        window, slot = divmod(index, DEVICES * KEYS)
        device, key = divmod(slot, KEYS)
        start = base + timedelta(hours=2 * window)
        yield NewContract(
            contract_id=f"bench-{index:06d}",
            keys=(KeyRef(device_id=f"{device + 1:05d}", key_id=f"A{key + 1:04d}"),),
            start=start,
            end=start + timedelta(hours=1),
            person=f"Guest {index}",
            contacts=contact,
        )


def _base_time() -> datetime:
    """Tomorrow at a whole minute: every window starts in the future for the whole run."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now + timedelta(days=1)


# ---------------------------------------------------------------------------------- part (i)


@attrs.define
class Outcomes:
    """What the caller was told about each spec it attempted."""

    attempted: list[str] = attrs.field(factory=list)
    succeeded: set[str] = attrs.field(factory=set)
    failed: set[str] = attrs.field(factory=set)
    errors: collections.Counter[str] = attrs.field(factory=collections.Counter)
    reconciled: int = 0
    timed_out: bool = False

    def ok(self, contract_id: str) -> None:
        self.succeeded.add(contract_id)

    def failure(self, contract_id: str, error: str) -> None:
        self.failed.add(contract_id)
        self.errors[error] += 1

    @property
    def unreported(self) -> int:
        """Attempted but never reported either way (only when the time limit cut the run)."""
        return len(self.attempted) - len(self.succeeded) - len(self.failed)


@attrs.frozen
class BulkRun:
    key: str
    label: str
    specs: int
    scale: float  # extrapolation factor to the full batch (1.0: measured in full)
    elapsed: float
    cpu: float
    outcomes: Outcomes
    sim: dict[str, int]
    server_ids: collections.Counter[str]
    client: dict[str, object]
    tracemalloc_peak: int
    rss_delta_kib: int

    @property
    def consumed(self) -> int:
        """Requests that took a token from the simulator's bucket (the ones the limit paces)."""
        s = self.sim
        return s["requests"] - s["logins"] - s["failed"] - s["throttled"]

    @property
    def ideal(self) -> float:
        return self.consumed / LIMIT

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.server_ids.values() if n > 1)

    @property
    def missing(self) -> int:
        """Attempted, not reported as succeeded, and not on the server."""
        o = self.outcomes
        return sum(1 for c in o.attempted if c not in o.succeeded and c not in self.server_ids)

    @property
    def failed_but_created(self) -> int:
        return sum(1 for c in self.outcomes.failed if c in self.server_ids)

    @property
    def ok_but_absent(self) -> int:
        return sum(1 for c in self.outcomes.succeeded if c not in self.server_ids)

    @property
    def foreign(self) -> int:
        attempted = set(self.outcomes.attempted)
        return sum(1 for c in self.server_ids if c not in attempted)

    def as_dict(self) -> dict[str, object]:
        o = self.outcomes
        return {
            "approach": self.key,
            "label": self.label,
            "specs": self.specs,
            "extrapolated_to": round(self.specs * self.scale),
            "elapsed_s": round(self.elapsed, 3),
            "elapsed_extrapolated_s": round(self.elapsed * self.scale, 3),
            "requests_consumed": self.consumed,
            "ideal_s": round(self.ideal, 3),
            "elapsed_over_ideal": round(self.elapsed / self.ideal, 4),
            "reported_succeeded": len(o.succeeded),
            "reported_failed": len(o.failed),
            "reconciled": o.reconciled,
            "timed_out": o.timed_out,
            "unreported": o.unreported,
            "error_types": dict(o.errors.most_common()),
            "contracts_on_sim": sum(self.server_ids.values()),
            "duplicates": self.duplicates,
            "lost_missing": self.missing,
            "lost_failed_but_created": self.failed_but_created,
            "succeeded_but_absent": self.ok_but_absent,
            "on_sim_not_attempted": self.foreign,
            "sim_stats": self.sim,
            "client_stats": self.client,
            "client_cpu_s": round(self.cpu, 3),
            "tracemalloc_peak_bytes": self.tracemalloc_peak,
            "max_rss_delta_kib": self.rss_delta_kib,
        }


Approach = Callable[[LivionKeyClient, list[NewContract], Outcomes], Awaitable[None]]


async def with_bulk(client: LivionKeyClient, specs: list[NewContract], out: Outcomes) -> None:
    def record(progress: BulkProgress) -> None:  # every item, as it finishes
        item = progress.last
        spec = item.spec
        assert isinstance(spec, NewContract)
        if item.ok:
            out.ok(spec.contract_id)
        elif item.error is not None:
            out.failure(spec.contract_id, type(item.error).__name__)
        else:
            out.failure(spec.contract_id, item.outcome.name)  # not attempted (cancelled)
        out.reconciled += item.reconciled

    out.attempted = [s.contract_id for s in specs]
    await client.bulk.create_contracts(specs, concurrency=CONCURRENCY, on_progress=record)


async def with_gather(client: LivionKeyClient, specs: list[NewContract], out: Outcomes) -> None:
    async def recorded(spec: NewContract, create: Awaitable[object]) -> None:
        try:
            await create
        except LivionKeyError as error:
            out.failure(spec.contract_id, type(error).__name__)
            raise
        out.ok(spec.contract_id)

    out.attempted = [s.contract_id for s in specs]
    await asyncio.gather(
        *(recorded(s, client.contracts.create(s, reconcile=False)) for s in specs),
        return_exceptions=True,
    )


async def with_loop(client: LivionKeyClient, specs: list[NewContract], out: Outcomes) -> None:
    for spec in specs:
        out.attempted.append(spec.contract_id)
        try:
            await client.contracts.create(spec, reconcile=False)
        except LivionKeyError as error:
            out.failure(spec.contract_id, type(error).__name__)
        else:
            out.ok(spec.contract_id)


async def run_approach(
    info: SimInfo,
    control: SimControl,
    key: str,
    label: str,
    approach: Approach,
    specs: list[NewContract],
    scale: float,
    time_limit: float,
    rate_hint: float | None = None,
) -> BulkRun:
    await control.reset()
    outcomes = Outcomes()
    async with LivionKeyClient(
        info.email, info.password, base_url=info.url, rate_hint=rate_hint
    ) as client:
        gc.collect()
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        rss0 = max_rss_kib()
        with measure() as spent:
            try:
                await asyncio.wait_for(approach(client, specs, outcomes), time_limit)
            except TimeoutError:
                outcomes.timed_out = True
        _, peak = tracemalloc.get_traced_memory()
        rss1 = max_rss_kib()
        stats = client.stats
    contracts = await control.contracts()
    server_ids = collections.Counter(str(c.get("contractId")) for c in contracts)
    return BulkRun(
        key=key,
        label=label,
        specs=len(specs),
        scale=scale,
        elapsed=spent.wall,
        cpu=spent.cpu,
        outcomes=outcomes,
        sim=await control.stats(),
        server_ids=server_ids,
        client={
            "requests": stats.requests,
            "throttled": stats.throttled,
            "retries": stats.retries,
            "logins": stats.logins,
            "congestion_events": stats.congestion_events,
            "paused_s": round(stats.paused_seconds, 3),
            "final_rate": stats.current_rate,
            "learnt_rate": stats.learnt_rate,
        },
        tracemalloc_peak=peak - base,
        rss_delta_kib=rss1 - rss0,
    )


def print_bulk(runs: Sequence[BulkRun], total: int) -> None:
    rows = []
    for r in runs:
        extrapolated = r.scale != 1.0
        elapsed = f"{r.elapsed:.1f}"
        if extrapolated:
            elapsed += f" (x{r.scale:g} = {r.elapsed * r.scale:.0f})"
        if r.outcomes.timed_out:
            elapsed += f" (cut at the time limit, {r.outcomes.unreported} unreported)"
        rows.append(
            (
                f"({r.key}) {r.label}",
                r.specs,
                elapsed,
                f"{r.ideal * r.scale:.1f}",
                f"{r.elapsed / r.ideal:.2f}",
                f"{len(r.outcomes.succeeded)} / {len(r.outcomes.failed)}",
                sum(r.server_ids.values()),
                r.duplicates,
                r.missing,
                r.failed_but_created,
                r.ok_but_absent,
                r.sim["throttled"],
                f"{r.tracemalloc_peak / 2**20:.1f}",
                f"{r.rss_delta_kib / 1024:.1f}",
            )
        )
    print_table(
        f"Part (i) - {total} contracts, limit {LIMIT:g}/s burst 10, latency 10 ms, "
        "2 % injected 5xx, 2 % dropped after commit",
        [
            "approach",
            "specs",
            "elapsed s",
            "ideal s",
            "/ ideal",
            "ok / failed",
            "on sim",
            "dupes",
            "lost: missing",
            "lost: failed but created",
            "ok but absent",
            "429s",
            "tracemalloc peak MiB",
            "max RSS delta MiB",
        ],
        rows,
        note=(
            "ideal = (simulator requests - logins - injected 5xx - 429s) / 100 per second, i.e. "
            "the requests that consumed a rate-limit token; the sequential loop ran on a subset "
            "and its time (and ideal) are extrapolated linearly, its counts are not. All three "
            "use LivionKeyClient(rate_limit=None). max RSS is a high-water mark for the whole "
            "process: a delta shows only growth beyond the earlier peak (order: as listed)."
        ),
    )
    for r in runs:
        errors = ", ".join(f"{n} {name}" for name, n in r.outcomes.errors.most_common()) or "none"
        console.print(
            f"  ({r.key}) errors: {errors}; reconciled {r.outcomes.reconciled}; client: "
            f"{r.client}; sim: failed {r.sim['failed']}, dropped {r.sim['dropped']}"
        )


# ---------------------------------------------------------------------------------- part (ii)


def _rss_now_kib() -> int:
    """Current resident set size (Linux ``/proc/self/statm``), in KiB."""
    import os

    with Path("/proc/self/statm").open() as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


@attrs.frozen
class Sample:
    done: int
    elapsed: float
    traced: int
    rss_kib: int


async def stream_run(info: SimInfo, count: int, *, check_batch: bool) -> dict[str, object]:
    base_time = _base_time()
    samples: list[Sample] = []
    succeeded = failed = 0
    errors: collections.Counter[str] = collections.Counter()
    async with LivionKeyClient(info.email, info.password, base_url=info.url) as client:
        gc.collect()
        baseline, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        started = time.perf_counter()
        with measure() as spent:
            stream = client.bulk.stream_create_contracts(
                contract_specs(count, base_time), concurrency=CONCURRENCY, check_batch=check_batch
            )
            async for item in stream:
                if item.ok:
                    succeeded += 1
                else:
                    failed += 1
                    errors[type(item.error).__name__] += 1
                done = succeeded + failed
                if done % SAMPLE_EVERY == 0 or done == count:
                    gc.collect()
                    current, _ = tracemalloc.get_traced_memory()
                    samples.append(
                        Sample(
                            done, time.perf_counter() - started, current - baseline, _rss_now_kib()
                        )
                    )
                    console.print(
                        f"    {done:>7} items  {samples[-1].elapsed:6.1f} s  "
                        f"traced {samples[-1].traced / 2**20:6.2f} MiB  "
                        f"RSS {samples[-1].rss_kib / 1024:6.1f} MiB"
                    )
        _, peak = tracemalloc.get_traced_memory()
        stats = client.stats
    # Growth: the largest later sample against the first (the first already holds the
    # in-flight work, so a flat stream stays near 1 whatever the concurrency).
    later = [s.traced for s in samples[1:]]
    first = samples[0].traced if samples else 0
    flat = max(later) / first if later and first > 0 else float("nan")
    return {
        "specs": count,
        "check_batch": check_batch,
        "succeeded": succeeded,
        "failed": failed,
        "error_types": dict(errors.most_common()),
        "elapsed_s": round(spent.wall, 2),
        "items_per_s": round(count / spent.wall, 1),
        "client_cpu_s": round(spent.cpu, 2),
        "client_cpu_us_per_item": round(1e6 * spent.cpu / count, 1),
        "client_requests": stats.requests,
        "final_rate": stats.current_rate,
        "samples": [
            {
                "done": s.done,
                "elapsed_s": round(s.elapsed, 2),
                "traced_bytes_over_baseline": s.traced,
                "rss_kib": s.rss_kib,
            }
            for s in samples
        ],
        "traced_max_over_first_sample": round(flat, 3),
        "traced_growth_per_10k_items_bytes": _slope(samples),
        "tracemalloc_peak_bytes_over_baseline": peak - baseline,
        "note": "tracemalloc current (after gc.collect()) minus the value before the stream",
    }


def _slope(samples: Sequence[Sample]) -> int | None:
    """Least-squares growth of traced memory per 10,000 items, after the first sample."""
    points = [(s.done, s.traced) for s in samples[1:]]
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    cov = sum((x - mx) * (y - my) for x, y in points)
    return round(cov / var * SAMPLE_EVERY) if var else None


def print_stream(result: dict[str, object]) -> None:
    samples = result["samples"]
    assert isinstance(samples, list)
    rows = [
        (
            s["done"],
            f"{s['elapsed_s']:.1f}",
            f"{s['traced_bytes_over_baseline'] / 2**20:.2f}",
            f"{s['rss_kib'] / 1024:.1f}",
        )
        for s in samples
    ]
    print_table(
        f"Part (ii) - {result['specs']} specs streamed, check_batch={result['check_batch']}, "
        f"concurrency {CONCURRENCY}, unlimited "
        f"simulator: {result['elapsed_s']} s, {result['items_per_s']} items/s, "
        f"{result['succeeded']} ok / {result['failed']} failed",
        ["items done", "elapsed s", "tracemalloc current MiB", "RSS MiB"],
        rows,
        note=(
            f"largest traced sample over the first: "
            f"{result['traced_max_over_first_sample']}; least-squares growth "
            f"{result['traced_growth_per_10k_items_bytes']} bytes per 10,000 items; client CPU "
            f"{result['client_cpu_us_per_item']} us per item (with tracemalloc on)"
        ),
    )


# ---------------------------------------------------------------------------------- main


def targets(runs: Sequence[BulkRun], streams: Sequence[dict[str, object]]) -> list[Target]:
    out: list[Target] = []
    for r in runs:
        if r.key in ("a", "d"):
            out.append(
                Target(
                    f"({r.key}) bulk helper: exactly once, nothing lost",
                    r.duplicates == 0
                    and r.missing == 0
                    and r.failed_but_created == 0
                    and r.ok_but_absent == 0,
                    f"{r.duplicates} duplicates, {r.missing} missing, {r.failed_but_created} "
                    f"failed-but-created, {r.ok_but_absent} ok-but-absent",
                )
            )
            ratio = r.elapsed / r.ideal
            detail = (
                f"{ratio:.3f} x ideal ({r.client['congestion_events']} congestion events, "
                f"{r.client['paused_s']} s paused)"
            )
            if r.key == "a":
                # From nothing, the limit is found by one 429 whose Retry-After (whole seconds)
                # pauses the job: printed beside the target, which (d) measures with rate_hint.
                floor = 1 + 1 / r.ideal
                out.append(
                    Target(
                        "(a) bulk helper discovering the limit from nothing (no rate_hint)",
                        True,
                        f"{detail}; the first 429's 1-s Retry-After alone adds {floor - 1:.3f}",
                        reference=True,
                    )
                )
            else:
                out.append(Target("(d) bulk helper within 8 % of ideal", ratio <= 1.08, detail))
    for stream in streams:
        flat = stream["traced_max_over_first_sample"]
        assert isinstance(flat, float)
        growth = stream["traced_growth_per_10k_items_bytes"]
        if stream["check_batch"]:
            # The batch-wide checks remember each contract id and window: growth, by design.
            out.append(
                Target(
                    "(ii) check_batch=True: what the batch checks cost (reported, no target)",
                    True,
                    f"growth {growth} bytes per 10,000 items (largest/first {flat})",
                )
            )
            continue
        out.append(
            Target(
                "(ii) check_batch=False: stream memory flat (largest traced sample <= 1.5x "
                "the first)",
                flat <= 1.5,
                f"largest/first {flat}, growth {growth} bytes per 10,000 items",
            )
        )
    return out


async def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    tracemalloc.start()
    total = args.contracts
    specs = list(contract_specs(total, _base_time()))
    subset = specs[: args.sequential]
    runs: list[BulkRun] = []
    if total > 0:
        async with running_sim(*FAULTY_FLAGS) as info, SimControl(info) as control:
            console.print(f"simulator (pid {info.pid}) at {info.url} with {' '.join(FAULTY_FLAGS)}")
            plan: list[tuple[str, str, Approach, list[NewContract]]] = [
                ("a", "ours: bulk.create_contracts", with_bulk, specs),
                ("b", "naive gather of contracts.create", with_gather, specs),
                ("c", "sequential loop of contracts.create", with_loop, subset),
            ]
            for key, label, approach, chosen in plan:
                console.print(f"  running ({key}) {label} on {len(chosen)} specs ...")
                scale = total / len(chosen) if chosen else 1.0
                run = await run_approach(
                    info, control, key, label, approach, chosen, scale, args.time_limit
                )
                runs.append(run)
            # The same job for an operator who kept the rate an earlier run learnt.
            learnt = runs[0].client["learnt_rate"]
            hint = float(learnt) if isinstance(learnt, int | float) else None
            label = f"ours, rate_hint={hint} (learnt by (a))"
            console.print(f"  running (d) {label} ...")
            run = await run_approach(
                info, control, "d", label, with_bulk, specs, 1.0, args.time_limit, rate_hint=hint
            )
            runs.append(run)
        print_bulk(runs, total)

    streams: list[dict[str, object]] = []
    for check_batch in (False, True) if args.specs > 0 else ():
        async with running_sim(*FAST_FLAGS) as fast:  # a fresh simulator for each stream
            console.print(
                f"fast simulator (pid {fast.pid}) at {fast.url} with {' '.join(FAST_FLAGS)}: "
                f"streaming {args.specs} specs, check_batch={check_batch}"
            )
            streams.append(await stream_run(fast, args.specs, check_batch=check_batch))
        print_stream(streams[-1])
    tracemalloc.stop()

    checks = targets(runs, streams)
    console.print("Checks (printed, never asserted):")
    print_targets(checks)
    path = write_json(
        "bulk.json",
        {
            "benchmark": "bulk",
            "environment": environment(),
            "part_i": {
                "simulator_flags": list(FAULTY_FLAGS),
                "contracts": total,
                "sequential_subset": len(subset),
                "client": "LivionKeyClient(rate_limit=None) for all three approaches",
                "runs": [r.as_dict() for r in runs],
            },
            "part_ii": {
                "simulator_flags": list(FAST_FLAGS),
                "concurrency": CONCURRENCY,
                "streams": streams,
            },
            "targets": [t.as_dict() for t in checks],
            "runtime_s": round(time.perf_counter() - started, 1),
        },
    )
    console.print(f"wrote {path} in {time.perf_counter() - started:.0f} s")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bulk", description=__doc__)
    parser.add_argument("--contracts", type=int, default=3000, help="part (i), 0 skips it")
    parser.add_argument(
        "--sequential", type=int, default=300, help="part (i) sequential subset (%(default)s)"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=300.0,
        help="part (i): seconds an approach may run before it is cancelled (%(default)s)",
    )
    parser.add_argument("--specs", type=int, default=100_000, help="part (ii), 0 skips it")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
