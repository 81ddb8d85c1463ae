"""Every guess the API v2 simulator makes where Livion's material is silent, in one place.

Livion's ``livionkey-api`` repository (the signature examples, ``types/api.ts`` generated from the
v2 OpenAPI document, the PMS integration examples) settles the paths, the shapes, the rules each
operation states and the few messages it gives (:class:`Documented`). What it leaves open is
listed here, with the module that applies it; the client's own guesses are in
``livionkey_async/v2/_assumptions.py``.

Behaviour:

- Signatures (``_signature``): the URL checked is rebuilt from the request as received (scheme,
  ``Host``, the raw request target); a timestamp more than ``timestamp_tolerance`` (five minutes)
  from the clock is refused; every refusal is a 401.
- Errors and pages (``_input``): NestJS-style ``{"statusCode", "message", "error"}`` bodies,
  validation failures listing every problem; ``after`` is the number of items to skip, answered
  as a string; the access-rights list has no ``hasNext``.
- Automats (``_automat_rules``): installing a LivionKey20 needs an organization unit with an iLOQ
  API user (the one given, or the calling account's); an installed automat waits for its
  installer until ``install_delay`` has passed, then is active (a LivionKey20 stocked with iLOQ
  keys); ``replace`` has no body and gives a new hardware id; ``sendPincode`` hands over the key
  waiting under the pincode in an ongoing contract, or answers ``success: false`` with a reason.
- iLOQ contracts (``_iloq_rules``): a key is taken for its contract's whole time (another
  contract may have it before or after); a return-only contract takes no automat key; the list's
  ``ongoing``/``ended``/``future`` flags add up (none given: every contract); a handover needs an
  active LivionKey20; an unknown access right is a 400.
- Mechanical keys and contracts (``_mechanical_rules``): a contract id already taken and a private
  key already under another contract at an overlapping time are 409s; the other documented rules
  are 400s; a key created in an automat takes its first free locker.
- Organization (``_organization_rules``): a device group's members are the automats that list it,
  and deleting a group takes it off them; ``type`` 0 (an organization) is a 403; a new service
  account gets a fresh RSA key whose private half is answered once and kept nowhere; a deleted
  account's signatures are refused.
- Rate limit (``_app``): the V1 simulator's per-account token bucket, keyed by service account;
  its 429 body is NestJS's throttler's.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

__all__ = ["Assumed", "Documented"]


class Documented:
    """The words ``types/api.ts`` gives for the failures it documents."""

    NO_KEYS = "No device(s) with requested number of keys available for the handover"
    OVERLAP = "Overlapping contract"
    KEY_EXISTS = "Key already exists with the same keyId"


class Assumed:
    """The words of the failures the reference lists without words, or not at all."""

    MISSING_HEADERS = "Missing x-service-account-id, x-timestamp or x-signature header"
    UNKNOWN_ACCOUNT = "Unknown service account"
    STALE = "Request timestamp is outside the allowed window"
    BAD_SIGNATURE = "Invalid signature"
    THROTTLED = "ThrottlerException: Too Many Requests"
    BAD_JSON = "Unexpected token in JSON body"
    NO_ILOQ_USER = "The organization unit has no iLOQ API user: a LivionKey20 needs one"
    NOT_ACTIVE = "AUTOMAT_NOT_ACTIVE"  # sendPincode's reason
    PINCODE_NOT_FOUND = "PINCODE_NOT_FOUND"  # sendPincode's reason
    ILOQ_IN_USE: ClassVar[Mapping[int, str]] = MappingProxyType(
        {
            1: "Contract cannot be deleted: a key has been fetched but not yet returned",
            2: "Contract cannot be deleted: some keys have been fetched while others wait",
            3: "Contract cannot be deleted: some keys have been returned while others wait",
        }
    )
    CONTRACT_EXISTS = "Contract already exists with the same id"
    MECHANICAL_IN_USE = ILOQ_IN_USE[1]
    SHARED_NEEDS_AUTOMAT = "Only keys stored in a device can be shared"
    KEY_HAS_CONTRACTS = "The key has active contracts (set deleteActiveContracts)"
    MIXED_KEYS = "KeyAutomat and manual storage keys cannot be mixed"
    VERIFICATION_LOCKED = "Verification cannot be changed: a key has been fetched"
    NO_FREE_LOCKERS = "No free lockers"
    ORGANIZATION_FORBIDDEN = "Only special users can create an organization"

    @staticmethod
    def not_iloq(automat_id: str) -> str:
        return f"Automat {automat_id} is not a LivionKey20 (iLOQ)"

    @staticmethod
    def key_overlap(key_id: str) -> str:
        return f"{Documented.OVERLAP} for key {key_id}"

    @staticmethod
    def key_not_found(key_id: str) -> str:
        return f"Key {key_id} not found"

    @staticmethod
    def unknown_access_right(right_id: str) -> str:
        return f"Unknown access right id: {right_id}"

    @staticmethod
    def key_in_automat(key_id: str) -> str:
        return f"Key {key_id} is in an automat, not out to be returned"
