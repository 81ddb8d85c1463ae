"""The simulators under hostile input: every request gets a 4xx with a message, nothing answers
500 or breaks the requests after it, and no knob takes a value it cannot live with.

Each class of input that once escaped is pinned here: integers past Python's int-str conversion
limit (in a path, a query, a body, a signature's timestamp), dates past year 9999 once in UTC,
``NaN`` and ``Infinity``, deep JSON, bodies that are not UTF-8 or hold lone surrogates, wrong
types, and control-plane values (``rate: 1e999``, ``latency: 1e999``, negatives, ``NaN``) over
HTTP and from Python. The fuzz tests (``test_sim_fuzz``) look for what this list misses.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
from sim_support import Api, connect, contract_body, future
from yarl import URL

from livionkey_async.testing import (
    Faults,
    IloqFaults,
    IloqSimConfig,
    IloqSimulator,
    SimConfig,
    Simulator,
    V2SimConfig,
    V2Simulator,
    WebhookSettings,
)
from livionkey_async.testing._last_resort import MESSAGE
from livionkey_async.v2 import ServiceAccountSigner

HUGE = "9" * 5000  # past the 4300 digits int() takes from a string
PAST_9999 = "9999-12-31T23:00:00-05:00"  # year 10000 in UTC
BEFORE_1 = "0001-01-01T00:00:00+05:00"  # year 0 in UTC


async def raw(api: Api, method: str, path: str, body: bytes) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if api.token is not None:
        headers["Authorization"] = f"Bearer {api.token}"
    async with api.session.request(method, path, data=body, headers=headers) as reply:
        return reply.status, await reply.text()


def refused(status: int, text: str) -> None:
    """A 4xx with a message, and not the last resort's."""
    assert 400 <= status < 500, (status, text)
    assert text.strip(), "a refusal says why"
    assert MESSAGE not in text, "answered by the last resort: a cause is left to fix"


async def still_serves(sim: Simulator, api: Api) -> None:
    """What every later request still gets: listings that show every stored contract."""
    for path in ("/devices", "/devices/00001/contracts", "/devices/00001/keys", "/keys/A0001"):
        reply = await api.get(path)
        assert reply.status in (200, 404), (path, reply.status, reply.text)
        assert reply.status == 200 or "not found" in reply.text.lower()
    later = sim.stats.requests  # a window of its own: no overlap with what the test made
    made = await api.post(
        "/contracts", contract_body(f"after-{later}", start_days=later, end_days=later + 0.5)
    )
    assert made.status == 200, made.text
    assert sim.stats.unhandled == 0


# -- the V1 simulator ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/devices/00001/lockers/{HUGE}", None),
        ("GET", "/devices/00001/lockers/\u00b2", None),
        ("GET", f"/devices?limit={HUGE}", None),
        ("GET", f"/devices?limit=5&after={HUGE}", None),
        ("GET", "/devices?limit=\u0661", None),
        ("POST", "/devices/00001/opendoor", {"lockerIndex": HUGE}),
        ("POST", "/keys", {"keyId": "K", "keyName": "n", "deviceId": "00001", "lockerIndex": HUGE}),
    ],
)
async def test_v1_numbers_of_thousands_of_digits_are_refused(
    livionkey_sim: Simulator, method: str, path: str, body: object
) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.call(method, path, json_body=body)
        refused(reply.status, reply.text)
        await still_serves(livionkey_sim, api)


async def test_v1_a_number_of_thousands_of_digits_in_a_body_is_not_read_as_one(
    livionkey_sim: Simulator,
) -> None:
    body = b'{"lockerIndex": ' + HUGE.encode() + b"}"
    async with connect(livionkey_sim) as api:
        refused(*await raw(api, "POST", "/devices/00001/opendoor", body))
        # A contract id, a person, a pincode given as such a number.
        for field in ("contractId", "person", "pincode"):
            text = json.dumps(contract_body("c-huge", pincode="123456"))
            assert text.count(f'"{field}":') == 1
            spoiled = text.replace(f'"{field}":', f'"{field}": {HUGE}, "_{field}":', 1)
            refused(*await raw(api, "POST", "/contracts", spoiled.encode()))
        await still_serves(livionkey_sim, api)


@pytest.mark.parametrize("moment", [PAST_9999, BEFORE_1, "+275760-09-13T00:00:00.000Z"])
async def test_v1_a_window_the_wire_cannot_write_is_refused_and_breaks_nothing(
    livionkey_sim: Simulator, moment: str
) -> None:
    async with connect(livionkey_sim) as api:
        made = await api.post("/contracts", contract_body("c-window"))
        assert made.status == 200, made.text
        contract = made.obj()["id"]
        for body in (
            contract_body("c-far", end_days=None, end=moment),
            contract_body("c-far", start=moment, end_days=None),
        ):
            reply = await api.post("/contracts", body)
            refused(reply.status, reply.text)
        change = {"devices": [{"id": "00001", "keyId": "A0001"}], "end": moment}
        reply = await api.post(f"/contracts/{contract}", change)
        refused(reply.status, reply.text)
        access = {
            "accessRightId": "a-far",
            "devices": [{"id": "00005"}],
            "start": future(1),
            "end": moment,
            "person": "P",
            "contacts": [],
        }
        reply = await api.post("/accessrights", access)
        refused(reply.status, reply.text)
        await still_serves(livionkey_sim, api)


@pytest.mark.parametrize(
    "body",
    [
        b'{"contractId": "n", "devices": NaN}',
        b'{"contractId": Infinity}',
        b'{"contractId": -Infinity}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 70 + b"1" + b"}" * 70,
        b"\xff\xfe{garbage",
        b'{"contractId": "\\ud800"}',
        b'{"person": "\\udfff"}',
    ],
    ids=[
        "nan",
        "infinity",
        "-infinity",
        "deep-array",
        "deep-object",
        "not-utf8",
        "surrogate",
        "lone",
    ],
)
async def test_v1_bodies_json_parse_would_refuse_are_refused(
    livionkey_sim: Simulator, body: bytes
) -> None:
    async with connect(livionkey_sim) as api:
        for path in ("/contracts", "/keys", "/accessrights", "/devices/00001/opendoor"):
            refused(*await raw(api, "POST", path, body))
        await still_serves(livionkey_sim, api)


async def test_v1_a_lone_surrogate_in_a_stored_field_never_reaches_a_listing(
    livionkey_sim: Simulator,
) -> None:
    body = json.dumps(contract_body("c-lone")).replace('"John Doe"', '"Jo\\ud800hn"').encode()
    async with connect(livionkey_sim) as api:
        refused(*await raw(api, "POST", "/contracts", body))
        await still_serves(livionkey_sim, api)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("devices", {"id": "00001"}),
        ("devices", [["00001"]]),
        ("start", 17e8),
        ("end", ["tomorrow"]),
        ("person", {"name": "x"}),
        ("contacts", "x@example.com"),
        ("contacts", [{"email": 5, "language": ["en-gb"]}]),
        ("pincode", 1e999),
        ("perm", "yes"),
        ("recurrent", [{"startTime": 8, "endTime": "17:00", "days": [1]}]),
        ("type", 3),
    ],
)
async def test_v1_wrong_types_everywhere_are_refused(
    livionkey_sim: Simulator, field: str, value: object
) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.post("/contracts", {**contract_body("c-typed"), field: value})
        refused(reply.status, reply.text)
        await still_serves(livionkey_sim, api)


# -- the control plane, over HTTP and from Python --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_sim/ratelimit", b'{"rate": 1e999}'),
        ("/_sim/ratelimit", b'{"rate": -1}'),
        ("/_sim/ratelimit", b'{"rate": 0}'),
        ("/_sim/ratelimit", b'{"rate": NaN}'),
        ("/_sim/ratelimit", b'{"rate": "10"}'),
        ("/_sim/ratelimit", b'{"rate": 10, "burst": 1e999}'),
        ("/_sim/ratelimit", b'{"rate": 10, "burst": ' + HUGE.encode() + b"}"),
        ("/_sim/ratelimit", b'{"rate": 10, "headers": "yes"}'),
        ("/_sim/faults", b'{"latency": 1e999}'),
        ("/_sim/faults", b'{"latency": -1}'),
        ("/_sim/faults", b'{"jitter": NaN}'),
        ("/_sim/faults", b'{"slow_seconds": ' + HUGE.encode() + b"}"),
        ("/_sim/faults", b'{"fail_rate": 2}'),
        ("/_sim/faults", b'{"latency": 0.5, "fail_rate": 1e999}'),  # all or nothing
        ("/_sim/faults", b'{"fail_statuses": [200]}'),
        ("/_sim/webhooks/settings", b'{"time_scale": 1e999}'),
        ("/_sim/webhooks/settings", b'{"timeout": 0}'),
        ("/_sim/webhooks/settings", b'{"late_seconds": -5}'),
    ],
)
async def test_v1_control_plane_values_out_of_range_are_refused_not_applied(
    livionkey_sim: Simulator, path: str, body: bytes
) -> None:
    sim = livionkey_sim

    def knobs() -> tuple[object, ...]:
        return sim.faults.as_dict(), sim.state.rate_limit_settings(), sim.webhook_settings.as_dict()

    before = knobs()
    async with connect(sim) as api:
        refused(*await raw(api, "POST", path, body))
        assert knobs() == before
        await still_serves(sim, api)


async def test_v1_control_plane_takes_the_values_it_documents(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.post("/_sim/ratelimit", {"rate": 0.5, "burst": 3})
        assert reply.obj() == {"rate": 0.5, "burst": 3, "headers": False}
        reply = await api.post("/_sim/faults", {"latency": 0, "jitter": 0.01})
        assert reply.status == 200
        assert livionkey_sim.faults.jitter == 0.01


@pytest.mark.parametrize(
    "make",
    [
        lambda: SimConfig(rate=math.inf),
        lambda: SimConfig(rate=math.nan),
        lambda: SimConfig(rate=1e999),
        lambda: SimConfig(burst=0),
        lambda: SimConfig(token_lifetime=math.nan),
        lambda: SimConfig(token_lifetime=math.inf),
        lambda: SimConfig(login_window=-1),
        lambda: SimConfig(devices=-1),
        lambda: SimConfig(devices="3"),  # type: ignore[arg-type]
        lambda: SimConfig(keys=True),
        lambda: Faults(latency=math.inf),
        lambda: Faults(latency=math.nan),
        lambda: Faults(jitter=-0.1),
        lambda: Faults(fail_rate=math.nan),
        lambda: Faults(slow_seconds=10**400),
        lambda: WebhookSettings(time_scale=math.inf),
        lambda: V2SimConfig(rate=math.inf),
        lambda: V2SimConfig(install_delay=math.nan),
        lambda: V2SimConfig(timestamp_tolerance=0),
        lambda: IloqFaults(latency=math.inf),
        lambda: IloqFaults(fail_times=-1),
        lambda: IloqFaults(fail_status=200),
        lambda: IloqSimConfig(shutdown_timeout=math.nan),
    ],
)
def test_python_knobs_out_of_range_are_a_value_error(make: object) -> None:
    assert callable(make)
    with pytest.raises(ValueError, match=r"must be"):
        make()


async def test_live_knobs_out_of_range_are_a_value_error_and_change_nothing(
    livionkey_sim: Simulator,
) -> None:
    sim = livionkey_sim
    sim.set_rate_limit(5.0, 2)
    for rate, burst in ((math.inf, None), (math.nan, None), (-1.0, None), (5.0, 0)):
        with pytest.raises(ValueError, match=r"must be"):
            sim.set_rate_limit(rate, burst)
    assert sim.state.rate_limit_settings() == {"rate": 5.0, "burst": 2, "headers": False}
    with pytest.raises(ValueError, match=r"must be"):
        sim.faults.latency = math.inf
    with pytest.raises(ValueError, match=r"must be"):
        sim.faults.update({"latency": 0.1, "drop_rate": math.nan})
    assert sim.faults.latency == 0.0
    moment = sim.clock.now()
    for by in (math.nan, math.inf, 1e300, -1e300, 10**400):
        with pytest.raises(ValueError, match=r"years 1 to 9999"):
            sim.clock.advance(by)
    assert sim.clock.now() - moment < timedelta(seconds=60)
    with pytest.raises(ValueError, match=r"years 1 to 9999"):
        sim.clock.set(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))))


# -- the API v2 simulator --------------------------------------------------------------------------


@asynccontextmanager
async def v2_running() -> AsyncIterator[tuple[V2Simulator, aiohttp.ClientSession]]:
    async with V2Simulator() as sim, aiohttp.ClientSession() as http:
        yield sim, http


async def v2_call(
    sim: V2Simulator,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, str]:
    signer = ServiceAccountSigner(sim.service_account_id, sim.private_key_pem)
    url = URL(sim.url + path, encoded=True)
    sent = signer.headers(signer.account_id, method, url, body)
    if body is not None:
        sent["Content-Type"] = "application/json"
    sent.update(headers or {})
    async with http.request(method, url, data=body, headers=sent) as reply:
        return reply.status, await reply.text()


async def v2_still_serves(sim: V2Simulator, http: aiohttp.ClientSession) -> None:
    for path in ("/automats", "/iloq/keycontracts", "/mechanical/keycontracts", "/groups"):
        status, text = await v2_call(sim, http, "GET", path)
        assert status == 200, (path, status, text)
    assert sim.stats.unhandled == 0


async def test_v2_hostile_numbers_and_timestamps_are_refused() -> None:
    async with v2_running() as (sim, http):
        for path in (
            f"/automats?limit={HUGE}",
            f"/automats?after={HUGE}",
            "/automats?limit=\u00b2",
            "/groups?after=%C2%B2",
        ):
            refused(*await v2_call(sim, http, "GET", path))
        for stamp in (HUGE, "\u00b2", "\u0661\u0662", "-1", "1e3"):
            status, text = await v2_call(
                sim, http, "GET", "/automats", headers={"x-timestamp": stamp}
            )
            assert status == 401, (stamp, status, text)
        await v2_still_serves(sim, http)


@pytest.mark.parametrize("moment", [PAST_9999, BEFORE_1])
async def test_v2_a_window_the_wire_cannot_write_is_refused(moment: str) -> None:
    async with v2_running() as (sim, http):
        automat = next(a for a in sim.state.automats.values() if a.product == "key30")
        body = {
            "id": "m-far",
            "start": future(1),
            "end": moment,
            "contact": {"name": "N"},
            "keys": [{"id": f"{automat.id}-00"}],
        }
        refused(
            *await v2_call(sim, http, "POST", "/mechanical/keycontracts", json.dumps(body).encode())
        )
        await v2_still_serves(sim, http)


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": NaN, "customerId": "customer-demo"}',
        b'{"name": "g", "customerId": "customer-demo", "type": ' + HUGE.encode() + b"}",
        b'{"name": "g", "customerId": "customer-demo", "type": 1e999}',
        b"[" * 100_000 + b"]" * 100_000,
        b"\xff\xfe",
        b'{"name": "\\ud800", "customerId": "customer-demo"}',
        b'{"name": ["g"], "customerId": {"a": 1}, "type": "1"}',
    ],
)
async def test_v2_bodies_that_cannot_be_read_are_refused(body: bytes) -> None:
    async with v2_running() as (sim, http):
        refused(*await v2_call(sim, http, "POST", "/groups", body))
        await v2_still_serves(sim, http)


async def test_v2_control_plane_values_out_of_range_are_refused() -> None:
    async with v2_running() as (sim, http):
        for body in (b'{"latency": 1e999}', b'{"latency": -1}', b'{"jitter": NaN}', b"[[["):
            async with http.post(sim.origin + "/_sim/faults", data=body) as reply:
                refused(reply.status, await reply.text())
        assert sim.faults.as_dict() == Faults().as_dict()
        await v2_still_serves(sim, http)


# -- the iLOQ simulator ----------------------------------------------------------------------------


async def test_iloq_hostile_bodies_and_session_ids_are_refused() -> None:
    async with IloqSimulator() as sim, aiohttp.ClientSession() as http:
        base = sim.service_address + "/api/v2"
        for endpoint, body in (
            ("CreateSession", b"[" * 100_000 + b"]" * 100_000),
            ("CreateSession", b'{"CustomerCode": NaN}'),
            ("CreateSession", b'{"CustomerCode": "\\ud800"}'),
            ("Url/GetUrl", b"\xff\xfe"),
            ("Url/GetUrl", b'{"CustomerCode": ' + HUGE.encode() + b"}"),
            ("SetLockgroup", b'{"LockGroup_ID": 1e999}'),
        ):
            async with http.post(f"{base}/{endpoint}", data=body) as reply:
                text = await reply.text()
                assert reply.status < 500, (endpoint, body[:40], reply.status, text)
                assert MESSAGE not in text
        async with http.get(f"{base}/LockGroups", headers={"SessionId": HUGE}) as reply:
            refused(reply.status, await reply.text())
        async with http.post(f"{base}/Url/GetUrl", json={"CustomerCode": "LIVIONDEMO"}) as reply:
            assert reply.status == 200
        assert sim.unhandled == 0


# -- the last resort itself ------------------------------------------------------------------------


async def test_an_unexpected_exception_is_logged_counted_and_answered_400(
    livionkey_sim: Simulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object, **__: object) -> object:
        raise RuntimeError("a bug in a rule")

    async with connect(livionkey_sim) as api:
        monkeypatch.setattr(livionkey_sim.state, "device_keys", broken)
        reply = await api.get("/devices/00001/keys")
        assert (reply.status, reply.text) == (400, MESSAGE)
        assert livionkey_sim.stats.unhandled == 1
        assert (await api.get("/_sim/stats")).obj()["unhandled"] == 1
        assert "a bug in a rule" in caplog.text
        monkeypatch.undo()
        assert (await api.get("/devices/00001/keys")).status == 200
