"""What the preflight reads from iLOQ: a locking system (``LockGroups``) and its option bits.

Only the fields the checks use are kept; the rest of iLOQ's answer is tolerated and dropped.
"""

from __future__ import annotations

from attrs import frozen

__all__ = [
    "API_ACCESS_RIGHTS",
    "FIVE_SERIES",
    "PUBLIC_API_IN_USE",
    "LockGroup",
]

# OptionMask bits (iLOQ's LockGroup documentation).
PUBLIC_API_IN_USE = 2048  # "Is Public API in use"
API_ACCESS_RIGHTS = 16384  # "Can locking system use API access rights"
FIVE_SERIES = 65536  # "Is 5 Series locking system in use"


@frozen
class LockGroup:
    """One locking system the API user may use. ``state``: 0 active, 1 not in use."""

    lock_group_id: str
    name: str = ""
    option_mask: int = 0
    state: int = 0

    @property
    def public_api(self) -> bool:
        return bool(self.option_mask & PUBLIC_API_IN_USE)

    @property
    def api_access_rights(self) -> bool:
        return bool(self.option_mask & API_ACCESS_RIGHTS)

    @property
    def five_series(self) -> bool:
        return bool(self.option_mask & FIVE_SERIES)

    @property
    def active(self) -> bool:
        return self.state == 0

    @property
    def label(self) -> str:
        """How a report names it: its name, or its id when it has none."""
        return self.name or self.lock_group_id
