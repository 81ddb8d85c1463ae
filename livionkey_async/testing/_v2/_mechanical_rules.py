"""The ``/mechanical`` routes: mechanical keys and their key contracts, with the reference's rules.

Documented: a key's id is unique (409 "Key already exists with the same keyId"); a key is kept
in an automat or in a manual storage; only automat keys may be shared (overlapping contracts);
deleting a key with active contracts needs ``deleteActiveContracts``; a contract's keys are
automat keys or manual-storage keys, never both; automat keys get a pincode (given or made); a
contract's ``id`` is the caller's when given; a contract cannot be deleted while a key is
fetched and not returned; verification cannot change once a key has been fetched.

What is assumed (which refusals are 409s, lockers, the words): ``_assumptions``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._wire import JSONObj
from ._assumptions import Assumed, Documented
from ._input import Reader, V2SimError, not_found, page_of, read_contact
from ._records import FETCHED, ContractKey, SimMechanicalContract, SimMechanicalKey, overlaps
from ._state import V2State

__all__ = ["MechanicalRules"]


class MechanicalRules:
    def __init__(self, state: V2State) -> None:
        self.state = state

    # -- keys ----------------------------------------------------------------------------------

    def key(self, key_id: str) -> SimMechanicalKey:
        found = self.state.mechanical_keys.get(key_id)
        if found is None:
            raise not_found("Key")
        return found

    def list_keys(self, query: Mapping[str, str]) -> JSONObj:
        search = query.get("search", "").lower()
        storage = query.get("selectedStorage")
        if storage not in (None, "1", "2"):
            raise V2SimError(400, ["selectedStorage must be one of the following values: 1, 2"])
        automat, unit = query.get("automatId"), query.get("organizationUnitId")
        keys = [
            key.to_wire()
            for key in self.state.mechanical_keys.values()
            if (search in key.id.lower() or search in (key.name or "").lower())
            and (storage is None or (storage == "1") == (key.automat_id is not None))
            and (automat is None or key.automat_id == automat)
            and (unit is None or key.organization_unit_id == unit)
        ]
        return page_of(keys, query)

    def get_key(self, key_id: str) -> JSONObj:
        return self.key(key_id).to_wire()

    def _storage(self, reader: Reader, name: str, *, required: bool) -> tuple[str | None, ...]:
        storage = reader.object(name, required=required)
        if storage is None:
            return (None, None)
        automat_id = storage.string("automatId")
        manual = storage.string("manualStorageInfo")
        if (automat_id is None) == (manual is None):
            reader.problems.append(f"{name} needs automatId or manualStorageInfo")
        return (automat_id, manual)

    def create_key(self, account_unit: str, body: object) -> JSONObj:
        state = self.state
        reader = Reader(body)
        key_id = reader.string("id", required=True)
        automat_id, manual = self._storage(reader, "selectedStorage", required=True)
        away = reader.boolean("away")
        if away is None:
            reader.problems.append("away must be a boolean value")
        shared = reader.boolean("shared")
        name, rfid = reader.string("name"), reader.string("rfidHex")
        unit = reader.string("organizationUnitId") or account_unit
        reader.done()
        assert key_id is not None
        if shared and automat_id is None:
            raise V2SimError(400, Assumed.SHARED_NEEDS_AUTOMAT)
        if key_id in state.mechanical_keys:
            raise V2SimError(409, Documented.KEY_EXISTS)
        state.unit(unit)
        key = SimMechanicalKey(
            id=key_id,
            organization_unit_id=unit,
            name=name,
            rfid_hex=rfid,
            automat_id=automat_id,
            manual_storage_info=manual,
            away=bool(away),
            shared=bool(shared),
        )
        if automat_id is not None:
            locker = state.automat(automat_id).free_locker()
            if locker is None:
                raise V2SimError(409, Assumed.NO_FREE_LOCKERS)
            locker.key_id, locker.key_inside = key.id, not key.away
        state.mechanical_keys[key.id] = key
        return key.to_wire()

    def update_key(self, key_id: str, body: object) -> JSONObj:
        key = self.key(key_id)
        reader = Reader(body)
        name, rfid, shared = (
            reader.string("name"),
            reader.string("rfidHex"),
            reader.boolean("shared"),
        )
        automat_id, manual = self._storage(reader, "selectedStorage", required=False)
        reader.done()
        if automat_id is not None and automat_id != key.automat_id:
            self._release_locker(key)
            locker = self.state.automat(automat_id).free_locker()
            if locker is None:
                raise V2SimError(409, Assumed.NO_FREE_LOCKERS)
            locker.key_id, locker.key_inside = key.id, not key.away
            key.automat_id, key.manual_storage_info = automat_id, None
        elif manual is not None:
            self._release_locker(key)
            key.automat_id, key.manual_storage_info = None, manual
        if shared and key.automat_id is None:
            raise V2SimError(400, Assumed.SHARED_NEEDS_AUTOMAT)
        key.name = name if name is not None else key.name
        key.rfid_hex = rfid if rfid is not None else key.rfid_hex
        key.shared = key.shared if shared is None else shared
        return key.to_wire()

    def _release_locker(self, key: SimMechanicalKey) -> None:
        automat = self.state.automats.get(key.automat_id or "")
        locker = automat.locker_of(key.id) if automat is not None else None
        if locker is not None:
            locker.key_id, locker.key_inside = None, False

    def delete_key(self, key_id: str, body: object) -> None:
        key = self.key(key_id)
        reader = Reader(body if body is not None else {})
        cascade = reader.boolean("deleteActiveContracts")
        reader.done()
        active = [c for c in self.state.mechanical_contracts.values() if self._uses(c, key_id)]
        if active and not cascade:
            raise V2SimError(400, Assumed.KEY_HAS_CONTRACTS)
        for contract in active:
            del self.state.mechanical_contracts[contract.id]
        self._release_locker(key)
        del self.state.mechanical_keys[key_id]

    def _uses(self, contract: SimMechanicalContract, key_id: str) -> bool:
        return any(k.id == key_id and not k.in_history for k in contract.keys)

    # -- contracts -----------------------------------------------------------------------------

    def contract(self, contract_id: str) -> SimMechanicalContract:
        found = self.state.mechanical_contracts.get(contract_id)
        if found is None:
            raise not_found("Contract")
        return found

    def list_contracts(self, query: Mapping[str, str]) -> JSONObj:
        wires = [c.to_wire() for c in self.state.mechanical_contracts.values()]
        return page_of(wires, query)

    def get_contract(self, contract_id: str) -> JSONObj:
        return self.contract(contract_id).to_wire()

    def create_contract(self, body: object) -> JSONObj:
        state = self.state
        reader = Reader(body)
        start = reader.time("start", required=True)
        end = reader.time("end")
        contact = read_contact(reader, iloq=False)
        if contact is None:
            reader.problems.append("contact should not be empty")
        verification = reader.string("userVerification")
        if verification is not None and verification not in ("0", "1", "2"):
            reader.problems.append("userVerification must be one of the following values: 0, 1, 2")
        pick_up = reader.string("pickUpInfoForManualStorageKeys")
        free_after = reader.boolean("freeLockerAfterFetch")
        contract_id = reader.string("id")
        wanted = self._contract_keys(reader)
        reader.done()
        assert start is not None
        assert contact is not None
        if end is not None and end <= start:
            raise V2SimError(400, ["end must be after start"])
        if contract_id is not None and contract_id in state.mechanical_contracts:
            raise V2SimError(409, Assumed.CONTRACT_EXISTS)
        contract = SimMechanicalContract(
            id=contract_id or state.uuid(),
            start=start,
            end=end,
            contact=contact,
            keys=[],
            free_locker_after_fetch=free_after,
            user_verification=verification,
            pick_up_info=pick_up,
            created=state.next_created(),
        )
        contract.keys = self._resolve_keys(contract, wanted)
        state.mechanical_contracts[contract.id] = contract
        state.stats.contracts += 1
        return contract.to_wire()

    def _contract_keys(
        self, reader: Reader
    ) -> list[tuple[str, str | None, str | None, str | None]]:
        """``(id, pincode, automatId, manualStorageInfo)`` of every key asked for."""
        items = reader.body.get("keys")
        if not isinstance(items, list) or not items:
            reader.problems.append("keys should not be empty")
            return []
        wanted = []
        for index, item in enumerate(items):
            key = Reader(item, where=f"keys.{index}")
            key.problems = reader.problems
            key_id = key.string("id", required=True)
            storage = key.object("storageInfo")
            pincode = automat_id = manual = None
            if storage is not None:
                pincode = storage.string("pincode")
                automat_id = storage.string("automatId")
                manual = storage.string("manualStorageInfo")
            if key_id is not None:
                wanted.append((key_id, pincode, automat_id, manual))
        return wanted

    def _resolve_keys(
        self,
        contract: SimMechanicalContract,
        wanted: list[tuple[str, str | None, str | None, str | None]],
    ) -> list[ContractKey]:
        state = self.state
        keys: list[ContractKey] = []
        taken: set[str] = set()
        for key_id, pincode, automat_id, manual in wanted:
            key = state.mechanical_keys.get(key_id)
            if key is None:
                raise V2SimError(404, Assumed.key_not_found(key_id))
            if not key.shared and self._overlapping(contract, key_id):
                raise V2SimError(409, Assumed.key_overlap(key_id))
            if manual is not None or (automat_id is None and key.automat_id is None):
                keys.append(
                    ContractKey(key_id, manual_storage_info=manual or key.manual_storage_info)
                )
                continue
            where = automat_id or key.automat_id
            if where is not None:
                state.automat(where)
            code = pincode or state.pincode(where, taken)
            taken.add(code)
            keys.append(ContractKey(key_id, automat_id=where, pincode=code))
        if len({k.manual_storage_info is None for k in keys}) > 1:
            raise V2SimError(400, Assumed.MIXED_KEYS)
        return keys

    def _overlapping(self, contract: SimMechanicalContract, key_id: str) -> bool:
        return any(
            other.id != contract.id
            and self._uses(other, key_id)
            and overlaps(contract.start, contract.end, other.start, other.end)
            for other in self.state.mechanical_contracts.values()
        )

    def update_contract(self, contract_id: str, body: object) -> JSONObj:
        contract = self.contract(contract_id)
        reader = Reader(body)
        start, end = reader.time("start"), reader.time("end")
        contact = read_contact(reader, iloq=False)
        verification = reader.string("userVerification")
        if verification is not None and verification not in ("0", "1", "2"):
            reader.problems.append("userVerification must be one of the following values: 0, 1, 2")
        pick_up = reader.string("pickUpInfoForManualStorageKeys")
        reader.done()
        new_start = contract.start if start is None else start
        new_end = contract.end if end is None else end
        if new_end is not None and new_end <= new_start:
            raise V2SimError(400, ["end must be after start"])
        fetched = any(k.status is not None for k in contract.keys)
        if verification is not None and verification != contract.user_verification and fetched:
            raise V2SimError(400, Assumed.VERIFICATION_LOCKED)
        trial = SimMechanicalContract(contract.id, new_start, new_end, contract.contact, [])
        for key in contract.keys:
            held = self.state.mechanical_keys.get(key.id)
            if held is not None and not held.shared and self._overlapping(trial, key.id):
                raise V2SimError(409, Assumed.key_overlap(key.id))
        contract.start, contract.end = new_start, new_end
        contract.contact = contact or contract.contact
        contract.user_verification = verification or contract.user_verification
        contract.pick_up_info = pick_up if pick_up is not None else contract.pick_up_info
        return contract.to_wire()

    def delete_contract(self, contract_id: str) -> None:
        contract = self.contract(contract_id)
        if any(key.status == FETCHED for key in contract.keys):
            raise V2SimError(400, Assumed.MECHANICAL_IN_USE)
        del self.state.mechanical_contracts[contract_id]
