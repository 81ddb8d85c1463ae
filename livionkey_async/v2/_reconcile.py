"""Telling whether a contract on the server is the one a spec asked for, in API v2.

A mechanical key contract carries the caller's ``id``: found by it, it only has to agree with the
spec. An iLOQ key contract carries nothing of the caller's, so the best the API allows is to
compare everything the spec says (type, access rights, times, automat or group, keys, contact,
pincodes) with each listed contract. Two bookings alike in all of that cannot be told apart,
which is why a bulk job refuses the second of two identical specs, and why a job looks only at
contracts that appeared after it started (or, on a rerun, at one an earlier run may have made).
Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from ._convert import unstructure
from ._models import (
    Contact,
    IloqKeyContract,
    MechanicalKeyContract,
    NewIloqKeyContract,
    NewMechanicalKeyContract,
)

__all__ = ["iloq_contract_matches", "iloq_fingerprint", "mechanical_contract_matches"]


def _same_instant(a: datetime | None, b: datetime | None) -> bool:
    # The wire keeps milliseconds: compare at that precision.
    if a is None or b is None:
        return a is b
    return abs((a - b).total_seconds()) < 0.001


def _same_contact(existing: Contact | None, wanted: Contact | None) -> bool:
    if wanted is None:
        return True
    if existing is None:
        return False
    return (
        existing.name == wanted.name
        and (wanted.email is None or existing.email == wanted.email)
        and (wanted.phone_number is None or existing.phone_number == wanted.phone_number)
    )


def mechanical_contract_matches(
    existing: MechanicalKeyContract, spec: NewMechanicalKeyContract
) -> bool:
    """Whether the server's contract (found by the spec's ``id``) is the one ``spec`` describes."""
    wanted_pincodes = {key.id: key.pincode for key in spec.keys if key.pincode is not None}
    found_pincodes = {
        key.id: key.storage_info.pincode for key in existing.keys if key.storage_info is not None
    }
    return (
        existing.id == spec.id
        and {key.id for key in existing.keys} == {key.id for key in spec.keys}
        and _same_instant(existing.start, spec.start)
        and _same_instant(existing.end, spec.end)
        and _same_contact(existing.contact, spec.contact)
        and all(found_pincodes.get(key) == code for key, code in wanted_pincodes.items())
    )


def iloq_contract_matches(existing: IloqKeyContract, spec: NewIloqKeyContract) -> bool:
    """Whether a listed iLOQ contract agrees with everything ``spec`` asked for."""
    key_ids = set(existing.key_ids) or {key.id for key in existing.keys}
    automat_ok = spec.key_automat_id is None or existing.key_automat_id == spec.key_automat_id
    return (
        existing.contract_type is spec.contract_type
        and set(existing.access_right_ids) == set(spec.access_right_ids)
        and (spec.start is None or _same_instant(existing.start, spec.start))
        and _same_instant(existing.end, spec.end)
        and automat_ok
        and (spec.group_id is None or existing.group_id == spec.group_id)
        and (spec.number_of_keys is None or existing.number_of_keys == spec.number_of_keys)
        and (not spec.key_ids or key_ids == set(spec.key_ids))
        and _same_contact(existing.contact, spec.contact)
        and (not spec.pincodes or sorted(existing.pincodes) == sorted(spec.pincodes))
    )


def iloq_fingerprint(spec: NewIloqKeyContract) -> str:
    """A stable name for what ``spec`` asks (its pincodes left out): the journal's key, and how a
    batch spots two specs nobody could tell apart afterwards."""
    wire = unstructure(spec)
    wire.pop("pincodes", None)
    text = json.dumps(wire, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "iloq-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
