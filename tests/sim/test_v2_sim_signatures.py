"""The API v2 simulator checks every signature as the service must, from what arrived.

Raw aiohttp requests, signed by hand (the signer's ``headers`` over a URL and body chosen here),
then sent as they are or tampered with: a wrong key, a stale or future timestamp, a body or a
query string changed after signing, missing headers, an unknown or deleted account.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from yarl import URL

from livionkey_async.testing import V2SimConfig, V2Simulator
from livionkey_async.v2 import ServiceAccountSigner

NOW = 1_795_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def sim(clock: Clock) -> AsyncIterator[V2Simulator]:
    async with V2Simulator(V2SimConfig(clock=clock)) as running:
        yield running


async def send(
    sim: V2Simulator,
    signer: ServiceAccountSigner,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    sent_body: bytes | None = None,
    sent_path: str | None = None,
    drop: str | None = None,
) -> tuple[int, dict[str, object]]:
    """Sign ``method path body``, then send ``sent_path``/``sent_body`` (default: the same)."""
    url = URL(sim.url + path, encoded=True)
    headers = signer.headers(signer.account_id, method, url, body)
    if drop is not None:
        del headers[drop]
    if body is not None or sent_body is not None:
        headers["Content-Type"] = "application/json"
    target = URL(sim.url + (sent_path or path), encoded=True)
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, target, data=sent_body if sent_body is not None else body, headers=headers
        ) as reply,
    ):
        data = await reply.json() if reply.status != 204 else {}
        assert isinstance(data, dict)
        return reply.status, data


def signer_for(
    sim: V2Simulator, pem: str | None = None, *, at: float = NOW
) -> ServiceAccountSigner:
    return ServiceAccountSigner(
        sim.service_account_id, pem or sim.private_key_pem, wall_clock=lambda: at
    )


async def test_a_good_signature_is_accepted_with_queries_and_non_ascii_bodies(
    sim: V2Simulator,
) -> None:
    signer = signer_for(sim)
    status, page = await send(sim, signer, "GET", "/iloq/accessRights?search=Sauna+1&limit=2")
    assert status == 200
    rights = page["data"]
    assert isinstance(rights, list)
    assert [right["name"] for right in rights] == ["Sauna 1"]
    body = json.dumps(
        {"name": "Äänekoski 漢字", "customerId": "c1", "type": 1}, ensure_ascii=False
    ).encode()
    status, group = await send(sim, signer, "POST", "/groups", body)
    assert status == 201
    assert group["name"] == "Äänekoski 漢字"


async def test_a_signature_made_with_another_key_is_refused(
    sim: V2Simulator, other_rsa_key_pem: str
) -> None:
    status, error = await send(sim, signer_for(sim, other_rsa_key_pem), "GET", "/automats")
    assert status == 401
    assert error["message"] == "Invalid signature"
    assert sim.stats.unauthorized == 1


@pytest.mark.parametrize("skew", [-301.0, 301.0])
async def test_a_timestamp_outside_five_minutes_is_refused(sim: V2Simulator, skew: float) -> None:
    status, error = await send(sim, signer_for(sim, at=NOW + skew), "GET", "/automats")
    assert status == 401
    assert "timestamp" in str(error["message"])
    status, _ = await send(sim, signer_for(sim, at=NOW + skew / 2), "GET", "/automats")
    assert status == 200


async def test_a_body_changed_after_signing_is_refused(sim: V2Simulator) -> None:
    signed = b'{"name":"Downtown","customerId":"c1","type":1}'
    status, error = await send(
        sim, signer_for(sim), "POST", "/groups", signed, sent_body=signed.replace(b"Down", b"Up")
    )
    assert status == 401
    assert error["message"] == "Invalid signature"
    assert not any(g.name == "Uptown" for g in sim.state.groups.values())  # nothing was done


async def test_a_query_changed_after_signing_is_refused(sim: V2Simulator) -> None:
    status, _ = await send(
        sim, signer_for(sim), "GET", "/automats?limit=1", sent_path="/automats?limit=2"
    )
    assert status == 401


@pytest.mark.parametrize("header", ["x-signature", "x-timestamp", "x-service-account-id"])
async def test_missing_headers_are_refused(sim: V2Simulator, header: str) -> None:
    status, error = await send(sim, signer_for(sim), "GET", "/automats", drop=header)
    assert status == 401
    assert "header" in str(error["message"])


async def test_an_unknown_and_a_deleted_account_are_refused(sim: V2Simulator) -> None:
    stranger = ServiceAccountSigner("nobody", sim.private_key_pem, wall_clock=lambda: NOW)
    status, error = await send(sim, stranger, "GET", "/automats")
    assert (status, error["message"]) == (401, "Unknown service account")

    body = json.dumps({"organizationUnitId": sim.config.organization_unit_id, "name": "PMS"})
    status, account = await send(sim, signer_for(sim), "POST", "/serviceAccounts", body.encode())
    assert status == 201
    new = ServiceAccountSigner(
        str(account["id"]), str(account["privateKey"]), wall_clock=lambda: NOW
    )
    assert (await send(sim, new, "GET", "/automats"))[0] == 200
    status, _ = await send(sim, signer_for(sim), "DELETE", f"/serviceAccounts/{account['id']}")
    assert status == 204
    assert (await send(sim, new, "GET", "/automats"))[0] == 401
