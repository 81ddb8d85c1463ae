"""The failure messages the wire contract does not give: guesses, kept in one place to correct.

The real service must say something when a field is malformed, a date unreadable, a page too big
or a language unknown, but its documentation does not say what. When the real text is known,
change it here and nowhere else.
"""

from __future__ import annotations

from ._vocabulary import LANGUAGES

__all__ = ["Assumed"]


class Assumed:
    """Messages the wire contract does not document; one place to correct them."""

    @staticmethod
    def malformed(field_name: str) -> str:
        return f"malformed {field_name}"

    @staticmethod
    def bad_date(field_name: str) -> str:
        return f"{field_name} is not a valid date"

    LIMIT_TOO_BIG = "limit is too big"
    BAD_LANGUAGE = "language must be one of " + ", ".join(LANGUAGES)
