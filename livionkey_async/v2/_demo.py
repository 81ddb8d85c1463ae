"""``livionkey-async demo --api v2``: bookings on LivionKey20s and LivionKey30s, exactly once.

Starts the API v2 simulator with a rate limit the client is not told, some latency and faults
(5xx answers, connections dropped after the write committed), then books one iLOQ key contract
per night on every LivionKey20 and one mechanical key contract per key of every LivionKey30, with
the bulk helpers and a journal. A lost iLOQ answer is settled by the one new matching contract;
an iLOQ create whose fate stays unknown is never resent, so the demo runs the job again with the
same journal, as an operator would, until nothing is left. Then it checks on the simulator that
every booking exists exactly once. Exit status 0 only when it does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .._bulk import BulkReport
from .._cli_output import print_table
from ..testing import Faults
from ..testing._v2 import V2SimConfig, V2Simulator
from ._client import LivionKeyV2Client
from ._models import Contact, NewContractKey, NewIloqKeyContract, NewMechanicalKeyContract

__all__ = ["add_arguments", "run"]

_RERUNS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key20-automats", type=int, default=4, help="LivionKey20s")
    parser.add_argument("--nights", type=int, default=30, help="iLOQ bookings per LivionKey20")
    parser.add_argument("--key30-automats", type=int, default=5, help="LivionKey30s")
    parser.add_argument("--keys", type=int, default=20, help="mechanical keys per LivionKey30")
    parser.add_argument("--rate", type=float, default=100.0, help="the simulator's hidden limit")
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.01)
    parser.add_argument("--fail-rate", type=float, default=0.02)
    parser.add_argument("--drop-after-commit-rate", type=float, default=0.03)
    parser.add_argument("--concurrency", type=int, default=16)


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_demo(args))
    except KeyboardInterrupt:
        return 130


def _bookings(
    sim: V2Simulator, nights: int, start: datetime
) -> tuple[list[NewIloqKeyContract], list[NewMechanicalKeyContract]]:
    state = sim.state
    right = str(state.access_rights[0]["id"])
    iloq = [
        NewIloqKeyContract(
            access_right_ids=[right],
            key_automat_id=automat.id,
            number_of_keys=1,
            start=start + timedelta(days=night),
            end=start + timedelta(days=night + 1),
            contact=Contact(f"Guest {automat.id}-{night:03d}", send_sms=False, send_email=False),
        )
        for automat in state.automats.values()
        if automat.product == "key20"
        for night in range(nights)
    ]
    mechanical = [
        NewMechanicalKeyContract(
            id=f"demo-{key.id}",
            start=start,
            end=start + timedelta(days=2),
            contact=Contact(f"Guest {key.id}", send_sms=False, send_email=False),
            keys=[NewContractKey(key.id)],
        )
        for key in state.mechanical_keys.values()
    ]
    return iloq, mechanical


async def _until_done(
    create: Any, specs: list[Any], journal: Path, concurrency: int
) -> tuple[BulkReport[Any, Any], int, int, int]:
    """Run the job, then again with its journal while anything failed (as an operator would).
    Answers the last report, the runs, the items settled by a look-up, and those left unknown
    by the first run."""
    runs = reconciled = 0
    unknown: int | None = None
    while True:
        runs += 1
        report: BulkReport[Any, Any] = await create(specs, concurrency=concurrency, journal=journal)
        reconciled += report.reconciled
        if unknown is None:
            unknown = len(report.failed)
        if report.ok or runs == _RERUNS:
            return report, runs, reconciled, unknown


async def _demo(args: argparse.Namespace) -> int:
    config = V2SimConfig(
        key20_automats=args.key20_automats,
        iloq_keys_per_automat=4,
        key30_automats=args.key30_automats,
        keys_per_automat=args.keys,
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
    with tempfile.TemporaryDirectory(prefix="livionkey-demo-") as scratch:
        async with (
            V2Simulator(config) as sim,
            LivionKeyV2Client(sim.service_account_id, sim.private_key_pem, base_url=sim.url) as c,
        ):
            print(
                f"API v2 simulator at {sim.url}: {args.key20_automats} LivionKey20s, "
                f"{args.key30_automats} LivionKey30s x {args.keys} keys, a hidden limit of "
                f"{args.rate:g} req/s, {args.fail_rate:.0%} 5xx, "
                f"{args.drop_after_commit_rate:.0%} connections dropped after commit",
                file=sys.stderr,
            )
            iloq_specs, mechanical_specs = _bookings(sim, args.nights, start)
            iloq, iloq_runs, iloq_settled, iloq_unknown = await _until_done(
                c.bulk.create_iloq_contracts,
                iloq_specs,
                Path(scratch, "iloq.jsonl"),
                args.concurrency,
            )
            mechanical, mechanical_runs, mechanical_settled, mechanical_unknown = await _until_done(
                c.bulk.create_mechanical_contracts,
                mechanical_specs,
                Path(scratch, "mechanical.jsonl"),
                args.concurrency,
            )
            guests = Counter(
                str(contract.contact["name"])
                for contract in sim.state.iloq_contracts.values()
                if contract.contact is not None
            )
            wanted = Counter(spec.contact.name for spec in iloq_specs if spec.contact)
            ids = set(sim.state.mechanical_contracts)
            stats = c.stats
    iloq_exact = guests == wanted
    mechanical_exact = ids == {spec.id for spec in mechanical_specs}
    print_table(
        "demo: API v2 bookings",
        ("", "iLOQ (LivionKey20)", "mechanical (LivionKey30)"),
        [
            ("bookings", len(iloq_specs), len(mechanical_specs)),
            ("settled by a look-up", iloq_settled, mechanical_settled),
            ("unknown after the first run", iloq_unknown, mechanical_unknown),
            ("runs (with the journal)", iloq_runs, mechanical_runs),
            ("failed in the last run", len(iloq.failed), len(mechanical.failed)),
            ("on the simulator", sum(guests.values()), len(ids)),
            ("exactly once", iloq_exact, mechanical_exact),
        ],
    )
    print(
        f"{stats.requests} requests, {stats.throttled} answered 429, {stats.retries} retries",
        file=sys.stderr,
    )
    ok = iloq_exact and mechanical_exact
    verdict = "every booking exists exactly once" if ok else "CHECK FAILED"
    print(verdict, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
