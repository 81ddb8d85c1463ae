"""``V2State``: one simulated API v2 service, the single object the HTTP layer talks to.

It holds the records, seeds them, makes ids and pincodes, pages lists, and hands each route to
the rules of its area (``_automat_rules``, ``_iloq_rules``, ``_mechanical_rules``); every refusal
is a :class:`~._input.V2SimError`. Pure, no I/O, deterministic from ``config.seed`` and
``config.clock``.
"""

from __future__ import annotations

import random
import uuid

from .._config import Clock, SimStats
from .._rate_limit import RateDecision, RateLimiter
from .._wire import JSONObj
from ._config import V2SimConfig
from ._input import not_found
from ._keys import public_key_of
from ._records import (
    SimAutomat,
    SimGroup,
    SimIloqContract,
    SimIloqKey,
    SimLocker,
    SimMechanicalContract,
    SimMechanicalKey,
    SimOrganizationUnit,
    SimServiceAccount,
)

__all__ = ["LOCKERS", "V2State"]

LOCKERS = {"key20": 20, "key30": 30}
_ACCESS_RIGHT_NAMES = ("Main door", "Apartment", "Sauna", "Storage", "Garage", "Laundry")


class V2State:
    """Automats, keys, contracts, groups, organization units and service accounts."""

    def __init__(self, config: V2SimConfig, stats: SimStats | None = None) -> None:
        self.config = config
        self.stats = stats if stats is not None else SimStats()
        self.clock: Clock = config.clock
        self.limiter = RateLimiter(config, self.clock)
        self.reset()

    def reset(self) -> None:
        """Back to the seeded start."""
        self.rng = random.Random(self.config.seed)
        self.automats: dict[str, SimAutomat] = {}
        self.groups: dict[str, SimGroup] = {}
        self.units: dict[str, SimOrganizationUnit] = {}
        self.accounts: dict[str, SimServiceAccount] = {}
        self.access_rights: list[JSONObj] = []
        self.iloq_keys: dict[str, SimIloqKey] = {}
        self.iloq_contracts: dict[str, SimIloqContract] = {}
        self.mechanical_keys: dict[str, SimMechanicalKey] = {}
        self.mechanical_contracts: dict[str, SimMechanicalContract] = {}
        self.created = 0
        self.limiter.reset()
        self._seed()

    # -- ids, pincodes, time -------------------------------------------------------------------

    def now(self) -> float:
        return self.clock()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def object_id(self) -> str:
        """A MongoDB-style id, as Livion's group and unit ids look."""
        return f"{self.rng.getrandbits(96):024x}"

    def automat_id(self) -> str:
        while True:
            candidate = f"{self.rng.randrange(10**6):06d}"
            if candidate not in self.automats:
                return candidate

    def next_created(self) -> int:
        self.created += 1
        return self.created

    def pincode(
        self, automat_id: str | None, taken: frozenset[str] | set[str] = frozenset()
    ) -> str:
        """Six digits no live key of the automat uses (nor ``taken``)."""
        used = self.live_pincodes(automat_id) | taken
        while True:
            candidate = f"{self.rng.randrange(10**6):06d}"
            if candidate not in used:
                return candidate

    def live_pincodes(self, automat_id: str | None) -> set[str]:
        contracts: list[SimIloqContract | SimMechanicalContract] = [
            *self.iloq_contracts.values(),
            *self.mechanical_contracts.values(),
        ]
        return {
            key.pincode
            for contract in contracts
            for key in contract.keys
            if key.pincode is not None and key.automat_id == automat_id and not key.in_history
        }

    # -- lookups -------------------------------------------------------------------------------

    def automat(self, automat_id: str) -> SimAutomat:
        self.settle_installs()
        found = self.automats.get(automat_id)
        if found is None:
            raise not_found("Automat")
        return found

    def group(self, group_id: str) -> SimGroup:
        found = self.groups.get(group_id)
        if found is None:
            raise not_found("Group")
        return found

    def unit(self, unit_id: str) -> SimOrganizationUnit:
        found = self.units.get(unit_id)
        if found is None:
            raise not_found("Organization unit")
        return found

    def automat_wire(self, automat: SimAutomat) -> JSONObj:
        names = {g.id: g.name for g in self.groups.values()}
        keys = {k.id: k.name or k.id for k in self.mechanical_keys.values()}
        return automat.to_wire(names, keys)

    def settle_installs(self) -> None:
        """Installed automats whose time has come are active (a key20 stocked with keys)."""
        now = self.now()
        for automat in self.automats.values():
            if automat.active_at is not None and automat.active_at <= now:
                automat.active_at = None
                automat.lifecycle_state = "active"
                automat.installation_pincode = None
                automat.hw_id = f"hw-{self.rng.getrandbits(32):08x}"
                if automat.product == "key20":
                    self.stock_iloq_keys(automat, self.config.iloq_keys_per_automat)

    def stock_iloq_keys(self, automat: SimAutomat, count: int) -> None:
        for locker in automat.lockers[:count]:
            key = SimIloqKey(id=self.uuid(), automat_id=automat.id)
            self.iloq_keys[key.id] = key
            locker.key_id, locker.key_inside = key.id, True

    # -- signatures and the rate limit ---------------------------------------------------------

    def account(self, account_id: str) -> SimServiceAccount | None:
        return self.accounts.get(account_id)

    def rate_check(self, account_id: str) -> RateDecision | None:
        return self.limiter.check(account_id)

    def add_account(
        self, name: str, organization_unit_id: str, private_key_pem: str, account_id: str
    ) -> SimServiceAccount:
        account = SimServiceAccount(
            id=account_id,
            name=name,
            organization_unit_id=organization_unit_id,
            public_key=public_key_of(private_key_pem),
        )
        self.accounts[account.id] = account
        return account

    # -- the seeded start ----------------------------------------------------------------------

    def _seed(self) -> None:
        config = self.config
        root = SimOrganizationUnit(
            id=config.organization_unit_id,
            name="Demo organization",
            customer_id=config.customer_id,
            type=5,
            iloq_api_user={
                "username": "livionkey-demo",
                "password": "iloq-demo-password",
                "customerCode": "DEMO1",
                "serviceAddress": "https://s5.iloq.example",
            },
        )
        self.units[root.id] = root
        self.add_account(
            "Demo integration", root.id, config.private_key_pem, config.service_account_id
        )
        for index in range(config.access_rights):
            name = _ACCESS_RIGHT_NAMES[index % len(_ACCESS_RIGHT_NAMES)]
            self.access_rights.append(
                {
                    "id": self.uuid(),
                    "name": f"{name} {index // len(_ACCESS_RIGHT_NAMES) + 1}",
                    "realEstatePath": f"Demo estate/Building A/{name}",
                    "default": index % 2 == 0,
                }
            )
        for index in range(config.key30_automats):
            automat = self._seed_automat("key30", f"Key automat {index + 1}", root.id)
            for locker in automat.lockers[: config.keys_per_automat]:
                key = SimMechanicalKey(
                    id=f"{automat.id}-{locker.index:02d}",
                    organization_unit_id=root.id,
                    name=f"Apartment {index + 1}{chr(65 + locker.index)}",
                    automat_id=automat.id,
                )
                self.mechanical_keys[key.id] = key
                locker.key_id, locker.key_inside = key.id, True
        if config.key20_automats:
            group = SimGroup(self.object_id(), "LivionKey20 automats", config.customer_id, 1)
            self.groups[group.id] = group
            for index in range(config.key20_automats):
                automat = self._seed_automat("key20", f"LivionKey20 {index + 1}", root.id)
                automat.groups.append(group.id)
                self.stock_iloq_keys(automat, config.iloq_keys_per_automat)

    def _seed_automat(self, product: str, name: str, unit_id: str) -> SimAutomat:
        automat = SimAutomat(
            id=self.automat_id(),
            name=name,
            product=product,
            organization_unit_id=unit_id,
            address="Mainstreet 1",
            postal_code="00100",
            postal_office="Helsinki",
            hw_id=f"hw-{self.rng.getrandbits(32):08x}",
            lockers=[SimLocker(i) for i in range(LOCKERS[product])],
        )
        self.automats[automat.id] = automat
        return automat
