"""A forgiving JSON reader for the slips found in Livion's own published answers.

Three of Livion's documented success examples are not strict JSON: a comma missing between two
members (``POST /contracts``, ``POST /accessrights``) and an array closing an object that was
never closed (``GET /devices/:id/accessrights``: ``[{"id": "123456"]``). A service written from
those examples may answer the same way, so a 2xx body that strict JSON refuses is read once more
here, forgiving exactly those two slips (and a trailing comma), before it is given up on. It
is never on the hot path: strict ``json.loads`` runs first. Pure, no I/O, depth-bounded.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["loads_lenient"]

MAX_DEPTH = 64

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_SPACE = re.compile(r"\s*")
_LITERALS = {"true": True, "false": False, "null": None}


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _skip(self) -> str:
        self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
        return self.text[self.pos : self.pos + 1]

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ValueError("nested too deeply")
        char = self._skip()
        if char == "{":
            return self._container(depth, "}", "]", self._member, {})
        if char == "[":
            return self._container(depth, "]", "}", self._element, [])
        if char == '"':
            text, self.pos = json.decoder.scanstring(self.text, self.pos + 1)  # type: ignore[attr-defined]
            return text
        for word, literal in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return literal
        number = _NUMBER.match(self.text, self.pos)
        if number is None:
            raise ValueError(f"unexpected {char!r} at offset {self.pos}")
        self.pos = number.end()
        return json.loads(number.group())

    def _member(self, into: dict[str, Any], depth: int) -> None:
        if self._skip() != '"':
            raise ValueError(f"expected a member name at offset {self.pos}")
        name = self.value(depth)
        if self._skip() != ":":
            raise ValueError(f"expected ':' at offset {self.pos}")
        self.pos += 1
        into[name] = self.value(depth + 1)

    def _element(self, into: list[Any], depth: int) -> None:
        into.append(self.value(depth + 1))

    def _container(self, depth: int, close: str, other: str, item: Any, into: Any) -> Any:
        self.pos += 1
        while True:
            char = self._skip()
            if char == close:
                self.pos += 1
                return into
            if char == other:
                # The other kind of bracket: this container was left open; the bracket belongs
                # to the enclosing one, so it is not consumed here.
                return into
            if char == ",":  # a comma is optional between items, and may trail
                self.pos += 1
                continue
            if not char:
                raise ValueError("the body ends inside a container")
            item(into, depth)


def loads_lenient(text: str) -> Any:
    """``text`` read as JSON, forgiving missing and trailing commas and a mismatched closing
    bracket; raises ``ValueError`` for anything else (and for nesting deeper than 64)."""
    reader = _Reader(text)
    value = reader.value(0)
    if reader._skip():
        raise ValueError(f"unexpected text after the value at offset {reader.pos}")
    return value
