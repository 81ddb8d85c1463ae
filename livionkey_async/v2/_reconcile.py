"""Telling whether a contract on the server is the one a spec asked for, in API v2.

A mechanical key contract carries the caller's ``id``: found by it, it only has to agree with the
spec. An iLOQ key contract carries nothing of the caller's, so the best the API allows is to
compare everything the spec says with each listed contract. Both sides are first written as the
same *terms* (wire names, times as the wire writes them, to the millisecond):

- a field the server answers as it was sent is compared exactly, ``None`` equal only to ``None``
  (``end``, ``groupId``, access rights, the contact's name, email and phone number); the contact's
  language left out is the documented default ``"en"`` on both sides;
- a field the server fills in when the caller leaves it out (``start`` of a return contract, the
  automat a group handover picked, ``numberOfKeys``, ``keyIds``, the contact's send flags,
  notifications and iLOQ person, the pincodes) is compared only when the spec gives it.

The same terms decide when two specs of one batch cannot be told apart (``AlikeSpecs``): exactly
when one contract could match both. So no contract ever matches two specs a batch let through,
and a job claims each contract for one item only. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import attrs

from .._convert import format_datetime
from ._assumptions import DEFAULT_LANGUAGE
from ._convert import unstructure
from ._models import (
    Contact,
    IloqKeyContract,
    MechanicalKeyContract,
    NewIloqKeyContract,
    NewMechanicalKeyContract,
    NotificationChannel,
    Notifications,
)

__all__ = [
    "AlikeSpecs",
    "iloq_contract_matches",
    "iloq_fingerprint",
    "mechanical_contract_matches",
]

Terms = dict[str, object]

_SILENT = NotificationChannel()


def _instant(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


def _ids(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(values))


def _notifications(value: Notifications | None) -> tuple[tuple[str, bool, bool], ...] | None:
    """Every event's channels; an event left out sends nothing (documented)."""
    if value is None:
        return None
    channels = {f.name: getattr(value, f.name) or _SILENT for f in attrs.fields(Notifications)}
    return tuple((event, channel.sms, channel.email) for event, channel in channels.items())


def _contact(contact: Contact | None) -> tuple[Terms, Terms]:
    """The contact's terms: those always compared, and those the server fills in when unset."""
    if contact is None:
        return {"contact": None}, {}
    fixed: Terms = {
        "contact": True,
        "contact.name": contact.name,
        "contact.email": contact.email,
        "contact.phoneNumber": contact.phone_number,
        "contact.language": contact.language or DEFAULT_LANGUAGE,
    }
    chosen: Terms = {
        "contact.sendSms": contact.send_sms,
        "contact.sendEmail": contact.send_email,
        "contact.notifications": _notifications(contact.notifications),
        "contact.iloqPersonId": contact.iloq_person_id,
    }
    return fixed, chosen


def _iloq_terms(
    contract_type: int | None,
    access_right_ids: tuple[str, ...],
    start: datetime | None,
    end: datetime | None,
    contact: Contact | None,
    number_of_keys: int | None,
    key_automat_id: str | None,
    group_id: str | None,
    key_ids: tuple[str, ...],
) -> tuple[Terms, Terms]:
    contact_fixed, contact_chosen = _contact(contact)
    fixed: Terms = {
        "contractType": None if contract_type is None else int(contract_type),
        "accessRightIds": _ids(access_right_ids),
        "end": _instant(end),
        "groupId": group_id,
        **contact_fixed,
    }
    chosen: Terms = {
        "start": _instant(start),
        "keyAutomatId": key_automat_id,
        "numberOfKeys": number_of_keys,
        "keyIds": _ids(key_ids) or None,
        **contact_chosen,
    }
    return fixed, chosen


def _spec_terms(spec: NewIloqKeyContract) -> tuple[Terms, Terms]:
    """What ``spec`` asks: the terms always compared, and those it gives of the others."""
    fixed, chosen = _iloq_terms(
        spec.contract_type,
        spec.access_right_ids,
        spec.start,
        spec.end,
        spec.contact,
        spec.number_of_keys,
        spec.key_automat_id,
        spec.group_id,
        spec.key_ids,
    )
    return fixed, {name: value for name, value in chosen.items() if value is not None}


def _contract_terms(contract: IloqKeyContract) -> Terms:
    fixed, chosen = _iloq_terms(
        contract.contract_type,
        contract.access_right_ids,
        contract.start,
        contract.end,
        contract.contact,
        contract.number_of_keys,
        contract.key_automat_id,
        contract.group_id,
        contract.key_ids or tuple(key.id for key in contract.keys),
    )
    return {**fixed, **chosen}


def _fits(wanted: Terms, found: Terms) -> bool:
    return all(found.get(name) == value for name, value in wanted.items())


def iloq_contract_matches(existing: IloqKeyContract, spec: NewIloqKeyContract) -> bool:
    """Whether a listed iLOQ contract is what ``spec`` asked for: every term ``spec`` gives
    equal, and the pincodes when it gives them."""
    fixed, chosen = _spec_terms(spec)
    return _fits({**fixed, **chosen}, _contract_terms(existing)) and (
        not spec.pincodes or sorted(existing.pincodes) == sorted(spec.pincodes)
    )


class AlikeSpecs:
    """The iLOQ specs of one batch so far, to refuse one no contract could tell from an earlier
    one: alike in every term both give (so one contract could match both; pincodes aside)."""

    def __init__(self) -> None:
        self._by_fixed: dict[tuple[tuple[str, object], ...], list[Terms]] = {}

    def add(self, spec: NewIloqKeyContract) -> bool:
        """Remember ``spec``; ``False`` (and not remembered) when an earlier one is alike."""
        fixed, chosen = _spec_terms(spec)
        earlier = self._by_fixed.setdefault(tuple(sorted(fixed.items())), [])
        for other in earlier:
            if all(other[name] == chosen[name] for name in other.keys() & chosen.keys()):
                return False
        earlier.append(chosen)
        return True


def mechanical_contract_matches(
    existing: MechanicalKeyContract, spec: NewMechanicalKeyContract
) -> bool:
    """Whether the server's contract (found by the spec's ``id``) is the one ``spec`` describes."""
    wanted_pincodes = {key.id: key.pincode for key in spec.keys if key.pincode is not None}
    found_pincodes = {
        key.id: key.storage_info.pincode for key in existing.keys if key.storage_info is not None
    }
    wanted_fixed, wanted_chosen = _contact(spec.contact)
    found_fixed, found_chosen = _contact(existing.contact)
    given = {name: value for name, value in wanted_chosen.items() if value is not None}
    return (
        existing.id == spec.id
        and {key.id for key in existing.keys} == {key.id for key in spec.keys}
        and _instant(existing.start) == _instant(spec.start)
        and _instant(existing.end) == _instant(spec.end)
        and _fits({**wanted_fixed, **given}, {**found_fixed, **found_chosen})
        and all(found_pincodes.get(key) == code for key, code in wanted_pincodes.items())
    )


def iloq_fingerprint(spec: NewIloqKeyContract) -> str:
    """A stable name for what ``spec`` asks (its pincodes left out): the journal's key."""
    wire = unstructure(spec)
    wire.pop("pincodes", None)
    text = json.dumps(wire, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "iloq-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
