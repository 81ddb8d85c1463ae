"""``check_credentials`` against the iLOQ simulator over real loopback HTTP.

Every misconfiguration the issue lists is set up on the simulator and shown failing the right
check with its fix; every session the preflight opens is shown killed, whatever happened (an
error, a timeout, a cancellation); the password never shows in logs, reprs, reports or errors.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from livionkey_async import ValidationError
from livionkey_async.iloq import (
    CHECK_NAMES,
    RIGHTS,
    CheckStatus,
    IloqClient,
    PreflightReport,
    SessionRefusedError,
    check_credentials,
)
from livionkey_async.iloq._advice import PUBLIC_API_FIX, TLS_FIX, TRY_AGAIN
from livionkey_async.testing import IloqFaults, IloqLockingSystem, IloqSimConfig, IloqSimulator
from livionkey_async.testing._iloq import locking_systems

PASSWORD = "Iloq-9d41c7-never-printed"
CODE = "LIVIONDEMO"
USER = "api.keyautomat"
P, F, S = CheckStatus.PASSED, CheckStatus.FAILED, CheckStatus.SKIPPED


class Sleeps:
    """An injectable backoff sleep that returns at once and remembers what it was asked."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture(autouse=True)
def password_never_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG, logger="livionkey_async")
    yield
    assert PASSWORD not in caplog.text


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """A hand-written iLOQ-like server for what the simulator will not do; yields its root URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def config(**changes: Any) -> IloqSimConfig:
    # A short shutdown: some tests leave a deliberately slow answer pending.
    return IloqSimConfig(password=PASSWORD, shutdown_timeout=0.05, **changes)


async def check(sim: IloqSimulator, **changes: Any) -> PreflightReport:
    arguments: dict[str, Any] = {
        "service_address": sim.service_address,
        "service_code": CODE,
        "username": USER,
        "password": PASSWORD,
        "sleep": Sleeps(),
        **changes,
    }
    report = await check_credentials(**arguments)
    assert PASSWORD not in repr(report)
    return report


def statuses(report: PreflightReport) -> dict[str, CheckStatus]:
    return {
        c.name: c.status
        for c in report.checks
        if c.locking_system in (None, report.checks[-1].locking_system)
    }


def failed(report: PreflightReport) -> list[str]:
    return [c.name for c in report.failed]


async def test_a_well_configured_api_user_passes_every_check() -> None:
    async with IloqSimulator(config()) as sim:
        report = await check(sim)
        assert report.ok
        assert tuple(c.name for c in report.checks) == CHECK_NAMES
        assert report.service_url == sim.service_address
        assert report.session_killed is True
        assert len(sim.sessions) == 1
        assert sim.open_sessions() == []
        assert [name for _, name in sim.calls] == [
            "Url/GetUrl",
            "CreateSession",
            "LockGroups",
            "SetLockgroup",
            "KillSession",
        ]


async def test_get_url_sending_the_customer_to_another_pool_is_followed() -> None:
    async with IloqSimulator(config(pool="iloqwspool2")) as sim:
        report = await check(sim)
        assert report.ok
        assert report.service_url == sim.pool_url
        assert sim.sessions[0].pool == "iloqwspool2"
        assert sim.open_sessions() == []


async def test_a_client_that_skipped_get_url_would_hit_the_wrong_server() -> None:
    """The pool knob is real: CreateSession at the service address itself is Result 6."""
    async with (
        IloqSimulator(config(pool="iloqwspool2")) as sim,
        IloqClient(sim.service_address) as client,
    ):
        with pytest.raises(SessionRefusedError) as refused:
            await client.create_session(CODE, USER, PASSWORD)
        assert refused.value.result == 6
        assert PASSWORD not in repr(refused.value)


@pytest.mark.parametrize(
    ("settings", "changes", "result", "words"),
    [
        ({}, {"service_code": "WRONG"}, 5, "service code"),
        ({}, {"password": "Wrong-pw-3a1f"}, 5, "password"),
        ({"locked_out": True}, {}, 8, "locked out"),
        ({"password_expired": True}, {}, 9, "expired"),
        ({"session_result": 3}, {}, 3, "HTTPS"),
        ({"session_result": 4}, {}, 4, "database update"),
        ({"session_result": 2}, {}, 2, "interface version"),
        ({"session_result": 11}, {}, 11, "service address is wrong"),
    ],
)
async def test_a_refused_session_is_explained_and_the_rest_skipped(
    settings: dict[str, Any], changes: dict[str, Any], result: int, words: str
) -> None:
    async with IloqSimulator(config(**settings)) as sim:
        report = await check(sim, **changes)
        assert failed(report) == ["session opens"]
        session = report.failed[0]
        assert f"Result {result}" in session.detail
        assert words in session.detail
        assert session.fix
        assert [c.status for c in report.checks[:3]] == [P, P, F]
        assert all(c.status is S for c in report.checks[3:])
        assert report.session_killed is None
        assert sim.sessions == []


async def test_no_locking_system() -> None:
    async with IloqSimulator(config(locking_systems=())) as sim:
        report = await check(sim)
        assert failed(report) == ["locking system visible"]
        assert all(c.status is S for c in report.checks[4:])
        assert sim.open_sessions() == []


async def test_public_api_off() -> None:
    async with IloqSimulator(config(locking_systems=[IloqLockingSystem(public_api=False)])) as sim:
        report = await check(sim)
        assert failed(report) == ["Public API in use"]
        assert report.failed[0].fix == PUBLIC_API_FIX
        assert statuses(report)["locking system login"] is S
        assert ("POST", "SetLockgroup") not in sim.calls
        assert sim.open_sessions() == []


async def test_api_access_rights_off() -> None:
    async with IloqSimulator(
        config(locking_systems=[IloqLockingSystem(api_access_rights=False)])
    ) as sim:
        report = await check(sim)
        assert failed(report) == ["API access rights allowed"]
        assert "Allow API Access Rights" in (report.failed[0].fix or "")


@pytest.mark.parametrize("right", RIGHTS, ids=[r.key for r in RIGHTS])
async def test_each_missing_right(right: Any) -> None:
    systems = [IloqLockingSystem(missing_rights={right.key})]
    async with IloqSimulator(config(locking_systems=systems)) as sim:
        report = await check(sim)
        assert failed(report) == [right.label]
        assert right.label in (report.failed[0].fix or "")
        assert sim.open_sessions() == []


async def test_several_locking_systems_are_each_checked_or_the_named_one() -> None:
    systems = (
        *locking_systems(2),
        IloqLockingSystem(lock_group_id="g-3", name="Annex", missing_rights={"administrate"}),
    )
    async with IloqSimulator(config(locking_systems=systems)) as sim:
        report = await check(sim)
        assert [(c.name, c.locking_system) for c in report.failed] == [
            ("Right to administrate the locking system", "Annex")
        ]
        assert {c.locking_system for c in report.checks[4:]} == {
            "Locking system 1",
            "Locking system 2",
            "Annex",
        }
        named = await check(sim, locking_system="locking system 2")
        assert named.ok
        assert {c.locking_system for c in named.checks[4:]} == {"Locking system 2"}
        missing = await check(sim, locking_system="Garage")
        assert failed(missing) == ["locking system visible"]
        assert sim.endpoint_calls("SetLockgroup") == 3 + 1
        assert sim.open_sessions() == []


async def test_a_failing_get_url_is_retried_then_resolves() -> None:
    faults = IloqFaults(fail_status=503, fail_on={"GetUrl"}, fail_times=2)
    async with IloqSimulator(config(faults=faults)) as sim:
        sleeps = Sleeps()
        report = await check(sim, sleep=sleeps)
        assert report.ok
        assert sim.endpoint_calls("GetUrl") == 3
        assert len(sleeps.calls) == 2


async def test_a_failing_server_fails_the_address_check() -> None:
    async with IloqSimulator(config(faults=IloqFaults(fail_status=500))) as sim:
        report = await check(sim, max_attempts=2)
        assert failed(report) == ["service address answers"]
        assert report.failed[0].fix == TRY_AGAIN
        assert "500" in report.failed[0].detail
        assert sim.endpoint_calls("GetUrl") == 2


async def test_create_session_is_never_resent_once_it_may_have_arrived() -> None:
    async with IloqSimulator(
        config(faults=IloqFaults(fail_status=503, fail_on={"CreateSession"}))
    ) as sim:
        report = await check(sim)
        assert failed(report) == ["session opens"]
        assert sim.endpoint_calls("CreateSession") == 1
        assert report.failed[0].fix == TRY_AGAIN


async def test_a_lost_create_session_answer_is_not_resent() -> None:
    async with IloqSimulator(config(faults=IloqFaults(drop_create_session_answer=True))) as sim:
        report = await check(sim)
        assert failed(report) == ["session opens"]
        assert "expires on the server" in report.failed[0].detail
        assert sim.endpoint_calls("CreateSession") == 1
        assert len(sim.open_sessions()) == 1  # unavoidable: its id never arrived; only one


async def test_a_wrong_path_is_not_an_iloq_service_address() -> None:
    async with IloqSimulator(config()) as sim:
        report = await check(sim, service_address=f"{sim.url}/elsewhere")
        assert failed(report) == ["service address answers"]
        assert "not an iLOQ service address" in report.failed[0].detail


async def test_nothing_listening_fails_the_address_check_after_retries() -> None:
    async with IloqSimulator(config()) as sim:
        address = sim.service_address
    sleeps = Sleeps()
    report = await check_credentials(
        service_address=address,
        service_code=CODE,
        username=USER,
        password=PASSWORD,
        max_attempts=3,
        sleep=sleeps,
    )
    assert failed(report) == ["service address answers"]
    assert "does not answer" in report.failed[0].detail
    assert len(sleeps.calls) == 2  # refused connections are safe to retry


async def test_a_timeout_after_the_session_opened_still_kills_it() -> None:
    faults = IloqFaults(latency=1.0, latency_on={"LockGroups"})
    async with IloqSimulator(config(faults=faults)) as sim:
        report = await check(sim, timeout=0.1, max_attempts=1)
        assert failed(report) == ["locking system visible"]
        assert "no complete answer within 0.1s" in report.failed[0].detail
        assert report.session_killed is True
        assert len(sim.sessions) == 1
        assert sim.open_sessions() == []


async def test_cancelling_mid_check_still_kills_the_session() -> None:
    faults = IloqFaults(latency=2.0, latency_on={"LockGroups"})
    async with IloqSimulator(config(faults=faults)) as sim:
        task = asyncio.create_task(check(sim))
        await asyncio.wait_for(sim.wait_for_call("LockGroups"), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(sim.sessions) == 1
        assert sim.open_sessions() == []
        assert sim.endpoint_calls("KillSession") == 1


async def test_cancelling_while_create_session_is_in_flight_kills_the_session_it_opens() -> None:
    faults = IloqFaults(latency=0.3, latency_on={"CreateSession"})
    async with IloqSimulator(config(faults=faults)) as sim:
        task = asyncio.create_task(check(sim))
        await asyncio.wait_for(sim.wait_for_call("CreateSession"), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(sim.sessions) == 1
        assert sim.open_sessions() == []


async def test_an_outer_timeout_still_kills_the_session_and_stays_a_timeout() -> None:
    faults = IloqFaults(latency=2.0, latency_on={"LockGroups"})
    async with IloqSimulator(config(faults=faults)) as sim:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await check(sim)
        assert len(sim.sessions) == 1
        assert sim.open_sessions() == []


async def test_a_kill_that_fails_is_reported_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    faults = IloqFaults(fail_status=500, fail_on={"KillSession"})
    async with IloqSimulator(config(faults=faults)) as sim:
        report = await check(sim, max_attempts=2)
        assert report.ok  # every check passed; ending the session is not a check
        assert report.session_killed is False
        assert sim.endpoint_calls("KillSession") == 2
        assert "KillSession failed" in caplog.text


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1 (made in process)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


async def test_an_unverifiable_certificate_is_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    async with IloqSimulator(config(), ssl_context=_self_signed(tmp_path)) as sim:
        assert sim.service_address.startswith("https://")
        report = await check(sim)
        assert failed(report) == ["service address answers"]
        assert report.failed[0].fix == TLS_FIX
        assert "certificate" in report.failed[0].detail
        assert sim.calls == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"service_address": "http://s5.iloq.com/iloqws"}, "service_address"),
        ({"service_address": "s5.iloq.com"}, "service_address"),
        ({"service_code": " "}, "service_code"),
        ({"username": ""}, "username"),
        ({"password": ""}, "password"),
        ({"locking_system": " "}, "locking_system"),
    ],
)
async def test_bad_input_is_refused_before_anything_is_sent(
    changes: dict[str, str], field: str
) -> None:
    async with IloqSimulator(config()) as sim:
        with pytest.raises(ValidationError) as refused:
            await check(sim, **changes)
        assert field in refused.value.message
        assert sim.calls == []


async def test_an_echoed_password_is_redacted_from_every_detail() -> None:
    """A server that echoes the request in its error: the report still never shows the password."""

    async def get_url(request: web.Request) -> web.Response:
        return web.json_response("")

    async def create_session(request: web.Request) -> web.Response:
        return web.json_response({"Message": f"Bad request: {await request.text()}"}, status=400)

    app = web.Application()
    app.router.add_post("/iloqws/api/v2/Url/GetUrl", get_url)
    app.router.add_post("/iloqws/api/v2/CreateSession", create_session)
    async with serving(app) as root:
        report = await check_credentials(
            service_address=f"{root}/iloqws", service_code=CODE, username=USER, password=PASSWORD
        )
    assert failed(report) == ["session opens"]
    assert "Bad request" in report.failed[0].detail
    assert "[redacted]" in report.failed[0].detail
    assert PASSWORD not in repr(report)


async def test_a_redirect_is_reported_not_followed() -> None:
    """A redirect could carry the password elsewhere: it fails the address check instead."""
    followed: list[str] = []

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/elsewhere/api/v2/Url/GetUrl")

    async def elsewhere(request: web.Request) -> web.Response:
        followed.append(request.path)
        return web.json_response("")

    app = web.Application()
    app.router.add_post("/iloqws/api/v2/Url/GetUrl", moved)
    app.router.add_post("/elsewhere/api/v2/Url/GetUrl", elsewhere)
    async with serving(app) as root:
        report = await check_credentials(
            service_address=f"{root}/iloqws", service_code=CODE, username=USER, password=PASSWORD
        )
    assert failed(report) == ["service address answers"]
    assert "redirected to /elsewhere/api/v2/Url/GetUrl" in report.failed[0].detail
    assert followed == []


async def test_the_password_is_kept_nowhere_after_create_session() -> None:
    async with IloqSimulator(config()) as sim, IloqClient(sim.service_address) as client:
        await client.resolve_url(CODE)
        session = await client.create_session(CODE, USER, PASSWORD)
        async with session:
            for holder in (client, session):
                assert PASSWORD not in repr(holder)
                assert all(PASSWORD not in repr(value) for value in vars(holder).values())
            session_id = sim.sessions[0].session_id
            assert session_id not in repr(session)
            assert session_id not in repr(vars(client))
        assert session.killed is True
        assert sim.open_sessions() == []


async def test_a_callers_aiohttp_session_is_used_and_left_open() -> None:
    async with IloqSimulator(config()) as sim, aiohttp.ClientSession() as http:
        report = await check(sim, session=http)
        assert report.ok
        assert not http.closed


async def test_a_cancelled_check_makes_one_quick_kill_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Ctrl-C against a pool whose KillSession hangs: one short attempt, not minutes of retries.
    monkeypatch.setattr("livionkey_async.iloq._client.KILL_ON_CANCEL", 0.2)
    faults = IloqFaults(latency=30.0, latency_on={"LockGroups", "KillSession"})
    async with IloqSimulator(config(faults=faults)) as sim:
        task = asyncio.create_task(check(sim))
        await asyncio.wait_for(sim.wait_for_call("LockGroups"), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)  # a guard: minutes of retries would trip it
        assert sim.endpoint_calls("KillSession") == 1


async def test_a_malformed_session_answer_naming_a_session_still_kills_it() -> None:
    killed: list[str] = []

    async def get_url(request: web.Request) -> web.Response:
        return web.json_response("")

    async def create_session(request: web.Request) -> web.Response:
        return web.json_response({"Result": "OK", "SessionID": "s-1"})

    async def kill_session(request: web.Request) -> web.Response:
        killed.append(request.headers["SessionId"])
        return web.Response(body=b"", content_type="application/octet-stream")

    app = web.Application()
    app.router.add_post("/iloqws/api/v2/Url/GetUrl", get_url)
    app.router.add_post("/iloqws/api/v2/CreateSession", create_session)
    app.router.add_get("/iloqws/api/v2/KillSession", kill_session)
    async with serving(app) as root:
        report = await check_credentials(
            service_address=f"{root}/iloqws", service_code=CODE, username=USER, password=PASSWORD
        )
    assert failed(report) == ["session opens"]
    assert killed == ["s-1"]


@pytest.mark.parametrize(
    "address",
    [None, 42, "https://s5.iloq.com:99999/iloqws", "https://[::1/iloqws", "https://user:pw@x/"],
)
async def test_an_address_that_is_no_url_is_refused_before_anything_is_sent(address: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        await check_credentials(
            service_address=address, service_code=CODE, username=USER, password=PASSWORD
        )
    assert "service_address" in refused.value.message
