"""The wire's formats: ISO-8601 dates with milliseconds, the login's HTTP-date, compact JSON,
and the plain-text acknowledgements many writes answer with.

Every answer the simulator builds writes times and JSON the same way the service does; these
helpers are that one way. They are also the one way it reads them, refusing whatever it could
not write back: a body is JSON as JavaScript's ``JSON.parse`` reads it (no ``NaN`` or
``Infinity``, a number of any length a double, possibly infinite), as valid Unicode and at most
``MAX_DEPTH`` deep; a date lies within the years 1 to 9999 in UTC; a number in a path or a query
has at most ``MAX_DIGITS`` ASCII digits. Anything else is a ``NotJSON`` or ``None`` for the
caller to refuse with a 4xx: never a ``ValueError`` from deep inside, never a value stored that
would break every later answer that shows it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import formatdate

__all__ = [
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_INSTANT",
    "MIN_INSTANT",
    "JSONObj",
    "NotJSON",
    "Text",
    "digits",
    "dumps",
    "http_date",
    "instant",
    "iso",
    "read_json",
]

JSONObj = dict[str, object]


class Text(str):
    """A plain-text answer (``Key updated``), sent as it is rather than as a JSON string."""

    __slots__ = ()


def dumps(obj: object) -> str:
    """JSON without spaces, as the service sends it."""
    return json.dumps(obj, separators=(",", ":"))


def iso(ts: float) -> str:
    """Epoch seconds as the wire's ISO-8601 UTC with milliseconds: ``2026-10-01T12:00:00.000Z``."""
    text = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def http_date(ts: float) -> str:
    """Epoch seconds as an HTTP-date (the login's ``expirationTime``)."""
    return formatdate(ts, usegmt=True)


# The instants ``iso`` can write: the years 1 to 9999, in UTC.
MIN_INSTANT = datetime(1, 1, 1, tzinfo=UTC).timestamp()
MAX_INSTANT = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)).timestamp()
MAX_DEPTH = 64
"""Nesting a JSON body may have: far more than any request of the API needs."""
MAX_DIGITS = 15
"""Digits a number in a path or a query may have (a locker index, a page size, a cursor)."""

_INTEGER_DIGITS = 16  # longer integers are read as doubles, as JSON.parse reads them
_DIGITS = re.compile(f"[0-9]{{1,{MAX_DIGITS}}}")


class NotJSON(ValueError):
    """A body the service's JSON reader refuses; the message says why, never what it held."""


def _refuse_constant(name: str) -> object:
    raise NotJSON(f"{name} is not JSON")


def _number(text: str) -> int | float:
    return int(text) if len(text.lstrip("-")) <= _INTEGER_DIGITS else float(text)


def read_json(raw: bytes) -> object:
    """``raw`` decoded as the service's JSON reader would, or ``NotJSON``: not UTF-8, not JSON,
    ``NaN``/``Infinity``, nested deeper than ``MAX_DEPTH``, or text that is not valid Unicode
    (a lone surrogate escaped as ``\\ud800``, which no database would store)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotJSON("the body is not UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_int=_number)
    except NotJSON:
        raise
    except RecursionError:
        raise NotJSON(f"the body is nested more than {MAX_DEPTH} deep") from None
    except ValueError:
        raise NotJSON("the body is not JSON") from None
    if _deeper_than(data, MAX_DEPTH):
        raise NotJSON(f"the body is nested more than {MAX_DEPTH} deep")
    if "\\u" in text:  # an escape may have made a lone surrogate
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise NotJSON("the body holds text that is not valid Unicode") from None
    return data


def _deeper_than(data: object, limit: int) -> bool:
    """Whether arrays and objects nest in ``data`` more than ``limit`` deep (no recursion)."""
    level: list[object] = [data]
    for _ in range(limit):
        level = [
            member
            for item in level
            if isinstance(item, list | dict)
            for member in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return any(isinstance(item, list | dict) for item in level)


def instant(value: object) -> float | None:
    """An ISO-8601 date (``Z`` or an offset; none: UTC) as epoch seconds, or ``None`` when it
    is not one or lies outside what the wire can write (the years 1 to 9999 in UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        seconds = (parsed - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(seconds=1)
    except (OverflowError, ValueError):
        return None
    return seconds if MIN_INSTANT <= seconds <= MAX_INSTANT else None


def digits(text: str) -> int | None:
    """A number written in at most ``MAX_DIGITS`` ASCII digits (``"²"`` or a thousand digits
    are not one), or ``None``."""
    return int(text) if _DIGITS.fullmatch(text) else None
