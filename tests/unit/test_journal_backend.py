"""A journal kept in a backend that stops answering: tried again only every retry_interval,
lines kept meanwhile and sent at the end, or a typed error naming how many were not."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import pytest

from livionkey_async import StoreError
from livionkey_async._journal import Journal
from livionkey_async._shared import StoreUnavailable


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FlakyBackend:
    """Lines in memory; ``down`` makes every append fail (after counting it)."""

    retry_interval = 5.0

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.loads = 0
        self.appends = 0
        self.down = False

    async def load(self, header: str) -> list[str]:
        self.loads += 1
        if not self.lines:
            self.lines.append(header)
        return list(self.lines)

    async def append(self, lines: Sequence[str], *, header: str) -> None:
        self.appends += 1
        if self.down:
            raise StoreUnavailable("ConnectionError: Redis went away")
        if not self.lines:
            self.lines.append(header)
        self.lines.extend(lines)


def _keys(backend: FlakyBackend) -> list[str]:
    return [json.loads(line)["key"] for line in backend.lines if "key" in json.loads(line)]


async def test_a_backend_that_failed_is_tried_again_only_every_retry_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="livionkey_async")
    backend, clock = FlakyBackend(), FakeClock()
    journal = await Journal.open(backend, clock=clock)
    backend.down = True
    for n in range(5):  # five items finish while Redis hangs: one try, not five
        journal.record(f"k{n}", "succeeded", journal.fingerprint({"n": n}))
        await journal.flush()
        clock.now += 0.5
    assert backend.appends == 1
    clock.now = 100.0 + backend.retry_interval  # the interval is over: one more try
    await journal.flush()
    assert backend.appends == 2
    backend.down = False
    journal.record("k5", "succeeded", journal.fingerprint({"n": 5}))
    await journal.flush()  # within the interval again: kept
    assert backend.appends == 2
    await journal.aclose()  # the end: tried whatever the interval, every line in order
    assert _keys(backend) == [f"k{n}" for n in range(6)]
    assert caplog.text.count("cannot append") == 1  # said once, not per item


async def test_lines_a_backend_never_took_are_a_store_error_at_the_end() -> None:
    backend, clock = FlakyBackend(), FakeClock()
    journal = await Journal.open(backend, clock=clock)
    backend.down = True
    for n in range(3):
        journal.record(f"k{n}", "succeeded", journal.fingerprint({"pincode": "8642"}))
        await journal.flush()
    with pytest.raises(StoreError, match="3 line\\(s\\) could not be written") as raised:
        await journal.aclose()
    assert "8642" not in str(raised.value)
    assert raised.value.__context__ is None


async def test_a_failing_job_keeps_its_own_error_and_logs_the_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = FlakyBackend()
    journal = await Journal.open(backend)
    backend.down = True
    journal.record("k", "succeeded", journal.fingerprint({}))
    await journal.aclose(check=False)
    assert "1 line(s) could not be written" in caplog.text


async def test_a_backend_down_at_the_start_is_a_store_error() -> None:
    class Down(FlakyBackend):
        async def load(self, header: str) -> list[str]:
            raise StoreUnavailable("ConnectionError: refused")

    with pytest.raises(StoreError, match="cannot read it \\(ConnectionError: refused\\)") as raised:
        await Journal.open(Down())
    assert type(raised.value) is StoreError
    assert raised.value.__context__ is None
