"""Login, tokens, expiry, revocation and the login throttle of the simulator, over loopback."""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime

import aiohttp
import pytest
from sim_support import FakeClock, connect

from livionkey_async.testing import AccountConfig, SimConfig, Simulator

NOT_AUTHORIZED = re.compile(
    r"GraphQL - \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z - \w+ - not authorized"
)
NO_TOKEN = '{"success":false,"message":"No token provided."}'


async def test_login_answers_token_and_http_date(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim, login=False) as api:
        before = time.time()
        reply = await api.login("demo@example.com", "livionkey-demo")
    assert reply.status == 200
    body = reply.obj()
    assert isinstance(body["token"], str)
    assert body["token"].count(".") == 2
    expiration = body["expirationTime"]
    assert isinstance(expiration, str)
    assert expiration.endswith(" GMT")
    expires = parsedate_to_datetime(expiration).timestamp()
    assert before + 3600 - 2 <= expires <= time.time() + 3600 + 1
    assert livionkey_sim.stats.logins == 1


async def test_login_is_case_insensitive_on_email_and_force_refresh_gives_new_token(
    livionkey_sim: Simulator,
) -> None:
    async with connect(livionkey_sim, login=False) as api:
        first = await api.login("DEMO@example.com", "livionkey-demo")
        second = await api.call(
            "POST",
            "/auth/login",
            json_body={
                "email": "demo@example.com",
                "password": "livionkey-demo",
                "forceRefresh": True,
            },
        )
    assert first.status == second.status == 200
    assert first.obj()["token"] != second.obj()["token"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"password": "x"}, "Missing email from parameters"),
        ({"email": "", "password": "x"}, "Missing email from parameters"),
        ({"email": "demo@example.com"}, "Missing password from parameters"),
        (None, "Missing email from parameters"),
        (
            {"email": "demo@example.com", "password": "wrong"},
            "Firebase: Error (auth/invalid-login-credentials).",
        ),
        (
            {"email": "nobody@example.com", "password": "livionkey-demo"},
            "Firebase: Error (auth/invalid-login-credentials).",
        ),
    ],
)
async def test_login_errors_are_plain_text_400(
    livionkey_sim: Simulator, body: object, message: str
) -> None:
    async with connect(livionkey_sim, login=False) as api:
        reply = await api.call("POST", "/auth/login", json_body=body)
    assert (reply.status, reply.text, reply.content_type) == (400, message, "text/plain")
    assert livionkey_sim.stats.logins == 0


@pytest.mark.parametrize("header", [None, "Token abc", "Bearer", "Bearer ", "bearer abc"])
async def test_missing_or_malformed_authorization_is_403_json(
    livionkey_sim: Simulator, header: str | None
) -> None:
    async with connect(livionkey_sim, login=False) as api:
        headers = {} if header is None else {"Authorization": header}
        reply = await api.call("GET", "/devices", headers=headers, auth=False)
    assert reply.status == 403
    assert reply.content_type == "application/json"
    assert reply.text == NO_TOKEN
    assert livionkey_sim.stats.forbidden == 1


async def test_unknown_token_is_401_graphql_text(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim, login=False) as api:
        api.token = "not-a-token"
        reply = await api.get("/devices")
    assert reply.status == 401
    assert NOT_AUTHORIZED.fullmatch(reply.text), reply.text
    assert livionkey_sim.stats.unauthorized == 1


async def test_token_expires_after_its_lifetime() -> None:
    clock = FakeClock()
    async with Simulator(SimConfig(token_lifetime=4.0, clock=clock)) as sim, connect(sim) as api:
        assert (await api.get("/devices")).status == 200
        clock.advance(3.9)
        assert (await api.get("/devices")).status == 200
        clock.advance(0.1)
        reply = await api.get("/devices")
        assert reply.status == 401
        assert NOT_AUTHORIZED.fullmatch(reply.text)
        assert (await api.login(sim.config.email, sim.config.password)).status == 200
        assert (await api.get("/devices")).status == 200


async def test_revoke_tokens_in_process_and_by_control_plane(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        assert (await api.get("/devices")).status == 200
        assert livionkey_sim.revoke_tokens() == 1
        assert (await api.get("/devices")).status == 401
        await api.login(livionkey_sim.config.email, livionkey_sim.config.password)
        assert (await api.get("/devices")).status == 200
        revoked = await api.post("/_sim/revoke")
        assert revoked.obj() == {"revoked": 1}
        assert (await api.get("/devices")).status == 401
    assert livionkey_sim.stats.unauthorized == 2


async def test_revoke_one_account_keeps_the_others() -> None:
    config = SimConfig(
        extra_accounts=(AccountConfig(email="other@example.com", password="pw", devices=1),)
    )
    async with (
        Simulator(config) as sim,
        connect(sim) as first,
        connect(sim, email="other@example.com", password="pw") as second,
    ):
        reply = await first.post("/_sim/revoke", {"email": "other@example.com"})
        assert reply.obj() == {"revoked": 1}
        assert (await first.get("/devices")).status == 200
        assert (await second.get("/devices")).status == 401


async def test_login_throttle_answers_429_with_retry_after() -> None:
    clock = FakeClock()
    config = SimConfig(login_limit=3, login_window=60.0, clock=clock)
    async with Simulator(config) as sim, connect(sim, login=False) as api:
        for _ in range(2):
            assert (await api.login(sim.config.email, "wrong")).status == 400
        assert (await api.login(sim.config.email, sim.config.password)).status == 200
        clock.advance(10.0)
        throttled = await api.login(sim.config.email, sim.config.password)
        assert throttled.status == 429
        assert throttled.text == "Too many login attempts, try again later"
        assert throttled.headers["Retry-After"] == "50"
        other = await api.login("someone@example.com", "x")
        assert other.status == 400  # the throttle is per email
        clock.advance(50.0)
        assert (await api.login(sim.config.email, sim.config.password)).status == 200
        assert sim.stats.throttled == 1


async def test_login_is_not_rate_limited_by_the_request_bucket() -> None:
    async with Simulator(SimConfig(rate=1.0, burst=1)) as sim, connect(sim, login=False) as api:
        for _ in range(4):
            assert (await api.login(sim.config.email, sim.config.password)).status == 200


async def test_other_accounts_device_is_401() -> None:
    config = SimConfig(
        extra_accounts=(AccountConfig(email="other@example.com", password="pw", devices=1),)
    )
    async with Simulator(config) as sim, connect(sim) as api:
        foreign = sim.state.accounts["other@example.com"][0]
        reply = await api.get(f"/devices/{foreign}/keys")
        assert reply.status == 401
        assert NOT_AUTHORIZED.fullmatch(reply.text)
        listed = {d["deviceId"] for d in (await api.get("/devices")).items()}
        assert foreign not in listed


async def test_without_a_fake_clock_expiry_follows_the_wall_clock() -> None:
    # Expiry itself is tested on a fake clock above; this pins the default clock to real time
    # without sleeping: a token's expiry is one lifetime after the wall clock's now.
    async with Simulator(SimConfig(token_lifetime=120.0)) as sim, connect(sim) as api:
        before = time.time()
        reply = await api.login(sim.config.email, sim.config.password)
        after = time.time()
        assert reply.status == 200
        expires = parsedate_to_datetime(str(reply.obj()["expirationTime"])).timestamp()
        assert before + 120.0 - 1.0 <= expires <= after + 120.0  # HTTP-dates keep whole seconds
        assert (await api.get("/devices")).status == 200


async def test_session_without_token_header_still_reaches_login(livionkey_sim: Simulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{livionkey_sim.url}/auth/login",
            data="not json",
            headers={"Content-Type": "application/json"},
        ) as response,
    ):
        assert response.status == 400
        assert await response.text() == "Missing email from parameters"
