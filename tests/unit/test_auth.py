"""The token holder on its own (fake login, fake clocks), and its one-login promise through the
client: a cold start, a burst of 401s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from livionkey_async import AuthenticationError, LivionKeyClient, LoginError
from livionkey_async._auth import TokenHolder
from livionkey_async._models import LoginResult

BASE = "https://api.example.test"
WALL_AT_ZERO = 1_795_000_000.0  # wall-clock time (epoch seconds) when the fake clock reads 0


class FakeClock:
    """A monotonic clock and a wall clock that move only when told to."""

    def __init__(self) -> None:
        self.now = 500.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return WALL_AT_ZERO + self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, delay: float) -> None:
        self.now += max(0.0, delay)
        await asyncio.sleep(0)


class FakeLogin:
    """Counts logins and hands out ``tok-1``, ``tok-2``, ... valid ``lifetime`` seconds.

    With ``gate`` set, every login waits for it; with ``error`` set, logins raise it.
    """

    def __init__(self, clock: FakeClock, lifetime: float = 3600.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.error: BaseException | None = None
        self.cancelled = False
        self.expires: dict[str, float] = {}  # token -> monotonic expiry

    async def __call__(self) -> LoginResult:
        self.calls += 1
        token = f"tok-{self.calls}"
        try:
            if self.gate is not None:
                await self.gate.wait()
            else:
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.error is not None:
            raise self.error
        self.expires[token] = self.clock.now + self.lifetime
        expiry = datetime.fromtimestamp(self.clock.wall() + self.lifetime, UTC)
        return LoginResult(token=token, expiration_time=expiry)


async def settle(rounds: int = 10) -> None:
    """Let every ready task (a background login included) run as far as it can."""
    for _ in range(rounds):
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def login(clock: FakeClock) -> FakeLogin:
    return FakeLogin(clock)


def holder_for(login: FakeLogin, clock: FakeClock, refresh_margin: float = 300.0) -> TokenHolder:
    return TokenHolder(
        login, refresh_margin=refresh_margin, clock=clock.monotonic, wall_clock=clock.wall
    )


# -- one shared login ----------------------------------------------------------------------------


async def test_a_thousand_callers_on_a_cold_holder_cause_one_login(
    login: FakeLogin, clock: FakeClock
) -> None:
    holder = holder_for(login, clock)
    login.gate = asyncio.Event()
    waiters = [asyncio.create_task(holder.token()) for _ in range(1000)]
    await settle()
    assert login.calls == 1
    assert not any(w.done() for w in waiters)

    login.gate.set()
    tokens = await asyncio.gather(*waiters)

    assert set(tokens) == {"tok-1"}
    assert login.calls == 1
    assert holder.has_token
    assert await holder.token() == "tok-1"
    assert login.calls == 1


async def test_a_valid_token_is_reused(login: FakeLogin, clock: FakeClock) -> None:
    holder = holder_for(login, clock)
    assert await holder.token() == "tok-1"
    clock.advance(3000)  # still outside the 300 s refresh margin

    assert [await holder.token() for _ in range(50)] == ["tok-1"] * 50
    await settle()
    assert login.calls == 1


# -- margins -------------------------------------------------------------------------------------


async def test_soft_margin_serves_the_old_token_and_refreshes_once_in_background(
    login: FakeLogin, clock: FakeClock
) -> None:
    holder = holder_for(login, clock, refresh_margin=300.0)
    assert await holder.token() == "tok-1"
    clock.advance(3600 - 200)  # 200 s left: inside the soft margin, outside the hard one
    login.gate = asyncio.Event()  # the refresh will hang until released

    callers = [asyncio.create_task(holder.token()) for _ in range(20)]
    await settle()

    assert all(c.done() for c in callers), "a caller waited for the background refresh"
    assert {c.result() for c in callers} == {"tok-1"}
    assert login.calls == 2  # the first login and exactly one refresh

    login.gate.set()
    await settle()
    assert await holder.token() == "tok-2"
    assert login.calls == 2


async def test_hard_margin_waits_for_the_new_token(login: FakeLogin, clock: FakeClock) -> None:
    holder = holder_for(login, clock, refresh_margin=300.0)
    assert await holder.token() == "tok-1"
    clock.advance(3600 - 10)  # 10 s left: inside the hard margin
    login.gate = asyncio.Event()

    waiters = [asyncio.create_task(holder.token()) for _ in range(20)]
    await settle()
    assert not any(w.done() for w in waiters), "a caller got a token about to expire"
    assert login.calls == 2

    login.gate.set()
    assert set(await asyncio.gather(*waiters)) == {"tok-2"}
    assert login.calls == 2


async def test_hard_margin_joins_a_refresh_already_in_flight(
    login: FakeLogin, clock: FakeClock
) -> None:
    holder = holder_for(login, clock, refresh_margin=300.0)
    await holder.token()
    clock.advance(3600 - 200)
    login.gate = asyncio.Event()
    assert await holder.token() == "tok-1"  # starts the background refresh
    clock.advance(195)  # now inside the hard margin, the refresh still hangs

    waiter = asyncio.create_task(holder.token())
    await settle()
    assert not waiter.done()

    login.gate.set()
    assert await waiter == "tok-2"
    assert login.calls == 2


async def test_an_expired_token_is_never_served(login: FakeLogin, clock: FakeClock) -> None:
    holder = holder_for(login, clock)
    await holder.token()
    clock.advance(7200)

    assert await holder.token() == "tok-2"
    assert login.calls == 2


async def test_a_short_lived_token_shrinks_its_margins(clock: FakeClock) -> None:
    login = FakeLogin(clock, lifetime=4.0)
    holder = holder_for(login, clock, refresh_margin=300.0)
    start = clock.now

    for tick in range(120):  # a call every 0.1 s for 12 s
        clock.now = start + tick / 10
        token = await holder.token()
        assert clock.now < login.expires[token], f"expired {token} served at +{tick / 10}s"
        await settle()

    # One login per refresh period (about 3 s of a 4 s token), not one per call.
    assert 3 <= login.calls <= 5, f"{login.calls} logins for 120 calls"


# -- invalidation --------------------------------------------------------------------------------


async def test_invalidate_drops_the_refused_token(login: FakeLogin, clock: FakeClock) -> None:
    holder = holder_for(login, clock)
    assert await holder.token() == "tok-1"

    holder.invalidate("tok-1")

    assert not holder.has_token
    assert await holder.token() == "tok-2"
    assert login.calls == 2


async def test_invalidating_an_old_token_keeps_the_new_one(
    login: FakeLogin, clock: FakeClock
) -> None:
    holder = holder_for(login, clock)
    assert await holder.token() == "tok-1"
    holder.invalidate("tok-1")  # the first 401
    assert await holder.token() == "tok-2"

    holder.invalidate("tok-1")  # a late 401 for a request that had carried tok-1

    assert holder.has_token
    assert await holder.token() == "tok-2"
    assert login.calls == 2


async def test_a_burst_of_invalidations_for_one_token_logs_in_once(
    login: FakeLogin, clock: FakeClock
) -> None:
    holder = holder_for(login, clock)
    await holder.token()
    login.gate = asyncio.Event()

    async def after_401() -> str:
        holder.invalidate("tok-1")
        return await holder.token()

    retries = [asyncio.create_task(after_401()) for _ in range(50)]
    await settle()
    login.gate.set()

    assert set(await asyncio.gather(*retries)) == {"tok-2"}
    assert login.calls == 2


# -- failures and cancellation -------------------------------------------------------------------


async def test_a_failed_login_reaches_every_waiter_and_is_tried_again(
    login: FakeLogin, clock: FakeClock
) -> None:
    holder = holder_for(login, clock)
    refused = AuthenticationError("Firebase: Error (auth/invalid-login-credentials).", status=400)
    login.gate = asyncio.Event()
    login.error = refused
    waiters = [asyncio.create_task(holder.token()) for _ in range(10)]
    await settle()

    login.gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)

    assert all(result is refused for result in results)
    assert login.calls == 1
    assert not holder.has_token

    login.gate, login.error = None, None
    assert await holder.token() == "tok-2"
    assert login.calls == 2


async def test_a_refused_login_is_remembered_not_tried_again(
    login: FakeLogin, clock: FakeClock
) -> None:
    holder = holder_for(login, clock)
    login.error = LoginError("Firebase: Error (auth/wrong-password).", status=400)
    with pytest.raises(LoginError):
        await holder.token()
    # Callers arriving later, one by one or in waves, get the refusal without a login request.
    for _ in range(3):
        results = await asyncio.gather(*(holder.token() for _ in range(32)), return_exceptions=True)
        assert all(isinstance(result, LoginError) for result in results)
        assert {result.status for result in results if isinstance(result, LoginError)} == {400}
        clock.advance(600)
    assert login.calls == 1
    assert "wrong-password" in repr(holder.refused)


async def test_an_explicit_login_tries_a_refused_login_again(
    login: FakeLogin, clock: FakeClock
) -> None:
    holder = holder_for(login, clock)
    login.error = LoginError("Firebase: Error (auth/wrong-password).", status=400)
    with pytest.raises(LoginError):
        await holder.token()
    login.error = None  # the account was fixed
    assert await holder.token(retry_refused=True) == "tok-2"
    assert holder.refused is None
    assert await holder.token() == "tok-2"
    assert login.calls == 2


async def test_a_failed_background_refresh_keeps_the_old_token_until_the_hard_margin(
    login: FakeLogin, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    holder = holder_for(login, clock)
    await holder.token()
    clock.advance(3600 - 200)
    login.error = ConnectionError("down")

    assert await holder.token() == "tok-1"  # starts a refresh that fails
    await settle()
    assert login.calls == 2
    assert "background token refresh failed" in caplog.text

    assert await holder.token() == "tok-1"  # still valid: served; no retry storm meanwhile
    await settle()
    assert login.calls == 2
    clock.advance(5)  # a failed refresh is retried a little later
    assert await holder.token() == "tok-1"
    await settle()
    assert login.calls == 3

    login.error = None
    clock.advance(185)  # inside the hard margin: the caller waits for a fresh login
    assert await holder.token() == "tok-4"


async def test_a_cancelled_waiter_does_not_cancel_the_shared_login(
    login: FakeLogin, clock: FakeClock
) -> None:
    holder = holder_for(login, clock)
    login.gate = asyncio.Event()
    impatient = asyncio.create_task(holder.token())
    patient = asyncio.create_task(holder.token())
    await settle()

    impatient.cancel()
    await settle()
    assert impatient.cancelled()
    assert not login.cancelled

    login.gate.set()
    assert await patient == "tok-1"
    assert login.calls == 1


async def test_the_only_waiter_cancelled_still_lets_the_login_finish(
    login: FakeLogin, clock: FakeClock
) -> None:
    holder = holder_for(login, clock)
    login.gate = asyncio.Event()
    waiter = asyncio.create_task(holder.token())
    await settle()

    waiter.cancel()
    await settle()
    login.gate.set()
    await settle()

    assert not login.cancelled
    assert holder.has_token
    assert await holder.token() == "tok-1"
    assert login.calls == 1


async def test_repr_shows_no_token(login: FakeLogin, clock: FakeClock) -> None:
    holder = holder_for(login, clock)
    await holder.token()
    assert "tok-1" not in repr(holder)


# -- through the client --------------------------------------------------------------------------


@pytest.fixture
def mocked() -> Iterator[Any]:
    with aioresponses() as m:
        yield m


def login_payload(clock: FakeClock, token: str) -> dict[str, str]:
    return {"token": token, "expirationTime": formatdate(clock.wall() + 3600, usegmt=True)}


def new_client(clock: FakeClock) -> LivionKeyClient:
    return LivionKeyClient(
        "user@example.com",
        "s3cret-pass",
        base_url=BASE,
        sleep=clock.sleep,
        clock=clock.monotonic,
        wall_clock=clock.wall,
    )


async def test_a_thousand_concurrent_calls_on_a_cold_client_log_in_once(
    mocked: Any, clock: FakeClock
) -> None:
    mocked.post(f"{BASE}/auth/login", payload=login_payload(clock, "tok-1"), repeat=True)
    mocked.get(f"{BASE}/devices", payload=[{"deviceId": "00053"}], repeat=True)

    async with new_client(clock) as client:
        results = await asyncio.gather(*(client.devices.list() for _ in range(1000)))
        assert client.stats.logins == 1

    assert all(len(devices) == 1 for devices in results)
    assert len(mocked.requests[("POST", URL(f"{BASE}/auth/login"))]) == 1
    assert len(mocked.requests[("GET", URL(f"{BASE}/devices"))]) == 1000


async def test_a_burst_of_401s_for_one_stale_token_logs_in_once(
    mocked: Any, clock: FakeClock
) -> None:
    for token in ("tok-1", "tok-2", "tok-3"):
        mocked.post(f"{BASE}/auth/login", payload=login_payload(clock, token))
    in_flight = 16  # the pool's size: this many requests carry tok-1 at the same time
    stale: list[str] = []
    all_in = asyncio.Event()

    async def devices(url: URL, **kwargs: Any) -> CallbackResult:
        if kwargs["headers"]["Authorization"] == "Bearer tok-1":
            stale.append("tok-1")
            if len(stale) >= in_flight:
                all_in.set()
            await all_in.wait()  # hold the answers until the whole burst is in flight
            return CallbackResult(status=401, body="GraphQL - 1 - 2 - not authorized")
        return CallbackResult(body="[]")

    mocked.get(f"{BASE}/devices", callback=devices, repeat=True)
    async with new_client(clock) as client:
        await client.login()  # everyone is handed tok-1; the server has just revoked it
        results = await asyncio.wait_for(
            asyncio.gather(*(client.devices.list() for _ in range(100))), timeout=30
        )
        assert client.stats.logins == 2

    assert results == [[]] * 100
    assert len(stale) >= in_flight
    assert len(mocked.requests[("POST", URL(f"{BASE}/auth/login"))]) == 2


# -- the token's lifetime, read from expirationTime ---------------------------------------------


@pytest.mark.parametrize("past_the_hour", [0.0, 0.4, 1.0, 2.5, 29.0])
async def test_an_ordinary_expiry_raises_no_warning(
    clock: FakeClock, caplog: pytest.LogCaptureFixture, past_the_hour: float
) -> None:
    # An HTTP-date has whole seconds and the server's clock is not ours: "one hour" reads as up
    # to a few seconds more. That is an ordinary login, used as the documented hour.
    login = FakeLogin(clock, lifetime=3600.0 + past_the_hour)
    holder = holder_for(login, clock)
    with caplog.at_level("WARNING", logger="livionkey_async.auth"):
        await holder.token()
    assert "assuming one hour" not in caplog.text
    clock.advance(3600 - 30 + 1)  # past the hard margin of the documented hour: a new login
    await holder.token()
    assert login.calls == 2


@pytest.mark.parametrize("lifetime", [-10.0, 7200.0])
async def test_a_skewed_expiry_is_reported_once_and_read_as_one_hour(
    clock: FakeClock, caplog: pytest.LogCaptureFixture, lifetime: float
) -> None:
    login = FakeLogin(clock, lifetime=lifetime)
    holder = holder_for(login, clock)
    with caplog.at_level("WARNING", logger="livionkey_async.auth"):
        await holder.token()
    assert caplog.text.count("assuming one hour") == 1
    clock.advance(3000)
    await holder.token()
    assert login.calls == 1  # valid for the documented hour, not 2 hours nor none
