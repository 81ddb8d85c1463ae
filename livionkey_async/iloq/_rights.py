"""The twelve iLOQ usage rights LivionKey needs, and where each sits in iLOQ's ``RightsMask``.

``SetLockgroup`` answers the API user's rights in a locking system as one 64-bit mask. The bit
values are iLOQ's (its Public API v2 rights list); the labels are what LivionKey's set-up guide
asks the integrator to tick in iLOQ Manager. Matching the two is inferred (see
``_assumptions``). Pure data.
"""

from __future__ import annotations

from attrs import frozen

__all__ = ["RIGHTS", "Right", "missing_rights"]


@frozen
class Right:
    """One usage right: ``key`` (a stable identifier), ``label`` (as iLOQ Manager's user dialog
    names it in LivionKey's guide), ``needed_for`` (what LivionKey does with it), ``bit`` (its
    value in ``RightsMask``) and ``iloq_name`` (iLOQ's API documentation's name for that bit)."""

    key: str
    label: str
    needed_for: str
    bit: int
    iloq_name: str


RIGHTS: tuple[Right, ...] = (
    Right("log_in", "Right to log in to the system", "viewing real estates", 1,
          "Right to log in to iLOQ Manager"),
    Right("browse_keys", "Right to browse keys", "viewing keys", 512,
          "Right to view key list"),
    Right("browse_locks", "Right to browse locks", "viewing locks", 1_073_741_824,
          "Right to browse lock list"),
    Right("administrate", "Right to administrate the locking system",
          "webhooks and network modules", 2_147_483_648,
          "Right to administrate locking system"),
    Right("order_keys", "Right to order keys", "ordering keys", 34_359_738_368,
          "Right to order keys"),
    Right("edit_keys", "Right to edit keys", "editing keys", 524_288,
          "Right to edit keys"),
    Right("browse_access_rights", "Right to browse access rights",
          "listing the access rights a key can get", 2_097_152,
          "Right to view security access list"),
    Right("edit_key_access", "Right to edit access rights of keys",
          "changing a key's access rights", 33_554_432,
          "Right to edit key access"),
    Right("code_access_groups", "Right to manage code-access groups",
          "pincodes on online readers", 1_125_899_906_842_624,
          "Right to edit code groups"),
    Right("door_calendars", "Right to edit door calendar controls",
          "pincodes on online readers", 2_251_799_813_685_248,
          "Right to edit doors' calendar controls"),
    Right("browse_person_roles", "Right to browse person roles",
          "pincodes on online readers", 32_768,
          "Right to view person role list"),
    Right("edit_person_groups", "Right to edit person groups",
          "pincodes on online readers", 16_384,
          "Right to edit person roles"),
)  # fmt: skip


def missing_rights(rights_mask: int) -> tuple[Right, ...]:
    """The needed rights whose bit is not set in ``rights_mask``, in :data:`RIGHTS` order."""
    return tuple(right for right in RIGHTS if not rights_mask & right.bit)
