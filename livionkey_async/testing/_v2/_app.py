"""The API v2 simulator's HTTP face: aiohttp.web routes under ``/v2`` over :class:`V2State`.

Middlewares, outermost first: the V1 simulator's counters and fault layer (the same knobs, the
same counters); the signature check and the per-account rate limit (429 + ``Retry-After``, and
the optional RateLimit headers); errors as NestJS-style JSON. Routes under ``/_sim/`` (the control
plane: stats, faults, rate limit, reset, key handovers) skip all of that.
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable

from aiohttp import web
from attrs import define

from .._app import (
    CONTROL_PREFIX,
    FAULT_HOST,
    count_unhandled,
    counters_middleware,
    faults_middleware,
    rate_headers,
)
from .._config import Faults, SimStats
from .._last_resort import last_resort
from .._wire import JSONObj, NotJSON, read_json
from ._assumptions import Assumed
from ._automat_rules import AutomatRules
from ._config import V2SimConfig
from ._handover import return_key
from ._iloq_rules import IloqRules
from ._input import V2SimError, not_found
from ._mechanical_rules import MechanicalRules
from ._organization_rules import OrganizationRules
from ._signature import verify_request
from ._state import V2State

__all__ = ["API_PREFIX", "V2_CONTEXT", "V2Context", "make_v2_app"]

API_PREFIX = "/v2"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@define
class V2Context:
    """What every handler and middleware shares."""

    config: V2SimConfig
    state: V2State
    faults: Faults
    stats: SimStats
    rng: random.Random
    automats: AutomatRules
    iloq: IloqRules
    mechanical: MechanicalRules
    organization: OrganizationRules


V2_CONTEXT = web.AppKey("livionkey_v2_sim", V2Context)
ACCOUNT = web.RequestKey("livionkey_v2_account", str)
BODY = web.RequestKey("livionkey_v2_body", bytes)


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(
        data,
        status=status,
        dumps=lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False),
    )


def _error(err: V2SimError) -> web.Response:
    response = _json(err.body(), err.status)
    response.headers.update(err.headers)
    return response


def _ctx(request: web.Request) -> V2Context:
    return request.app[V2_CONTEXT]


def _body(request: web.Request) -> object:
    raw = request.get(BODY, b"")
    if not raw.strip():
        return None
    try:
        return read_json(raw)
    except NotJSON:
        raise V2SimError(400, Assumed.BAD_JSON) from None


@web.middleware
async def _auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(CONTROL_PREFIX):
        return await handler(request)
    ctx = _ctx(request)
    body = await request.read()
    request[BODY] = body
    url = f"{request.scheme}://{request.host}{request.raw_path}"
    try:
        account = verify_request(ctx.state, request.method, url, body, request.headers)
    except V2SimError as err:
        return _error(err)
    request[ACCOUNT] = account
    decision = ctx.state.rate_check(account)
    if decision is not None and not decision.allowed:
        response: web.StreamResponse = web.json_response(
            {"statusCode": 429, "message": Assumed.THROTTLED},
            status=429,
            headers={"Retry-After": str(decision.retry_after)},
        )
    else:
        response = await handler(request)
    if decision is not None and ctx.state.limiter.headers:
        rate_headers(response, decision)
    return response


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except V2SimError as err:
        return _error(err)
    except web.HTTPException as exc:
        return _json({"statusCode": exc.status, "message": exc.reason}, exc.status)


# ---------------------------------------------------------------------------- API handlers

Route = Callable[[V2Context, web.Request], object]


def _unit(ctx: V2Context, request: web.Request) -> str:
    return ctx.state.accounts[request[ACCOUNT]].organization_unit_id


def _route(route: Route, status: int = 200, *, empty: int = 204) -> Handler:
    """A handler answering ``route``'s JSON with ``status``, or no content with ``empty``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        result = route(_ctx(request), request)
        return web.Response(status=empty) if result is None else _json(result, status)

    return handle


def _id(request: web.Request) -> str:
    return request.match_info["id"]


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/automats", _route(lambda c, r: c.automats.list_automats(r.query))),
    (
        "POST",
        "/automats/install",
        _route(lambda c, r: c.automats.install(_unit(c, r), _body(r)), 201),
    ),
    ("GET", "/automats/{id}", _route(lambda c, r: c.automats.get(_id(r)))),
    ("PATCH", "/automats/{id}", _route(lambda c, r: c.automats.update(_id(r), _body(r)))),
    ("POST", "/automats/{id}/uninstall", _route(lambda c, r: c.automats.uninstall(_id(r)))),
    ("POST", "/automats/{id}/replace", _route(lambda c, r: c.automats.replace(_id(r)))),
    (
        "POST",
        "/automats/{id}/sendPincode",
        _route(lambda c, r: c.automats.send_pincode(_id(r), _body(r))),
    ),
    (
        "POST",
        "/automats/{id}/cancelSendPincode",
        _route(lambda c, r: c.automats.cancel_send_pincode(_id(r), _body(r)), empty=200),
    ),
    ("GET", "/iloq/accessRights", _route(lambda c, r: c.iloq.access_rights(r.query))),
    ("GET", "/iloq/keycontracts", _route(lambda c, r: c.iloq.list_contracts(r.query))),
    ("POST", "/iloq/keycontracts", _route(lambda c, r: c.iloq.create(_body(r)), 201)),
    ("GET", "/iloq/keycontracts/{id}", _route(lambda c, r: c.iloq.get(_id(r)))),
    ("PATCH", "/iloq/keycontracts/{id}", _route(lambda c, r: c.iloq.update(_id(r), _body(r)))),
    ("DELETE", "/iloq/keycontracts/{id}", _route(lambda c, r: c.iloq.delete(_id(r)))),
    ("GET", "/mechanical/keys", _route(lambda c, r: c.mechanical.list_keys(r.query))),
    (
        "POST",
        "/mechanical/keys",
        _route(lambda c, r: c.mechanical.create_key(_unit(c, r), _body(r)), 201),
    ),
    ("GET", "/mechanical/keys/{id}", _route(lambda c, r: c.mechanical.get_key(_id(r)))),
    (
        "PATCH",
        "/mechanical/keys/{id}",
        _route(lambda c, r: c.mechanical.update_key(_id(r), _body(r))),
    ),
    (
        "DELETE",
        "/mechanical/keys/{id}",
        _route(lambda c, r: c.mechanical.delete_key(_id(r), _body(r))),
    ),
    ("GET", "/mechanical/keycontracts", _route(lambda c, r: c.mechanical.list_contracts(r.query))),
    (
        "POST",
        "/mechanical/keycontracts",
        _route(lambda c, r: c.mechanical.create_contract(_body(r)), 201),
    ),
    (
        "GET",
        "/mechanical/keycontracts/{id}",
        _route(lambda c, r: c.mechanical.get_contract(_id(r))),
    ),
    (
        "PATCH",
        "/mechanical/keycontracts/{id}",
        _route(lambda c, r: c.mechanical.update_contract(_id(r), _body(r))),
    ),
    (
        "DELETE",
        "/mechanical/keycontracts/{id}",
        _route(lambda c, r: c.mechanical.delete_contract(_id(r))),
    ),
    ("GET", "/groups", _route(lambda c, r: c.organization.list_groups(r.query))),
    ("POST", "/groups", _route(lambda c, r: c.organization.create_group(_body(r)), 201)),
    ("GET", "/groups/{id}", _route(lambda c, r: c.organization.get_group(_id(r)))),
    ("PATCH", "/groups/{id}", _route(lambda c, r: c.organization.update_group(_id(r), _body(r)))),
    ("DELETE", "/groups/{id}", _route(lambda c, r: c.organization.delete_group(_id(r)))),
    (
        "POST",
        "/organizationUnits",
        _route(lambda c, r: c.organization.create_unit(_body(r)), 201),
    ),
    (
        "POST",
        "/serviceAccounts",
        _route(lambda c, r: c.organization.create_account(_body(r)), 201),
    ),
    (
        "DELETE",
        "/serviceAccounts/{id}",
        _route(lambda c, r: c.organization.delete_account(_id(r))),
    ),
]


# ---------------------------------------------------------------------------- control plane


async def _control_body(request: web.Request) -> dict[str, object]:
    raw = await request.read()
    try:
        data = read_json(raw) if raw.strip() else {}
    except NotJSON:
        data = None
    if not isinstance(data, dict):
        raise V2SimError(400, "a JSON object is required")
    return data


async def sim_stats(request: web.Request) -> web.StreamResponse:
    return _json(_ctx(request).stats.as_dict())


async def sim_faults(request: web.Request) -> web.StreamResponse:
    faults = _ctx(request).faults
    if request.method == "POST":
        try:
            faults.update(await _control_body(request))
        except (ValueError, TypeError) as exc:
            raise V2SimError(400, str(exc)) from None
    return _json(faults.as_dict())


async def sim_reset(request: web.Request) -> web.StreamResponse:
    reset_v2_context(_ctx(request))
    return _json({"reset": True})


async def sim_handover(request: web.Request) -> web.StreamResponse:
    """``/_sim/{kind}/keycontracts/{id}/keys/{keyId}/return``: the key is put back."""
    state = _ctx(request).state
    info = request.match_info
    contracts = state.iloq_contracts if info["kind"] == "iloq" else state.mechanical_contracts
    contract = contracts.get(info["id"])
    if contract is None:
        raise not_found("Contract")
    return_key(state, contract, info["keyId"])
    result: JSONObj = {"returned": info["keyId"]}
    return _json(result)


def reset_v2_context(ctx: V2Context) -> None:
    """Back to the configured start: state, counters, faults and dice."""
    ctx.state.reset()
    ctx.stats.reset()
    ctx.faults.copy_from(ctx.config.faults)
    ctx.rng.seed(ctx.config.seed)


def make_v2_app(ctx: V2Context) -> web.Application:
    """The aiohttp application serving API v2 under ``/v2`` and the ``/_sim/`` control plane."""
    last = last_resort(lambda status, text: _error(V2SimError(status, text)), count_unhandled)
    app = web.Application(
        middlewares=[last, counters_middleware, faults_middleware, _auth, _errors]
    )
    app[V2_CONTEXT] = ctx
    app[FAULT_HOST] = ctx
    for method, path, handler in ROUTES:
        app.router.add_route(method, API_PREFIX + path, handler)
    app.router.add_route("GET", "/_sim/stats", sim_stats)
    app.router.add_route("GET", "/_sim/faults", sim_faults)
    app.router.add_route("POST", "/_sim/faults", sim_faults)
    app.router.add_route("POST", "/_sim/reset", sim_reset)
    app.router.add_route(
        "POST", "/_sim/{kind:iloq|mechanical}/keycontracts/{id}/keys/{keyId}/return", sim_handover
    )
    return app
