"""iLOQ's fixed vocabulary as the simulator serves it: endpoints, option bits, rights bits.

Kept apart from the client on purpose (the simulator pins the wire, the client reads it): these
are iLOQ's documented values (Public API v2 for 5 Series), under short keys the knobs use.
"""

from __future__ import annotations

__all__ = [
    "ENDPOINTS",
    "OPTION_API_ACCESS_RIGHTS",
    "OPTION_FIVE_SERIES",
    "OPTION_PUBLIC_API",
    "OTHER_RIGHTS",
    "RIGHT_BITS",
    "endpoint_key",
]

# The session-flow endpoints (path under api/v2/, matched case-insensitively) and their methods.
ENDPOINTS: dict[str, str] = {
    "Url/GetUrl": "POST",
    "CreateSession": "POST",
    "LockGroups": "GET",
    "SetLockgroup": "POST",
    "KillSession": "GET",
}

# LockGroup.OptionMask bits.
OPTION_PUBLIC_API = 2048  # Is Public API in use
OPTION_API_ACCESS_RIGHTS = 16384  # Can locking system use API access rights
OPTION_FIVE_SERIES = 65536  # Is 5 Series locking system in use
OPTION_OTHERS = 2 | 4  # zones and real estates in use: present in a typical system

# SetLockgroup.RightsMask bits of the rights LivionKey asks for (iLOQ's names in comments).
RIGHT_BITS: dict[str, int] = {
    "log_in": 1,  # Right to log in to iLOQ Manager
    "browse_keys": 512,  # Right to view key list
    "browse_locks": 1073741824,  # Right to browse lock list
    "administrate": 2147483648,  # Right to administrate locking system
    "order_keys": 34359738368,  # Right to order keys
    "edit_keys": 524288,  # Right to edit keys
    "browse_access_rights": 2097152,  # Right to view security access list
    "edit_key_access": 33554432,  # Right to edit key access
    "code_access_groups": 1125899906842624,  # Right to edit code groups
    "door_calendars": 2251799813685248,  # Right to edit doors' calendar controls
    "browse_person_roles": 32768,  # Right to view person role list
    "edit_person_groups": 16384,  # Right to edit person roles
}
# Rights a typical API user holds besides (view person list, person/lock/key tools).
OTHER_RIGHTS = 2 | 8 | 16 | 32


def endpoint_key(name: str) -> str:
    """The canonical endpoint for a path or a knob's name, any case (``geturl`` → ``Url/GetUrl``);
    ``ValueError`` for an unknown one."""
    wanted = name.strip().strip("/").lower()
    for endpoint in ENDPOINTS:
        if wanted in (endpoint.lower(), endpoint.rsplit("/", 1)[-1].lower()):
            return endpoint
    raise ValueError(f"unknown iLOQ endpoint {name!r} (one of: {', '.join(ENDPOINTS)})")
