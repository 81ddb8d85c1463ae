"""The ``/iloq`` routes: access rights, and iLOQ key contracts with the reference's rules.

Documented: the body of a create is ``{input: {...}}``; each contract type requires its fields;
a handover takes ``numberOfKeys`` keys from ``keyAutomatId`` (or from an automat of ``groupId``)
and answers 409 when no automat has them; pincodes, when given, match the keys; a return
contract adds the keys it names when they are unknown; a DEFAULT contract cannot be deleted
while a key is fetched and not returned, a FETCH one while some keys are fetched and others
wait, a RETURN one while some are returned and others wait (400); an update that makes the
keys' times clash is a 409.

What is assumed (how long a key is taken, the list's flags, the words): ``_assumptions``.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from .._wire import JSONObj
from ._assumptions import Assumed, Documented
from ._input import Reader, V2SimError, flag, not_found, page_of, read_contact
from ._records import (
    FETCHED,
    RETURNED,
    ContractKey,
    SimAutomat,
    SimIloqContract,
    SimIloqKey,
    overlaps,
)
from ._state import V2State

__all__ = ["IloqRules"]


class IloqRules:
    def __init__(self, state: V2State) -> None:
        self.state = state

    # -- access rights -------------------------------------------------------------------------

    def access_rights(self, query: Mapping[str, str]) -> JSONObj:
        search = query.get("search", "").lower()
        default_only = flag(query, "returnDefaultAccessesOnly")
        rights = [
            {k: v for k, v in right.items() if k != "default"}
            for right in self.state.access_rights
            if search in str(right["name"]).lower() and (not default_only or right["default"])
        ]
        return page_of(rights, query, has_next=False)

    # -- contracts -----------------------------------------------------------------------------

    def contract(self, contract_id: str) -> SimIloqContract:
        found = self.state.iloq_contracts.get(contract_id)
        if found is None:
            raise not_found("Contract")
        return found

    def list_contracts(self, query: Mapping[str, str]) -> JSONObj:
        wanted = {name: flag(query, name) for name in ("ongoing", "ended", "future")}
        now = self.state.now()
        picked = []
        for contract in self.state.iloq_contracts.values():
            ended = contract.end is not None and contract.end <= now
            future = contract.start > now
            when = {"ongoing": not ended and not future, "ended": ended, "future": future}
            if not any(wanted.values()) or any(wanted[k] and when[k] for k in when):
                picked.append(contract.to_wire())
        return page_of(picked, query)

    def get(self, contract_id: str) -> JSONObj:
        return self.contract(contract_id).to_wire()

    def create(self, body: object) -> JSONObj:
        state = self.state
        outer = Reader(body)
        reader = outer.object("input", required=True)
        outer.done()
        assert reader is not None
        kind = reader.integer("contractType", required=True, minimum=1)
        if kind is not None and kind not in (1, 2, 3):
            reader.problems.append("contractType must be one of the following values: 1, 2, 3")
        rights = reader.strings("accessRightIds", required=kind in (1, 2))
        start = reader.time("start", required=kind in (1, 2))
        end = reader.time("end", required=kind in (1, 3))
        contact = read_contact(reader, iloq=True)
        number = reader.integer("numberOfKeys", minimum=1)
        pincodes = reader.pincodes("pincodes")
        group_id, automat_id = reader.string("groupId"), reader.string("keyAutomatId")
        key_ids = reader.strings("keyIds", required=kind == 3)
        if (automat_id or group_id) and number is None and kind != 3:
            reader.problems.append("numberOfKeys is required with keyAutomatId or groupId")
        if kind in (1, 2) and not (automat_id or group_id or key_ids):
            reader.problems.append("keyAutomatId, groupId or keyIds is required")
        reader.done()
        assert kind is not None
        start = state.now() if start is None else start
        if end is not None and end <= start:
            raise V2SimError(400, ["end must be after start"])
        known = {right["id"] for right in state.access_rights}
        unknown = [r for r in rights or () if r not in known]
        if unknown:
            raise V2SimError(400, [Assumed.unknown_access_right(r) for r in unknown])
        wanted = len(key_ids or ()) if kind == 3 or number is None else number
        if pincodes and len(pincodes) != wanted:
            raise V2SimError(400, ["The amount of pincodes must match the amount of keys"])
        contract = SimIloqContract(
            id=state.uuid(),
            contract_type=kind,
            start=start,
            end=end,
            access_right_ids=rights or [],
            contact=contact,
            keys=[],
            number_of_keys=None if kind == 3 else wanted,
            key_ids=key_ids,
            key_automat_id=automat_id,
            group_id=group_id,
            created=state.next_created(),
        )
        if kind == 3:
            contract.keys = self._return_keys(contract, key_ids or [])
        else:
            contract.keys = self._handover_keys(contract, wanted)
        taken: set[str] = set()
        for index, key in enumerate(contract.keys):
            key.pincode = pincodes[index] if pincodes else state.pincode(key.automat_id, taken)
            taken.add(key.pincode)
        state.iloq_contracts[contract.id] = contract
        state.stats.contracts += 1
        return contract.to_wire()

    def _automats_to_try(self, contract: SimIloqContract) -> list[SimAutomat]:
        state = self.state
        if contract.key_automat_id is not None:
            automats = [state.automat(contract.key_automat_id)]
        elif contract.group_id is not None:
            group = state.group(contract.group_id)
            automats = [a for a in state.automats.values() if group.id in a.groups]
        else:
            return []
        for automat in automats:
            if automat.product != "key20":
                raise V2SimError(400, Assumed.not_iloq(automat.id))
        return [a for a in automats if a.lifecycle_state == "active"]

    def _free(self, key: SimIloqKey, contract: SimIloqContract) -> bool:
        """Whether no other handover holds ``key`` at any time of ``contract``."""
        for other in self.state.iloq_contracts.values():
            if other.id == contract.id or not other.holds_keys():
                continue
            if any(k.id == key.id and not k.in_history for k in other.keys) and overlaps(
                contract.start, contract.end, other.start, other.end
            ):
                return False
        return True

    def _handover_keys(self, contract: SimIloqContract, wanted: int) -> list[ContractKey]:
        state = self.state
        automats = self._automats_to_try(contract)
        if automats or contract.key_automat_id or contract.group_id:
            for automat in automats:
                free = [
                    key
                    for key in state.iloq_keys.values()
                    if key.automat_id == automat.id and self._free(key, contract)
                ]
                if len(free) >= wanted:
                    if contract.group_id is not None:
                        contract.key_automat_id = automat.id
                    return [ContractKey(key.id, automat.id) for key in free[:wanted]]
            raise V2SimError(409, Documented.NO_KEYS)
        keys = []
        for key_id in contract.key_ids or ():
            key = state.iloq_keys.get(key_id)
            if key is None or key.automat_id is None or not self._free(key, contract):
                raise V2SimError(409, Documented.NO_KEYS)
            keys.append(ContractKey(key.id, key.automat_id))
        return keys

    def _return_keys(self, contract: SimIloqContract, key_ids: list[str]) -> list[ContractKey]:
        """A return contract's keys are out; unknown ones join the system (documented)."""
        state = self.state
        automats = self._automats_to_try(contract)
        target = automats[0].id if automats else None
        keys = []
        for key_id in key_ids:
            key = state.iloq_keys.setdefault(key_id, SimIloqKey(key_id, None))
            if key.automat_id is not None:
                raise V2SimError(400, Assumed.key_in_automat(key_id))
            keys.append(ContractKey(key_id, target))
        return keys

    def update(self, contract_id: str, body: object) -> JSONObj:
        contract = self.contract(contract_id)
        reader = Reader(body)
        contact = read_contact(reader, iloq=True)
        start, end = reader.time("start"), reader.time("end")
        reader.done()
        new_start = contract.start if start is None else start
        new_end = contract.end if end is None else end
        if new_end is not None and new_end <= new_start:
            raise V2SimError(400, ["end must be after start"])
        if contract.holds_keys():
            trial = attrs.evolve(contract, start=new_start, end=new_end)
            for key in contract.keys:
                held = self.state.iloq_keys.get(key.id)
                if not key.in_history and held is not None and not self._free(held, trial):
                    raise V2SimError(409, Documented.OVERLAP)
        contract.start, contract.end = new_start, new_end
        if contact is not None:
            contract.contact = contact
        return contract.to_wire()

    def delete(self, contract_id: str) -> None:
        contract = self.contract(contract_id)
        states = [k.status for k in contract.keys]
        out = [s == FETCHED for s in states]
        done = [s in (FETCHED, RETURNED) for s in states]
        if contract.contract_type == 1:
            refused = any(out)
        elif contract.contract_type == 2:
            refused = any(done) and not all(done)
        else:
            returned = [s == RETURNED for s in states]
            refused = any(returned) and not all(returned)
        if refused:
            raise V2SimError(400, Assumed.ILOQ_IN_USE[contract.contract_type])
        del self.state.iloq_contracts[contract_id]
