"""Hostile requests for the simulators' routes: hypothesis strategies and a raw sender.

A request is drawn for one of the routes the running application really serves (read from its
router, so a new route is fuzzed without anyone listing it): its path parameters, query, headers
and body are either plausible (a known id, a documented field) or hostile: numbers of thousands
of digits, ``NaN`` and ``Infinity``, dates past year 9999, lone surrogates, deep nesting,
non-UTF-8 bytes, wrong types everywhere. Bodies start from a valid example of the route and are
mutated, so the hostile value lands deep in what the route reads, not only at its door.

Requests go out exactly as drawn (``URL(..., encoded=True)``, raw body bytes), over real
loopback HTTP, with the route's own authentication (a V1 bearer token, a v2 signature made over
the very bytes sent) unless the draw spoils it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import Future
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
import attrs
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import strategies as st
from yarl import URL

__all__ = [
    "HOSTILE_JSON",
    "HOSTILE_TEXT",
    "RAW_BODIES",
    "Drawn",
    "LoopThread",
    "Target",
    "requests_for",
    "send",
]

T = TypeVar("T")

# Text that breaks naive parsing: int() of a digit-looking string that is not ASCII, numbers past
# Python's int-str conversion limit, JavaScript's special numbers, dates out of every range,
# percent signs, dots, NUL, non-ASCII and very long text.
HOSTILE_TEXT: tuple[str, ...] = (
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "9" * 5000,
    "-" + "9" * 5000,
    "1e999",
    "-1e999",
    "NaN",
    "Infinity",
    "\u00b2",  # superscript two: str.isdigit() is True, int() refuses it
    "\u0661\u0662",  # Arabic-Indic digits
    "true",
    "null",
    "%",
    "%00",
    "%ff",
    "..",
    ".",
    "\x00",
    "\u00e9\u00e8",
    "\U0001f511",
    "a" * 3000,
    "2026-01-01",
    "2026-13-45T25:61:00Z",
    "9999-12-31T23:59:59.999Z",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+05:00",
    "0001-01-01T00:00:00Z",
    "+275760-09-13T00:00:00.000Z",
    "99:99",
    "24:00",
)


@attrs.frozen
class Number:
    """A JSON number written as these digits: integers past Python's int-str conversion limit
    (held as text, since hypothesis itself would trip on them)."""

    digits: str


# JSON values a body may carry in place of a field's value.
HOSTILE_JSON: tuple[object, ...] = (
    *HOSTILE_TEXT,
    None,
    True,
    False,
    0,
    -1,
    1,
    2**63,
    Number("1" + "0" * 5000),
    Number("-" + "9" * 5000),
    Number("1e400"),
    Number("1" * 400 + ".5"),
    1e308,
    -0.0,
    float("nan"),
    float("inf"),
    float("-inf"),
    [],
    {},
    [None],
    [Number("9" * 4500)],
    ["\u00b2"],
    {"": None},
    [[[[[]]]]],
)

# Whole bodies that are not the JSON a route expects at all.
RAW_BODIES: tuple[bytes, ...] = (
    b"",
    b"   ",
    b"null",
    b"[]",
    b'"text"',
    b"\xff\xfe\x00garbage",
    b'{"a": "\xff"}',
    b"\xef\xbb\xbf{}",
    b'{"a": NaN, "b": Infinity, "c": -Infinity}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b"1" + b"0" * 5000,
    b'"\\ud800"',
    b'{"a": "\\udfff\\ud800"}',
    b'{"a": 1, "a": 2}',
    b"{not json",
    b"<html>hello</html>",
)


@attrs.frozen
class Drawn:
    """One request, exactly as it goes on the wire."""

    method: str
    target: str  # the request target: raw, percent-encoded path and query
    headers: Mapping[str, str]
    body: bytes
    route: str

    def __repr__(self) -> str:  # what hypothesis prints for a failing example: keep it short
        shown = self.body[:200] + (b"..." if len(self.body) > 200 else b"")
        target = self.target[:300] + ("..." if len(self.target) > 300 else "")
        return f"Drawn({self.method} {target!r} headers={dict(self.headers)!r} body={shown!r})"


Sign = Callable[[str, str, bytes], dict[str, str]]


@attrs.frozen
class Target:
    """How to fuzz one running application.

    ``origin``: ``http://127.0.0.1:PORT``. ``app``: its router is where the routes come from.
    ``ids``: plausible values per path parameter name. ``examples``: a valid body per
    ``(method, route)``. ``query_names``: the query parameters the routes read. ``auth``: the
    headers that authenticate a request (method, target, body), or ``None`` if there are none.
    ``spoil``: headers that break the authentication in interesting ways.
    """

    origin: str
    app: web.Application
    ids: Mapping[str, Sequence[str]]
    examples: Mapping[tuple[str, str], object]
    query_names: Sequence[str]
    auth: Sign | None = None
    spoil: Sequence[Mapping[str, str]] = ()
    skip: Callable[[str], bool] = lambda route: False

    def __repr__(self) -> str:
        return f"Target({self.origin})"

    def routes(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for route in self.app.router.routes():
            info = route.resource.get_info() if route.resource is not None else {}
            template = info.get("formatter") or info.get("path")
            if isinstance(template, str) and not self.skip(template):
                found.append((route.method, template))
        return sorted(set(found))


_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS")
_MAX_TARGET = 8000


def _segment(target: Target, name: str) -> st.SearchStrategy[str]:
    """A path parameter: mostly a plausible one (so that the request reaches the rules behind
    it), else hostile text, percent-encoded, or percent signs that decode to nothing valid."""
    plausible = st.sampled_from(tuple(target.ids.get(name, ())) or ("x",))
    hostile = st.sampled_from(HOSTILE_TEXT).map(lambda text: quote(text, safe="") or "%20")
    raw = st.sampled_from(("%", "%zz", "%ff%fe", "%c0%af", "%ed%a0%80", "a%00b"))
    return _weighted(plausible, st.one_of(hostile, raw))


def _weighted(
    usual: st.SearchStrategy[str], unusual: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """``usual`` two times in three."""
    return st.integers(0, 2).flatmap(lambda n: unusual if n == 0 else usual)


def _fill(target: Target, template: str) -> st.SearchStrategy[str]:
    names = _PARAM.findall(template)
    parts = _PARAM.split(template)  # text, name, text, name, ..., text

    @st.composite
    def filled(draw: st.DrawFn) -> str:
        out = []
        for index, part in enumerate(parts):
            if index % 2 == 0:
                out.append(part)
            else:
                out.append(draw(_segment(target, part)))
        return "".join(out)

    return filled() if names else st.just(template)


def _query(target: Target) -> st.SearchStrategy[str]:
    name = st.sampled_from((*target.query_names, "x", "%ff", ""))
    value = st.one_of(
        st.sampled_from(("true", "false", "1", "20", "lockers", "key30", "keypad")),
        st.sampled_from(HOSTILE_TEXT).map(lambda text: quote(text, safe="")),
        st.sampled_from(("%", "%ff", "%ed%a0%80", "a+b", "=")),
    )
    pair = st.tuples(name, value).map(lambda p: f"{p[0]}={p[1]}")
    return st.lists(pair, max_size=4).map("&".join)


def _json_value() -> st.SearchStrategy[object]:
    leaf = st.one_of(st.sampled_from(HOSTILE_JSON), st.integers(), st.text(max_size=20))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.text(max_size=8), inner, max_size=3),
        ),
        max_leaves=6,
    )


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in a JSON value: the value itself, and each of its members, recursively."""
    found = [prefix]
    if isinstance(value, dict):
        for key, member in value.items():
            found += _paths(member, (*prefix, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            found += _paths(member, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[object, ...], new: object, *, delete: bool) -> Any:
    if not path:
        return new
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    head, rest = path[0], path[1:]
    if not rest and delete:
        del copy[head]
    else:
        copy[head] = _replace(copy[head], rest, new, delete=delete)
    return copy


def _mutated(example: object) -> st.SearchStrategy[object]:
    @st.composite
    def mutate(draw: st.DrawFn) -> object:
        value = example
        for _ in range(draw(st.integers(0, 3))):
            paths = _paths(value)
            path = draw(st.sampled_from(paths))
            delete = bool(path) and draw(st.booleans())
            value = _replace(value, path, draw(_json_value()), delete=delete)
        return value

    return mutate()


def _encode(value: object) -> bytes:
    """JSON as Python writes it: ``NaN`` and ``Infinity`` included (JavaScript's ``JSON.parse``
    would refuse them: exactly the hostile input wanted), and ``Number``s as their digits."""
    if isinstance(value, Number):
        return value.digits.encode()
    if isinstance(value, list):
        return b"[" + b",".join(_encode(v) for v in value) + b"]"
    if isinstance(value, dict):
        members = (json.dumps(str(k)).encode() + b":" + _encode(v) for k, v in value.items())
        return b"{" + b",".join(members) + b"}"
    return json.dumps(value).encode("utf-8", "surrogatepass")


def _body(target: Target, method: str, route: str) -> st.SearchStrategy[bytes]:
    example = target.examples.get((method, route), target.examples.get(("*", route)))
    raw = st.sampled_from(RAW_BODIES)
    if example is None:
        return st.one_of(raw, _json_value().map(_encode))
    return st.one_of(_mutated(example).map(_encode), _mutated(example).map(_encode), raw)


@st.composite
def _request(draw: st.DrawFn, target: Target, routes: Sequence[tuple[str, str]]) -> Drawn:
    method, route = draw(st.sampled_from(routes))
    if method == "*":  # a route for any method (iLOQ's): mostly the two its endpoints take
        method = draw(st.sampled_from(("GET", "POST", "GET", "POST", *_METHODS)))
    elif draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(_METHODS))
    path = draw(_fill(target, route))
    query = draw(_query(target)) if draw(st.booleans()) else ""
    # Within aiohttp's limit for a request line (8190 bytes): the request must reach the app.
    request_target = (f"{path}?{query}" if query else path)[:_MAX_TARGET]
    body = draw(_body(target, method, route)) if method not in ("GET", "HEAD") else b""
    if method in ("GET", "HEAD", "DELETE") and draw(st.integers(0, 4)) == 0:
        body = draw(st.sampled_from(RAW_BODIES))
    headers: dict[str, str] = {}
    if body or draw(st.booleans()):
        headers["Content-Type"] = draw(
            st.sampled_from(
                ("application/json", "text/plain", "application/x-www-form-urlencoded", "*/*")
            )
        )
    if target.auth is not None:
        headers.update(target.auth(method, request_target, body))
    if target.spoil and draw(st.integers(0, 7)) == 0:
        headers.update(draw(st.sampled_from(tuple(target.spoil))))
    return Drawn(method, request_target, headers, body, route)


def requests_for(target: Target) -> st.SearchStrategy[Drawn]:
    """Requests for every route ``target`` serves, and a few for routes it does not."""
    routes = target.routes()
    unknown = st.builds(
        lambda path, body: Drawn("POST", path, {}, body, "(unknown)"),
        st.sampled_from(("/", "/nope", "/%ff", "/" + "a/" * 2000, "/_sim/nope", "/..%2f..")),
        st.sampled_from(RAW_BODIES),
    )
    return st.one_of(_request(target, routes), _request(target, routes), unknown)


async def send(http: aiohttp.ClientSession, origin: str, drawn: Drawn) -> tuple[int, str]:
    """Send ``drawn`` as it is; answer the status and the start of the body."""
    url = URL(origin + drawn.target, encoded=True)
    async with http.request(
        drawn.method,
        url,
        data=drawn.body or None,
        headers=drawn.headers,
        allow_redirects=False,
        skip_auto_headers=("Content-Type",),
    ) as response:
        text = (await response.read())[:500].decode("utf-8", "replace")
        return response.status, text


def v2_signer(
    account_id: str, private_key_pem: str, origin: str, clock: Callable[[], float]
) -> Sign:
    """API v2 signatures made over exactly what ``send`` puts on the wire."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)

    def sign(method: str, target: str, body: bytes) -> dict[str, str]:
        stamp = str(int(clock() * 1000))
        url = (origin + target).encode("utf-8", "surrogateescape")
        digest = hashlib.sha256(method.encode() + url + body).hexdigest()
        signature = key.sign(
            f"{account_id}{stamp}{digest}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return {
            "x-service-account-id": account_id,
            "x-timestamp": stamp,
            "x-signature": base64.b64encode(signature).decode(),
        }

    return sign


class LoopThread:
    """An event loop in a thread of its own, for hypothesis (which runs synchronous tests): the
    simulator and the HTTP client both live on it, and ``run`` waits for one coroutine there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def __enter__(self) -> LoopThread:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)
        self.loop.close()
