"""The iLOQ simulator's HTTP face: ``/{service path or pool}/api/v2/{endpoint}``, case-insensitive.

Each request is recorded, then the fault knobs apply (latency, an injected failure), then the
endpoint runs against :class:`IloqSimState`. ``KillSession`` answers ``application/octet-stream``
as iLOQ's does; everything else is JSON, errors as ``{"Message": ...}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from .._last_resort import last_resort
from .._wire import NotJSON, read_json
from ._state import IloqRefusal, IloqSimState
from ._vocabulary import ENDPOINTS, endpoint_key

__all__ = ["STATE", "make_app"]

STATE = web.AppKey("livionkey_iloq_sim", IloqSimState)

Handler = Callable[[web.Request, IloqSimState, str], Awaitable[web.StreamResponse]]

_REASONS = {500: "An error has occurred.", 502: "Bad Gateway", 503: "Service Unavailable"}


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(data, separators=(",", ":")),
        content_type="application/json",
    )


def _message(status: int, message: str) -> web.Response:
    return _json({"Message": message}, status)


async def _body(request: web.Request) -> object:
    raw = await request.read()
    try:
        return read_json(raw) if raw.strip() else None
    except NotJSON:
        return None


def _root_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def _get_url(request: web.Request, state: IloqSimState, path: str) -> web.StreamResponse:
    return _json(state.get_url(await _body(request), _root_url(request)))


async def _create_session(
    request: web.Request, state: IloqSimState, path: str
) -> web.StreamResponse:
    answer = state.create_session(await _body(request), path)
    if state.faults.drop_create_session_answer and request.transport is not None:
        request.transport.abort()  # the session exists now, but its id never reaches the client
    return _json(answer)


async def _lock_groups(request: web.Request, state: IloqSimState, path: str) -> web.StreamResponse:
    session = state.session(request.headers.get("SessionId"))
    return _json(state.lock_groups(session))


async def _set_lockgroup(
    request: web.Request, state: IloqSimState, path: str
) -> web.StreamResponse:
    session = state.session(request.headers.get("SessionId"))
    return _json(state.set_lockgroup(session, await _body(request)))


async def _kill_session(request: web.Request, state: IloqSimState, path: str) -> web.StreamResponse:
    state.kill(state.session(request.headers.get("SessionId")))
    return web.Response(body=b"", content_type="application/octet-stream")


_HANDLERS: dict[str, Handler] = {
    "Url/GetUrl": _get_url,
    "CreateSession": _create_session,
    "LockGroups": _lock_groups,
    "SetLockgroup": _set_lockgroup,
    "KillSession": _kill_session,
}


async def _dispatch(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    config = state.config
    path = request.match_info["path"].strip("/")
    served = {config.service_path.strip("/").lower()}
    if config.pool is not None:
        served.add(config.pool.strip("/").lower())
    try:
        endpoint = endpoint_key(request.match_info["endpoint"])
    except ValueError:
        endpoint = None
    if path.lower() not in served or endpoint is None:
        return _message(404, "No HTTP resource was found that matches the request URI.")
    if request.method != ENDPOINTS[endpoint]:
        return _message(405, "The requested resource does not support this HTTP method.")
    state.record(request.method, endpoint)
    faults = state.faults
    if faults.latency > 0 and (not faults.latency_on or endpoint in faults.latency_on):
        await asyncio.sleep(faults.latency)
    status = state.take_failure(endpoint)
    if status is not None:
        return _message(status, _REASONS.get(status, "The request failed."))
    try:
        return await _HANDLERS[endpoint](request, state, path)
    except IloqRefusal as refusal:
        return _message(refusal.status, refusal.message)


def _count_unhandled(request: web.Request) -> None:
    request.app[STATE].unhandled += 1


def make_app(state: IloqSimState) -> web.Application:
    app = web.Application(middlewares=[last_resort(_message, _count_unhandled)])
    app[STATE] = state
    app.router.add_route("*", "/{path}/api/v2/{endpoint:.+}", _dispatch)
    return app
