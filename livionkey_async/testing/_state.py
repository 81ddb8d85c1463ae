"""The simulated LivionKey service's memory and rules: pure, no I/O, deterministic from a seed.

Everything the real service decides (who may log in, which locker a key gets, whether a contract
overlaps, which pincode is free, what a response looks like on the wire) is decided here, so the
rules can be read and tested without a socket. Every documented failure raises :class:`SimError`
with the status and the exact message of the wire contract (``spec/livionkey-api-v1.md``); the
few messages the contract does not document live in :class:`Assumed`, one place to correct.

Choices the wire contract leaves open (all **assumed**, kept consistent across the simulator):

- An unknown device answers ``400 Device not found`` on the ``/devices/...`` and ``/contracts``
  routes and ``400 no such device`` on the ``/keys`` routes (the contract documents both, so a
  client must map both). A ``keypad`` or ``key20`` device gets the same answers from every V1
  key, contract and locker operation: V1 does not serve them, so to V1 they are unknown devices.
  ``GET /devices/{id}`` still describes them (with no lockers) and
  ``GET /devices?products=keypad,key20`` lists them.
- A device or contract that exists but belongs to another account answers ``401`` (the contract's
  "no access to that resource").
- Key ids are unique per device (``DELETE``/``status`` need ``deviceId``); ``GET /keys/{keyId}``
  without ``deviceId`` answers the first match among the account's devices in id order.
- Missing query parameters answer ``<field> is required``; missing body fields
  ``Missing <field> from parameters``; "missing" follows JavaScript truthiness (absent, ``null``,
  ``""``, ``false`` and ``0`` are missing; ``[]`` is not, so an empty ``devices`` is
  ``No devices``).
- ``pageInfo``: ``start`` is the offset of the first device returned, ``end`` the offset just past
  the last one (pass it as ``after`` for the next page), ``hasNext`` whether more follow.
- Contract ``start`` is always required; ``type: "return"`` also needs ``end``; ``perm: true``
  stores ``end`` as ``null`` whatever was sent. Pincodes are unique among an account's live
  contracts (not deleted, not ended). A deleted contract frees its ``contractId``.
- ``POST /keys/{keyId}`` answers ``{"lockerIndex": n}`` like ``POST /keys``; ``POST
  /contracts/{id}`` answers the updated contract; deletes and ``opendoor`` answer
  ``{"success": true}``; backup-code regeneration answers ``{"backupCodes": [...]}``.
- A lockerIndex already taken by another key answers ``no free lockers``; ``opendoor`` past the
  last locker answers ``Locker index is too big``, ``GET .../lockers/{n}`` answers
  ``404 locker not found``.
- Locker states: ``lockerWithKey`` (key inside), ``lockerWithoutKey`` (key fetched),
  ``lockerEmpty`` (no key assigned).
- A single-device contract's ``tag`` is the device's tag (a string); a multi-device contract's is
  the list of its devices' tags (the wire contract allows both).
- ``opendoor`` on a reserved device answers ``409 Device is reserved``; on an offline one
  ``400 Device error`` (both states are set through the control plane).
- Every login issues a new token (``forceRefresh`` is accepted and changes nothing). The login
  throttle counts every attempt, failed ones included, per email over a sliding window.
"""

from __future__ import annotations

import base64
import hmac
import json
import math
import random
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import formatdate

from attrs import define, field, frozen, validators

__all__ = [
    "ALL_PRODUCTS",
    "LANGUAGES",
    "LOCKERS",
    "V1_PRODUCTS",
    "AccountConfig",
    "Assumed",
    "Faults",
    "Msg",
    "RateDecision",
    "SimConfig",
    "SimContract",
    "SimDevice",
    "SimError",
    "SimKey",
    "SimState",
    "SimStats",
    "iso",
]

Clock = Callable[[], float]
JSONObj = dict[str, object]

V1_PRODUCTS = ("key30", "keyX")
ALL_PRODUCTS = ("key30", "keyX", "keypad", "key20")
LOCKERS = {"key30": 30, "keyX": 1, "keypad": 0, "key20": 20}
LANGUAGES = ("fi-fi", "en-gb", "swe-swe", "no-no", "da-da")
CONTRACT_TYPES = ("default", "fetch", "return")
KEY_ACTIONS = ("key-added", "key-fetched", "key-returned", "key-not-returned")
MAX_LIMIT_WITH_LOCKERS = 50
_PINCODE = re.compile(r"[0-9]{4,8}")
_DIGITS = re.compile(r"[0-9]+")


class Msg:
    """The documented plain-text messages, verbatim from the wire contract."""

    MISSING_EMAIL = "Missing email from parameters"
    MISSING_PASSWORD = "Missing password from parameters"
    BAD_CREDENTIALS = "Firebase: Error (auth/invalid-login-credentials)."
    LOGIN_THROTTLED = "Too many login attempts, try again later"
    NO_TOKEN = "No token provided."
    DEVICE_NOT_FOUND = "Device not found"
    NO_SUCH_DEVICE = "no such device"
    NO_SUCH_KEY = "no such key"
    KEY_ID_NOT_FOUND = "KeyId not found"
    CONTRACT_NOT_FOUND = "Contract not found"
    CONTRACT_ID_IN_USE = "ContractId already in use"
    KEY_EXISTS = "key already exists with that keyId"
    OVERLAP = "Overlapping contract existing"
    PINCODE_USED = "Pincode already used in existing contracts"
    START_BEFORE_END = "Start time should be before End time"
    START_IN_FUTURE = "Start time should be in the future"
    BODY_REQUIRED = "body is required"
    NO_DEVICES = "No devices"
    NO_FREE_LOCKERS = "no free lockers"
    LOCKER_INDEX_TOO_BIG = "lockerIndex is too big"
    LOCKER_INDEX_TOO_BIG_DOOR = "Locker index is too big"
    MALFORMED_LOCKER_INDEX = "malformed locker index"
    DEVICE_ERROR = "Device error"
    DEVICE_RESERVED = "Device is reserved"
    LOCKER_NOT_FOUND = "locker not found"
    INTERNAL = "Internal Server Error"

    @staticmethod
    def missing(field_name: str) -> str:
        return f"Missing {field_name} from parameters"

    @staticmethod
    def required(field_name: str) -> str:
        return f"{field_name} is required"


class Assumed:
    """Messages the wire contract does not document; one place to correct them."""

    @staticmethod
    def malformed(field_name: str) -> str:
        return f"malformed {field_name}"

    @staticmethod
    def bad_date(field_name: str) -> str:
        return f"{field_name} is not a valid date"

    LIMIT_TOO_BIG = "limit is too big"
    BAD_LANGUAGE = "language must be one of " + ", ".join(LANGUAGES)


@define(slots=False)
class SimError(Exception):
    """A documented failure: the status, the message and whether the body is JSON."""

    status: int
    message: str
    json_body: bool = False
    headers: dict[str, str] = field(factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.message}"

    def body(self) -> str:
        """The response body exactly as the service sends it."""
        if self.json_body:
            return _dumps({"success": False, "message": self.message})
        return self.message


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def iso(ts: float) -> str:
    """Epoch seconds as the wire's ISO-8601 UTC with milliseconds: ``2026-10-01T12:00:00.000Z``."""
    text = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _probability(_: object, attribute: object, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{getattr(attribute, 'name', 'rate')} must be within 0..1, not {value}")


def _non_negative(_: object, attribute: object, value: float) -> None:
    if value < 0:
        raise ValueError(f"{getattr(attribute, 'name', 'value')} must be >= 0, not {value}")


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


def _account_tuple(values: Iterable[AccountConfig]) -> tuple[AccountConfig, ...]:
    return tuple(values)


@define(kw_only=True)
class Faults:
    """Fault knobs, all off by default; change them while the simulator runs.

    ``latency`` (+ up to ``jitter``) seconds before every request (login included);
    ``fail_rate`` answers one of ``fail_statuses`` without running the handler; ``drop_rate``
    drops the connection before the handler; ``drop_after_commit_rate`` lets a POST/DELETE
    handler commit its write, then drops the connection unanswered; ``slow_rate`` runs the handler,
    then holds the answer ``slow_seconds``. Only latency applies to ``/auth/login`` unless
    ``include_login``; nothing applies to ``/_sim/``.
    """

    latency: float = field(default=0.0, validator=_non_negative)
    jitter: float = field(default=0.0, validator=_non_negative)
    fail_rate: float = field(default=0.0, validator=_probability)
    fail_statuses: tuple[int, ...] = field(
        default=(503, 502, 500),
        converter=_int_tuple,
        validator=validators.deep_iterable(validators.in_(range(500, 600))),
    )
    drop_rate: float = field(default=0.0, validator=_probability)
    drop_after_commit_rate: float = field(default=0.0, validator=_probability)
    slow_rate: float = field(default=0.0, validator=_probability)
    slow_seconds: float = field(default=30.0, validator=_non_negative)
    include_login: bool = False

    def as_dict(self) -> JSONObj:
        return {
            "latency": self.latency,
            "jitter": self.jitter,
            "fail_rate": self.fail_rate,
            "fail_statuses": list(self.fail_statuses),
            "drop_rate": self.drop_rate,
            "drop_after_commit_rate": self.drop_after_commit_rate,
            "slow_rate": self.slow_rate,
            "slow_seconds": self.slow_seconds,
            "include_login": self.include_login,
        }

    def update(self, changes: Mapping[str, object]) -> None:
        """Apply a partial update (the control plane's JSON), all or nothing; ValueError if bad."""
        unknown = sorted(set(changes) - set(self.as_dict()))
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(unknown)}")
        trial = self.copy()
        for name, value in _checked_faults(changes).items():
            setattr(trial, name, value)  # attrs validates (and converts) on setattr
        self.copy_from(trial)

    def copy_from(self, other: Faults) -> None:
        """Take every knob from ``other`` in place (holders of this object see the change)."""
        for name in self.as_dict():
            setattr(self, name, getattr(other, name))

    def copy(self) -> Faults:
        trial = Faults()
        trial.copy_from(self)
        return trial


def _checked_faults(changes: Mapping[str, object]) -> dict[str, object]:
    """Type-check control-plane JSON before attrs checks the ranges."""
    out: dict[str, object] = {}
    for name, value in changes.items():
        if name == "include_login":
            if not isinstance(value, bool):
                raise ValueError("include_login must be a boolean")
            out[name] = value
        elif name == "fail_statuses":
            if not isinstance(value, list) or not value:
                raise ValueError("fail_statuses must be a non-empty list of integers")
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                raise ValueError("fail_statuses must be a non-empty list of integers")
            out[name] = tuple(value)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number")
        else:
            out[name] = float(value)
    return out


@define(kw_only=True)
class SimStats:
    """Counters of what the simulator saw and did (``GET /_sim/stats`` shows the same)."""

    requests: int = 0
    logins: int = 0
    throttled: int = 0
    unauthorized: int = 0
    forbidden: int = 0
    contracts: int = 0
    duplicate_contract_ids_refused: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    dropped: int = 0
    failed: int = 0
    slowed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "logins": self.logins,
            "throttled": self.throttled,
            "unauthorized": self.unauthorized,
            "forbidden": self.forbidden,
            "contracts": self.contracts,
            "duplicate_contract_ids_refused": self.duplicate_contract_ids_refused,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "dropped": self.dropped,
            "failed": self.failed,
            "slowed": self.slowed,
        }

    def reset(self) -> None:
        for name in self.as_dict():
            setattr(self, name, 0)


def _count(_: object, attribute: object, value: int) -> None:
    if value < 0:
        raise ValueError(f"{getattr(attribute, 'name', 'count')} must be >= 0")


def _keys_fit(_: object, attribute: object, value: int) -> None:
    if not 0 <= value <= LOCKERS["key30"]:
        raise ValueError(f"keys must be within 0..{LOCKERS['key30']} (a key30 has 30 lockers)")


@frozen(kw_only=True)
class AccountConfig:
    """One account of the simulated service and the devices it owns.

    ``devices`` key30 automats with ``keys`` keys each, then ``keyx_devices`` keyX automats with one
    key each (when ``keys`` > 0), then ``keypad_devices`` and ``key20_devices`` (listed only when
    asked for with ``products=``).
    """

    email: str
    password: str = field(repr=False)
    devices: int = field(default=3, validator=_count)
    keys: int = field(default=5, validator=_keys_fit)
    keyx_devices: int = field(default=1, validator=_count)
    keypad_devices: int = field(default=1, validator=_count)
    key20_devices: int = field(default=1, validator=_count)


def _positive(_: object, attribute: object, value: float | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{getattr(attribute, 'name', 'value')} must be > 0")


def _positive_int(_: object, attribute: object, value: int | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{getattr(attribute, 'name', 'value')} must be > 0")


@frozen(kw_only=True)
class SimConfig:
    """How a simulator starts (and what ``reset`` returns it to).

    The first account is ``email``/``password`` with the device counts given here;
    ``extra_accounts`` add more. ``clock`` (epoch seconds) drives token expiry, the login throttle,
    the rate limiter and "start in the future"; inject a fake one to test expiry without sleeping.
    ``rate`` (requests/second per account, ``None`` = unlimited) and ``burst`` (default
    ``max(1, ceil(rate))``) shape a token bucket; ``rate_limit_headers`` adds the IETF draft
    ``RateLimit``/``RateLimit-Policy`` and ``X-RateLimit-*`` headers. ``faults`` is copied into
    the live :class:`Faults` at start and on reset.
    """

    email: str = "demo@example.com"
    password: str = field(default="livionkey-demo", repr=False)
    devices: int = field(default=3, validator=_count)
    keys: int = field(default=5, validator=_keys_fit)
    keyx_devices: int = field(default=1, validator=_count)
    keypad_devices: int = field(default=1, validator=_count)
    key20_devices: int = field(default=1, validator=_count)
    extra_accounts: tuple[AccountConfig, ...] = field(default=(), converter=_account_tuple)
    seed: int = 0
    token_lifetime: float = field(default=3600.0, validator=_positive)
    login_limit: int = field(default=30, validator=_positive_int)
    login_window: float = field(default=60.0, validator=_positive)
    rate: float | None = field(default=None, validator=_positive)
    burst: int | None = field(default=None, validator=_positive_int)
    rate_limit_headers: bool = False
    faults: Faults = field(factory=Faults)
    start_grace: float = field(default=0.0, validator=_non_negative)
    host: str = "127.0.0.1"
    port: int = 0
    shutdown_timeout: float = field(default=0.5, validator=_non_negative)
    access_log: bool = False
    clock: Clock = field(default=time.time, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        emails = [a.email.lower() for a in self.accounts()]
        if len(set(emails)) != len(emails):
            raise ValueError("account emails must be unique")

    def accounts(self) -> tuple[AccountConfig, ...]:
        """Every account, the primary one first."""
        primary = AccountConfig(
            email=self.email,
            password=self.password,
            devices=self.devices,
            keys=self.keys,
            keyx_devices=self.keyx_devices,
            keypad_devices=self.keypad_devices,
            key20_devices=self.key20_devices,
        )
        return (primary, *self.extra_accounts)


@define(kw_only=True)
class KeyEvent:
    """One key status event (``GET /keys/{keyId}/status`` answers the latest)."""

    event_id: str
    timestamp: float
    action: str
    device_id: str
    key_id: str
    locker_index: int
    tag: str
    before_key: str | None
    after_key: str | None

    def to_wire(self) -> JSONObj:
        before: JSONObj | None = None
        if self.action != "key-added":
            before = {"lockerIndex": str(self.locker_index), "keyId": self.before_key}
        return {
            "id": self.event_id,
            "timestamp": iso(self.timestamp),
            "tag": self.tag,
            "source": "device",
            "sourceId": self.device_id,
            "action": self.action,
            "data": {
                "before": before,
                "after": {"lockerIndex": str(self.locker_index), "keyId": self.after_key},
                "text": self.action.replace("-", " ").capitalize(),
                "value": None,
                "sourceTime": iso(self.timestamp),
                "attachment": None,
            },
        }


@define(kw_only=True)
class SimKey:
    """A physical key hung in one locker of one device."""

    key_id: str
    device_id: str
    key_name: str
    locker_index: int
    shared: bool = False
    key_code: str | None = field(default=None, repr=False)
    backup_codes: list[str] = field(factory=list, repr=False)
    inside: bool = True
    events: list[KeyEvent] = field(factory=list, repr=False)


@define(kw_only=True)
class SimDevice:
    """An automat: its product decides how many lockers it has and whether V1 serves it."""

    device_id: str
    account: str
    product: str
    name: str
    tag: str
    connection_state: str = "online"
    synced_at: float = 0.0
    reserved: bool = False
    keys: dict[str, SimKey] = field(factory=dict)

    @property
    def lockers(self) -> int:
        return LOCKERS[self.product]

    def key_in_locker(self, index: int) -> SimKey | None:
        for key in self.keys.values():
            if key.locker_index == index:
                return key
        return None

    def free_locker(self) -> int | None:
        taken = {k.locker_index for k in self.keys.values()}
        return next((i for i in range(self.lockers) if i not in taken), None)


@frozen
class ContractDevice:
    device_id: str
    key_id: str
    product: str


@frozen(kw_only=True)
class Contact:
    email: str | None = None
    phone_number: str | None = None
    send_sms: bool = False
    send_email: bool = False
    language: str = "en-gb"

    def to_wire(self) -> JSONObj:
        return {
            "email": self.email,
            "phoneNumber": self.phone_number,
            "sendSms": self.send_sms,
            "sendEmail": self.send_email,
            "language": self.language,
        }


@define(kw_only=True)
class SimContract:
    """A contract: who may fetch which keys, when, with which pincode."""

    object_id: str
    contract_id: str
    account: str
    devices: list[ContractDevice]
    pincode: str = field(repr=False)
    start: float
    end: float | None
    perm: bool
    person: str = field(repr=False)
    contacts: list[Contact] = field(repr=False)
    free_text: str | None = field(default=None, repr=False)
    tag: str | list[str] = ""
    contract_type: str = "default"
    created_at: float = 0.0
    seq: int = 0

    def live(self, now: float) -> bool:
        return self.end is None or self.end > now

    def overlaps(self, start: float, end: float | None) -> bool:
        mine_end = math.inf if self.end is None else self.end
        theirs_end = math.inf if end is None else end
        return self.start < theirs_end and start < mine_end

    def to_wire(self) -> JSONObj:
        return {
            "id": self.object_id,
            "contractId": self.contract_id,
            "keyId": self.devices[0].key_id if self.devices else None,
            "devices": [
                {"id": d.device_id, "keyId": d.key_id, "product": d.product} for d in self.devices
            ],
            "pincode": self.pincode,
            "start": iso(self.start),
            "end": None if self.end is None else iso(self.end),
            "perm": self.perm,
            "person": self.person,
            "contacts": [c.to_wire() for c in self.contacts],
            "freeText": self.free_text,
            "tag": self.tag,
            "recurrent": False,
            "type": self.contract_type,
        }


@frozen
class RateDecision:
    """The token bucket's answer for one request, with what the optional headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int
    window: int


@define
class TokenBucket:
    """``rate`` tokens per second up to ``burst``; one request takes one token."""

    rate: float
    burst: int
    tokens: float
    updated: float

    def take(self, now: float) -> RateDecision:
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        allowed = self.tokens >= 1.0
        if allowed:
            self.tokens -= 1.0
        retry_after = 0 if allowed else max(1, math.ceil((1.0 - self.tokens) / self.rate))
        return RateDecision(
            allowed=allowed,
            limit=self.burst,
            remaining=int(self.tokens),
            reset=max(0, math.ceil((self.burst - self.tokens) / self.rate)),
            retry_after=retry_after,
            window=max(1, math.ceil(self.burst / self.rate)),
        )


@define
class _Token:
    account: str
    expires_at: float


_PLACES = ("Helsinki", "Espoo", "Tampere", "Turku", "Oulu", "Stockholm", "Oslo", "Copenhagen")
_SITES = ("Central", "Airport", "Harbour", "Station", "Garage", "Depot", "Office", "Mall")


def _truthy(value: object) -> bool:
    """JavaScript truthiness: what the service's ``if (!body.x)`` checks see."""
    if value is None or value is False or value == "":
        return False
    return not (isinstance(value, int | float) and not isinstance(value, bool) and value == 0)


def _require(body: Mapping[str, object], name: str) -> object:
    value = body.get(name)
    if not _truthy(value):
        raise SimError(400, Msg.missing(name))
    return value


def _require_str(body: Mapping[str, object], name: str) -> str:
    value = _require(body, name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise SimError(400, Assumed.malformed(name))
    return value


def _opt_str(body: Mapping[str, object], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SimError(400, Assumed.malformed(name))
    return value


def _opt_bool(body: Mapping[str, object], name: str) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise SimError(400, Assumed.malformed(name))
    return value


def _body(body: object) -> dict[str, object]:
    if not isinstance(body, dict) or not body:
        raise SimError(400, Msg.BODY_REQUIRED)
    return {str(k): v for k, v in body.items()}


def _parse_date(value: object, name: str) -> float:
    if not isinstance(value, str):
        raise SimError(400, Assumed.bad_date(name))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise SimError(400, Assumed.bad_date(name)) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _parse_locker_index(value: object) -> int:
    if isinstance(value, bool):
        raise SimError(400, Msg.MALFORMED_LOCKER_INDEX)
    if isinstance(value, int):
        index = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        index = int(value.strip())
    else:
        raise SimError(400, Msg.MALFORMED_LOCKER_INDEX)
    if index < 0:
        raise SimError(400, Msg.MALFORMED_LOCKER_INDEX)
    return index


def _parse_count(value: str, name: str, *, minimum: int) -> int:
    if not _DIGITS.fullmatch(value) or int(value) < minimum:
        raise SimError(400, Assumed.malformed(name))
    return int(value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class SimState:
    """Accounts, devices, keys, contracts, tokens and throttles of one simulated service."""

    def __init__(self, config: SimConfig, stats: SimStats | None = None) -> None:
        self.config = config
        self.stats = stats if stats is not None else SimStats()
        self.clock: Clock = config.clock
        self.rate: float | None = config.rate
        self.burst: int | None = config.burst
        self.rate_limit_headers = config.rate_limit_headers
        self.reset()

    # ------------------------------------------------------------------ setup

    def reset(self) -> None:
        """Back to the seeded start: same devices and keys, no contracts, no tokens."""
        self._rng = random.Random(self.config.seed)
        self._error_ids = 0
        self.passwords: dict[str, str] = {}
        self.accounts: dict[str, list[str]] = {}
        self.devices: dict[str, SimDevice] = {}
        self.contracts: dict[str, SimContract] = {}
        # Indexes, so a bulk run of thousands of contracts stays linear.
        self._by_contract_id: dict[tuple[str, str], SimContract] = {}
        self._by_key: dict[tuple[str, str], dict[str, SimContract]] = {}
        self._by_pincode: dict[tuple[str, str], dict[str, SimContract]] = {}
        self._seq = 0
        self._tokens: dict[str, _Token] = {}
        self._login_attempts: dict[str, deque[float]] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self.rate = self.config.rate
        self.burst = self.config.burst
        self.rate_limit_headers = self.config.rate_limit_headers
        now = self.clock()
        number = 0
        for account in self.config.accounts():
            email = account.email.lower()
            self.passwords[email] = account.password
            self.accounts[email] = []
            plan = (
                [("key30", account.keys)] * account.devices
                + [("keyX", min(account.keys, 1))] * account.keyx_devices
                + [("keypad", 0)] * account.keypad_devices
                + [("key20", 0)] * account.key20_devices
            )
            for product, key_count in plan:
                number += 1
                device = self._seed_device(f"{number:05d}", email, product, now)
                lockers = sorted(self._rng.sample(range(device.lockers), key_count))
                for n, locker in enumerate(lockers, start=1):
                    self._add_key(
                        device,
                        key_id=f"A{n:04d}",
                        key_name=self._plate(),
                        locker_index=locker,
                        shared=False,
                        key_code=f"{self._rng.randrange(10**6):06d}",
                        now=now,
                    )
                self.devices[device.device_id] = device
                self.accounts[email].append(device.device_id)

    def _seed_device(self, device_id: str, account: str, product: str, now: float) -> SimDevice:
        place = self._rng.choice(_PLACES)
        site = self._rng.choice(_SITES)
        return SimDevice(
            device_id=device_id,
            account=account,
            product=product,
            name=f"{place} {site} {device_id}",
            tag=place.lower(),
            synced_at=now - self._rng.randrange(60, 86400),
        )

    def _plate(self) -> str:
        letters = "".join(self._rng.choice("ABCDEFGHJKLMNPRSTUVXYZ") for _ in range(3))
        return f"{letters}-{self._rng.randrange(1, 1000)}"

    def _object_id(self, now: float) -> str:
        return f"{int(now) & 0xFFFFFFFF:08x}{self._rng.getrandbits(64):016x}"

    def _backup_codes(self) -> list[str]:
        return [f"{self._rng.randrange(10**6):06d}" for _ in range(3)]

    def _add_key(
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
            backup_codes=self._backup_codes(),
        )
        device.keys[key_id] = key
        self._event(device, key, "key-added", now)
        return key

    def _event(self, device: SimDevice, key: SimKey, action: str, now: float) -> KeyEvent:
        inside_before = action in ("key-fetched", "key-not-returned")
        event = KeyEvent(
            event_id=self._object_id(now),
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
        return event

    # ------------------------------------------------------------------ auth

    def login(self, body: object) -> tuple[str, float]:
        """Check a login body; answer ``(token, expires_at)`` or raise the documented error."""
        fields = body if isinstance(body, dict) else {}
        email = fields.get("email")
        password = fields.get("password")
        if not _truthy(email):
            raise SimError(400, Msg.MISSING_EMAIL)
        if not _truthy(password):
            raise SimError(400, Msg.MISSING_PASSWORD)
        now = self.clock()
        key = str(email).lower()
        attempts = self._login_attempts.setdefault(key, deque())
        while attempts and attempts[0] <= now - self.config.login_window:
            attempts.popleft()
        if len(attempts) >= self.config.login_limit:
            wait = max(1, math.ceil(attempts[0] + self.config.login_window - now))
            raise SimError(429, Msg.LOGIN_THROTTLED, headers={"Retry-After": str(wait)})
        attempts.append(now)
        known = self.passwords.get(key)
        if (
            known is None
            or not isinstance(password, str)
            or not hmac.compare_digest(known.encode(), password.encode())
        ):
            raise SimError(400, Msg.BAD_CREDENTIALS)
        expires_at = now + self.config.token_lifetime
        header = _b64(b'{"alg":"RS256","typ":"JWT"}')
        claims = _b64(_dumps({"sub": key, "iat": int(now), "exp": int(expires_at)}).encode())
        token = f"{header}.{claims}.{secrets.token_urlsafe(32)}"
        self._tokens[token] = _Token(key, expires_at)
        self.stats.logins += 1
        return token, expires_at

    @staticmethod
    def http_date(ts: float) -> str:
        return formatdate(ts, usegmt=True)

    def not_authorized(self) -> SimError:
        self._error_ids += 1
        stamp = iso(self.clock())
        return SimError(401, f"GraphQL - {stamp} - {self._error_ids:016x} - not authorized")

    def authenticate(self, authorization: str | None) -> str:
        """The account an ``Authorization`` header speaks for, or the 403/401 of the contract."""
        if not authorization or not authorization.startswith("Bearer "):
            raise SimError(403, Msg.NO_TOKEN, json_body=True)
        token = authorization[len("Bearer ") :].strip()
        if not token:
            raise SimError(403, Msg.NO_TOKEN, json_body=True)
        held = self._tokens.get(token)
        if held is None:
            raise self.not_authorized()
        if self.clock() >= held.expires_at:
            del self._tokens[token]
            raise self.not_authorized()
        return held.account

    def revoke_tokens(self, email: str | None = None) -> int:
        """Invalidate every token (or one account's); answer how many were live."""
        doomed = [
            t for t, held in self._tokens.items() if email is None or held.account == email.lower()
        ]
        for token in doomed:
            del self._tokens[token]
        return len(doomed)

    # ------------------------------------------------------------------ rate limit

    def set_rate_limit(
        self, rate: float | None, burst: int | None = None, *, headers: bool | None = None
    ) -> None:
        """Change the per-account token bucket live (``rate=None`` turns it off)."""
        if rate is not None and rate <= 0:
            raise ValueError("rate must be > 0")
        if burst is not None and burst <= 0:
            raise ValueError("burst must be > 0")
        self.rate = rate
        self.burst = burst
        if headers is not None:
            self.rate_limit_headers = headers
        self._buckets.clear()

    def rate_limit_settings(self) -> JSONObj:
        return {"rate": self.rate, "burst": self._burst(), "headers": self.rate_limit_headers}

    def _burst(self) -> int | None:
        if self.rate is None:
            return self.burst
        return self.burst if self.burst is not None else max(1, math.ceil(self.rate))

    def rate_check(self, account: str) -> RateDecision | None:
        """Take one token from the account's bucket; ``None`` when there is no limit."""
        burst = self._burst()
        if self.rate is None or burst is None:
            return None
        now = self.clock()
        bucket = self._buckets.get(account)
        if bucket is None:
            bucket = self._buckets[account] = TokenBucket(self.rate, burst, float(burst), now)
        return bucket.take(now)

    # ------------------------------------------------------------------ lookups

    def _device(
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

    def _key(self, device: SimDevice, key_id: str, message: str = Msg.NO_SUCH_KEY) -> SimKey:
        key = device.keys.get(key_id)
        if key is None:
            raise SimError(400, message)
        return key

    def _contract(self, account: str, object_id: str) -> SimContract:
        contract = self.contracts.get(object_id)
        if contract is None:
            raise SimError(400, Msg.CONTRACT_NOT_FOUND)
        if contract.account != account:
            raise self.not_authorized()
        return contract

    # ------------------------------------------------------------------ devices

    def _locker_wire(self, device: SimDevice, index: int) -> JSONObj:
        key = device.key_in_locker(index)
        if key is None:
            state, inside, ref = "lockerEmpty", False, None
        else:
            state = "lockerWithKey" if key.inside else "lockerWithoutKey"
            inside, ref = key.inside, {"id": key.key_id, "name": key.key_name}
        return {"lockerIndex": str(index), "state": state, "isKeyInside": inside, "key": ref}

    def _lockers_wire(self, device: SimDevice) -> list[JSONObj]:
        if device.product not in V1_PRODUCTS:
            return []
        return [self._locker_wire(device, i) for i in range(device.lockers)]

    @staticmethod
    def _synced(device: SimDevice) -> JSONObj:
        return {"timestamp": iso(device.synced_at), "isSynced": True}

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
        wanted: list[str] = []
        for value in products:
            wanted.extend(p.strip() for p in value.split(",") if p.strip())
        if any(p not in ALL_PRODUCTS for p in wanted):
            raise SimError(400, Assumed.malformed("products"))
        chosen = set(wanted) if wanted else set(V1_PRODUCTS)
        with_lockers = extend == "lockers"
        if (with_lockers or after is not None) and limit is None:
            raise SimError(400, Msg.required("limit"))
        devices = [
            self.devices[d] for d in self.accounts[account] if self.devices[d].product in chosen
        ]
        if limit is None:
            return [
                {
                    "deviceId": d.device_id,
                    "name": d.name,
                    "tag": d.tag,
                    "connectionState": d.connection_state,
                    "synced": self._synced(d),
                }
                for d in devices
            ]
        size = _parse_count(limit, "limit", minimum=1)
        if with_lockers and size > MAX_LIMIT_WITH_LOCKERS:
            raise SimError(400, Assumed.LIMIT_TOO_BIG)
        start = 0 if after is None else _parse_count(after, "after", minimum=0)
        page = devices[start : start + size]
        items: list[JSONObj] = []
        for d in page:
            item: JSONObj = {
                "id": d.device_id,
                "product": d.product,
                "name": d.name,
                "tag": d.tag,
                "connectionState": d.connection_state,
                "synced": self._synced(d),
            }
            if with_lockers:
                item["lockers"] = self._lockers_wire(d)
            items.append(item)
        end = start + len(page)
        return {
            "devices": items,
            "pageInfo": {"start": start, "end": end, "hasNext": end < len(devices)},
        }

    def get_device(self, account: str, device_id: str, *, extend: str | None = None) -> JSONObj:
        device = self._device(account, device_id, v1=False)
        out: JSONObj = {
            "id": device.device_id,
            "name": device.name,
            "tag": device.tag,
            "connectionState": device.connection_state,
            "synced": self._synced(device),
        }
        if extend == "lockers":
            out["lockers"] = self._lockers_wire(device)
        return out

    def device_keys(self, account: str, device_id: str) -> list[JSONObj]:
        device = self._device(account, device_id)
        return [
            {
                "keyId": k.key_id,
                "keyName": k.key_name,
                "shared": k.shared,
                "contracts": [c.to_wire() for c in self._key_contracts(k)],
                "backupCodes": list(k.backup_codes),
                "lockerIndex": k.locker_index,
            }
            for k in device.keys.values()
        ]

    def device_contracts(self, account: str, device_id: str) -> list[JSONObj]:
        device = self._device(account, device_id)
        return [
            c.to_wire()
            for c in self.contracts.values()
            if any(d.device_id == device.device_id for d in c.devices)
        ]

    def device_lockers(self, account: str, device_id: str) -> JSONObj:
        device = self._device(account, device_id)
        return {"deviceId": device.device_id, "lockers": self._lockers_wire(device)}

    def device_locker(self, account: str, device_id: str, locker_index: str) -> JSONObj:
        device = self._device(account, device_id)
        index = _parse_locker_index(locker_index)
        if index >= device.lockers:
            raise SimError(404, Msg.LOCKER_NOT_FOUND)
        return {"deviceId": device.device_id, "locker": self._locker_wire(device, index)}

    def open_door(self, account: str, device_id: str, body: object) -> JSONObj:
        device = self._device(account, device_id)
        fields = _body(body)
        if "lockerIndex" not in fields or fields["lockerIndex"] in (None, ""):
            raise SimError(400, Msg.missing("lockerIndex"))
        index = _parse_locker_index(fields["lockerIndex"])
        if index >= device.lockers:
            raise SimError(400, Msg.LOCKER_INDEX_TOO_BIG_DOOR)
        if device.reserved:
            raise SimError(409, Msg.DEVICE_RESERVED)
        if device.connection_state != "online":
            raise SimError(400, Msg.DEVICE_ERROR)
        return {"success": True}

    # ------------------------------------------------------------------ keys

    def _key_contracts(self, key: SimKey) -> list[SimContract]:
        held = self._by_key.get((key.device_id, key.key_id), {})
        return sorted(held.values(), key=lambda c: c.seq)

    def _store(self, contract: SimContract) -> None:
        self.contracts[contract.object_id] = contract
        self._index(contract)

    def _forget(self, contract: SimContract) -> None:
        del self.contracts[contract.object_id]
        self._unindex(contract)

    def _index(self, contract: SimContract) -> None:
        self._by_contract_id[(contract.account, contract.contract_id)] = contract
        for ref in contract.devices:
            self._by_key.setdefault((ref.device_id, ref.key_id), {})[contract.object_id] = contract
        pin = (contract.account, contract.pincode)
        self._by_pincode.setdefault(pin, {})[contract.object_id] = contract

    def _unindex(self, contract: SimContract) -> None:
        del self._by_contract_id[(contract.account, contract.contract_id)]
        for ref in contract.devices:
            self._by_key.get((ref.device_id, ref.key_id), {}).pop(contract.object_id, None)
        self._by_pincode.get((contract.account, contract.pincode), {}).pop(contract.object_id, None)

    def create_key(self, account: str, body: object) -> JSONObj:
        """``POST /keys``: hang a new key, in the locker asked for or the first free one."""
        fields = _body(body)
        key_id = _require_str(fields, "keyId")
        key_name = _require_str(fields, "keyName")
        device_id = _require_str(fields, "deviceId")
        key_code = _opt_str(fields, "keyCode")
        shared = _opt_bool(fields, "shared")
        _opt_bool(fields, "checkLockerStatus")
        wanted = fields.get("lockerIndex")
        index = None if wanted is None or wanted == "" else _parse_locker_index(wanted)
        device = self._device(account, device_id, missing=Msg.NO_SUCH_DEVICE)
        if key_id in device.keys:
            raise SimError(400, Msg.KEY_EXISTS)
        index = self._allocate(device, index, None)
        self._add_key(
            device,
            key_id=key_id,
            key_name=key_name,
            locker_index=index,
            shared=bool(shared),
            key_code=key_code,
            now=self.clock(),
        )
        return {"lockerIndex": index}

    @staticmethod
    def _allocate(device: SimDevice, wanted: int | None, moving: SimKey | None) -> int:
        if wanted is None:
            free = device.free_locker()
            if free is None:
                raise SimError(400, Msg.NO_FREE_LOCKERS)
            return free
        if wanted >= device.lockers:
            raise SimError(400, Msg.LOCKER_INDEX_TOO_BIG)
        holder = device.key_in_locker(wanted)
        if holder is not None and holder is not moving:
            raise SimError(400, Msg.NO_FREE_LOCKERS)
        return wanted

    def update_key(self, account: str, key_id: str, body: object) -> JSONObj:
        """``POST /keys/{keyId}``: rename, recode, move or (un)share a key."""
        fields = _body(body)
        device_id = _require_str(fields, "deviceId")
        key_name = _opt_str(fields, "keyName")
        key_code = _opt_str(fields, "keyCode")
        shared = _opt_bool(fields, "shared")
        _opt_bool(fields, "checkLockerStatus")
        wanted = fields.get("lockerIndex")
        index = None if wanted is None or wanted == "" else _parse_locker_index(wanted)
        device = self._device(account, device_id, missing=Msg.NO_SUCH_DEVICE)
        key = self._key(device, key_id)
        new_index = key.locker_index if index is None else self._allocate(device, index, key)
        if shared is False and key.shared:
            mine = self._key_contracts(key)
            for i, a in enumerate(mine):
                if any(a.overlaps(b.start, b.end) for b in mine[i + 1 :]):
                    raise SimError(400, Msg.OVERLAP)
        key.locker_index = new_index
        if key_name:
            key.key_name = key_name
        if key_code is not None:
            key.key_code = key_code
        if shared is not None:
            key.shared = shared
        return {"lockerIndex": key.locker_index}

    def delete_key(self, account: str, key_id: str, device_id: str | None) -> JSONObj:
        if not device_id:
            raise SimError(400, Msg.required("deviceId"))
        device = self._device(account, device_id, missing=Msg.NO_SUCH_DEVICE)
        self._key(device, key_id)
        del device.keys[key_id]
        return {"success": True}

    def get_key(
        self, account: str, key_id: str, *, device_id: str | None = None, key_status: bool = False
    ) -> JSONObj:
        """``GET /keys/{keyId}``: the key (not wrapped in an array) with its contracts."""
        if device_id:
            key = self._key(
                self._device(account, device_id, missing=Msg.NO_SUCH_DEVICE),
                key_id,
                Msg.KEY_ID_NOT_FOUND,
            )
        else:
            found = [
                self.devices[d].keys[key_id]
                for d in self.accounts[account]
                if self.devices[d].product in V1_PRODUCTS and key_id in self.devices[d].keys
            ]
            if not found:
                raise SimError(400, Msg.KEY_ID_NOT_FOUND)
            key = found[0]
        contracts: list[JSONObj] = []
        for contract in self._key_contracts(key):
            wire = contract.to_wire()
            if key_status and key.events:
                latest = key.events[-1]
                wire["keyStatus"] = {"action": latest.action, "timestamp": iso(latest.timestamp)}
            contracts.append(wire)
        return {
            "keyId": key.key_id,
            "deviceId": key.device_id,
            "keyName": key.key_name,
            "keyCode": key.key_code,
            "lockerIndex": key.locker_index,
            "shared": key.shared,
            "backupCodes": list(key.backup_codes),
            "contracts": contracts,
        }

    def key_status(self, account: str, key_id: str, device_id: str | None) -> JSONObj:
        if not device_id:
            raise SimError(400, Msg.required("deviceId"))
        key = self._key(self._device(account, device_id, missing=Msg.NO_SUCH_DEVICE), key_id)
        return key.events[-1].to_wire()

    def regenerate_backup_codes(self, account: str, key_id: str, body: object) -> JSONObj:
        fields = _body(body)
        device_id = _require_str(fields, "deviceId")
        key = self._key(self._device(account, device_id, missing=Msg.NO_SUCH_DEVICE), key_id)
        key.backup_codes = self._backup_codes()
        return {"backupCodes": list(key.backup_codes)}

    def key_action(self, device_id: str, key_id: str, action: str) -> JSONObj:
        """Control plane: the person fetched or returned a key (or failed to return it)."""
        if action not in KEY_ACTIONS[1:]:
            raise SimError(400, f"unknown key action {action!r}")
        device = self.devices.get(device_id)
        if device is None or device.product not in V1_PRODUCTS:
            raise SimError(400, Msg.DEVICE_NOT_FOUND)
        key = self._key(device, key_id)
        if action == "key-fetched":
            key.inside = False
        elif action == "key-returned":
            key.inside = True
        return self._event(device, key, action, self.clock()).to_wire()

    def set_device(
        self, device_id: str, *, connection_state: str | None = None, reserved: bool | None = None
    ) -> JSONObj:
        """Control plane: take a device offline or reserve it (``opendoor`` then fails)."""
        device = self.devices.get(device_id)
        if device is None:
            raise SimError(400, Msg.DEVICE_NOT_FOUND)
        if connection_state is not None:
            if connection_state not in ("online", "offline"):
                raise SimError(400, Assumed.malformed("connectionState"))
            device.connection_state = connection_state
        if reserved is not None:
            device.reserved = reserved
        return {
            "id": device.device_id,
            "product": device.product,
            "account": device.account,
            "connectionState": device.connection_state,
            "reserved": device.reserved,
        }

    # ------------------------------------------------------------------ contracts

    def _parse_devices(self, account: str, value: object) -> list[ContractDevice]:
        if not isinstance(value, list):
            raise SimError(400, Assumed.malformed("devices"))
        if not value:
            raise SimError(400, Msg.NO_DEVICES)
        refs: list[ContractDevice] = []
        for item in value:
            if not isinstance(item, dict):
                raise SimError(400, Assumed.malformed("devices"))
            device_id = _require_str(item, "id")
            key_id = _require_str(item, "keyId")
            device = self._device(account, device_id)
            self._key(device, key_id, Msg.KEY_ID_NOT_FOUND)
            refs.append(ContractDevice(device.device_id, key_id, device.product))
        return refs

    @staticmethod
    def _parse_contacts(value: object) -> list[Contact]:
        if not isinstance(value, list):
            raise SimError(400, Assumed.malformed("contacts"))
        contacts: list[Contact] = []
        for item in value:
            if not isinstance(item, dict):
                raise SimError(400, Assumed.malformed("contacts"))
            language = item.get("language", "en-gb")
            if language is None:
                language = "en-gb"
            if language not in LANGUAGES:
                raise SimError(400, Assumed.BAD_LANGUAGE)
            contacts.append(
                Contact(
                    email=_opt_str(item, "email"),
                    phone_number=_opt_str(item, "phoneNumber"),
                    send_sms=bool(_opt_bool(item, "sendSms")),
                    send_email=bool(_opt_bool(item, "sendEmail")),
                    language=str(language),
                )
            )
        return contacts

    @staticmethod
    def _parse_pincode(value: object) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not _PINCODE.fullmatch(value):
            raise SimError(400, Assumed.malformed("pincode"))
        return value

    def _pincode_taken(
        self, account: str, pincode: str, now: float, skip: SimContract | None
    ) -> bool:
        holders = self._by_pincode.get((account, pincode), {}).values()
        return any(c is not skip and c.live(now) for c in holders)

    def _pick_pincode(
        self, account: str, now: float, wanted: str | None, skip: SimContract | None
    ) -> str:
        if wanted is not None:
            if self._pincode_taken(account, wanted, now, skip):
                raise SimError(400, Msg.PINCODE_USED)
            return wanted
        while True:
            pincode = f"{self._rng.randrange(10**6):06d}"
            if not self._pincode_taken(account, pincode, now, skip):
                return pincode

    def _check_overlap(
        self,
        refs: Iterable[ContractDevice],
        start: float,
        end: float | None,
        skip: SimContract | None,
    ) -> None:
        for ref in refs:
            key = self.devices[ref.device_id].keys[ref.key_id]
            if key.shared:
                continue
            for other in self._key_contracts(key):
                if other is not skip and other.overlaps(start, end):
                    raise SimError(400, Msg.OVERLAP)

    def _tag(self, refs: Sequence[ContractDevice]) -> str | list[str]:
        tags = list(dict.fromkeys(self.devices[r.device_id].tag for r in refs))
        return tags[0] if len(refs) == 1 else tags

    def create_contract(self, account: str, body: object) -> JSONObj:
        """``POST /contracts``: answer ``{id, pincode}`` or the documented refusal."""
        fields = _body(body)
        contract_id = _require_str(fields, "contractId")
        devices_value = _require(fields, "devices")
        start_value = _require(fields, "start")
        person = _require_str(fields, "person")
        contacts_value = _require(fields, "contacts")
        kind = fields.get("type") or "default"
        if kind not in CONTRACT_TYPES:
            raise SimError(400, Assumed.malformed("type"))
        perm = bool(_opt_bool(fields, "perm"))
        end_value = None if perm else fields.get("end")
        if kind == "return" and not _truthy(end_value):
            raise SimError(400, Msg.missing("end"))
        start = _parse_date(start_value, "start")
        end = None if end_value is None else _parse_date(end_value, "end")
        now = self.clock()
        if end is not None and start >= end:
            raise SimError(400, Msg.START_BEFORE_END)
        if start <= now - self.config.start_grace:
            raise SimError(400, Msg.START_IN_FUTURE)
        contacts = self._parse_contacts(contacts_value)
        wanted_pincode = self._parse_pincode(fields.get("pincode"))
        free_text = _opt_str(fields, "freeText")
        refs = self._parse_devices(account, devices_value)
        if (account, contract_id) in self._by_contract_id:
            self.stats.duplicate_contract_ids_refused += 1
            raise SimError(400, Msg.CONTRACT_ID_IN_USE)
        self._check_overlap(refs, start, end, None)
        pincode = self._pick_pincode(account, now, wanted_pincode, None)
        contract = SimContract(
            object_id=self._object_id(now),
            contract_id=contract_id,
            account=account,
            devices=refs,
            pincode=pincode,
            start=start,
            end=end,
            perm=perm,
            person=person,
            contacts=contacts,
            free_text=free_text,
            tag=self._tag(refs),
            contract_type=str(kind),
            created_at=now,
            seq=self._next_seq(),
        )
        self._store(contract)
        self.stats.contracts += 1
        return {"id": contract.object_id, "pincode": contract.pincode}

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def get_contract(self, account: str, object_id: str) -> JSONObj:
        return self._contract(account, object_id).to_wire()

    def update_contract(self, account: str, object_id: str, body: object) -> JSONObj:
        """``POST /contracts/{id}``: ``devices`` required, the rest optional; answers it."""
        fields = _body(body)
        contract = self._contract(account, object_id)
        devices_value = _require(fields, "devices")
        refs = self._parse_devices(account, devices_value)
        now = self.clock()
        start = contract.start
        if _truthy(fields.get("start")):
            start = _parse_date(fields["start"], "start")
        perm = contract.perm
        if fields.get("perm") is not None:
            perm = bool(_opt_bool(fields, "perm"))
        end = contract.end
        if "end" in fields:
            end = None if fields["end"] is None else _parse_date(fields["end"], "end")
        if perm:
            end = None
        if end is not None and start >= end:
            raise SimError(400, Msg.START_BEFORE_END)
        if start != contract.start and start <= now - self.config.start_grace:
            raise SimError(400, Msg.START_IN_FUTURE)
        person = _opt_str(fields, "person") or contract.person
        contacts = contract.contacts
        if fields.get("contacts") is not None:
            contacts = self._parse_contacts(fields["contacts"])
        free_text = contract.free_text
        if "freeText" in fields:
            free_text = _opt_str(fields, "freeText")
        wanted_pincode = self._parse_pincode(fields.get("pincode"))
        self._check_overlap(refs, start, end, contract)
        pincode = contract.pincode
        if wanted_pincode is not None and wanted_pincode != contract.pincode:
            pincode = self._pick_pincode(account, now, wanted_pincode, contract)
        self._unindex(contract)
        contract.devices = refs
        contract.start, contract.end, contract.perm = start, end, perm
        contract.person, contract.contacts, contract.free_text = person, contacts, free_text
        contract.pincode = pincode
        contract.tag = self._tag(refs)
        self._index(contract)
        return contract.to_wire()

    def regenerate_pincode(self, account: str, object_id: str, body: object) -> JSONObj:
        fields = _body(body)
        contract = self._contract(account, object_id)
        _require(fields, "devices")
        pincode = self._pick_pincode(account, self.clock(), None, contract)
        self._unindex(contract)
        contract.pincode = pincode
        self._index(contract)
        return {"pincode": contract.pincode}

    def delete_contract(self, account: str, object_id: str) -> JSONObj:
        self._forget(self._contract(account, object_id))
        return {"success": True}

    # ------------------------------------------------------------------ inspection

    def all_contracts(self) -> list[SimContract]:
        return list(self.contracts.values())

    def contracts_by_contract_id(self) -> dict[str, list[SimContract]]:
        """Every live (not deleted) contract grouped by the caller's ``contractId``."""
        grouped: dict[str, list[SimContract]] = {}
        for contract in self.contracts.values():
            grouped.setdefault(contract.contract_id, []).append(contract)
        return grouped
