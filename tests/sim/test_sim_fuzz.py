"""Fuzzing the simulators' routes over real loopback HTTP: every answer is below 500, and nothing
breaks the requests that come after.

Each test starts one simulator (V1 with its keypad and webhook control plane, API v2, iLOQ),
sends hypothesis-drawn requests to every route it serves (``fuzz_support``), then checks that
known-good requests still work and that the simulator's last-resort handler never had to answer
(a hit means a real cause is left to fix). ``make test`` runs a few hundred requests per
simulator; ``LIVIONKEY_FUZZ_EXAMPLES=20000 make fuzz`` runs as many as asked.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import aiohttp
import attrs
from fuzz_support import Drawn, LoopThread, Target, requests_for, send, v2_signer
from hypothesis import HealthCheck, given, settings

from livionkey_async import Contact, KeyRef, NewAccessRight, NewContract, NewKey
from livionkey_async._convert import unstructure
from livionkey_async.testing import IloqSimulator, SimConfig, SimError, Simulator, V2Simulator
from livionkey_async.v2 import (
    AutomatUpdate,
    ContractType,
    KeyStorage,
    LivionKeyV2Client,
    NewAutomat,
    NewContractKey,
    NewGroup,
    NewIloqKeyContract,
    NewMechanicalKey,
    NewMechanicalKeyContract,
    NewOrganizationUnit,
    NewServiceAccount,
)
from livionkey_async.v2 import Contact as V2Contact
from livionkey_async.v2._convert import unstructure as v2_unstructure

EXAMPLES = int(os.environ.get("LIVIONKEY_FUZZ_EXAMPLES", "250"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=os.environ.get("LIVIONKEY_FUZZ_RANDOM") is None,
    database=None,
)
V1_QUERY = ("products", "extend", "limit", "after", "deviceId", "keyStatus", "cancellation")
V2_QUERY = (
    *("after", "limit", "search", "ongoing", "ended", "future", "selectedStorage", "automatId"),
    *("organizationUnitId", "customerId", "returnDefaultAccessesOnly"),
)
ILOQ_ENDPOINTS = ("Url/GetUrl", "CreateSession", "LockGroups", "SetLockgroup", "KillSession")
SOON = datetime.now(UTC) + timedelta(days=1)
LATER = SOON + timedelta(days=1)


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


async def answer(http: aiohttp.ClientSession, origin: str, drawn: Drawn) -> int:
    status, text = await send(http, origin, drawn)
    assert status < 500, f"{drawn!r} answered {status}: {text}"
    return status


# -- V1 --------------------------------------------------------------------------------------------


def v1_examples() -> dict[tuple[str, str], object]:
    contract = NewContract(
        contract_id="fuzz-1",
        keys=[KeyRef("00001", "A0001")],
        start=SOON,
        end=LATER,
        person="Fuzz",
        contacts=[Contact(email="f@example.com", language="en-gb")],
        pincode="123456",
    )
    access = NewAccessRight(
        access_right_id="fuzz-a", device_ids=["00005"], start=SOON, end=LATER, person="Fuzz"
    )
    update = {"devices": [{"id": "00001", "keyId": "A0001"}], "end": LATER.isoformat()}
    return {
        ("POST", "/auth/login"): {"email": "demo@example.com", "password": "livionkey-demo"},
        ("POST", "/contracts"): unstructure(contract),
        ("POST", "/contracts/{id}"): update,
        ("POST", "/contracts/{id}/pincode"): {"devices": [{"id": "00001", "keyId": "A0001"}]},
        ("POST", "/keys"): unstructure(NewKey(key_id="F1", name="Fuzz", device_id="00001")),
        ("POST", "/keys/{keyId}"): {"deviceId": "00001", "keyName": "x", "lockerIndex": "3"},
        ("POST", "/keys/{keyId}/backupcodes"): {"deviceId": "00001"},
        ("POST", "/devices/{deviceId}/opendoor"): {"lockerIndex": "0"},
        ("POST", "/accessrights"): unstructure(access),
        ("POST", "/accessrights/{id}"): {
            "devices": [{"id": "00005"}],
            "start": SOON.isoformat(),
            "end": LATER.isoformat(),
        },
        ("POST", "/accessrights/{id}/pincode"): {"devices": [{"id": "00005", "keyId": "x"}]},
        ("POST", "/_sim/faults"): {"latency": 0.0, "fail_rate": 0.0, "fail_statuses": [503]},
        ("POST", "/_sim/ratelimit"): {"rate": 1000, "burst": 1000, "headers": False},
        ("POST", "/_sim/revoke"): {"email": "other@example.com"},
        ("POST", "/_sim/devices/{deviceId}"): {"busy": False, "reserved": False},
        ("POST", "/_sim/webhooks"): {"url": "http://127.0.0.1:9/hook", "shape": "v2"},
        ("POST", "/_sim/webhooks/settings"): {"time_scale": 0.001, "timeout": 1},
        ("POST", "/_sim/devices/{deviceId}/codes"): {"code": "123456"},
        ("POST", "/_sim/devices/{deviceId}/alarms"): {"alarmType": "DEVICE_MOVED"},
    }


async def v1_known_good(http: aiohttp.ClientSession, sim: Simulator) -> None:
    """What every later request still gets: a login, listings, a contract made and read."""
    async with http.post(
        sim.url + "/auth/login", json={"email": sim.config.email, "password": sim.config.password}
    ) as reply:
        assert reply.status == 200, await reply.text()
        token = (await reply.json())["token"]
    auth = {"Authorization": f"Bearer {token}"}
    for path in ("/devices", "/devices?limit=5", "/devices/00001/contracts", "/keys/A0001"):
        async with http.get(sim.url + path, headers=auth, params=None) as reply:
            assert reply.status in (200, 404), (path, reply.status, await reply.text())
    body = unstructure(
        NewContract(
            contract_id=f"known-good-{sim.stats.requests}",
            keys=[KeyRef("00002", "A0002")],
            start=datetime.now(UTC) + timedelta(days=300),
            end=datetime.now(UTC) + timedelta(days=301),
            person="Known Good",
        )
    )
    async with http.post(sim.url + "/contracts", json=body, headers=auth) as reply:
        assert reply.status == 200, await reply.text()
    async with http.get(sim.url + "/_sim/stats") as reply:
        assert reply.status == 200


async def v1_login(http: aiohttp.ClientSession, sim: Simulator) -> str:
    login = {"email": sim.config.email, "password": sim.config.password}
    async with http.post(sim.url + "/auth/login", json=login) as reply:
        token = (await reply.json())["token"]
        assert isinstance(token, str)
        return token


@attrs.define
class V1Fuzz:
    """The V1 simulator as a fuzz target, logged in again whenever the control plane may have
    revoked the token (so that requests keep reaching the routes behind the login)."""

    sim: Simulator
    http: aiohttp.ClientSession
    token: str = ""

    def target(self) -> Target:
        return Target(
            origin=self.sim.url,
            app=self.sim.app,
            ids={
                "deviceId": ("00001", "00002", "00005", "00006", "99999"),
                "keyId": ("A0001", "A0002", "F1", "nope"),
                "id": ("deadbeef", "fuzz-1", "0"),
                "action": ("fetch", "return", "not-returned", "x"),
            },
            examples=v1_examples(),
            query_names=V1_QUERY,
            auth=lambda method, target, body: {"Authorization": f"Bearer {self.token}"},
            spoil=(
                {"Authorization": "Bearer " + "x" * 5000},
                {"Authorization": "Basic Zm9vOmJhcg=="},
                {"Authorization": "Bearer \u00e9"},
            ),
        )

    async def after(self, drawn: Drawn) -> None:
        if drawn.route.startswith("/_sim/"):
            # A knob the control plane accepted (a latency, a failure rate) is a fault asked
            # for: undo it, so that the next request tests the routes, not the fault.
            self.sim.faults.copy_from(self.sim.config.faults)
            self.sim.set_rate_limit(None)
            self.sim.webhook_settings.restore()
            try:
                self.sim.state.authenticate(f"Bearer {self.token}")
            except SimError:  # revoked, or the simulator was reset
                self.token = await v1_login(self.http, self.sim)


def test_the_v1_simulator_answers_every_request_below_500() -> None:
    with LoopThread() as thread:
        # The fuzz's own logins (after a reset or a revoke) must not trip the login throttle.
        sim = Simulator(SimConfig(devices=3, keys=5, login_limit=1_000_000))
        thread.run(sim.start())
        http = thread.run(_session())
        try:
            fuzz = V1Fuzz(sim, http)
            thread.run(fuzz.after(Drawn("POST", "/_sim/reset", {}, b"", "/_sim/reset")))

            @FUZZ
            @given(drawn=requests_for(fuzz.target()))
            def run(drawn: Drawn) -> None:
                thread.run(answer(http, sim.url, drawn))
                thread.run(fuzz.after(drawn))

            run()
            thread.run(v1_known_good(http, sim))
            assert sim.stats.unhandled == 0
        finally:
            thread.run(http.close())
            thread.run(sim.stop())


# -- API v2 ----------------------------------------------------------------------------------------


def v2_examples(sim: V2Simulator) -> dict[tuple[str, str], object]:
    automats = list(sim.state.automats.values())
    key30 = next(a for a in automats if a.product == "key30")
    key20 = next(a for a in automats if a.product == "key20")
    access = [str(right["id"]) for right in sim.state.access_rights][:2]
    group = next(iter(sim.state.groups))
    contact = V2Contact(name="Fuzz", email="f@example.com", language="en")
    iloq = NewIloqKeyContract(
        contract_type=ContractType.DEFAULT,
        access_right_ids=access,
        start=SOON,
        end=LATER,
        key_automat_id=key20.id,
        number_of_keys=1,
        contact=contact,
    )
    mechanical = NewMechanicalKeyContract(
        id="fuzz-m", start=SOON, end=LATER, contact=contact, keys=[NewContractKey(f"{key30.id}-00")]
    )
    return {
        ("POST", "/v2/automats/install"): v2_unstructure(
            NewAutomat(
                name="F",
                address="a",
                postal_code="00100",
                postal_office="Helsinki",
                timezone="Europe/Helsinki",
                product="key30",
            )
        ),
        ("PATCH", "/v2/automats/{id}"): v2_unstructure(AutomatUpdate(name="F", groups=[group])),
        ("POST", "/v2/automats/{id}/sendPincode"): {"pincode": "123456", "proximityCheck": True},
        ("POST", "/v2/automats/{id}/cancelSendPincode"): {"pincode": "123456"},
        ("POST", "/v2/iloq/keycontracts"): {"input": v2_unstructure(iloq)},
        ("PATCH", "/v2/iloq/keycontracts/{id}"): {"end": LATER.isoformat()},
        ("POST", "/v2/mechanical/keys"): v2_unstructure(
            NewMechanicalKey(id="fuzz-k", selected_storage=KeyStorage(automat_id=key30.id))
        ),
        ("PATCH", "/v2/mechanical/keys/{id}"): {"name": "x", "shared": True},
        ("DELETE", "/v2/mechanical/keys/{id}"): {"deleteActiveContracts": True},
        ("POST", "/v2/mechanical/keycontracts"): v2_unstructure(mechanical),
        ("PATCH", "/v2/mechanical/keycontracts/{id}"): {"end": LATER.isoformat()},
        ("POST", "/v2/groups"): v2_unstructure(NewGroup(name="F", customer_id="customer-demo")),
        ("PATCH", "/v2/groups/{id}"): {"name": "G"},
        ("POST", "/v2/organizationUnits"): v2_unstructure(
            NewOrganizationUnit(name="U", customer_id="customer-demo")
        ),
        ("POST", "/v2/serviceAccounts"): v2_unstructure(
            NewServiceAccount(organization_unit_id="ou-demo", name="S")
        ),
        ("POST", "/_sim/faults"): {"latency": 0.0, "fail_rate": 0.0},
    }


def v2_target(sim: V2Simulator) -> Target:
    automats = list(sim.state.automats)
    keys = list(sim.state.mechanical_keys)[:2]
    return Target(
        origin=sim.origin,
        app=sim.app,
        ids={
            "id": (*automats, *keys, next(iter(sim.state.groups)), "fuzz-m", "sa-demo", "x"),
            "keyId": (*keys, "x"),
            "kind": ("iloq", "mechanical"),
        },
        examples=v2_examples(sim),
        query_names=V2_QUERY,
        auth=v2_signer(sim.service_account_id, sim.private_key_pem, sim.origin, sim.state.now),
        spoil=(
            {"x-timestamp": "\u00b2"},
            {"x-timestamp": "9" * 5000},
            {"x-timestamp": "-1"},
            {"x-service-account-id": "nobody"},
            {"x-signature": "%%%"},
            {"x-signature": ""},
        ),
    )


async def v2_known_good(sim: V2Simulator) -> None:
    async with LivionKeyV2Client(
        sim.service_account_id, sim.private_key_pem, base_url=sim.url
    ) as client:
        assert (await client.automats.list()).data
        assert [group async for group in client.groups.iterate()]
        async for _ in client.mechanical.contracts.iterate():
            pass
        async for _ in client.iloq.contracts.iterate():
            pass


def test_the_v2_simulator_answers_every_request_below_500() -> None:
    with LoopThread() as thread:
        sim = V2Simulator()
        thread.run(sim.start())
        http = thread.run(_session())
        try:

            @FUZZ
            @given(drawn=requests_for(v2_target(sim)))
            def run(drawn: Drawn) -> None:
                thread.run(answer(http, sim.origin, drawn))
                if drawn.route.startswith("/_sim/"):
                    sim.faults.copy_from(sim.config.faults)

            run()
            thread.run(v2_known_good(sim))
            assert sim.stats.unhandled == 0
        finally:
            thread.run(http.close())
            thread.run(sim.stop())


# -- iLOQ ------------------------------------------------------------------------------------------

ILOQ_LOGIN = {"CustomerCode": "LIVIONDEMO", "UserName": "api.keyautomat"}


def iloq_target(sim: IloqSimulator) -> Target:
    return Target(
        origin=sim.url,
        app=sim.app,
        ids={
            "path": ("iloqws", "ILOQWS"),
            "endpoint": ILOQ_ENDPOINTS,
        },
        examples={
            ("*", "/{path}/api/v2/{endpoint}"): {
                **ILOQ_LOGIN,
                "Password": "iloq-demo-password",
                "LockGroup_ID": "5a1f0c1e-7d2b-4c1e-9a47-000000000001",
            },
        },
        query_names=(),
        spoil=({"SessionId": "\u00b2"}, {"SessionId": "x" * 5000}),
    )


async def iloq_known_good(http: aiohttp.ClientSession, sim: IloqSimulator) -> None:
    async with http.post(sim.service_address + "/api/v2/Url/GetUrl", json=ILOQ_LOGIN) as reply:
        assert reply.status == 200


def test_the_iloq_simulator_answers_every_request_below_500() -> None:
    with LoopThread() as thread:
        sim = IloqSimulator()
        thread.run(sim.start())
        http = thread.run(_session())
        try:

            @FUZZ
            @given(drawn=requests_for(iloq_target(sim)))
            def run(drawn: Drawn) -> None:
                thread.run(answer(http, sim.url, drawn))

            run()
            thread.run(iloq_known_good(http, sim))
            assert sim.unhandled == 0
        finally:
            thread.run(http.close())
            thread.run(sim.stop())
