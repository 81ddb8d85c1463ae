"""The control plane of the simulator's webhook push (under ``/_sim/``: no auth, no faults).

- ``GET|POST /_sim/webhooks``: list subscriptions (secrets shown as their last four characters)
  or add one: ``{url, shape?, secret?, apiKey?, apiKeyHeader?, eventTypes?, account?}``, answered
  ``201`` with its secret in full, this once;
- ``DELETE /_sim/webhooks/{id}``; ``GET /_sim/webhooks/deliveries``: every attempt so far;
- ``GET|POST /_sim/webhooks/settings``: ``{time_scale, timeout, duplicate_rate, late_rate,
  late_seconds}``;
- ``POST /_sim/devices/{deviceId}/codes``: ``{code, codeType?, keyId?}``, a right code entered;
- ``POST /_sim/devices/{deviceId}/alarms``: ``{alarmType, action: raise|acknowledge|clear}``.

Key fetches and returns (``POST /_sim/devices/{d}/keys/{k}/{action}``) and contract writes
through the API push on their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from aiohttp import web

from .._events import Event
from ..webhooks import encode_event
from ._push_api import WebhookMethods
from ._wire import NotJSON, read_json

__all__ = ["add_webhook_routes"]

PUSH = web.AppKey("livionkey_sim_webhooks", WebhookMethods)


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


def _bad(text: str) -> web.Response:
    return web.Response(status=400, text=text)


async def _object(request: web.Request) -> dict[str, object] | None:
    try:
        body = read_json(await request.read() or b"null")
    except NotJSON:
        return None
    return body if isinstance(body, dict) else None


def _optional_str(body: dict[str, object], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _shown(event: Event) -> object:
    """The event as its legacy body, without the code or pincode it may carry."""
    body = json.loads(encode_event(event, shape="legacy"))
    return {k: v for k, v in body.items() if k not in ("code", "pincode")}


async def list_webhooks(request: web.Request) -> web.StreamResponse:
    return _json([s.to_wire() for s in request.app[PUSH].webhook_subscriptions()])


async def add_webhook(request: web.Request) -> web.StreamResponse:
    body = await _object(request)
    if body is None:
        return _bad("a JSON object {url, shape, secret, apiKey, apiKeyHeader, eventTypes}")
    types = body.get("eventTypes")
    try:
        if types is not None and not (
            isinstance(types, list) and all(isinstance(t, str) for t in types)
        ):
            raise ValueError("eventTypes must be a list of event type names")
        url = _optional_str(body, "url")
        if url is None:
            raise ValueError("url is required")
        subscription = request.app[PUSH].add_webhook(
            url,
            shape=_optional_str(body, "shape") or "v2",
            secret=_optional_str(body, "secret"),
            api_key=_optional_str(body, "apiKey"),
            api_key_header=_optional_str(body, "apiKeyHeader") or "x-api-key",
            event_types=types,
            account=_optional_str(body, "account"),
        )
    except ValueError as exc:
        return _bad(str(exc))
    return _json(subscription.to_wire(reveal=True), status=201)


async def remove_webhook(request: web.Request) -> web.StreamResponse:
    wanted = request.match_info["id"]
    if not request.app[PUSH].remove_webhook(wanted):
        return web.Response(status=404, text=f"no webhook subscription {wanted}")
    return _json({"removed": wanted})


async def deliveries(request: web.Request) -> web.StreamResponse:
    return _json([record.to_wire() for record in request.app[PUSH].webhook_deliveries()])


async def get_settings(request: web.Request) -> web.StreamResponse:
    return _json(request.app[PUSH].webhook_settings.as_dict())


async def set_settings(request: web.Request) -> web.StreamResponse:
    settings = request.app[PUSH].webhook_settings
    body = await _object(request)
    if body is None:
        return _bad("a JSON object of webhook settings is required")
    try:
        settings.update(body)
    except ValueError as exc:
        return _bad(str(exc))
    return _json(settings.as_dict())


async def enter_code(request: web.Request) -> web.StreamResponse:
    body = await _object(request)
    if body is None:
        return _bad("a JSON object {code, codeType, keyId} is required")
    try:
        code = _optional_str(body, "code") or ""
        code_type = _optional_str(body, "codeType")
        key_id = _optional_str(body, "keyId")
    except ValueError as exc:
        return _bad(str(exc))
    sim = request.app[PUSH]
    event = sim.enter_code(request.match_info["deviceId"], code, code_type=code_type, key_id=key_id)
    return _json(_shown(event))


async def alarm(request: web.Request) -> web.StreamResponse:
    body = await _object(request)
    alarm_type = None if body is None else body.get("alarmType")
    action = None if body is None else body.get("action", "raise")
    sim = request.app[PUSH]
    actions: dict[object, Callable[[str, str], Event]] = {
        "raise": sim.raise_alarm,
        "acknowledge": sim.acknowledge_alarm,
        "clear": sim.clear_alarm,
    }
    act = actions.get(action)
    if not isinstance(alarm_type, str) or act is None:
        return _bad("a JSON object {alarmType, action: raise|acknowledge|clear} is required")
    return _json(_shown(act(request.match_info["deviceId"], alarm_type)))


def add_webhook_routes(app: web.Application, sim: WebhookMethods) -> None:
    """Serve the webhook control plane of ``sim`` on ``app``."""
    app[PUSH] = sim
    add = app.router.add_route
    add("GET", "/_sim/webhooks", list_webhooks)
    add("POST", "/_sim/webhooks", add_webhook)
    add("GET", "/_sim/webhooks/deliveries", deliveries)
    add("GET", "/_sim/webhooks/settings", get_settings)
    add("POST", "/_sim/webhooks/settings", set_settings)
    add("DELETE", "/_sim/webhooks/{id}", remove_webhook)
    add("POST", "/_sim/devices/{deviceId}/codes", enter_code)
    add("POST", "/_sim/devices/{deviceId}/alarms", alarm)
