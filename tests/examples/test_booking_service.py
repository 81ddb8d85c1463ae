"""examples/booking_service.py: four worker processes, one account, one Redis.

The service runs as a user would run it (a subprocess with four workers on one port) against the
simulator (rate-limited, in this test's loop) and the test Redis: every booking, sent twice at
once (a retry that may reach another worker), gets one contract; the account logs in once; the
workers together keep under the limit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from livionkey_async.testing import SimConfig, Simulator

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "booking_service.py"
BOOKINGS = 24
START = datetime(2031, 7, 1, 15, tzinfo=UTC)


def _booking(n: int) -> dict[str, object]:
    return {
        "booking_id": 5000 + n,
        "device_id": f"0000{1 + n % 3}",
        "key_id": f"A000{1 + (n // 3) % 5}",
        "start": (START + timedelta(days=n)).isoformat(),
        "end": (START + timedelta(days=n, hours=20)).isoformat(),
        "person": f"Guest {n}",
    }


async def test_four_workers_book_each_contract_once_with_one_login(redis_url: str) -> None:
    config = SimConfig(devices=3, keys=5, rate=40, burst=5)
    async with Simulator(config) as sim:
        env = {
            **os.environ,
            "LIVIONKEY_EMAIL": config.email,
            "LIVIONKEY_PASSWORD": config.password,
            "LIVIONKEY_BASE_URL": sim.url,
            "REDIS_URL": redis_url,
        }
        service = await asyncio.create_subprocess_exec(
            sys.executable,
            str(EXAMPLE),
            "--workers",
            "4",
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert service.stdout is not None
            line = (await asyncio.wait_for(service.stdout.readline(), 90)).decode()
            assert line.startswith("listening on "), line
            url = line.split()[2]
            # A new connection per request, so the kernel spreads them over the workers.
            connector = aiohttp.TCPConnector(force_close=True)
            async with aiohttp.ClientSession(connector=connector) as http:

                async def book(n: int) -> dict[str, object]:
                    async with http.post(f"{url}/bookings", json=_booking(n)) as response:
                        assert response.status == 201, await response.text()
                        answer: dict[str, object] = await response.json()
                        return answer

                answers = await asyncio.gather(
                    *(book(n) for n in range(BOOKINGS) for _ in range(2))
                )
        finally:
            service.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(service.wait(), 30) == 0
        made = sim.contracts()
    by_booking: dict[object, set[object]] = {}
    for answer in answers:
        by_booking.setdefault(answer["contract_id"], set()).add(answer["id"])
    assert len(by_booking) == BOOKINGS
    assert all(len(ids) == 1 for ids in by_booking.values())  # a retry got the same contract
    assert sorted(c.contract_id for c in made) == sorted(
        f"booking-{5000 + n}" for n in range(BOOKINGS)
    )
    assert len({answer["worker"] for answer in answers}) >= 2
    assert sim.stats.logins == 1
    assert sim.stats.throttled <= 3  # no 429 storm: the workers share one budget
