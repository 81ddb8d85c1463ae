"""The service's data: accounts, devices, keys, contracts, and the indexes that keep lookups fast.

Every rule module reads and writes through one store, so they all see the same world. It also
owns the things that must be shared to stay deterministic from the seed: the random generator
behind object ids, pincodes and backup codes, and the counter behind 401 messages.

Observers (the simulator's webhook push) hear of every key event recorded and every contract
created or changed, the moment it happens.

What the references leave open is assumed in ``_assumptions``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Protocol

from ._config import Clock
from ._messages import Msg, SimError
from ._records import KeyEvent, SimAccessRight, SimContract, SimDevice, SimKey
from ._vocabulary import V1_PRODUCTS
from ._wire import iso

__all__ = ["SimStore", "StoreObserver"]


class StoreObserver(Protocol):
    """Hears of what happens in the store, as it happens."""

    def key_event(self, device: SimDevice, key: SimKey, event: KeyEvent) -> None:
        """A key event was recorded (added, fetched, returned, not returned)."""

    def contract_written(self, contract: SimContract, *, created: bool) -> None:
        """A contract was created (``created``) or changed (its dates, pincode, keys...)."""


class SimStore:
    """Accounts' devices, their keys and the contracts on them, indexed."""

    def __init__(self, clock: Clock, seed: int) -> None:
        self.clock = clock
        self._seed = seed
        self.observers: list[StoreObserver] = []  # kept across resets
        self.reset()

    def reset(self) -> None:
        """Empty, with the random generator back at the seed."""
        self.rng = random.Random(self._seed)
        self._error_ids = 0
        self.accounts: dict[str, list[str]] = {}
        self.devices: dict[str, SimDevice] = {}
        self.contracts: dict[str, SimContract] = {}
        # Indexes, so a bulk run of thousands of contracts stays linear.
        self._by_contract_id: dict[tuple[str, str], SimContract] = {}
        self._by_key: dict[tuple[str, str], dict[str, SimContract]] = {}
        self._by_pincode: dict[tuple[str, str], dict[str, SimContract]] = {}
        self._seq = 0
        # Keypad access rights, by object id (few: no indexes needed).
        self.access_rights: dict[str, SimAccessRight] = {}

    # ------------------------------------------------------------------ generated values

    def object_id(self, now: float) -> str:
        return f"{int(now) & 0xFFFFFFFF:08x}{self.rng.getrandbits(64):016x}"

    def backup_codes(self) -> list[str]:
        """Two ten-digit codes, as in Livion's examples."""
        return [f"{self.rng.randrange(10**10):010d}" for _ in range(2)]

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def not_authorized(self) -> SimError:
        """The documented 401, with a timestamp and an id of its own."""
        self._error_ids += 1
        stamp = iso(self.clock())
        return SimError(401, f"GraphQL - {stamp} - {self._error_ids:016x} - not authorized")

    # ------------------------------------------------------------------ lookups

    def device(
        self,
        account: str,
        device_id: object,
        *,
        v1: bool = True,
        missing: str = Msg.DEVICE_NOT_FOUND,
    ) -> SimDevice:
        device = self.devices.get(device_id) if isinstance(device_id, str) else None
        if device is None:
            raise SimError(400, missing)
        if device.account != account:
            raise self.not_authorized()
        if v1 and device.product not in V1_PRODUCTS:
            raise SimError(400, missing)
        return device

    @staticmethod
    def key(device: SimDevice, key_id: str, message: str = Msg.NO_SUCH_KEY) -> SimKey:
        key = device.keys.get(key_id)
        if key is None:
            raise SimError(400, message)
        return key

    def contract(self, account: str, object_id: str) -> SimContract:
        contract = self.contracts.get(object_id)
        if contract is None:
            raise SimError(400, Msg.CONTRACT_NOT_FOUND)
        if contract.account != account:
            raise self.not_authorized()
        return contract

    def key_contracts(self, key: SimKey) -> list[SimContract]:
        """The contracts on one key, oldest first."""
        held = self._by_key.get((key.device_id, key.key_id), {})
        return sorted(held.values(), key=lambda c: c.seq)

    def contract_id_taken(self, account: str, contract_id: str) -> bool:
        return (account, contract_id) in self._by_contract_id

    def pincode_holders(self, account: str, pincode: str) -> Iterable[SimContract]:
        return self._by_pincode.get((account, pincode), {}).values()

    # ------------------------------------------------------------------ keys

    def add_key(
        self,
        device: SimDevice,
        *,
        key_id: str,
        key_name: str,
        locker_index: int,
        shared: bool,
        key_code: str | None,
        now: float,
    ) -> SimKey:
        key = SimKey(
            key_id=key_id,
            device_id=device.device_id,
            key_name=key_name,
            locker_index=locker_index,
            shared=shared,
            key_code=key_code,
            backup_codes=self.backup_codes(),
        )
        device.keys[key_id] = key
        self.event(device, key, "key-added", now)
        return key

    def event(self, device: SimDevice, key: SimKey, action: str, now: float) -> KeyEvent:
        """Record a key status event (the latest is what ``/keys/{id}/status`` answers)."""
        inside_before = action in ("key-fetched", "key-not-returned")
        event = KeyEvent(
            event_id=self.object_id(now),
            timestamp=now,
            action=action,
            device_id=device.device_id,
            key_id=key.key_id,
            locker_index=key.locker_index,
            tag=device.tag,
            before_key=key.key_id if inside_before else None,
            after_key=key.key_id if action in ("key-added", "key-returned") else None,
        )
        key.events.append(event)
        for observer in self.observers:
            observer.key_event(device, key, event)
        return event

    # ------------------------------------------------------------------ contracts

    def store(self, contract: SimContract) -> None:
        self.contracts[contract.object_id] = contract
        self.index(contract)
        for observer in self.observers:
            observer.contract_written(contract, created=True)

    def changed(self, contract: SimContract) -> None:
        """A stored contract was changed: tell the observers."""
        for observer in self.observers:
            observer.contract_written(contract, created=False)

    def forget(self, contract: SimContract) -> None:
        del self.contracts[contract.object_id]
        self.unindex(contract)

    def index(self, contract: SimContract) -> None:
        self._by_contract_id[(contract.account, contract.contract_id)] = contract
        for ref in contract.devices:
            self._by_key.setdefault((ref.device_id, ref.key_id), {})[contract.object_id] = contract
        pin = (contract.account, contract.pincode)
        self._by_pincode.setdefault(pin, {})[contract.object_id] = contract

    def unindex(self, contract: SimContract) -> None:
        del self._by_contract_id[(contract.account, contract.contract_id)]
        for ref in contract.devices:
            self._by_key.get((ref.device_id, ref.key_id), {}).pop(contract.object_id, None)
        self._by_pincode.get((contract.account, contract.pincode), {}).pop(contract.object_id, None)

    def all_contracts(self) -> list[SimContract]:
        return list(self.contracts.values())

    def contracts_by_contract_id(self) -> dict[str, list[SimContract]]:
        """Every live (not deleted) contract grouped by the caller's ``contractId``."""
        grouped: dict[str, list[SimContract]] = {}
        for contract in self.contracts.values():
            grouped.setdefault(contract.contract_id, []).append(contract)
        return grouped
