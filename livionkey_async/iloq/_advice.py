"""What each failure means and how to fix it, in iLOQ Manager's own words.

The menu paths and labels are those of LivionKey's iLOQ set-up guide and iLOQ's API
documentation ("Edit locking system information" → "Settings" → "Public API in use"; "Edit Lock
Settings and Access Rights" → "Allow API Access Rights"; the usage rights of a user). Where the
guide is silent the wording says so (ask iLOQ) rather than invent a menu. Pure text.
"""

from __future__ import annotations

from .._errors import LivionKeyError, RateLimitedError, ServerError, TransportError
from ._errors import TlsError
from ._rights import Right

__all__ = [
    "ADDRESS_FIX",
    "API_ACCESS_RIGHTS_FIX",
    "CONTACT_ILOQ",
    "LOGIN_FIX",
    "NO_LOCKING_SYSTEM_FIX",
    "PUBLIC_API_FIX",
    "TLS_FIX",
    "TRY_AGAIN",
    "fix_for",
    "right_fix",
    "session_result",
]

LOGIN_SCREEN = "the iLOQ Manager login screen (press the settings icon)"
ADDRESS_FIX = (
    f"Use the service address shown on {LOGIN_SCREEN}, for example "
    "https://s5.iloq.com/iloqws, and check that this machine can reach it."
)
TLS_FIX = (
    "The server's certificate could not be verified, and credentials are never sent without "
    f"that: check the service address against {LOGIN_SCREEN}, and this machine's clock and CA "
    "certificates."
)
TRY_AGAIN = (
    "iLOQ's service did not answer properly: try again later; if it persists, contact iLOQ API "
    "support (api.support@iloq.com) with your service code."
)
CONTACT_ILOQ = "Contact iLOQ API support (api.support@iloq.com) with your service code."
PUBLIC_API_FIX = (
    'In iLOQ Manager: Administration tab → "Edit locking system information" → "Settings" '
    '(bottom right) → enable "Public API in use".'
)
# The first sentence is inferred: OptionMask 16384 ("can locking system use API access rights")
# is a locking-system setting whose place in iLOQ Manager the public guides do not name.
API_ACCESS_RIGHTS_FIX = (
    "The locking system cannot use API access rights: in iLOQ Manager, look under "
    'Administration tab → "Edit locking system information" → "Settings", or ask iLOQ to '
    "enable them. Then, for each lock the automat's keys must open: right-click → \"Edit Access "
    'Rights" → "Edit Lock Settings and Access Rights" → enable "Allow API Access Rights"; and '
    'duplicate the access rights the keys need with API access "on" (keep the old ones).'
)
NO_LOCKING_SYSTEM_FIX = (
    "In iLOQ Manager, give the API user access to the locking system the automat serves "
    "(Administration tab → the API user)."
)
LOGIN_FIX = (
    "Check that the locking system is in use, and that the API user may log in to it: in iLOQ "
    'Manager, open the API user (Administration tab) and select "Right to log in to the system".'
)
_LOCKED_FIX = (
    "Wait until the lockout ends, or ask an iLOQ Manager administrator to unlock the API user "
    "(Administration tab); check the password before trying again."
)
_SESSION_RESULTS: dict[int, tuple[str, str]] = {
    0: ("iLOQ answered without a result (Result 0).", CONTACT_ILOQ),
    2: ("The server does not accept this interface version (Result 2).", CONTACT_ILOQ),
    3: (
        "iLOQ requires a secure HTTPS connection (Result 3).",
        f"Use the https:// service address shown on {LOGIN_SCREEN}.",
    ),
    4: (
        "A database update is in progress on the server; logins are disabled until it ends "
        "(Result 4).",
        "Nothing to change: try again later.",
    ),
    5: (
        "iLOQ refused the service code, the user name or the password (Result 5).",
        f"Check the service code on {LOGIN_SCREEN}, and the API user's User ID and password in "
        "iLOQ Manager (Administration tab). Passwords are case-sensitive.",
    ),
    6: (
        "The locking system's database is too old for this server: the service address is "
        "wrong (Result 6).",
        ADDRESS_FIX,
    ),
    7: (
        "The API user has been locked out after too many failed logins (Result 7).",
        _LOCKED_FIX,
    ),
    8: (
        "The login was ignored: the API user is locked out after too many failed logins "
        "(Result 8).",
        _LOCKED_FIX,
    ),
    9: (
        "The API user's password has expired, or a reset was requested (Result 9).",
        "In iLOQ Manager, set a new password for the API user (Administration tab), and do not "
        "set a password expiration: when it expires, the integration stops working.",
    ),
    10: (
        "The login was cancelled (single sign-on, Result 10).",
        "Use an API user that logs in with a User ID and password, not single sign-on.",
    ),
    11: (
        "The locking system's database is too new for this server: the service address is "
        "wrong (Result 11).",
        ADDRESS_FIX,
    ),
}


def session_result(result: int | None) -> tuple[str, str]:
    """``CreateSession``'s ``Result`` as a sentence, and what to do about it."""
    if result in _SESSION_RESULTS:
        return _SESSION_RESULTS[result]
    return (f"iLOQ refused the session with an undocumented Result ({result}).", CONTACT_ILOQ)


def right_fix(right: Right) -> str:
    return (
        "In iLOQ Manager, open the API user (Administration tab) and, under its usage rights, "
        f'select "{right.label}" (needed for {right.needed_for}).'
    )


def fix_for(error: LivionKeyError, otherwise: str) -> str:
    """A certificate that cannot be verified is fixed at the server, whatever step it hit; a
    network or server failure by trying again."""
    if isinstance(error, TlsError):
        return TLS_FIX
    if isinstance(error, TransportError | ServerError | RateLimitedError):
        return TRY_AGAIN
    return otherwise
