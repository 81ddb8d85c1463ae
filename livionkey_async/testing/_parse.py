"""Reading request bodies and parameters the way the service does, with its documented refusals.

Every rule module reads its input through these helpers, so the quirks are the same on every
route. Pure functions.

Assumed (the wire contract leaves it open): missing query parameters answer ``<field> is
required``; missing body fields ``Missing <field> from parameters``; "missing" follows JavaScript
truthiness, as the service's ``if (!body.x)`` checks see it (absent, ``null``, ``""``, ``false``
and ``0`` are missing; ``[]`` is not, so an empty ``devices`` is ``No devices``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from ._assumed_messages import Assumed
from ._messages import Msg, SimError

__all__ = [
    "opt_bool",
    "opt_str",
    "parse_body",
    "parse_count",
    "parse_date",
    "parse_locker_index",
    "require",
    "require_str",
    "truthy",
]

_DIGITS = re.compile(r"[0-9]+")


def truthy(value: object) -> bool:
    """JavaScript truthiness: what the service's ``if (!body.x)`` checks see."""
    if value is None or value is False or value == "":
        return False
    return not (isinstance(value, int | float) and not isinstance(value, bool) and value == 0)


def require(body: Mapping[str, object], name: str) -> object:
    value = body.get(name)
    if not truthy(value):
        raise SimError(400, Msg.missing(name))
    return value


def require_str(body: Mapping[str, object], name: str) -> str:
    value = require(body, name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise SimError(400, Assumed.malformed(name))
    return value


def opt_str(body: Mapping[str, object], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SimError(400, Assumed.malformed(name))
    return value


def opt_bool(body: Mapping[str, object], name: str) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise SimError(400, Assumed.malformed(name))
    return value


def parse_body(body: object) -> dict[str, object]:
    """A non-empty JSON object, or ``body is required``."""
    if not isinstance(body, dict) or not body:
        raise SimError(400, Msg.BODY_REQUIRED)
    return {str(k): v for k, v in body.items()}


def parse_date(value: object, name: str) -> float:
    if not isinstance(value, str):
        raise SimError(400, Assumed.bad_date(name))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise SimError(400, Assumed.bad_date(name)) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def parse_locker_index(value: object) -> int:
    if isinstance(value, bool):
        raise SimError(400, Msg.MALFORMED_LOCKER_INDEX)
    if isinstance(value, int):
        index = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        index = int(value.strip())
    else:
        raise SimError(400, Msg.MALFORMED_LOCKER_INDEX)
    if index < 0:
        raise SimError(400, Msg.MALFORMED_LOCKER_INDEX)
    return index


def opt_locker_index(body: Mapping[str, object]) -> int | None:
    """``lockerIndex`` when the body gives one (absent or empty: let the device choose)."""
    value = body.get("lockerIndex")
    return None if value is None or value == "" else parse_locker_index(value)


def parse_count(value: str, name: str, *, minimum: int) -> int:
    if not _DIGITS.fullmatch(value) or int(value) < minimum:
        raise SimError(400, Assumed.malformed(name))
    return int(value)
