"""Every guess about iLOQ's Public API v2 that its public documentation does not settle.

Facts (paths, field names, ``Result`` codes, ``OptionMask`` and ``RightsMask`` bits) come from
iLOQ's OpenAPI documentation for 5 Series; what is inferred about the API's behaviour lives here,
so the day the real service says otherwise there is one line to change. Two guesses about words
rather than behaviour are marked where they live: LivionKey's names of the rights matched to
iLOQ's bits (``_rights``) and where iLOQ Manager allows API access rights (``_advice``).
"""

from __future__ import annotations

__all__ = [
    "ERROR_MESSAGE_FIELDS",
    "KILL_GONE_STATUSES",
    "SET_LOCKGROUP_PATH",
]

# iLOQ's documentation says the Public API must be in use for API calls on a locking system, so
# ``SetLockgroup`` is assumed to refuse one where it is not: the preflight reports "Public API in
# use" as failed and skips the login and the twelve rights there rather than trying them.

# The OpenAPI spells it ``SetLockgroup``; some public integrations call ``SetLockGroup``, so the
# routing is assumed case-insensitive (ASP.NET's is). We send the documented spelling.
SET_LOCKGROUP_PATH = "SetLockgroup"

# Error bodies are not documented. ASP.NET Web API answers ``{"Message": "..."}`` (public
# integrations read ``.Message``); the others are read too, in this order, case-insensitively.
ERROR_MESSAGE_FIELDS = ("message", "exceptionmessage", "error", "error_description")

# ``KillSession`` for a session the server no longer knows (expired, or killed by an earlier
# attempt whose answer was lost) is assumed to answer 401 or 404: the session is gone, as wanted.
KILL_GONE_STATUSES = frozenset({401, 404})
