"""Helpers for the simulator's tests: raw aiohttp calls over loopback and a hand-driven clock.

The project's own client is deliberately not used here: these tests pin the simulator to the wire
contract, so they speak plain HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import aiohttp
from attrs import define, frozen
from multidict import CIMultiDictProxy

from livionkey_async.testing import Simulator

DAY = timedelta(days=1)


class FakeClock:
    """Epoch seconds that move only when told to (inject as ``SimConfig(clock=...)``)."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def wire_time(moment: datetime) -> str:
    """A datetime as the wire writes it: ``2026-10-01T12:00:00.000Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def future(days: float = 1.0, *, base: float | None = None) -> str:
    """A wire time ``days`` after ``base`` (default: now)."""
    start = datetime.fromtimestamp(time.time() if base is None else base, UTC)
    return wire_time(start + timedelta(days=days))


@frozen
class Reply:
    status: int
    text: str
    headers: CIMultiDictProxy[str]

    def json(self) -> object:
        return json.loads(self.text)

    def obj(self) -> dict[str, object]:
        data = self.json()
        assert isinstance(data, dict), data
        return data

    def items(self) -> list[dict[str, object]]:
        data = self.json()
        assert isinstance(data, list), data
        assert all(isinstance(item, dict) for item in data)
        return data

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0]


@define
class Api:
    """One account's raw HTTP access to a simulator."""

    session: aiohttp.ClientSession
    token: str | None = None

    async def call(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        data: str | None = None,
        params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> Reply:
        sent: dict[str, str] = {}
        if auth and self.token is not None:
            sent["Authorization"] = f"Bearer {self.token}"
        sent.update(headers or {})
        async with self.session.request(
            method,
            path,
            json=json_body if data is None else None,
            data=data,
            params=params,
            headers=sent,
        ) as response:
            return Reply(response.status, await response.text(), response.headers)

    async def get(self, path: str, **params: str) -> Reply:
        return await self.call("GET", path, params=params or None)

    async def post(self, path: str, body: object = None, **params: str) -> Reply:
        return await self.call("POST", path, json_body=body, params=params or None)

    async def delete(self, path: str, **params: str) -> Reply:
        return await self.call("DELETE", path, params=params or None)

    async def login(self, email: str, password: str) -> Reply:
        reply = await self.call(
            "POST", "/auth/login", json_body={"email": email, "password": password}, auth=False
        )
        if reply.status == 200:
            token = reply.obj()["token"]
            assert isinstance(token, str)
            self.token = token
        return reply


@asynccontextmanager
async def connect(
    sim: Simulator, *, login: bool = True, email: str | None = None, password: str | None = None
) -> AsyncIterator[Api]:
    """A session on ``sim``, logged in to its primary account unless told otherwise."""
    async with aiohttp.ClientSession(sim.url) as session:
        api = Api(session)
        if login:
            reply = await api.login(email or sim.config.email, password or sim.config.password)
            assert reply.status == 200, reply.text
        yield api


def contract_body(
    contract_id: str,
    *,
    device_id: str = "00001",
    key_id: str = "A0001",
    start_days: float = 1.0,
    end_days: float | None = 2.0,
    base: float | None = None,
    **extra: object,
) -> dict[str, object]:
    """A valid ``POST /contracts`` body on one key, ``start_days`` from ``base`` (now)."""
    body: dict[str, object] = {
        "contractId": contract_id,
        "devices": [{"id": device_id, "keyId": key_id}],
        "start": future(start_days, base=base),
        "person": "John Doe",
        "contacts": [{"email": "john@example.com", "language": "en-gb"}],
    }
    if end_days is not None:
        body["end"] = future(end_days, base=base)
    body.update(extra)
    return body
