"""Reading request bodies and parameters the way the service does, with its documented refusals.

Every rule module reads its input through these helpers, so the quirks are the same on every
route. Pure functions.

What the references leave open is assumed in ``_assumptions``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from ._assumptions import Assumed
from ._messages import Msg, SimError
from ._records import Contact
from ._vocabulary import LANGUAGES
from ._wire import MAX_DIGITS, JSONObj, digits, instant

__all__ = [
    "opt_bool",
    "opt_str",
    "parse_body",
    "parse_contacts",
    "parse_count",
    "parse_date",
    "parse_locker_index",
    "parse_pincode",
    "parse_recurrent",
    "require",
    "require_str",
    "truthy",
]

_PINCODE = re.compile(r"[0-9]{4,8}")
_CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def truthy(value: object) -> bool:
    """JavaScript truthiness: what the service's ``if (!body.x)`` checks see."""
    if value is None or value is False or value == "":
        return False
    return not (isinstance(value, int | float) and not isinstance(value, bool) and value == 0)


def require(body: Mapping[str, object], name: str, missing: str | None = None) -> object:
    """``body[name]``, or ``missing`` (``Missing <name> from parameters`` unless the route
    documents another message: ``keyId is required``)."""
    value = body.get(name)
    if not truthy(value):
        raise SimError(400, missing or Msg.missing(name))
    return value


def require_str(body: Mapping[str, object], name: str, missing: str | None = None) -> str:
    value = require(body, name, missing)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
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


def parse_body(body: object, missing: str = Msg.BODY_REQUIRED) -> dict[str, object]:
    """A non-empty JSON object, or ``missing`` (``body is required`` unless the route says
    otherwise: ``Missing contract parameters``)."""
    if not isinstance(body, dict) or not body:
        raise SimError(400, missing)
    return {str(k): v for k, v in body.items()}


def parse_contacts(value: object) -> list[Contact]:
    """``contacts``: ``[{name, email, phoneNumber, sendSms, sendEmail, language}]``, each
    field optional."""
    if not isinstance(value, list):
        raise SimError(400, Assumed.malformed("contacts"))
    contacts: list[Contact] = []
    for item in value:
        if not isinstance(item, dict):
            raise SimError(400, Assumed.malformed("contacts"))
        language = item.get("language") or "en-gb"
        if language not in LANGUAGES:
            raise SimError(400, Assumed.BAD_LANGUAGE)
        contacts.append(
            Contact(
                name=opt_str(item, "name"),
                email=opt_str(item, "email"),
                phone_number=opt_str(item, "phoneNumber"),
                send_sms=bool(opt_bool(item, "sendSms")),
                send_email=bool(opt_bool(item, "sendEmail")),
                language=str(language),
            )
        )
    return contacts


def parse_pincode(value: object) -> str | None:
    """An optional pincode of 4 to 8 digits (a number is read as its digits)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _PINCODE.fullmatch(value):
        raise SimError(400, Assumed.malformed("pincode"))
    return value


def parse_recurrent(value: object) -> list[JSONObj]:
    """``recurrent``: ``[{startTime: "08:00", endTime: "17:00", days: {"0": true, ...}}]``,
    kept as sent (absent or ``null``: no schedule)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise SimError(400, Assumed.malformed("recurrent"))
    schedules: list[JSONObj] = []
    for item in value:
        if not isinstance(item, dict):
            raise SimError(400, Assumed.malformed("recurrent"))
        times = (item.get("startTime"), item.get("endTime"))
        days = item.get("days")
        if not all(isinstance(t, str) and _CLOCK_TIME.fullmatch(t) for t in times) or not (
            isinstance(days, dict)
            and all(str(d) in "0123456" and len(str(d)) == 1 for d in days)
            and all(isinstance(on, bool) for on in days.values())
        ):
            raise SimError(400, Assumed.malformed("recurrent"))
        schedules.append(
            {
                "startTime": times[0],
                "endTime": times[1],
                "days": {str(d): on for d, on in days.items()},
            }
        )
    return schedules


def parse_date(value: object, name: str) -> float:
    """An ISO-8601 date as epoch seconds; one the wire cannot write back (past year 9999 in
    UTC, say) is as malformed as one that is not a date."""
    parsed = instant(value)
    if parsed is None:
        raise SimError(400, Assumed.bad_date(name))
    return parsed


def parse_locker_index(value: object) -> int:
    if isinstance(value, bool):
        raise SimError(400, Msg.MALFORMED_LOCKER_INDEX)
    if isinstance(value, int):
        index: int | None = value
    elif isinstance(value, str):
        index = digits(value.strip())
    else:
        index = None
    if index is None or not 0 <= index < 10**MAX_DIGITS:
        raise SimError(400, Msg.MALFORMED_LOCKER_INDEX)
    return index


def opt_locker_index(body: Mapping[str, object]) -> int | None:
    """``lockerIndex`` when the body gives one (absent or empty: let the device choose)."""
    value = body.get("lockerIndex")
    return None if value is None or value == "" else parse_locker_index(value)


def parse_count(value: str, name: str, *, minimum: int) -> int:
    count = digits(value)
    if count is None or count < minimum:
        raise SimError(400, Assumed.malformed(name))
    return count
