"""``livionkey-async demo``: the main job, end to end, against the embedded simulator.

Starts a simulator with a rate limit the client is not told, a little latency and some faults
(5xx answers, connections dropped after the write committed), provisions one contract per key
across 20 automats x 30 keys with a progress bar, prints the summary, and then checks on the
simulator that every contract exists exactly once. Exit status 0 only when it does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta

from ._bulk import BulkReport
from ._cli_bulk import run_bulk
from ._cli_output import print_table
from ._client import LivionKeyClient
from ._models import Contact, CreatedContract, KeyRef, NewContract
from .testing import Faults, SimConfig, Simulator

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--devices", type=int, default=20, help="automats (LivionKey30)")
    parser.add_argument("--keys", type=int, default=30, help="keys per automat")
    parser.add_argument("--rate", type=float, default=100.0, help="the simulator's hidden limit")
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.01)
    parser.add_argument("--fail-rate", type=float, default=0.02)
    parser.add_argument("--drop-after-commit-rate", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=32)


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_demo(args))
    except KeyboardInterrupt:
        return 130


async def _demo(args: argparse.Namespace) -> int:
    config = SimConfig(
        devices=args.devices,
        keys=args.keys,
        keyx_devices=0,
        keypad_devices=0,
        key20_devices=0,
        rate=args.rate,
        burst=args.burst,
        faults=Faults(
            latency=args.latency,
            jitter=args.latency / 2,
            fail_rate=args.fail_rate,
            drop_after_commit_rate=args.drop_after_commit_rate,
        ),
    )
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    async with (
        Simulator(config) as sim,
        LivionKeyClient(config.email, config.password, base_url=sim.url) as client,
    ):
        print(
            f"simulator at {sim.url}: {args.devices} automats x {args.keys} keys, "
            f"a hidden limit of {args.rate:g} req/s, {args.fail_rate:.0%} 5xx, "
            f"{args.drop_after_commit_rate:.0%} connections dropped after commit",
            file=sys.stderr,
        )
        specs: list[NewContract] = []
        for device in await client.devices.list():
            for index, key in enumerate(await client.devices.keys(device.device_id)):
                specs.append(
                    NewContract(
                        contract_id=f"demo-{device.device_id}-{index:03d}",
                        keys=[KeyRef(device.device_id, key.key_id)],
                        start=start,
                        end=start + timedelta(days=2),
                        person=f"Guest {len(specs) + 1}",
                        contacts=[Contact(email=f"guest{len(specs) + 1}@example.com")],
                    )
                )
        before = client.stats.requests
        report: BulkReport[NewContract, CreatedContract]
        report, _ = await run_bulk(
            lambda on_progress, report: client.bulk.create_contracts(
                specs, concurrency=args.concurrency, on_progress=on_progress, report=report
            ),
            total=len(specs),
            description="contracts",
        )
        stats = client.stats
        on_server = sim.contracts_by_contract_id()
        duplicates = {cid: len(group) for cid, group in on_server.items() if len(group) > 1}
        missing = [s.contract_id for s in specs if s.contract_id not in on_server]
        requests = stats.requests - before
        ideal = requests / args.rate
        print_table(
            "demo: bulk contracts",
            ("", "value"),
            [
                ("contracts asked for", len(specs)),
                ("created (reported)", len(report.succeeded)),
                ("  settled by reconciliation", report.reconciled),
                ("failed", len(report.failed)),
                ("not attempted", len(report.not_attempted)),
                ("on the simulator", len(on_server)),
                ("duplicates on the simulator", len(duplicates)),
                ("missing on the simulator", len(missing)),
                ("requests (bulk)", requests),
                ("429s received", stats.throttled),
                ("retries", stats.retries),
                ("logins", stats.logins),
                ("elapsed", f"{report.elapsed:.2f}s"),
                ("ideal at the hidden limit", f"{ideal:.2f}s ({report.elapsed / ideal:.2f}x)"),
            ],
        )
    exactly_once = not duplicates and not missing and len(report.succeeded) == len(specs)
    verdict = "every contract exists exactly once" if exactly_once else "CHECK FAILED"
    print(verdict, file=sys.stderr if not exactly_once else sys.stdout)
    return 0 if exactly_once else 1
