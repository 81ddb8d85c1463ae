"""Keys changing hands: a pincode typed on an automat hands a key over, a key put back returns.

The API's ``sendPincode`` and the simulator's helpers (``V2Simulator.fetch_key`` and
``return_key``) both come here, for iLOQ and mechanical contracts alike. What a contract may do
next (be deleted, change its verification) depends on the states these set.
"""

from __future__ import annotations

from ._assumptions import Assumed
from ._input import V2SimError
from ._records import FETCHED, RETURNED, ContractKey, SimIloqContract, SimMechanicalContract
from ._state import V2State

__all__ = ["fetch_by_pincode", "return_key"]

Contract = SimIloqContract | SimMechanicalContract


def _contracts(state: V2State) -> list[Contract]:
    return [*state.iloq_contracts.values(), *state.mechanical_contracts.values()]


def fetch_by_pincode(state: V2State, automat_id: str, pincode: str) -> ContractKey | None:
    """The person types ``pincode``: the key waiting under it leaves its locker (``None``: no
    key of an ongoing contract waits under that pincode here)."""
    now = state.now()
    for contract in _contracts(state):
        if contract.start > now or (contract.end is not None and contract.end <= now):
            continue
        for key in contract.keys:
            if (
                key.automat_id == automat_id
                and key.pincode == pincode
                and not key.in_history
                and key.status != FETCHED
            ):
                _fetch(state, contract, key)
                return key
    return None


def _fetch(state: V2State, contract: Contract, key: ContractKey) -> None:
    automat = state.automats.get(key.automat_id or "")
    locker = automat.locker_of(key.id) if automat is not None else None
    key.status = FETCHED
    if isinstance(contract, SimIloqContract):
        if contract.contract_type == 2:  # fetch-only: handed over for good
            key.in_history, key.pincode = True, None
            state.iloq_keys[key.id].automat_id = None
            if locker is not None:
                locker.key_id, locker.key_inside = None, False
        elif locker is not None:
            locker.key_inside = False
        return
    mechanical = state.mechanical_keys.get(key.id)
    if mechanical is not None:
        mechanical.away = True
    if locker is not None:
        locker.key_inside = False
        if contract.free_locker_after_fetch:
            locker.key_id = None


def return_key(state: V2State, contract: Contract, key_id: str) -> None:
    """The key is put back (into its automat, or the return automat of a return contract)."""
    key = next((k for k in contract.keys if k.id == key_id), None)
    if key is None:
        raise V2SimError(404, "Key not found in the contract")
    if key.status == RETURNED or (key.status != FETCHED and not _returnable(contract)):
        raise V2SimError(400, "The key is not out")
    automat = state.automats.get(key.automat_id or "")
    if automat is not None:
        locker = automat.locker_of(key.id) or automat.free_locker()
        if locker is None:
            raise V2SimError(409, Assumed.NO_FREE_LOCKERS)
        locker.key_id, locker.key_inside = key.id, True
    if isinstance(contract, SimIloqContract):
        state.iloq_keys[key.id].automat_id = key.automat_id
    else:
        mechanical = state.mechanical_keys.get(key.id)
        if mechanical is not None:
            mechanical.away = False
    key.status, key.in_history, key.pincode = RETURNED, True, None


def _returnable(contract: Contract) -> bool:
    """A return-only contract's keys are out from the start."""
    return isinstance(contract, SimIloqContract) and contract.contract_type == 3
