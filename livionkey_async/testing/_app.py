"""The simulator's HTTP face: aiohttp.web routes over :class:`SimState`, plus the fault layer.

Handlers only translate HTTP to state calls and back; every rule lives behind ``SimState``.
Middlewares, outermost first:

1. counters: ``requests``, ``in_flight``/``max_in_flight``, and the 401/403/429 tallies read off
   the final response;
2. faults: latency + jitter, then (login only with ``include_login``) drop-before-handler,
   injected 5xx, and after the handler drop-after-commit (POST/PATCH/DELETE) and slow answers;
3. auth and rate limit: 403/401 before any handler but the login, then the per-account token
   bucket (429 + ``Retry-After``) and its optional headers on every answer it shapes;
4. errors: :class:`SimError` to its plain-text (or JSON) body, aiohttp's 404/405 to plain text.

Routes under ``/_sim/`` (the control plane) skip all of that: no auth, no faults, no limits, not
counted. It is a test tool bound to loopback. Outside them all, the last resort (``_last_resort``)
answers 400 for an exception no rule expected, and counts it in ``SimStats.unhandled``.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web
from attrs import define, field

from ._config import Faults, SimConfig, SimStats
from ._last_resort import last_resort
from ._messages import Msg, SimError
from ._rate_limit import RateDecision, checked_settings
from ._state import SimState
from ._wire import NotJSON, Text, read_json

__all__ = [
    "CONTEXT",
    "FAULT_HOST",
    "FaultHost",
    "SimContext",
    "count_unhandled",
    "counters_middleware",
    "faults_middleware",
    "make_app",
    "rate_headers",
]

CONTROL_PREFIX = "/_sim/"
LOGIN_PATH = "/auth/login"
WRITE_METHODS = frozenset({"POST", "PATCH", "DELETE"})
_FAIL_TEXT = {
    500: Msg.INTERNAL,
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@define
class SimContext:
    """What every handler and middleware shares: the state, the knobs, the counters, the dice."""

    config: SimConfig
    state: SimState
    faults: Faults
    stats: SimStats
    rng: random.Random
    on_reset: list[Callable[[], None]] = field(factory=list)  # what else a reset resets


class FaultHost(Protocol):
    """What the counters and the fault layer need: shared by the V1 and the v2 simulators."""

    @property
    def faults(self) -> Faults: ...

    @property
    def stats(self) -> SimStats: ...

    @property
    def rng(self) -> random.Random: ...


CONTEXT = web.AppKey("livionkey_sim", SimContext)
FAULT_HOST = web.AppKey("livionkey_sim_fault_host", FaultHost)
ACCOUNT = web.RequestKey("livionkey_account", str)
DROPPED = web.RequestKey("livionkey_dropped", bool)


def _json(data: object, status: int = 200) -> web.Response:
    """A success: JSON, or plain text for the answers Livion gives in words (``Key updated``)."""
    if isinstance(data, Text):
        return web.Response(status=status, text=data, content_type="text/plain")
    return web.json_response(
        data, status=status, dumps=lambda o: json.dumps(o, separators=(",", ":"))
    )


def _error(err: SimError) -> web.Response:
    content_type = "application/json" if err.json_body else "text/plain"
    return web.Response(
        status=err.status, text=err.body(), content_type=content_type, headers=err.headers
    )


async def _body(request: web.Request) -> object:
    """The decoded JSON body; ``None`` when absent or not JSON as the service reads it
    (``read_json``: the state says what that means)."""
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return read_json(raw)
    except NotJSON:
        return None


def _ctx(request: web.Request) -> SimContext:
    return request.app[CONTEXT]


# ---------------------------------------------------------------------------- middlewares


@web.middleware
async def _counters(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(CONTROL_PREFIX):
        return await handler(request)
    stats = request.app[FAULT_HOST].stats
    stats.requests += 1
    stats.in_flight += 1
    stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
    try:
        response = await handler(request)
    finally:
        stats.in_flight -= 1
    if not request.get(DROPPED, False):
        if response.status == 401:
            stats.unauthorized += 1
        elif response.status == 403:
            stats.forbidden += 1
        elif response.status == 429:
            stats.throttled += 1
    return response


def _drop(request: web.Request) -> web.Response:
    """Cut the connection without an answer; the returned response is never written."""
    request[DROPPED] = True
    request.app[FAULT_HOST].stats.dropped += 1
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=499)


def _roll(rng: random.Random, probability: float) -> bool:
    return probability > 0 and rng.random() < probability


@web.middleware
async def _faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(CONTROL_PREFIX):
        return await handler(request)
    ctx = request.app[FAULT_HOST]
    faults, rng = ctx.faults, ctx.rng
    delay = faults.latency + (rng.uniform(0, faults.jitter) if faults.jitter > 0 else 0.0)
    if delay > 0:
        await asyncio.sleep(delay)
    if request.path == LOGIN_PATH and not faults.include_login:
        return await handler(request)
    if _roll(rng, faults.drop_rate):
        return _drop(request)
    if _roll(rng, faults.fail_rate):
        ctx.stats.failed += 1
        status = rng.choice(faults.fail_statuses)
        return web.Response(status=status, text=_FAIL_TEXT.get(status, Msg.INTERNAL))
    response = await handler(request)
    if request.method in WRITE_METHODS and _roll(rng, faults.drop_after_commit_rate):
        return _drop(request)
    if _roll(rng, faults.slow_rate):
        ctx.stats.slowed += 1
        await asyncio.sleep(faults.slow_seconds)
    return response


def count_unhandled(request: web.Request) -> None:
    request.app[FAULT_HOST].stats.unhandled += 1


_last = last_resort(lambda status, text: web.Response(status=status, text=text), count_unhandled)

# The counters and the fault layer, for the API v2 simulator's application (it sets FAULT_HOST).
counters_middleware = _counters
faults_middleware = _faults


def rate_headers(response: web.StreamResponse, decision: RateDecision) -> None:
    response.headers["RateLimit-Policy"] = f'"default";q={decision.limit};w={decision.window}'
    response.headers["RateLimit"] = f'"default";r={decision.remaining};t={decision.reset}'
    response.headers["X-RateLimit-Limit"] = str(decision.limit)
    response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
    response.headers["X-RateLimit-Reset"] = str(decision.reset)


@web.middleware
async def _auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(CONTROL_PREFIX) or request.path == LOGIN_PATH:
        return await handler(request)
    state = _ctx(request).state
    try:
        account = state.authenticate(request.headers.get("Authorization"))
    except SimError as err:
        return _error(err)
    request[ACCOUNT] = account
    decision = state.rate_check(account)
    if decision is not None and not decision.allowed:
        response: web.StreamResponse = web.Response(
            status=429,
            text="Too Many Requests",
            headers={"Retry-After": str(decision.retry_after)},
        )
    else:
        response = await handler(request)
    if decision is not None and state.rate_limit_headers:
        rate_headers(response, decision)
    return response


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except SimError as err:
        return _error(err)
    except web.HTTPException as exc:
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return web.Response(status=exc.status, text=exc.reason, headers=headers)


# ---------------------------------------------------------------------------- API handlers


def _account(request: web.Request) -> str:
    return request[ACCOUNT]


async def login(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    token, expires_at = state.login(await _body(request))
    return _json({"token": token, "expirationTime": state.http_date(expires_at)})


async def list_devices(request: web.Request) -> web.StreamResponse:
    query = request.query
    return _json(
        _ctx(request).state.list_devices(
            _account(request),
            products=query.getall("products", []),
            extend=query.get("extend"),
            limit=query.get("limit"),
            after=query.get("after"),
        )
    )


async def get_device(request: web.Request) -> web.StreamResponse:
    return _json(
        _ctx(request).state.get_device(
            _account(request), request.match_info["deviceId"], extend=request.query.get("extend")
        )
    )


async def device_keys(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.device_keys(_account(request), request.match_info["deviceId"]))


async def device_contracts(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.device_contracts(_account(request), request.match_info["deviceId"]))


async def device_lockers(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.device_lockers(_account(request), request.match_info["deviceId"]))


async def device_locker(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    info = request.match_info
    return _json(state.device_locker(_account(request), info["deviceId"], info["lockerIndex"]))


async def open_door(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    body = await _body(request)
    return _json(state.open_door(_account(request), request.match_info["deviceId"], body))


async def create_key(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.create_key(_account(request), await _body(request)))


async def update_key(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    body = await _body(request)
    return _json(state.update_key(_account(request), request.match_info["keyId"], body))


async def delete_key(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(
        state.delete_key(
            _account(request), request.match_info["keyId"], request.query.get("deviceId")
        )
    )


async def get_key(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(
        state.get_key(
            _account(request),
            request.match_info["keyId"],
            device_id=request.query.get("deviceId"),
            key_status=request.query.get("keyStatus", "").lower() == "true",
        )
    )


async def key_status(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(
        state.key_status(
            _account(request), request.match_info["keyId"], request.query.get("deviceId")
        )
    )


async def backup_codes(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    body = await _body(request)
    return _json(
        state.regenerate_backup_codes(_account(request), request.match_info["keyId"], body)
    )


async def create_contract(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.create_contract(_account(request), await _body(request)))


async def get_contract(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.get_contract(_account(request), request.match_info["id"]))


async def update_contract(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    body = await _body(request)
    return _json(state.update_contract(_account(request), request.match_info["id"], body))


async def regenerate_pincode(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    body = await _body(request)
    return _json(state.regenerate_pincode(_account(request), request.match_info["id"], body))


async def delete_contract(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.delete_contract(_account(request), request.match_info["id"]))


async def unlock(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.unlock(_account(request), request.match_info["deviceId"]))


async def device_access_rights(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.device_access_rights(_account(request), request.match_info["deviceId"]))


async def create_access_right(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.create_access_right(_account(request), await _body(request)))


async def get_access_right(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.get_access_right(_account(request), request.match_info["id"]))


async def update_access_right(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    body = await _body(request)
    return _json(state.update_access_right(_account(request), request.match_info["id"], body))


async def access_right_pincode(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    body = await _body(request)
    pincode = state.regenerate_access_right_pincode(
        _account(request), request.match_info["id"], body
    )
    return _json(pincode)


async def delete_access_right(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    return _json(state.delete_access_right(_account(request), request.match_info["id"]))


# ---------------------------------------------------------------------------- control plane


async def sim_stats(request: web.Request) -> web.StreamResponse:
    return _json(_ctx(request).stats.as_dict())


async def sim_get_faults(request: web.Request) -> web.StreamResponse:
    return _json(_ctx(request).faults.as_dict())


async def sim_set_faults(request: web.Request) -> web.StreamResponse:
    faults = _ctx(request).faults
    body = await _body(request)
    if not isinstance(body, dict):
        return web.Response(status=400, text="a JSON object of fault settings is required")
    try:
        faults.update(body)
    except (ValueError, TypeError) as exc:
        return web.Response(status=400, text=str(exc))
    return _json(faults.as_dict())


async def sim_get_rate_limit(request: web.Request) -> web.StreamResponse:
    return _json(_ctx(request).state.rate_limit_settings())


async def sim_set_rate_limit(request: web.Request) -> web.StreamResponse:
    state = _ctx(request).state
    body = await _body(request)
    if not isinstance(body, dict):
        return web.Response(status=400, text="a JSON object {rate, burst, headers} is required")
    try:
        rate, burst, headers = checked_settings(
            body.get("rate"), body.get("burst"), body.get("headers")
        )
        state.set_rate_limit(
            rate, burst, headers=state.rate_limit_headers if headers is None else headers
        )
    except ValueError as exc:
        return web.Response(status=400, text=str(exc))
    return _json(state.rate_limit_settings())


async def sim_reset(request: web.Request) -> web.StreamResponse:
    reset_context(_ctx(request))
    return _json({"reset": True})


async def sim_revoke(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    email = body.get("email") if isinstance(body, dict) else None
    revoked = _ctx(request).state.revoke_tokens(email if isinstance(email, str) else None)
    return _json({"revoked": revoked})


async def sim_contracts(request: web.Request) -> web.StreamResponse:
    wanted = request.query.get("contractId")
    return _json(
        [
            {**c.to_wire(), "type": c.contract_type, "account": c.account}
            for c in _ctx(request).state.all_contracts()
            if wanted is None or c.contract_id == wanted
        ]
    )


_ACTIONS = {"fetch": "key-fetched", "return": "key-returned", "not-returned": "key-not-returned"}


async def sim_key_action(request: web.Request) -> web.StreamResponse:
    info = request.match_info
    action = _ACTIONS.get(info["action"])
    if action is None:
        return web.Response(status=404, text=f"actions: {', '.join(_ACTIONS)}")
    state = _ctx(request).state
    return _json(state.key_action(info["deviceId"], info["keyId"], action))


async def sim_set_device(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    fields = body if isinstance(body, dict) else {}
    state_value, reserved, busy = (
        fields.get("connectionState"),
        fields.get("reserved"),
        fields.get("busy"),
    )
    if (
        (state_value is not None and not isinstance(state_value, str))
        or (reserved is not None and not isinstance(reserved, bool))
        or (busy is not None and not isinstance(busy, bool))
    ):
        return web.Response(status=400, text="connectionState: str, reserved: bool, busy: bool")
    return _json(
        _ctx(request).state.set_device(
            request.match_info["deviceId"],
            connection_state=state_value,
            reserved=reserved,
            busy=busy,
        )
    )


def reset_context(ctx: SimContext) -> None:
    """Back to the configured start: state, tokens, counters, faults and dice."""
    ctx.state.reset()
    ctx.stats.reset()
    ctx.faults.copy_from(ctx.config.faults)
    ctx.rng.seed(ctx.config.seed)
    for reset in ctx.on_reset:
        reset()


def make_app(ctx: SimContext) -> web.Application:
    """The aiohttp application serving the V1 API, the LivionKeyPad API and the ``/_sim/``
    control plane."""
    app = web.Application(middlewares=[_last, _counters, _faults, _auth, _errors])
    app[CONTEXT] = ctx
    app[FAULT_HOST] = ctx
    add = app.router.add_route
    add("POST", LOGIN_PATH, login)
    add("GET", "/devices", list_devices)
    add("GET", "/devices/{deviceId}", get_device)
    add("GET", "/devices/{deviceId}/keys", device_keys)
    add("GET", "/devices/{deviceId}/contracts", device_contracts)
    add("GET", "/devices/{deviceId}/lockers", device_lockers)
    add("GET", "/devices/{deviceId}/lockers/{lockerIndex}", device_locker)
    add("POST", "/devices/{deviceId}/opendoor", open_door)
    add("POST", "/keys", create_key)
    add("GET", "/keys/{keyId}", get_key)
    add("POST", "/keys/{keyId}", update_key)
    add("DELETE", "/keys/{keyId}", delete_key)
    add("GET", "/keys/{keyId}/status", key_status)
    add("POST", "/keys/{keyId}/backupcodes", backup_codes)
    add("POST", "/contracts", create_contract)
    add("GET", "/contracts/{id}", get_contract)
    add("POST", "/contracts/{id}", update_contract)
    add("DELETE", "/contracts/{id}", delete_contract)
    add("POST", "/contracts/{id}/pincode", regenerate_pincode)
    add("POST", "/devices/{deviceId}/unlock", unlock)
    add("GET", "/devices/{deviceId}/accessrights", device_access_rights)
    add("POST", "/accessrights", create_access_right)
    add("GET", "/accessrights/{id}", get_access_right)
    add("POST", "/accessrights/{id}", update_access_right)
    add("DELETE", "/accessrights/{id}", delete_access_right)
    add("POST", "/accessrights/{id}/pincode", access_right_pincode)
    add("GET", "/_sim/stats", sim_stats)
    add("GET", "/_sim/faults", sim_get_faults)
    add("POST", "/_sim/faults", sim_set_faults)
    add("GET", "/_sim/ratelimit", sim_get_rate_limit)
    add("POST", "/_sim/ratelimit", sim_set_rate_limit)
    add("POST", "/_sim/reset", sim_reset)
    add("POST", "/_sim/revoke", sim_revoke)
    add("GET", "/_sim/contracts", sim_contracts)
    add("POST", "/_sim/devices/{deviceId}", sim_set_device)
    add("POST", "/_sim/devices/{deviceId}/keys/{keyId}/{action}", sim_key_action)
    return app
