"""How the API v2 simulator reads requests and refuses them: NestJS-style JSON errors, a reader
that collects every problem of a body (as class-validator does), and cursor pagination.

What is assumed (the error bodies, what ``after`` is): ``_assumptions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from attrs import define, field

from ..._assumptions import PINCODE_PATTERN
from ...v2._assumptions import DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT
from .._wire import JSONObj, digits, instant

__all__ = ["Reader", "V2SimError", "flag", "not_found", "page_of", "parse_time", "read_contact"]

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
}


@define(slots=False)
class V2SimError(Exception):
    """A refusal: the status and one message or the list of them."""

    status: int
    message: str | list[str]
    headers: dict[str, str] = field(factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.message}"

    def body(self) -> JSONObj:
        return {
            "statusCode": self.status,
            "message": self.message,
            "error": _REASONS.get(self.status, "Error"),
        }


def not_found(what: str) -> V2SimError:
    return V2SimError(404, f"{what} not found")


def parse_time(value: object) -> float | None:
    """An ISO-8601 instant as epoch seconds; ``None`` when it is not one, or not one the wire
    can write back (``_wire.instant``)."""
    return instant(value)


class Reader:
    """Reads one JSON body field by field; ``done()`` refuses it with every problem found."""

    def __init__(self, body: object, *, where: str = "") -> None:
        self.problems: list[str] = []
        self.where = where
        if isinstance(body, Mapping):
            self.body: Mapping[str, object] = body
        else:
            self.body = {}
            self.problems.append(f"{where or 'body'} must be an object")

    def _name(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def has(self, name: str) -> bool:
        return self.body.get(name) is not None

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.problems.append(f"{self._name(name)} should not be empty")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.problems.append(f"{self._name(name)} must be a non-empty string")
            return None
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.problems.append(f"{self._name(name)} must be a boolean value")
            return None
        return value

    def integer(self, name: str, *, required: bool = False, minimum: int = 0) -> int | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.problems.append(f"{self._name(name)} should not be empty")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problems.append(f"{self._name(name)} must be an integer >= {minimum}")
            return None
        return value

    def time(self, name: str, *, required: bool = False) -> float | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.problems.append(f"{self._name(name)} should not be empty")
            return None
        parsed = parse_time(value)
        if parsed is None:
            self.problems.append(f"{self._name(name)} must be a valid ISO 8601 date string")
        return parsed

    def strings(self, name: str, *, required: bool = False) -> list[str] | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.problems.append(f"{self._name(name)} should not be empty")
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problems.append(f"{self._name(name)} must be an array of strings")
            return None
        if required and not value:
            self.problems.append(f"{self._name(name)} should not be empty")
        return list(value)

    def pincodes(self, name: str) -> list[str] | None:
        values = self.strings(name)
        if values is not None and not all(PINCODE_PATTERN.fullmatch(v) for v in values):
            self.problems.append(f"each value in {self._name(name)} must be 4 to 8 digits")
            return None
        return values

    def object(self, name: str, *, required: bool = False) -> Reader | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.problems.append(f"{self._name(name)} should not be empty")
            return None
        nested = Reader(value, where=self._name(name))
        if nested.problems:
            self.problems.extend(nested.problems)
            return None
        nested.problems = self.problems  # one list: problems inside count for the whole body
        return nested

    def done(self) -> None:
        if self.problems:
            raise V2SimError(400, list(self.problems))


def page_of(
    items: Sequence[JSONObj], query: Mapping[str, str], *, has_next: bool = True
) -> JSONObj:
    """``{after, limit, hasNext, data}`` for one page (``has_next=False``: no such field)."""
    problems: list[str] = []
    limit, skip = DEFAULT_PAGE_LIMIT, 0
    if "limit" in query:
        asked = digits(query["limit"])
        if asked is None or not 1 <= asked <= MAX_PAGE_LIMIT:
            problems.append(f"limit must be an integer from 1 to {MAX_PAGE_LIMIT}")
        else:
            limit = asked
    if query.get("after"):
        after = digits(query["after"])
        if after is None:
            problems.append("after must be a number string")
        else:
            skip = after
    if problems:
        raise V2SimError(400, problems)
    data = list(items[skip : skip + limit])
    page: JSONObj = {"after": str(skip + len(data)), "limit": limit}
    if has_next:
        page["hasNext"] = skip + len(data) < len(items)
    page["data"] = data
    return page


def flag(query: Mapping[str, str], name: str) -> bool | None:
    """A boolean query parameter (``true``/``false``); anything else is refused."""
    value = query.get(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise V2SimError(400, [f"{name} must be a boolean value"])
    return value == "true"


LANGUAGES = ("en", "fi", "sv", "de", "no", "fr")


def read_contact(reader: Reader, *, iloq: bool) -> JSONObj | None:
    """The ``contact`` of a body (``ContactInput``), checked; ``None`` when there is none."""
    contact = reader.object("contact")
    if contact is None:
        return None
    contact.string("name", required=True)
    for name in ("email", "phoneNumber", "language"):
        contact.string(name)
    if iloq:
        contact.string("iloqPersonId")
    elif contact.has("iloqPersonId"):
        reader.problems.append("contact.property iloqPersonId should not exist")
    for name in ("sendSms", "sendEmail"):
        contact.boolean(name)
    language = contact.body.get("language")
    if language is not None and language not in LANGUAGES:
        reader.problems.append(f"contact.language must be one of: {', '.join(LANGUAGES)}")
    notifications = contact.object("notifications")
    if notifications is not None:
        for event in notifications.body:
            channel = notifications.object(event)
            if channel is not None:
                channel.boolean("sms")
                channel.boolean("email")
    return dict(contact.body)
