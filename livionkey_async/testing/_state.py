"""``SimState``: one simulated LivionKey service, the single object the HTTP layer talks to.

It ties the parts together (the store of devices, keys and contracts, the seeded start, the
login and token rules, the rate limiter, and the per-resource rules) and resets them all at once.
It decides nothing itself: every rule lives in its own module, every documented failure is a
:class:`~._messages.SimError` with the wire contract's exact status and message, and the choices
the contract leaves open are listed in the docstring of the module that makes them:

- ``_auth_rules``: logins, tokens, the login throttle;
- ``_store``: lookups across accounts;
- ``_parse``: missing and malformed fields;
- ``_device_rules``, ``_key_rules``, ``_contract_rules``, ``_access_right_rules``: each route's
  answers;
- ``_assumptions``: every guess where Livion's documents are silent.

Pure, no I/O, deterministic from ``config.seed`` and ``config.clock``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._access_right_rules import AccessRightRules
from ._auth_rules import AuthRules
from ._config import Clock, SimConfig, SimStats
from ._contract_rules import ContractRules
from ._device_rules import DeviceRules
from ._key_rules import KeyRules
from ._messages import SimError
from ._rate_limit import RateDecision, RateLimiter
from ._records import SimContract, SimDevice
from ._seed import seed
from ._store import SimStore
from ._wire import JSONObj, Text, http_date

__all__ = ["SimState"]


class SimState:
    """Accounts, devices, keys, contracts, tokens and throttles of one simulated service."""

    def __init__(self, config: SimConfig, stats: SimStats | None = None) -> None:
        self.config = config
        self.stats = stats if stats is not None else SimStats()
        self.clock: Clock = config.clock
        self.store = SimStore(self.clock, config.seed)
        self.auth = AuthRules(config, self.stats, self.clock, self.store.not_authorized)
        self.limiter = RateLimiter(config, self.clock)
        self._devices = DeviceRules(self.store)
        self._keys = KeyRules(self.store)
        self._contracts = ContractRules(self.store, config, self.stats)
        self._access_rights = AccessRightRules(self.store, config)
        seed(self.store, config)

    def reset(self) -> None:
        """Back to the seeded start: same devices and keys, no contracts, no tokens."""
        self.store.reset()
        self.auth.reset()
        self.limiter.reset()
        seed(self.store, self.config)

    # ------------------------------------------------------------------ the data, for inspection

    @property
    def devices(self) -> dict[str, SimDevice]:
        return self.store.devices

    @property
    def accounts(self) -> dict[str, list[str]]:
        """Each account's device ids, by lower-cased email."""
        return self.store.accounts

    @property
    def contracts(self) -> dict[str, SimContract]:
        return self.store.contracts

    def all_contracts(self) -> list[SimContract]:
        return self.store.all_contracts()

    def contracts_by_contract_id(self) -> dict[str, list[SimContract]]:
        """Every live (not deleted) contract grouped by the caller's ``contractId``."""
        return self.store.contracts_by_contract_id()

    # ------------------------------------------------------------------ auth

    def login(self, body: object) -> tuple[str, float]:
        """Check a login body; answer ``(token, expires_at)`` or raise the documented error."""
        return self.auth.login(body)

    @staticmethod
    def http_date(ts: float) -> str:
        return http_date(ts)

    def not_authorized(self) -> SimError:
        return self.store.not_authorized()

    def authenticate(self, authorization: str | None) -> str:
        """The account an ``Authorization`` header speaks for, or the 403/401 of the contract."""
        return self.auth.authenticate(authorization)

    def revoke_tokens(self, email: str | None = None) -> int:
        """Invalidate every token (or one account's); answer how many were live."""
        return self.auth.revoke_tokens(email)

    # ------------------------------------------------------------------ rate limit

    @property
    def rate(self) -> float | None:
        return self.limiter.rate

    @property
    def burst(self) -> int | None:
        return self.limiter.burst

    @property
    def rate_limit_headers(self) -> bool:
        return self.limiter.headers

    def set_rate_limit(
        self, rate: float | None, burst: int | None = None, *, headers: bool | None = None
    ) -> None:
        """Change the per-account token bucket live (``rate=None`` turns it off)."""
        self.limiter.configure(rate, burst, headers=headers)

    def rate_limit_settings(self) -> JSONObj:
        return self.limiter.settings()

    def rate_check(self, account: str) -> RateDecision | None:
        """Take one token from the account's bucket; ``None`` when there is no limit."""
        return self.limiter.check(account)

    # ------------------------------------------------------------------ devices

    def list_devices(
        self,
        account: str,
        *,
        products: Sequence[str] = (),
        extend: str | None = None,
        limit: str | None = None,
        after: str | None = None,
    ) -> object:
        """``GET /devices``: a bare array without ``limit``, a page object with it."""
        return self._devices.list_devices(
            account, products=products, extend=extend, limit=limit, after=after
        )

    def get_device(self, account: str, device_id: str, *, extend: str | None = None) -> JSONObj:
        return self._devices.get_device(account, device_id, extend=extend)

    def device_keys(self, account: str, device_id: str) -> list[JSONObj]:
        return self._devices.device_keys(account, device_id)

    def device_contracts(self, account: str, device_id: str) -> list[JSONObj]:
        return self._devices.device_contracts(account, device_id)

    def device_lockers(self, account: str, device_id: str) -> JSONObj:
        return self._devices.device_lockers(account, device_id)

    def device_locker(self, account: str, device_id: str, locker_index: str) -> JSONObj:
        return self._devices.device_locker(account, device_id, locker_index)

    def open_door(self, account: str, device_id: str, body: object) -> Text:
        return self._devices.open_door(account, device_id, body)

    def unlock(self, account: str, device_id: str) -> Text:
        """``POST /devices/{id}/unlock``: open a keypad's lock."""
        return self._devices.unlock(account, device_id)

    def set_device(
        self,
        device_id: str,
        *,
        connection_state: str | None = None,
        reserved: bool | None = None,
        busy: bool | None = None,
    ) -> JSONObj:
        """Control plane: disconnect, reserve or busy a device (``opendoor`` then fails)."""
        return self._devices.set_device(
            device_id, connection_state=connection_state, reserved=reserved, busy=busy
        )

    # ------------------------------------------------------------------ keys

    def create_key(self, account: str, body: object) -> JSONObj:
        """``POST /keys``: hang a new key, in the locker asked for or the first free one."""
        return self._keys.create_key(account, body)

    def update_key(self, account: str, key_id: str, body: object) -> Text:
        """``POST /keys/{keyId}``: rename, recode, move or (un)share a key."""
        return self._keys.update_key(account, key_id, body)

    def delete_key(self, account: str, key_id: str, device_id: str | None) -> Text:
        return self._keys.delete_key(account, key_id, device_id)

    def get_key(
        self, account: str, key_id: str, *, device_id: str | None = None, key_status: bool = False
    ) -> list[JSONObj]:
        """``GET /keys/{keyId}``: the key with its contracts, wrapped in an array."""
        return self._keys.get_key(account, key_id, device_id=device_id, key_status=key_status)

    def key_status(self, account: str, key_id: str, device_id: str | None) -> JSONObj:
        return self._keys.key_status(account, key_id, device_id)

    def regenerate_backup_codes(self, account: str, key_id: str, body: object) -> Text:
        return self._keys.regenerate_backup_codes(account, key_id, body)

    def key_action(self, device_id: str, key_id: str, action: str) -> JSONObj:
        """Control plane: the person fetched or returned a key (or failed to return it)."""
        return self._keys.key_action(device_id, key_id, action)

    # ------------------------------------------------------------------ contracts

    def create_contract(self, account: str, body: object) -> JSONObj:
        """``POST /contracts``: answer ``{id, pincode}`` or the documented refusal."""
        return self._contracts.create_contract(account, body)

    def get_contract(self, account: str, object_id: str) -> JSONObj:
        return self._contracts.get_contract(account, object_id)

    def update_contract(self, account: str, object_id: str, body: object) -> Text:
        """``POST /contracts/{id}``: ``devices`` required, the rest optional."""
        return self._contracts.update_contract(account, object_id, body)

    def regenerate_pincode(self, account: str, object_id: str, body: object) -> JSONObj:
        return self._contracts.regenerate_pincode(account, object_id, body)

    def delete_contract(self, account: str, object_id: str) -> Text:
        return self._contracts.delete_contract(account, object_id)

    # ------------------------------------------------------------------ keypad access rights

    def create_access_right(self, account: str, body: object) -> JSONObj:
        return self._access_rights.create(account, body)

    def get_access_right(self, account: str, object_id: str) -> JSONObj:
        return self._access_rights.get(account, object_id)

    def update_access_right(self, account: str, object_id: str, body: object) -> Text:
        return self._access_rights.update(account, object_id, body)

    def regenerate_access_right_pincode(self, account: str, object_id: str, body: object) -> str:
        return self._access_rights.regenerate_pincode(account, object_id, body)

    def delete_access_right(self, account: str, object_id: str) -> Text:
        return self._access_rights.delete(account, object_id)

    def device_access_rights(self, account: str, device_id: str) -> list[JSONObj]:
        return self._access_rights.device_access_rights(account, device_id)
