"""The wire's formats: ISO-8601 dates with milliseconds, the login's HTTP-date, compact JSON,
and the plain-text acknowledgements many writes answer with.

Every answer the simulator builds writes times and JSON the same way the service does; these
helpers are that one way.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import formatdate

__all__ = ["JSONObj", "Text", "dumps", "http_date", "iso"]

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
