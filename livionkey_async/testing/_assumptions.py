"""Every guess the simulator makes where Livion's documents are silent, in one place.

Livion's references (``legacy/apidoc-livionkey30``, ``legacy/apidoc-livionkeypad`` and
``legacy/README.md`` in its ``livionkey-api`` repository) settle the shapes, the words and the
statuses the simulator answers with (``_messages`` holds the documented words). What they leave
open is listed here; when the real service says otherwise, correct it here and in the module
named beside it.

Behaviour:

- Logins (``_auth_rules``): every login issues a new token (``forceRefresh`` changes nothing);
  the login throttle counts every attempt, failed ones included, per email over a sliding window.
- Ownership (``_store``): a device, contract or access right of another account answers ``401``
  (the README's "no access to that resource").
- Missing fields (``_parse``): "missing" follows JavaScript truthiness, as a service's
  ``if (!body.x)`` sees it (absent, ``null``, ``""``, ``false`` and ``0`` are missing; ``[]`` is
  not, so an empty ``devices`` is ``No devices``).
- Devices (``_device_rules``): a ``keypad`` or ``key20`` gets the unknown-device answer from every
  V1 key and contract route, while ``GET /devices/{id}`` describes it and ``GET /devices`` lists it
  when asked for its product; ``products`` is read as a repeated or a comma-separated parameter;
  ``pageInfo.end`` is the exclusive offset of the page's end; locker states are
  ``lockerWithKey``, ``lockerWithoutKey`` and ``lockerEmpty``; a device without contracts lists
  ``[]``; connection states are ``connected`` and ``disconnected``, and a device may be ``busy``.
- Keys (``_key_rules``): key ids are unique per device; ``GET /keys/{id}`` without ``deviceId``
  answers the first match in device order; a locker taken by another key is ``no free lockers``;
  an unknown device is ``no such device`` where the route documents it and ``no such key``
  elsewhere; backup codes are two codes of ten digits, as in the examples.
- Contracts (``_contract_rules``): ``start`` is always required, a ``return`` contract also needs
  ``end``, ``perm: true`` stores no ``end``; pincodes are 4 to 8 digits, unique among an account's
  live contracts; a deleted contract frees its ``contractId``; a contract's ``tag`` is the list of
  its devices' tags; its ``type`` is kept but never shown (no answer of Livion's has it).
- Keypads (``_access_right_rules``): access rights may overlap in time (a keypad opens for many
  people); their pincodes are unique among the account's live access rights; ``modifyTime``
  (default ``true``) widens ``start`` and ``end`` to whole UTC days after the "in the future"
  check; a keypad without access rights lists ``[]``.

Words the references do not give, for failures they do not list: :class:`Assumed`.
"""

from __future__ import annotations

from ._vocabulary import LANGUAGES

__all__ = ["Assumed"]


class Assumed:
    """Messages the references do not document; one place to correct them."""

    @staticmethod
    def malformed(field_name: str) -> str:
        return f"malformed {field_name}"

    @staticmethod
    def bad_date(field_name: str) -> str:
        return f"{field_name} is not a valid date"

    LIMIT_TOO_BIG = "limit is too big"
    BAD_LANGUAGE = "language must be one of " + ", ".join(LANGUAGES)
