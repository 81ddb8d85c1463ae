"""Helpers for the unit tests that drive the client over aioresponses: a fake clock, the mocked
base URL, lookups of the requests that were sent and of the JSON body each carried, a login
answer and a client wired to the clock.

They live here so the test modules share one copy; the name has no ``test_`` prefix so pytest
does not collect it. ``tests/unit`` is on ``sys.path`` while pytest runs (it has no
``__init__.py``), so the tests import it as plain ``wire_support``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from email.utils import formatdate
from typing import Any

from yarl import URL

from livionkey_async import LivionKeyClient

BASE = "https://api.example.test"
EMAIL = "user@example.com"
PASSWORD = "s3cret-pass"


class FakeTime:
    """A monotonic clock, a wall clock and a ``sleep`` that only moves the clocks forward."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.wall_offset = 1_795_000_000.0 - self.now  # some day in November 2026
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall_offset + self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += max(0.0, delay)
        await asyncio.sleep(0)


def url(path: str, **query: str | list[str]) -> URL:
    """The URL aioresponses records a request under (query sorted, as it normalises it); a
    list value is a repeated parameter."""
    full = URL(f"{BASE}{path}")
    pairs = [
        (name, value)
        for name, values in query.items()
        for value in ([values] if isinstance(values, str) else values)
    ]
    return full.with_query(sorted(pairs)) if pairs else full


def calls(mocked: Any, method: str, path: str, **query: str | list[str]) -> list[Any]:
    """The requests sent as ``method path?query``, oldest first (none: an empty list)."""
    found: list[Any] = mocked.requests.get((method, url(path, **query)), [])
    return found


def bearer(call: Any) -> str:
    """The ``Authorization`` header a recorded request was sent with."""
    value: str = call.kwargs["headers"]["Authorization"]
    return value


def sent_json(call: Any) -> Any:
    """The JSON body a recorded request carried (the transport sends it as bytes, ``data=``)."""
    data = call.kwargs.get("data")
    return None if data is None else json.loads(data)


def login_answer(fake_time: FakeTime, token: str) -> dict[str, str]:
    """A successful ``/auth/login`` payload whose token expires an hour after ``fake_time``."""
    return {"token": token, "expirationTime": formatdate(fake_time.wall() + 3600, usegmt=True)}


def new_client(fake_time: FakeTime, password: str = PASSWORD, **options: Any) -> LivionKeyClient:
    """A client for ``BASE`` that sleeps and reads both clocks on ``fake_time``."""
    return LivionKeyClient(
        EMAIL,
        password,
        base_url=BASE,
        sleep=fake_time.sleep,
        clock=fake_time.monotonic,
        wall_clock=fake_time.wall,
        **options,
    )


# The one account-wide listing a client sends to learn its devices' products.
CATALOGUE = url("/devices", products=["key30", "keyX", "keypad", "key20"], limit="50")


async def learn_products(mocked: Any, client: LivionKeyClient, products: Mapping[str, str]) -> None:
    """Teach ``client`` the products of these devices (answering its one account-wide listing),
    and leave that listing out of ``mocked.requests`` so tests see only their own calls."""
    mocked.get(
        CATALOGUE,
        payload={
            "devices": [{"id": d, "product": p} for d, p in products.items()],
            "pageInfo": {"start": 0, "end": len(products), "hasNext": False},
        },
    )
    first, product = next(iter(products.items()))
    assert await client.devices.product(first) == product
    assert mocked.requests.pop(("GET", CATALOGUE))
