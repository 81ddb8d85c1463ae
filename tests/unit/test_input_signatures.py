"""Every public entry point refuses bad input with a ``ValidationError`` naming it, before
anything is sent: a property over the public signatures, found by introspection.

The entry points are every public method of the V1 client's resources (``devices``, ``keys``,
``contracts``, ``keypad``, ``bulk``) and of the API v2 client's (``automats``, ``iloq``,
``mechanical``, ``groups``, ...), both clients' constructors, the webhook helpers and the iLOQ
credentials preflight. Each is called with valid arguments but one, spoiled: a value from a pool
of the usual mistakes (``end="tomorrow"``, ``pincode=123456``, ``limit="5"``, a lone surrogate
in an id, a naive datetime, an aware one past year 9999 in UTC, ``NaN``, a model of the wrong
class, a model with one field of the wrong type), or, with hypothesis, anything at all.

The property: a value that is not well-formed for the parameter's annotation
(``signature_support.well_formed``) is refused with a ``ValidationError`` that names the
parameter (or the model's field), and no request went out (the clients count every attempt
through ``on_request``, the preflight through a traced session; they point at a closed
loopback port, so what does go out fails fast). A well-formed value is either refused the same
way or goes through, ending in success or a ``LivionKeyError``. No other exception ever.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import math
import socket
import typing
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signature_support import VALID_MODELS, Entry, hints_of, is_source, valid_value, well_formed

from livionkey_async import LivionKeyClient, LivionKeyError, RequestEvent, ValidationError
from livionkey_async._key_watch import KeyWatch
from livionkey_async.iloq import check_credentials
from livionkey_async.iloq._client import IloqClient
from livionkey_async.testing import V2SimConfig
from livionkey_async.v2 import LivionKeyV2Client
from livionkey_async.webhooks import (
    WebhookReceiver,
    encode_event,
    parse_event,
    sample_events,
    sign,
    verify_api_key,
    verify_signature,
)

PEM = V2SimConfig().private_key_pem
SECRET = "whsec_" + base64.b64encode(b"a signing secret of 24 b").decode()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


BASE = f"http://127.0.0.1:{_closed_port()}"


async def _no_sleep(_: float) -> None:
    return None


NAIVE = datetime(2026, 1, 1, 12)
PAST_9999 = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
BEFORE_1 = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))

# The usual mistakes, and a few values that are right for some parameters.
POOL: tuple[object, ...] = (
    None,
    0,
    -1,
    5,
    10**20,
    1.5,
    math.nan,
    math.inf,
    True,
    "",
    " ",
    "5",
    "x/y",
    "\ud800",
    "2026-01-01T00:00:00Z",
    b"bytes",
    [],
    [5],
    ["\udfff"],
    ("00001",),
    {},
    {"a": 1},
    object(),
    NAIVE,
    PAST_9999,
    BEFORE_1,
    datetime(2030, 1, 1, tzinfo=UTC),
)

# Parameters whose well-formed values are not tried: what they do is not about input (a
# journal path that names a file to write, hooks that are called).
NOT_EXPLORED = frozenset({"journal", "on_progress", "sleep", "clock", "wall_clock", "on_request"})


# -- the entry points ------------------------------------------------------------------------------


@attrs.define
class Harness:
    """Fresh clients on a closed port, and every request attempt they (or the preflight) made."""

    v1: LivionKeyClient
    v2: LivionKeyV2Client
    traced: aiohttp.ClientSession
    attempts: list[str]


def _resources(v1: LivionKeyClient, v2: LivionKeyV2Client) -> dict[str, object]:
    return {
        "devices": v1.devices,
        "keys": v1.keys,
        "contracts": v1.contracts,
        "keypad": v1.keypad,
        "bulk": v1.bulk,
        "v2.automats": v2.automats,
        "v2.iloq.access_rights": v2.iloq.access_rights,
        "v2.iloq.contracts": v2.iloq.contracts,
        "v2.mechanical.keys": v2.mechanical.keys,
        "v2.mechanical.contracts": v2.mechanical.contracts,
        "v2.groups": v2.groups,
        "v2.organization_units": v2.organization_units,
        "v2.service_accounts": v2.service_accounts,
        "v2.bulk": v2.bulk,
    }


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "LivionKeyClient": LivionKeyClient,
    "LivionKeyV2Client": LivionKeyV2Client,
    "WebhookReceiver": WebhookReceiver,
    "IloqClient": IloqClient,
    "webhooks.sign": sign,
    "webhooks.verify_signature": verify_signature,
    "webhooks.verify_api_key": verify_api_key,
    "webhooks.parse_event": parse_event,
    "webhooks.encode_event": encode_event,
    "iloq.check_credentials": check_credentials,
}


def _methods(resources: dict[str, object]) -> Iterator[tuple[str, Callable[..., Any]]]:
    for prefix, resource in resources.items():
        for name in dir(resource):
            member = getattr(resource, name)
            if not name.startswith("_") and inspect.ismethod(member):
                yield f"{prefix}.{name}", member


def _entries() -> dict[str, Entry]:
    v1 = LivionKeyClient("a@example.com", "pw", base_url=BASE)
    v2 = LivionKeyV2Client("sa", PEM, base_url=BASE)
    found = [*_methods(_resources(v1, v2)), *FUNCTIONS.items()]
    return {label: hints_of(label, function) for label, function in found}


ENTRIES = _entries()

# Valid values by parameter name, where the annotation alone does not say one (the others:
# ``signature_support.valid_value``).
VALID: dict[str, object] = {
    "email": "a@example.com",
    "password": "pw",
    "service_account_id": "sa",
    "private_key": PEM,
    "pincode": "123456",
    "body": b"{}",
    "secret": SECRET,
    "headers": {},
    "api_key": "shared-key",
    "event": sample_events()[0],
    "service_address": f"{BASE}/iloqws",
    "service_code": "CODE",
    "username": "user",
}
# Optional arguments a valid call needs all the same (a receiver needs one secret), and what
# points the network-bound calls at the closed port.
EXTRA: dict[str, dict[str, object]] = {
    "LivionKeyClient": {"base_url": BASE},
    "LivionKeyV2Client": {"base_url": BASE},
    "WebhookReceiver": {"signing_secret": SECRET},
}


def _bind(entry: Entry, harness: Harness) -> Callable[..., Any]:
    if entry.label in FUNCTIONS:
        return FUNCTIONS[entry.label]
    resources = _resources(harness.v1, harness.v2)
    prefix, name = entry.label.rsplit(".", 1)
    method: Callable[..., Any] = getattr(resources[prefix], name)
    return method


def _arguments(entry: Entry, harness: Harness) -> dict[str, object]:
    arguments = dict(EXTRA.get(entry.label, {}))
    for parameter in entry.parameters:
        if parameter.default is inspect.Parameter.empty:
            hint = entry.hints[parameter.name]
            arguments[parameter.name] = valid_value(parameter.name, hint, VALID)
    if entry.label == "iloq.check_credentials":
        arguments.update(session=harness.traced, sleep=_no_sleep, max_attempts=1)
    return arguments


async def _harness() -> Harness:
    attempts: list[str] = []

    def record(event: RequestEvent) -> None:
        attempts.append(f"{event.method} {event.path}")

    async def traced(_: object, __: object, params: aiohttp.TraceRequestStartParams) -> None:
        attempts.append(f"{params.method} {params.url}")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(traced)
    options: dict[str, Any] = {
        "base_url": BASE,
        "max_attempts": 1,
        "on_request": record,
        "sleep": _no_sleep,
    }
    return Harness(
        v1=LivionKeyClient("a@example.com", "pw", **options),
        v2=LivionKeyV2Client("sa", PEM, **options),
        traced=aiohttp.ClientSession(trace_configs=[trace]),
        attempts=attempts,
    )


async def _outcome(call: Callable[[], Any]) -> BaseException | None:
    """Run one call to the end: awaited, or its first item drawn (an async iterator); within
    a bound, so that a call that hangs fails the test instead of holding it."""
    async with asyncio.timeout(10):
        return await _run(call)


async def _run(call: Callable[[], Any]) -> BaseException | None:
    try:
        result = call()
        if inspect.isawaitable(result):
            result = await result
        if inspect.isasyncgen(result):
            try:
                await anext(result)
            except StopAsyncIteration:
                pass
            finally:
                await result.aclose()
        elif isinstance(result, LivionKeyClient | LivionKeyV2Client | IloqClient):
            await result.close()
        elif isinstance(result, KeyWatch):
            pass  # it polls until told to stop: what it was given is checked when it is made
    except Exception as exc:
        return exc
    return None


@attrs.frozen
class Spoil:
    """One argument spoiled: ``parameter`` gets ``value``; ``field``: the model field it spoils
    (``None``: the argument itself); ``must_refuse``: the value is not well-formed."""

    parameter: str
    value: object
    field: str | None
    must_refuse: bool

    @property
    def name(self) -> str:
        return self.field or self.parameter


def _spoils(entry: Entry, parameter: inspect.Parameter, values: tuple[object, ...]) -> list[Spoil]:
    hint = entry.hints[parameter.name]
    found: list[Spoil] = []
    for value in values:
        if is_source(hint) and isinstance(value, Iterable) and not isinstance(value, str | bytes):
            continue  # a bulk job's items fail one by one: test_bulk_items_of_the_wrong_type
        formed = well_formed(value, hint)
        if formed and parameter.name in NOT_EXPLORED:
            continue
        found.append(Spoil(parameter.name, value, None, not formed))
    model = hint if isinstance(hint, type) and hint in VALID_MODELS else None
    if model is not None:
        field_hints = typing.get_type_hints(model)
        for field in attrs.fields(model):
            for value in values:
                if field.converter is not None:  # judged as converted ("5" is ("5",) of ids)
                    try:
                        value = field.converter(value)
                    except ValidationError:
                        found.append(Spoil(parameter.name, value, field.name, True))
                        continue
                if not well_formed(value, field_hints[field.name]):
                    found.append(Spoil(parameter.name, value, field.name, True))
    return found


async def _check(entry: Entry, spoil: Spoil, harness: Harness) -> None:
    harness.attempts.clear()
    function = _bind(entry, harness)
    arguments = _arguments(entry, harness)
    exc: BaseException | None
    if spoil.field is None:
        arguments[spoil.parameter] = spoil.value
        exc = await _outcome(lambda: function(**arguments))
    else:
        try:
            model = attrs.evolve(
                typing.cast(Any, arguments[spoil.parameter]), **{spoil.field: spoil.value}
            )
        except Exception as refused:  # a converter refusing it is a refusal too
            exc = refused
        else:
            arguments[spoil.parameter] = model
            exc = await _outcome(lambda: function(**arguments))
    what = f"{entry.label}({spoil.name}={spoil.value!r:.60})"
    if isinstance(exc, ValidationError) and exc.status is None:
        assert spoil.name in exc.message, f"{what}: the refusal does not name it: {exc}"
        assert harness.attempts == [], f"{what}: refused after sending {harness.attempts}"
        return
    assert not spoil.must_refuse, f"{what}: not refused, but {exc!r}"
    assert exc is None or isinstance(exc, LivionKeyError), f"{what}: raised {exc!r}"


async def _checked(entry: Entry, spoils: Iterable[Spoil]) -> None:
    """Check ``spoils`` of ``entry`` with one harness (a refusal changes nothing in it)."""
    harness = await _harness()
    try:
        for spoil in spoils:
            await _check(entry, spoil, harness)
    finally:
        await harness.v1.close()
        await harness.v2.close()
        await harness.traced.close()


# -- the tests -------------------------------------------------------------------------------------


def test_every_entry_point_is_found_and_has_a_valid_call() -> None:
    assert len(ENTRIES) > 90
    assert {"contracts.create", "v2.mechanical.keys.list", "bulk.delete_contracts"} <= set(ENTRIES)
    for entry in ENTRIES.values():
        for parameter in entry.parameters:
            assert parameter.name in entry.hints, f"{entry.label}: {parameter.name} unannotated"
            assert parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)


@pytest.mark.parametrize("label", sorted(ENTRIES))
def test_a_valid_call_is_not_refused(label: str) -> None:
    """The baseline every spoil starts from: refused only by the closed port, if at all."""
    entry = ENTRIES[label]

    async def run() -> None:
        harness = await _harness()
        try:
            function = _bind(entry, harness)
            arguments = _arguments(entry, harness)
            exc = await _outcome(lambda: function(**arguments))
            assert not isinstance(exc, ValidationError) or exc.status is not None, exc
            assert exc is None or isinstance(exc, LivionKeyError), repr(exc)
        finally:
            await harness.v1.close()
            await harness.v2.close()
            await harness.traced.close()

    asyncio.run(run())


@pytest.mark.parametrize("label", sorted(ENTRIES))
def test_every_parameter_refuses_the_usual_mistakes(label: str) -> None:
    entry = ENTRIES[label]
    spoils = [
        spoil
        for parameter in entry.parameters
        for spoil in _spoils(entry, parameter, POOL)
        if spoil.must_refuse  # what is well-formed may reach the network: the property test
    ]

    asyncio.run(_checked(entry, spoils))


LABELS = sorted(ENTRIES)
ANYTHING = st.one_of(
    st.sampled_from(POOL),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=2),
    st.binary(max_size=8),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=-14))])),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=4)), max_size=3),
)


@settings(
    max_examples=200,
    derandomize=True,  # the same examples on every run: CI never fails by chance
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_value_is_refused_by_name_or_goes_through(data: st.DataObject) -> None:
    entry = ENTRIES[data.draw(st.sampled_from(LABELS), label="entry")]
    if not entry.parameters:
        return
    parameter = data.draw(st.sampled_from(entry.parameters), label="parameter")
    value = data.draw(ANYTHING, label="value")
    spoils = _spoils(entry, parameter, (value,))
    if spoils:
        spoil = data.draw(st.sampled_from(spoils), label="spoil")
        asyncio.run(_checked(entry, [spoil]))
