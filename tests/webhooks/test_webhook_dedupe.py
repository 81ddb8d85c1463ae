"""The in-memory dedupe store: claim, complete, release; TTLs on a fake clock; a size bound."""

from __future__ import annotations

import pytest
from webhook_support import FakeClock

from livionkey_async import ValidationError
from livionkey_async.webhooks import DedupeStore, InMemoryDedupeStore


def _store(clock: FakeClock, **options: float) -> InMemoryDedupeStore:
    return InMemoryDedupeStore(clock=clock, **options)  # type: ignore[arg-type]


async def test_claim_complete_release() -> None:
    store: DedupeStore = _store(FakeClock())
    assert await store.claim("msg_1") == "new"
    assert await store.claim("msg_1") == "pending"  # a duplicate while the first is handled
    await store.complete("msg_1")
    assert await store.claim("msg_1") == "done"
    assert await store.claim("msg_2") == "new"
    await store.release("msg_2")  # handling failed: the retry is handled again
    assert await store.claim("msg_2") == "new"
    await store.release("never-claimed")  # harmless


async def test_a_done_key_is_forgotten_after_its_ttl() -> None:
    clock = FakeClock(0)
    store = _store(clock, ttl=100)
    await store.claim("a")
    await store.complete("a")
    clock.now = 99.9
    assert await store.claim("a") == "done"
    clock.now = 100.1
    assert await store.claim("a") == "new"


async def test_a_pending_claim_lapses_after_its_lease() -> None:
    clock = FakeClock(0)
    store = _store(clock, pending_ttl=30, ttl=1000)
    assert await store.claim("a") == "new"
    clock.now = 29
    assert await store.claim("a") == "pending"  # a later duplicate does not extend the lease
    clock.now = 31
    assert await store.claim("a") == "new"
    await store.complete("a")
    clock.now = 900
    assert await store.claim("a") == "done"  # completing gave it the full ttl


async def test_memory_is_bounded_the_oldest_forgotten_first() -> None:
    clock = FakeClock(0)
    store = _store(clock, max_entries=100)
    for n in range(250):
        assert await store.claim(f"k{n}") == "new"
        await store.complete(f"k{n}")
        assert len(store) <= 100
    assert len(store) == 100
    assert await store.claim("k249") == "done"
    assert await store.claim("k150") == "done"
    assert await store.claim("k0") == "new"  # the oldest went first


async def test_expired_keys_are_dropped_as_new_ones_arrive() -> None:
    clock = FakeClock(0)
    store = _store(clock, ttl=10)
    for n in range(50):
        await store.claim(f"old{n}")
        await store.complete(f"old{n}")
    clock.now = 11
    await store.claim("fresh")
    assert len(store) == 1


def test_nonsense_bounds_are_refused() -> None:
    for options in (
        {"ttl": 0},
        {"ttl": "1"},
        {"ttl": float("nan")},
        {"pending_ttl": -1},
        {"max_entries": 0},
        {"max_entries": 1.5},
    ):
        (name,) = options
        with pytest.raises(ValidationError, match=f"^{name} must be"):
            _store(FakeClock(), **options)
