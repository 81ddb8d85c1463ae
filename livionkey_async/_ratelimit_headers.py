"""Pure parsing of what a server says about its rate limits.

The pacer must act on ``Retry-After`` (delta-seconds, HTTP-date or milliseconds), on both
generations of the IETF httpapi ``RateLimit`` draft and on the de-facto ``X-RateLimit-*`` trio,
without doing any I/O: everything here takes the headers and the wall-clock ``now`` and returns
numbers. Parsing is lenient on purpose: a malformed hint is ignored, never raised, because a good
answer must not fail over a bad header.

Forms understood (names are case-insensitive, repeated fields are combined as a list)::

    Retry-After: 5  |  Retry-After: 1.5  |  Retry-After: Wed, 21 Oct 2026 07:28:00 GMT
    retry-after-ms: 1500  |  x-ms-retry-after-ms: 1500
    RateLimit-Policy: "default";q=100;w=1, "daily";q=10000;w=86400    (draft -08 and later)
    RateLimit: "default";r=50;t=30
    RateLimit-Policy: 100;w=1                                          (drafts -03 to -07)
    RateLimit: limit=100, remaining=50, reset=5                        (drafts -06 and -07)
    RateLimit-Limit: 100  RateLimit-Remaining: 50  RateLimit-Reset: 5  (drafts -00 to -05)
    X-RateLimit-Limit: 100  X-RateLimit-Remaining: 50  X-RateLimit-Reset: 1767225600
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

__all__ = ["RateLimitHint", "parse_rate_limit", "parse_retry_after"]

# A reset (or delay) larger than this is an epoch timestamp, not a number of seconds.
_EPOCH_SECONDS = 1e9
# ... and larger than this, an epoch timestamp in milliseconds.
_EPOCH_MILLISECONDS = 1e12

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")

_Fields = dict[str, list[str]]


@attrs.frozen
class RateLimitHint:
    """What one answer said about the rate limit; every field is ``None`` when not said.

    ``limit`` requests are allowed per ``window`` seconds, ``remaining`` of them are left, and the
    quota resets in ``reset`` seconds; ``retry_after`` is how long to wait before trying again.
    """

    retry_after: float | None = None
    limit: float | None = None
    window: float | None = None
    remaining: float | None = None
    reset: float | None = None

    @property
    def per_second(self) -> float | None:
        """The quota as requests per second, when both the limit and its window are known."""
        if self.limit is None or not self.window:
            return None
        return self.limit / self.window

    @property
    def is_empty(self) -> bool:
        """True when the answer carried no rate-limit information at all."""
        return all(
            value is None
            for value in (self.retry_after, self.limit, self.window, self.remaining, self.reset)
        )


_NO_HINT = RateLimitHint()


def parse_retry_after(headers: Mapping[str, str], *, now: float) -> float | None:
    """Seconds to wait before retrying, or ``None`` when no usable header was sent.

    ``now`` is the current wall-clock time (epoch seconds), needed for an HTTP-date. The
    millisecond headers win over ``Retry-After`` because they are more precise. A negative or past
    value means "retry now" (``0.0``); garbage means ``None``.
    """
    return _retry_after(_fields(headers), now)


def parse_rate_limit(headers: Mapping[str, str], *, now: float) -> RateLimitHint:
    """Everything the headers say about the rate limit (see the module docstring for the forms).

    When several forms are present the newest draft wins, then the older draft, then
    ``X-RateLimit-*``. When several policies are listed the most restrictive per second is
    reported, and of several ``RateLimit`` items the one that leaves the least per second.
    """
    fields = _fields(headers)
    if not fields:  # the usual answer: nothing to say about the rate limit
        return _NO_HINT
    sources = (_ietf(fields, now), _ietf_old(fields, now), _x_ratelimit(fields, now))
    limit = window = remaining = reset = None
    for quota, left in sources:
        if limit is None and quota is not None:
            limit, window = quota
        if left is None:
            continue
        if remaining is None and left[0] is not None:
            remaining = left[0]  # a remaining count goes with its own reset, when it has one
            reset = left[1] if left[1] is not None else reset
        elif reset is None:
            reset = left[1]
    return RateLimitHint(
        retry_after=_retry_after(fields, now),
        limit=limit,
        window=window,
        remaining=remaining,
        reset=reset,
    )


# --- internals ---------------------------------------------------------------------------------

_Quota = tuple[float, float | None]  # (limit, window)
_Left = tuple[float | None, float | None]  # (remaining, reset)


_READ = frozenset(
    {
        "retry-after",
        "retry-after-ms",
        "x-ms-retry-after-ms",
        "ratelimit",
        "ratelimit-policy",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    }
)


def _fields(headers: Mapping[str, str]) -> _Fields:
    """The values of the headers read here, by lower-cased name, repeated fields kept in order
    (any mapping will do)."""
    fields: _Fields = {}
    if isinstance(headers, CIMultiDictProxy | CIMultiDict):
        # aiohttp's headers: a case-insensitive lookup per name we read, instead of a scan.
        for key in _READ:
            if key in headers:
                fields[key] = [v for v in headers.getall(key) if isinstance(v, str)]
        return fields
    try:
        items = list(headers.items())
    except (AttributeError, TypeError):
        return fields
    for name, value in items:
        if isinstance(name, str) and isinstance(value, str):
            key = name.strip().lower()
            if key in _READ:
                fields.setdefault(key, []).append(value)
    return fields


def _first(fields: _Fields, name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None


def _joined(fields: _Fields, name: str) -> str | None:
    values = fields.get(name)
    return ", ".join(values) if values else None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _http_date(text: str) -> float | None:
    try:
        parsed = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.timestamp()
    except (OverflowError, ValueError, OSError):
        return None


def _retry_after(fields: _Fields, now: float) -> float | None:
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        millis = _number(_first(fields, name))
        if millis is not None:
            return max(millis, 0.0) / 1000.0
    text = _first(fields, "retry-after")
    if text is None:
        return None
    seconds = _number(text)
    if seconds is None:
        when = _http_date(text)
        if when is None:
            return None
        seconds = when - now
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _reset_seconds(value: float | None, now: float) -> float | None:
    """A reset given as a delay, an epoch timestamp or an epoch in milliseconds, as a delay."""
    if value is None:
        return None
    if value > _EPOCH_MILLISECONDS:
        value = value / 1000.0 - now
    elif value > _EPOCH_SECONDS:
        value -= now
    return max(value, 0.0)


def _positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 else None


def _count(value: float | None) -> float | None:
    return None if value is None else max(value, 0.0)


# Structured fields (RFC 8941), leniently: split lists on commas and parameters on semicolons,
# outside quoted strings. Good enough for the numbers we need; anything odd is skipped.


def _split(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def _members(text: str | None) -> list[tuple[str, dict[str, str]]]:
    """List members as (bare item, parameters with lower-cased keys)."""
    if text is None:
        return []
    members = []
    for member in _split(text, ","):
        head, *params = _split(member, ";") or [""]
        parsed: dict[str, str] = {}
        for param in params:
            key, _, value = param.partition("=")
            parsed.setdefault(key.strip().lower(), value.strip())
        members.append((head, parsed))
    return members


def _policies(text: str | None) -> list[_Quota]:
    """Quota policies: ``"name";q=100;w=1`` (newer) or ``100;w=1`` (older)."""
    quotas: list[_Quota] = []
    for head, params in _members(text):
        quota = _positive(_number(params["q"]) if "q" in params else _number(head))
        if quota is not None:
            quotas.append((quota, _positive(_number(params.get("w")))))
    return quotas


def _strictest(quotas: list[_Quota]) -> _Quota | None:
    """The policy allowing the fewest requests per second (any policy, if none has a window)."""
    windowed = [quota for quota in quotas if quota[1] is not None]
    if windowed:
        return min(windowed, key=lambda quota: quota[0] / (quota[1] or 1.0))
    return quotas[0] if quotas else None


def _tightest(lefts: list[_Left]) -> _Left | None:
    """The allowance leaving the fewest requests per second until its reset."""
    known = [left for left in lefts if left[0] is not None]
    if not known:
        return lefts[0] if lefts else None

    def per_second(left: _Left) -> tuple[float, float]:
        remaining, reset = left[0] or 0.0, left[1] or 0.0
        if remaining <= 0:
            return (0.0, -reset)
        return (remaining / reset if reset > 0 else math.inf, -reset)

    return min(known, key=per_second)


def _ietf(fields: _Fields, now: float) -> tuple[_Quota | None, _Left | None]:
    """``RateLimit-Policy`` and ``RateLimit``, structured-field items or the -06/-07 dictionary."""
    quota = _strictest(_policies(_joined(fields, "ratelimit-policy")))
    lefts: list[_Left] = []
    dictionary: dict[str, float] = {}
    for head, params in _members(_joined(fields, "ratelimit")):
        key, equals, value = head.partition("=")
        if equals:  # dictionary member: limit=100 / remaining=50 / reset=5
            number = _number(value)
            if number is not None:
                dictionary.setdefault(key.strip().lower(), number)
        elif "r" in params or "t" in params:  # item: "policy";r=50;t=30
            lefts.append(
                (_count(_number(params.get("r"))), _reset_seconds(_number(params.get("t")), now))
            )
    if dictionary:
        limit = _positive(dictionary.get("limit"))
        if quota is None and limit is not None:
            quota = (limit, None)
        lefts.append(
            (_count(dictionary.get("remaining")), _reset_seconds(dictionary.get("reset"), now))
        )
    return quota, _tightest(lefts)


def _limit_field(text: str | None) -> _Quota | None:
    """``RateLimit-Limit: 100`` or ``100, 100;w=1, 1000;w=3600`` (a quota-policy list)."""
    members = _policies(text)
    if not members:
        return None
    return _strictest(members) if any(window for _, window in members) else members[0]


def _ietf_old(fields: _Fields, now: float) -> tuple[_Quota | None, _Left | None]:
    quota = _limit_field(_joined(fields, "ratelimit-limit"))
    return quota, _left(fields, "ratelimit-remaining", "ratelimit-reset", now)


def _x_ratelimit(fields: _Fields, now: float) -> tuple[_Quota | None, _Left | None]:
    quota = _limit_field(_joined(fields, "x-ratelimit-limit"))
    return quota, _left(fields, "x-ratelimit-remaining", "x-ratelimit-reset", now)


def _left(fields: _Fields, remaining_name: str, reset_name: str, now: float) -> _Left | None:
    remaining = _count(_number(_head(_first(fields, remaining_name))))
    reset = _reset_seconds(_number(_head(_first(fields, reset_name))), now)
    if remaining is None and reset is None:
        return None
    return remaining, reset


def _head(text: str | None) -> str | None:
    """The first bare item of a numeric field (``"50"`` of ``"50, 50;w=1"``)."""
    return None if text is None else text.split(",", 1)[0].split(";", 1)[0]
