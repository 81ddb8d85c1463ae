"""The HTTP edge every client shares: V1's and API v2's transport, and the iLOQ client.

What each of them needs from aiohttp, done once: a session that never resends behind our back,
an answer read with a size limit (never ``await response.read()`` unbounded: a hostile or broken
server may send gigabytes), a body decoded strictly (JSON where JSON is documented, text only
where text is), and aiohttp's failures turned into our typed errors, described without anything
secret and chaining nothing (aiohttp's exceptions carry the request, and with it the
``Authorization`` header). Retry policy shared by all: :func:`retryable`.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from typing import Any

import aiohttp
from yarl import URL

from ._arguments import check_text
from ._errors import (
    AmbiguousOutcomeError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    TlsError,
    TransportError,
    ValidationError,
    shown,
)
from ._lenient_json import loads_lenient

__all__ = [
    "DEFAULT_MAX_ANSWER_BYTES",
    "LENIENT_MAX_BYTES",
    "RETRYABLE_STATUS",
    "checked_url",
    "decode_body",
    "is_loopback",
    "never_left",
    "new_session",
    "read_body",
    "retryable",
    "transport_error",
]

# The largest answer read (16 MiB: far above any listing Livion pages, far below harm).
DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024
# Livion's documented slips (``_lenient_json``) are in small answers; a large body that strict
# JSON refuses is not read again the forgiving way.
LENIENT_MAX_BYTES = 1024 * 1024
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


class _NotSent(TransportError):
    """The connection failed before any byte of the request left: always safe to retry."""


class _DeadlineSpent(TransportError):
    """The call's deadline passed (or would have, waiting): never retried."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _shown(address: str) -> str:
    """``address`` to echo in an error: not at all when it has an ``@`` anywhere (a user name
    and password, however written, malformed or not)."""
    return "an address with an '@' (not shown)" if "@" in address else repr(address)


def checked_url(
    address: object,
    *,
    what: str = "base_url",
    example: str = "https://api.livionkey.com",
    allow_insecure: bool | None = False,
) -> URL:
    """``address`` as a base URL ending in ``/``: https, or plain http to a loopback host (or
    anywhere, ``allow_insecure``; ``None``: the caller has no such option); no user name or
    password in it (they would travel in every request and show in every repr). Raises
    ``ValidationError`` naming ``what`` otherwise."""
    must = f"{what} must be an https:// URL such as {example}"
    if not isinstance(address, str):
        raise ValidationError(must)
    check_text(what, address)  # valid Unicode
    try:
        url = URL(address.strip())
        host = url.host
        url.port  # noqa: B018 (yarl checks the port only when asked)
    except ValueError:
        raise ValidationError(f"{must}, not {_shown(address)}") from None
    if url.scheme not in ("https", "http") or not host:
        raise ValidationError(f"{must}, not {_shown(address)}")
    if url.user is not None or url.password is not None:
        raise ValidationError(f"{what} must not contain a user name or password")
    if url.scheme == "http" and not allow_insecure and not is_loopback(host):
        hint = "" if allow_insecure is None else ", or with allow_insecure=True"
        raise ValidationError(
            f"{what} must use https (plain http is allowed only for loopback hosts{hint})"
        )
    path = url.path if url.path.endswith("/") else url.path + "/"
    return url.with_path(path).with_query(None).with_fragment(None)


def new_session(
    *, limit: int, trace_configs: Sequence[aiohttp.TraceConfig] | None = None
) -> aiohttp.ClientSession:
    """A session (created inside the running loop) whose pool holds ``limit`` connections."""
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, limit_per_host=limit),
        trace_configs=list(trace_configs) if trace_configs else None,
        headers={"User-Agent": "livionkey-async", "Accept": "application/json"},
    )
    # aiohttp silently resends an idempotent request once when a reused connection drops; that
    # resend bypasses our retry budget, our counters, and our knowledge that a DELETE (or an
    # iLOQ CreateSession) may already have been applied. Retries are ours alone (no public switch).
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
    return session


async def read_body(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The whole body, or ``None`` once it is larger than ``limit`` bytes (then the rest is not
    read: leaving the response unread closes its connection).

    A ``Content-Length`` within the limit is read at once (aiohttp stops at that length); a
    compressed body, a chunked one, or one without a length, piece by piece.
    """
    length = response.content_length
    compressed = "Content-Encoding" in response.headers
    if length is not None and not compressed:
        return await response.read() if length <= limit else None
    chunks: list[bytes] = []
    size = 0
    while chunk := await response.content.readany():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def decode_body(body: bytes, *, text: bool = False) -> Any:
    """A success body: ``None`` when empty, the JSON value, or (``text``: the endpoint answers in
    words) the text itself. A body that strict JSON refuses but that opens like JSON is read once
    more forgiving the slips of Livion's own published examples (``_lenient_json``; small bodies
    only). Anything else, and JSON nested too deeply to read, is a ``ResponseFormatError``.
    """
    if not body or body.isspace():
        return None
    try:
        return json.loads(body)
    except RecursionError:
        failure = ResponseFormatError("JSON nested too deeply to read")
    except ValueError:
        decoded = body.decode("utf-8", "replace")
        if len(body) <= LENIENT_MAX_BYTES and decoded.lstrip()[:1] in ("{", "["):
            try:
                return loads_lenient(decoded)
            except (ValueError, RecursionError):
                pass
        if text:
            return decoded
        failure = ResponseFormatError(f"a body that is not JSON ({len(body)} bytes)")
    raise failure


def never_left(exc: BaseException | None) -> bool:
    """Whether aiohttp's failure ``exc`` came before the request left (connecting failed)."""
    return isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


def transport_error(
    label: str,
    exc: BaseException,
    *,
    idempotent: bool,
    secrets: Sequence[str] = (),
    timeout: float | None = None,
) -> TransportError:
    """aiohttp's failure of the request ``label`` (``POST keys``) as our error, to be raised
    outside the ``except`` block that caught ``exc`` so that nothing is chained: ``_NotSent``
    (connecting failed: safe to resend), ``TlsError`` (never retried), ``TransportError``, or for
    a request that may have been applied, ``AmbiguousOutcomeError``. Its description is aiohttp's
    text with every secret and anything credential-like removed, cut short; ``timeout``: the
    seconds an attempt had, named when it ran out."""
    if isinstance(exc, TimeoutError) and timeout is not None:
        what = f"{label}: no complete answer within {timeout:g}s"
    else:
        detail = shown(str(exc), secrets)
        what = f"{label}: {type(exc).__name__}" + (f": {detail}" if detail else "")
    if isinstance(exc, aiohttp.ClientSSLError):
        return TlsError(what)
    if never_left(exc):
        return _NotSent(what)
    if idempotent:
        return TransportError(what)
    method, _, path = label.partition(" ")
    return AmbiguousOutcomeError(
        f"{what}; it may or may not have been applied", method=method, path=path
    )


def retryable(exc: BaseException, *, idempotent: bool) -> bool:
    """Whether a failed attempt may be tried again (attempts and budgets aside): a 429 always
    (nothing was done; a pause the client refused to wait out, ``status=None``, never), a
    request that never left always, a timeout, a dropped connection or a 500/502/503/504 only
    when resending is harmless; an unknown outcome of a write or a bad certificate never."""
    if isinstance(exc, RateLimitedError):
        return exc.status == 429
    if isinstance(exc, _NotSent):
        return True
    if isinstance(exc, AmbiguousOutcomeError | TlsError | _DeadlineSpent):
        return False
    if isinstance(exc, ServerError):
        return idempotent and exc.status in RETRYABLE_STATUS
    return isinstance(exc, TransportError) and idempotent
