"""The simulator pushes webhooks: every event kind in both shapes, Livion's retries, ordering,
faults, the control plane, and a clean stop.

Deliveries go over real loopback HTTP to an endpoint each test starts; the simulator's clock is
fake (signatures are checked against it) and its retry schedule runs at ``time_scale=0``, so
nothing waits for real time: the delays of Livion's schedule are read from the delivery log.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import attrs
import pytest
from aiohttp import web
from multidict import CIMultiDict
from sim_support import FakeClock, connect, contract_body, future

from livionkey_async.testing import AccountConfig, SimConfig, SimError, Simulator
from livionkey_async.testing._push_policy import (
    LEGACY_RETRY_DELAYS,
    V2_RETRY_DELAYS,
    next_delay,
)
from livionkey_async.webhooks import (
    CodeEnteredEvent,
    ContractUpdateEvent,
    DeviceAlarmEvent,
    Event,
    KeyStatusEvent,
    WebhookReceiver,
    event_type,
    parse_event,
    verify_api_key,
    verify_signature,
)

API_KEY = "legacy-shared-secret-5e1f"
SECRET = "whsec_" + base64.b64encode(b"livionkey-async-sim-push-key").decode()
EMAIL = "demo@example.com"


@attrs.frozen(eq=False)  # two attempts may look alike: each arrival is itself
class Received:
    path: str
    headers: CIMultiDict[str]
    body: bytes
    at: float  # the simulator's clock when it arrived

    def json(self) -> dict[str, Any]:
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data

    def event(self) -> Event:
        return parse_event(self.body)

    def device(self) -> str | None:
        device: str | None = getattr(self.event(), "device_id", None)
        return device


Answer = Callable[[Received], Awaitable[int | web.Response]]


async def ok(_: Received) -> int:
    return 200


class Endpoint:
    """A loopback endpoint that records every delivery and answers as the test says."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.received: list[Received] = []
        self.answer: Answer = ok
        self.clock = clock
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        received = Received(request.path, CIMultiDict(request.headers), body, self.clock())
        self.received.append(received)
        answer = await self.answer(received)
        return web.Response(status=answer) if isinstance(answer, int) else answer

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
async def endpoint(clock: FakeClock) -> AsyncIterator[Endpoint]:
    point = Endpoint(clock)
    app = web.Application()
    app.router.add_post("/{tail:.*}", point.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    point.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield point
    await runner.cleanup()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(float(int(time.time())))


@pytest.fixture
def livionkey_sim_config(clock: FakeClock) -> SimConfig:
    return SimConfig(
        clock=clock,
        extra_accounts=[
            AccountConfig(email="other@example.com", password="pw-other", devices=1, keys=1)
        ],
    )


@pytest.fixture
def sim(livionkey_sim: Simulator) -> Simulator:
    livionkey_sim.webhook_settings.time_scale = 0.0  # Livion's schedule, without the waiting
    return livionkey_sim


async def settled(sim: Simulator) -> None:
    async with asyncio.timeout(10):
        await sim.wait_for_webhooks()


def stands_at(now: float) -> Callable[[], float]:
    """A clock that reads ``now``: verify a delivery as of when it arrived."""
    return lambda: now


def answers(*statuses: int) -> Answer:
    """Answer these statuses in turn, then 200."""
    queue: Iterator[int] = iter(statuses)

    async def answer(_: Received) -> int:
        return next(queue, 200)

    return answer


async def play_everything(sim: Simulator, clock: FakeClock) -> dict[str, str]:
    """A contract created and changed, its pincode entered, its key fetched, returned and not
    returned, a return code and an access code entered, an alarm raised, acknowledged and
    cleared. Answers the contract's object id and the two codes."""
    async with connect(sim) as api:
        made = await api.post(
            "/contracts", contract_body("booking-1", base=clock.now, start_days=0.01)
        )
        object_id = str(made.obj()["id"])
        changed = await api.post(
            f"/contracts/{object_id}",
            {"devices": [{"id": "00001", "keyId": "A0001"}], "person": "Jane Doe"},
        )
        right = await api.post(
            "/accessrights",
            {
                "accessRightId": "ar-1",
                "devices": [{"id": "00005"}],
                "pincode": "4321",
                "start": future(0.01, base=clock.now),
                "end": future(2, base=clock.now),
                "person": "Jane Doe",
                "contacts": [{"email": "jane@example.com"}],
                "modifyTime": False,
            },
        )
    assert (made.status, changed.status, right.status) == (200, 200, 200), right.text
    clock.advance(3600)  # both have started
    pincode = str(made.obj()["pincode"])
    sim.enter_code("00001", pincode)
    sim.fetch_key("00001", "A0001")
    sim.return_key("00001", "A0001")
    sim.key_not_returned("00001", "A0001")
    sim.enter_code("00001", "775533", code_type="right-return-code", key_id="A0002")
    sim.enter_code("00005", "4321")
    sim.raise_alarm("00002", "DEVICE_MOVED")
    sim.acknowledge_alarm("00002", "DEVICE_MOVED")
    sim.clear_alarm("00002", "DEVICE_MOVED")
    await settled(sim)
    return {"object_id": object_id, "pincode": pincode}


def of_type(events: list[Event], cls: type[Event]) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def check_every_kind(events: list[Event], played: dict[str, str]) -> None:
    """The events `play_everything` pushes, whatever the shape (arrival order across devices
    and event types is free; within one device and type it is the order they happened)."""
    updates = of_type(events, ContractUpdateEvent)
    assert [(u.contract_id, u.contract_object_id, u.device_id, u.key_id) for u in updates] == [
        ("booking-1", played["object_id"], "00001", "A0001")
    ] * 2
    assert {u.contract_type for u in updates} == {"default"}
    assert {u.pincode for u in updates} == {played["pincode"]}
    keys = of_type(events, KeyStatusEvent)
    assert [k.state for k in keys] == ["key-fetched", "key-returned", "key-not-returned"]
    assert {(k.device_id, k.key_id, k.contract_id, k.contract_object_id) for k in keys} == {
        ("00001", "A0001", "booking-1", played["object_id"])
    }
    assert all(k.locker_index is not None for k in keys)
    codes = of_type(events, CodeEnteredEvent)
    assert sorted((c.code_type, c.device_id, c.key_id, c.contract_id) for c in codes) == [
        ("right-access-code", "00005", None, None),
        ("right-pincode", "00001", "A0001", "booking-1"),
        ("right-return-code", "00001", "A0002", None),
    ]
    assert {c.code for c in codes} == {played["pincode"], "775533", "4321"}
    alarms = of_type(events, DeviceAlarmEvent)
    assert [(a.alarm_type, a.state, a.acknowledged, a.end is None) for a in alarms] == [
        ("DEVICE_MOVED", "activated", False, True),
        ("DEVICE_MOVED", "activated", True, True),
        ("DEVICE_MOVED", "deactivated", True, False),
    ]
    assert len({a.start for a in alarms}) == 1
    assert len(events) == 11


async def test_every_event_kind_is_pushed_signed_in_the_v2_envelope(
    sim: Simulator, endpoint: Endpoint, clock: FakeClock
) -> None:
    sub = sim.add_webhook(f"{endpoint.url}/livion")
    assert sub.secret is not None
    assert sub.secret.startswith("whsec_")
    played = await play_everything(sim, clock)
    events = []
    for received in endpoint.received:
        delivery_id = verify_signature(
            received.body, received.headers, sub.secret, clock=stands_at(received.at)
        )
        event = received.event()
        assert event.shape == "v2"
        assert event.organization_unit_id == EMAIL
        assert received.headers["webhook-event-type"] == event_type(event)
        assert received.headers["content-type"] == "application/json"
        assert delivery_id.startswith("msg_")
        events.append(event)
    check_every_kind(events, played)
    log = sim.webhook_deliveries()
    assert [(r.attempt, r.status, r.outcome) for r in log] == [(1, 200, "delivered")] * 11
    assert {r.delivery_id for r in log} == {r.headers["webhook-id"] for r in endpoint.received}


async def test_every_event_kind_is_pushed_flat_with_the_shared_secret_header(
    sim: Simulator, endpoint: Endpoint, clock: FakeClock
) -> None:
    sim.add_webhook(
        f"{endpoint.url}/legacy", shape="legacy", api_key=API_KEY, api_key_header="X-Livion-Key"
    )
    played = await play_everything(sim, clock)
    for received in endpoint.received:
        verify_api_key(received.headers, API_KEY, header_name="x-livion-key")
        assert "webhook-id" not in received.headers
        assert "data" not in received.json()
    check_every_kind([r.event() for r in endpoint.received], played)
    # The legacy body's type names the event only for key statuses and alarms.
    types = sorted({r.json()["type"] for r in endpoint.received})
    assert types == [
        "default",
        "device-alarm",
        "key-status",
        "right-access-code",
        "right-pincode",
        "right-return-code",
    ]


async def test_a_legacy_subscription_without_a_key_sends_no_secret_header(
    sim: Simulator, endpoint: Endpoint
) -> None:
    sim.add_webhook(endpoint.url, shape="legacy", event_types=["key-status"])
    sim.fetch_key("00001", "A0003")
    await settled(sim)
    (received,) = endpoint.received
    assert "x-api-key" not in received.headers
    assert received.json()["state"] == "key-fetched"


async def test_a_v2_delivery_is_retried_with_the_same_id_re_signed_until_a_2xx(
    sim: Simulator, endpoint: Endpoint, clock: FakeClock
) -> None:
    sub = sim.add_webhook(endpoint.url)
    statuses = iter([500, 404, 200])

    async def answer(_: Received) -> int:
        clock.advance(1)  # each attempt is signed at its own time
        return next(statuses)

    endpoint.answer = answer
    sim.fetch_key("00001", "A0001")
    await settled(sim)
    assert sub.secret is not None
    ids = {verify_signature(r.body, r.headers, sub.secret, clock=clock) for r in endpoint.received}
    assert len(ids) == 1
    assert len({r.headers["webhook-timestamp"] for r in endpoint.received}) == 3
    assert len({r.headers["webhook-signature"] for r in endpoint.received}) == 3
    assert len({r.body for r in endpoint.received}) == 1
    log = sim.webhook_deliveries()
    assert [(r.attempt, r.waited, r.status, r.outcome) for r in log] == [
        (1, 0.0, 500, "retrying"),
        (2, 5.0, 404, "retrying"),
        (3, 15.0, 200, "delivered"),
    ]
    assert {r.delivery_id for r in log} == ids


async def test_a_v2_delivery_follows_livions_schedule_then_gives_up(
    sim: Simulator, endpoint: Endpoint
) -> None:
    sim.add_webhook(endpoint.url)
    endpoint.answer = answers(*[503] * 100)
    sim.raise_alarm("00003", "DEVICE_ERROR")
    await settled(sim)
    log = sim.webhook_deliveries()
    assert [r.waited for r in log] == [0.0, *V2_RETRY_DELAYS]
    assert len(log) == 20
    assert [r.outcome for r in log] == ["retrying"] * 19 + ["given-up"]
    assert 5.5 * 3600 < sum(r.waited for r in log) < 6.5 * 3600  # "roughly 6 hours"


async def test_legacy_retries_only_connection_errors_5xx_and_429(
    sim: Simulator, endpoint: Endpoint
) -> None:
    sim.add_webhook(endpoint.url, shape="legacy", event_types=["device-alarm"])
    endpoint.answer = answers(429, 502, 200, 400)
    sim.raise_alarm("00001", "DEVICE_LOW_POWER")  # 429, 502, 200
    await settled(sim)
    sim.clear_alarm("00001", "DEVICE_LOW_POWER")  # 400: not retried
    await settled(sim)
    log = sim.webhook_deliveries()
    assert [(r.waited, r.status, r.outcome) for r in log] == [
        (0.0, 429, "retrying"),
        (5.0, 502, "retrying"),
        (10.0, 200, "delivered"),
        (0.0, 400, "given-up"),
    ]


async def test_an_unreachable_endpoint_is_retried_then_given_up(
    sim: Simulator, endpoint: Endpoint
) -> None:
    closed = web.AppRunner(web.Application())
    await closed.setup()
    site = web.TCPSite(closed, "127.0.0.1", 0)
    await site.start()
    port = closed.addresses[0][1]
    await closed.cleanup()  # nothing listens there any more
    sim.add_webhook(f"http://127.0.0.1:{port}/", shape="legacy")
    sim.fetch_key("00001", "A0001")
    await settled(sim)
    log = sim.webhook_deliveries()
    assert [r.waited for r in log] == [0.0, *LEGACY_RETRY_DELAYS]
    assert all(r.status is None and r.error for r in log)
    assert log[-1].outcome == "given-up"


async def test_redirects_are_not_followed(sim: Simulator, endpoint: Endpoint) -> None:
    sim.add_webhook(f"{endpoint.url}/old")
    moved = web.Response(status=307, headers={"Location": f"{endpoint.url}/new"})
    statuses = iter([moved])

    async def answer(_: Received) -> int | web.Response:
        return next(statuses, 200)

    endpoint.answer = answer
    sim.fetch_key("00001", "A0001")
    await settled(sim)
    assert endpoint.at("/new") == []
    assert len(endpoint.at("/old")) == 2
    assert [r.status for r in sim.webhook_deliveries()] == [307, 200]


async def test_order_is_kept_per_device_and_type_while_others_go_on(
    sim: Simulator, endpoint: Endpoint
) -> None:
    sim.add_webhook(endpoint.url)
    others: list[Received] = []
    others_arrived = asyncio.Event()
    attempts = 0

    async def answer(received: Received) -> int:
        nonlocal attempts
        body = received.json()
        if body["type"] != "key-status" or body["data"]["deviceId"] != "00001":
            others.append(received)
            if len(others) == 2:
                others_arrived.set()
            return 200
        attempts += 1
        if attempts == 1:
            await others_arrived.wait()  # answered only once the others got in
        return 500 if attempts <= 2 else 200

    endpoint.answer = answer
    sim.fetch_key("00001", "A0001")  # answered 500, 500, then 200
    sim.return_key("00001", "A0001")
    sim.fetch_key("00001", "A0002")
    sim.fetch_key("00002", "A0001")  # another device
    sim.raise_alarm("00001", "DEVICE_MOVED")  # the same device, another type
    await settled(sim)
    held = [
        (e.key_id, e.state)
        for e in (r.event() for r in endpoint.received)
        if isinstance(e, KeyStatusEvent) and e.device_id == "00001"
    ]
    # 00001's later key statuses waited behind the one retried, in the order they happened...
    assert held == [("A0001", "key-fetched")] * 3 + [
        ("A0001", "key-returned"),
        ("A0002", "key-fetched"),
    ]
    # ... while the other device's event and the alarm went on.
    first_success = [r for r in endpoint.received if r not in others][2]
    assert all(endpoint.received.index(o) < endpoint.received.index(first_success) for o in others)
    assert sorted(event_type(o.event()) for o in others) == ["device-alarm", "key-status"]


async def serve(receiver: WebhookReceiver) -> tuple[str, web.AppRunner]:
    app = web.Application()
    app.router.add_post("/livion", receiver.aiohttp_handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return f"http://127.0.0.1:{runner.addresses[0][1]}/livion", runner


@pytest.mark.parametrize("shape", ["v2", "legacy"])
async def test_duplicates_are_dropped_by_the_receivers_dedupe(
    sim: Simulator, clock: FakeClock, shape: str
) -> None:
    sim.webhook_settings.duplicate_rate = 1.0  # every delivery arrives twice
    if shape == "v2":
        receiver = WebhookReceiver(signing_secret=SECRET, clock=clock)
    else:
        receiver = WebhookReceiver(api_key=API_KEY, clock=clock)
    url, runner = await serve(receiver)
    try:
        if shape == "v2":
            sim.add_webhook(url, secret=SECRET)
        else:
            sim.add_webhook(url, shape="legacy", api_key=API_KEY)
        sim.fetch_key("00001", "A0001")
        sim.return_key("00001", "A0001")
        sim.raise_alarm("00001", "DEVICE_WIFI_OFFLINE")
        await settled(sim)
    finally:
        await runner.cleanup()
    receiver.close()
    handed_over = [event async for event in receiver]
    log = sim.webhook_deliveries()
    assert [r.outcome for r in log].count("duplicate") == 3
    assert all(r.status == 200 for r in log)
    assert (receiver.stats.accepted, receiver.stats.duplicates) == (3, 3)
    assert sorted(event_type(e) for e in handed_over) == [
        "device-alarm",
        "key-status",
        "key-status",
    ]


async def test_late_deliveries_are_held_back_and_flagged(
    sim: Simulator, endpoint: Endpoint
) -> None:
    sim.add_webhook(endpoint.url)
    sim.webhook_settings.update({"late_rate": 1.0, "late_seconds": 90})
    sim.fetch_key("00001", "A0001")
    await settled(sim)
    (record,) = sim.webhook_deliveries()
    assert (record.late, record.waited, record.outcome) == (True, 90.0, "delivered")
    assert len(endpoint.received) == 1


async def test_a_late_delivery_is_overtaken_and_shutdown_stops_what_is_pending(
    endpoint: Endpoint,
) -> None:
    sim = Simulator()
    arrived = asyncio.Event()

    async def answer(_: Received) -> int:
        arrived.set()
        return 500  # and so the second one is retried, 5 real seconds later

    endpoint.answer = answer
    async with sim:
        sim.add_webhook(endpoint.url)
        sim.webhook_settings.late_rate = 1.0  # held back a real minute
        sim.fetch_key("00001", "A0001")
        sim.webhook_settings.late_rate = 0.0
        sim.fetch_key("00002", "A0001")  # later, another device: it overtakes
        async with asyncio.timeout(10):
            await arrived.wait()
            # Its answer is on the way back; nothing signals the log, so look again and again.
            while not sim.webhook_deliveries():  # noqa: ASYNC110
                await asyncio.sleep(0.001)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 5  # neither the late nor the retrying one held it
    assert [r.device() for r in endpoint.received] == ["00002"]
    assert [(r.source, r.outcome) for r in sim.webhook_deliveries()] == [("00002", "retrying")]
    assert not any("_drain" in repr(task.get_coro()) for task in asyncio.all_tasks())
    with pytest.raises(RuntimeError, match="not running"):
        await sim.wait_for_webhooks()


async def test_only_the_subscribed_types_and_account_are_pushed(
    sim: Simulator, endpoint: Endpoint
) -> None:
    sim.add_webhook(f"{endpoint.url}/keys", event_types=["key-status"])
    sim.add_webhook(f"{endpoint.url}/other", account="Other@Example.com")
    sim.raise_alarm("00001", "DEVICE_MOVED")
    sim.fetch_key("00001", "A0001")
    other_device = sim.state.accounts["other@example.com"][0]
    sim.fetch_key(other_device, "A0001")
    await settled(sim)
    assert [r.device() for r in endpoint.at("/keys")] == ["00001"]
    assert [r.event().organization_unit_id for r in endpoint.at("/other")] == ["other@example.com"]


async def test_the_control_plane_registers_endpoints_and_plays_events(
    sim: Simulator, endpoint: Endpoint
) -> None:
    async with connect(sim, login=False) as api:
        made = await api.post(
            "/_sim/webhooks",
            {
                "url": endpoint.url,
                "shape": "legacy",
                "apiKey": API_KEY,
                "eventTypes": ["key-status", "code-entered", "device-alarm"],
            },
        )
        listed = await api.get("/_sim/webhooks")
        fetched = await api.post("/_sim/devices/00001/keys/A0001/fetch")
        code = await api.post(
            "/_sim/devices/00001/codes",
            {"code": "1", "codeType": "right-return-code", "keyId": "A0001"},
        )
        wrong_code = await api.post("/_sim/devices/00001/codes", {"code": "000"})
        raised = await api.post("/_sim/devices/00002/alarms", {"alarmType": "DEVICE_MOVED"})
        cleared = await api.post(
            "/_sim/devices/00002/alarms", {"alarmType": "DEVICE_MOVED", "action": "clear"}
        )
        bad_alarm = await api.post("/_sim/devices/00002/alarms", {"alarmType": "KEY_NOT_RETURNED"})
        bad_action = await api.post(
            "/_sim/devices/00002/alarms", {"alarmType": "DEVICE_MOVED", "action": "snooze"}
        )
        settings = await api.post("/_sim/webhooks/settings", {"duplicate_rate": 0.0, "timeout": 5})
        bad_settings = await api.post("/_sim/webhooks/settings", {"time_scale": -1})
        unknown_setting = await api.post("/_sim/webhooks/settings", {"retries": 3})
        await settled(sim)
        log = await api.get("/_sim/webhooks/deliveries")
        sub_id = made.obj()["id"]
        removed = await api.delete(f"/_sim/webhooks/{sub_id}")
        removed_again = await api.delete(f"/_sim/webhooks/{sub_id}")
        bad_url = await api.post("/_sim/webhooks", {"url": "ftp://example.com/"})
        bad_types = await api.post("/_sim/webhooks", {"url": endpoint.url, "eventTypes": ["nope"]})
        not_object = await api.post("/_sim/webhooks", ["nope"])
    assert made.status == 201
    assert made.obj()["apiKey"] == API_KEY  # shown once, in full
    assert listed.items()[0]["apiKey"] == "..." + API_KEY[-4:]
    assert API_KEY not in listed.text
    assert fetched.status == 200
    assert code.obj()["type"] == "right-return-code"
    assert "code" not in code.obj()
    assert (wrong_code.status, wrong_code.text) == (
        400,
        "wrong code: Livion pushes only right codes",
    )
    assert raised.obj()["state"] == "activated"
    assert cleared.obj()["state"] == "deactivated"
    assert bad_alarm.status == 400
    assert "key status" in bad_alarm.text
    assert bad_action.status == 400
    assert settings.obj()["timeout"] == 5.0
    assert (bad_settings.status, unknown_setting.status) == (400, 400)
    assert [d["eventType"] for d in log.items()] == [
        "key-status",
        "code-entered",
        "device-alarm",
        "device-alarm",
    ]
    assert [r.json()["type"] for r in endpoint.received] == [
        "key-status",
        "right-return-code",
        "device-alarm",
        "device-alarm",
    ]
    assert (removed.status, removed_again.status) == (200, 404)
    assert [r.status for r in (bad_url, bad_types, not_object)] == [400, 400, 400]
    assert sim.webhook_subscriptions() == []


async def test_a_reset_forgets_subscriptions_alarms_and_the_log(
    sim: Simulator, endpoint: Endpoint
) -> None:
    sim.add_webhook(endpoint.url)
    sim.raise_alarm("00001", "DEVICE_MOVED")
    sim.webhook_settings.duplicate_rate = 0.5
    await settled(sim)
    async with connect(sim, login=False) as api:
        assert (await api.post("/_sim/reset")).status == 200
    assert sim.webhook_subscriptions() == []
    assert sim.webhook_deliveries() == []
    assert sim.webhook_settings.duplicate_rate == 0.0
    sim.raise_alarm("00001", "DEVICE_MOVED")  # no longer active: may be raised again
    await settled(sim)
    assert len(endpoint.received) == 1


def test_bad_subscriptions_codes_and_alarms_are_refused() -> None:
    sim = Simulator()
    for kwargs, message in [
        ({"url": "ftp://example.com"}, "http"),
        ({"url": "http://127.0.0.1/", "shape": "v3"}, "shape"),
        ({"url": "http://127.0.0.1/", "secret": "whsec_!!"}, "whsec_"),
        ({"url": "http://127.0.0.1/", "shape": "legacy", "secret": "whsec_AAAA"}, "legacy"),
        ({"url": "http://127.0.0.1/", "api_key": API_KEY}, "legacy"),
        ({"url": "http://127.0.0.1/", "event_types": ["key-moved"]}, "eventTypes"),
        ({"url": "http://127.0.0.1/", "account": "nobody@example.com"}, "no account"),
    ]:
        with pytest.raises(ValueError, match=message):
            sim.add_webhook(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(SimError, match="wrong code"):
        sim.enter_code("00001", "123456")
    with pytest.raises(SimError, match="keyId is required"):
        sim.enter_code("00001", "1", code_type="right-return-code")
    with pytest.raises(SimError, match="Device not found"):
        sim.raise_alarm("99999", "DEVICE_MOVED")
    sim.raise_alarm("00001", "DEVICE_MOVED")  # queued: the simulator is not running
    with pytest.raises(SimError, match="already active"):
        sim.raise_alarm("00001", "DEVICE_MOVED")
    with pytest.raises(SimError, match="not active"):
        sim.clear_alarm("00001", "DEVICE_ERROR")
    with pytest.raises(SimError, match="alarmType"):
        sim.acknowledge_alarm("00001", "KEY_NOT_RETURNED")


def test_secrets_stay_out_of_reprs(clock: FakeClock) -> None:
    sim = Simulator(SimConfig(clock=clock))
    signed = sim.add_webhook("http://127.0.0.1/")
    legacy = sim.add_webhook("http://127.0.0.1/", shape="legacy", api_key=API_KEY)
    assert signed.secret is not None
    assert signed.secret not in repr(signed)
    assert API_KEY not in repr(legacy)
    event = sim.enter_code("00001", "775533", code_type="right-return-code", key_id="A0001")
    assert "775533" not in repr(event)


def test_livions_schedules() -> None:
    assert len(V2_RETRY_DELAYS) == 19  # 20 attempts
    assert V2_RETRY_DELAYS[:9] == (5, 15, 30, 60, 120, 300, 600, 900, 1200)
    assert set(V2_RETRY_DELAYS[9:]) == {1800}
    assert next_delay("v2", 1, None) == 5
    assert next_delay("v2", 1, 404) == 5  # any non-2xx
    assert next_delay("v2", 19, 500) == 1800
    assert next_delay("v2", 20, 500) is None
    assert next_delay("v2", 1, 204) is None
    assert next_delay("legacy", 1, 429) == 5
    assert next_delay("legacy", 2, 503) == 10
    assert next_delay("legacy", 1, 404) is None
    assert next_delay("legacy", 1, 307) is None
    assert next_delay("legacy", 5, None) is None


async def test_events_of_a_stopped_simulator_go_out_when_it_starts_again(
    endpoint: Endpoint,
) -> None:
    sim = Simulator()
    sim.add_webhook(endpoint.url)
    sim.fetch_key("00001", "A0001")  # not running yet: queued
    async with sim:
        async with asyncio.timeout(10):
            await sim.wait_for_webhooks()
    sim.return_key("00001", "A0001")  # stopped: queued again
    with pytest.raises(RuntimeError, match="not running"):
        await sim.wait_for_webhooks()
    async with sim:
        async with asyncio.timeout(10):
            await sim.wait_for_webhooks()
    states = [
        e.state for e in (r.event() for r in endpoint.received) if isinstance(e, KeyStatusEvent)
    ]
    assert states == ["key-fetched", "key-returned"]
