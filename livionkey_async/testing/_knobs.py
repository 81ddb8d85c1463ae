"""What a simulator's knob may be set to: the checks every setting passes, wherever it comes from.

A knob is set from Python (``SimConfig``, ``Faults``, ``configure``), from the control plane's
JSON, or from the command line; a value none of them should take (``latency: 1e999``, a ``NaN``
rate, a negative count, ``"3"`` for a number) must be refused there, with a ``ValueError``
naming the knob, never applied: an infinite latency would hold every later request for good.
The checks are plain functions, and ``attrs`` validators made from them. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = [
    "MAX_COUNT",
    "MAX_RATE",
    "MAX_SECONDS",
    "boolean",
    "count",
    "integer",
    "number",
    "positive",
    "positive_count",
    "probability",
    "rate",
    "seconds",
]

MAX_SECONDS = 1e8
"""No duration is longer than about three years (latency, timeouts, token lifetimes, windows):
finite, and a time this far from now is still a date the wire can write."""
MAX_RATE = 1_000_000.0
"""Requests per second: more is no limit at all."""
MAX_COUNT = 1_000_000
"""Counts (devices, keys, bursts, attempts): enough for any test, small enough to seed."""

Validator = Callable[[Any, Any, Any], None]


def number(name: str, value: object, *, low: float, high: float, open_low: bool = False) -> float:
    """``value`` as a finite float within ``low..high`` (above ``low`` when ``open_low``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, not {type(value).__name__}")
    try:
        result = float(value)
    except OverflowError:  # an integer too large for a float
        raise ValueError(f"{name} must be within {low:g}..{high:g}") from None
    below = result <= low if open_low else result < low
    if not math.isfinite(result) or below or result > high:
        bound = f"above {low:g} and at most {high:g}" if open_low else f"within {low:g}..{high:g}"
        raise ValueError(f"{name} must be {bound}, not {value!r}")
    return result


def integer(name: str, value: object, *, low: int, high: int = MAX_COUNT) -> int:
    """``value`` as an int within ``low..high`` (a bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be within {low}..{high}")
    return value


def _field(check: Callable[[str, object], object]) -> Validator:
    """An ``attrs`` validator running ``check`` on the field's value (``None`` passes: a field
    that may be unset says so in its type)."""

    def validate(_: object, attribute: Any, value: object) -> None:
        if value is not None:
            check(getattr(attribute, "name", "value"), value)

    return validate


def _probability(name: str, value: object) -> float:
    return number(name, value, low=0.0, high=1.0)


def _seconds(name: str, value: object) -> float:
    return number(name, value, low=0.0, high=MAX_SECONDS)


def _positive(name: str, value: object) -> float:
    return number(name, value, low=0.0, high=MAX_SECONDS, open_low=True)


def _rate(name: str, value: object) -> float:
    return number(name, value, low=0.0, high=MAX_RATE, open_low=True)


def _boolean(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be a boolean, not {type(value).__name__}")
    return value


def _count(name: str, value: object) -> int:
    return integer(name, value, low=0)


def _positive_count(name: str, value: object) -> int:
    return integer(name, value, low=1)


probability = _field(_probability)
"""A chance: 0 to 1."""
seconds = _field(_seconds)
"""A duration: 0 to ``MAX_SECONDS``."""
positive = _field(_positive)
"""A duration that must be above zero, at most ``MAX_SECONDS``."""
rate = _field(_rate)
"""Requests per second: above zero, at most ``MAX_RATE``."""
count = _field(_count)
"""A count: 0 to ``MAX_COUNT``."""
positive_count = _field(_positive_count)
"""A count of at least one."""
boolean = _field(_boolean)
"""``True`` or ``False``, nothing merely truthy."""
