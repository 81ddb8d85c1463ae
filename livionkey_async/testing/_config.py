"""How a simulator is set up and observed: its configuration, fault knobs and counters.

These are what a test, the ``sim`` command and the pytest plugin hand to the simulator or read
back from it; they hold no service data and no rules, only validated settings and tallies.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from attrs import define, field, frozen, validators

from . import _knobs as knobs
from ._vocabulary import LOCKERS
from ._wire import JSONObj

__all__ = ["AccountConfig", "Clock", "Faults", "SimConfig", "SimStats"]

Clock = Callable[[], float]


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


def _account_tuple(values: Iterable[AccountConfig]) -> tuple[AccountConfig, ...]:
    return tuple(values)


@define(kw_only=True)
class Faults:
    """Fault knobs, all off by default; change them while the simulator runs.

    ``latency`` (+ up to ``jitter``) seconds before every request (login included);
    ``fail_rate`` answers one of ``fail_statuses`` without running the handler; ``drop_rate``
    drops the connection before the handler; ``drop_after_commit_rate`` lets a POST/PATCH/DELETE
    handler commit its write, then drops the connection unanswered; ``slow_rate`` runs the handler,
    then holds the answer ``slow_seconds``. Only latency applies to ``/auth/login`` unless
    ``include_login``; nothing applies to ``/_sim/``.
    """

    latency: float = field(default=0.0, validator=knobs.seconds)
    jitter: float = field(default=0.0, validator=knobs.seconds)
    fail_rate: float = field(default=0.0, validator=knobs.probability)
    fail_statuses: tuple[int, ...] = field(
        default=(503, 502, 500),
        converter=_int_tuple,
        validator=validators.deep_iterable(validators.in_(range(500, 600))),
    )
    drop_rate: float = field(default=0.0, validator=knobs.probability)
    drop_after_commit_rate: float = field(default=0.0, validator=knobs.probability)
    slow_rate: float = field(default=0.0, validator=knobs.probability)
    slow_seconds: float = field(default=30.0, validator=knobs.seconds)
    include_login: bool = field(default=False, validator=knobs.boolean)

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
    """Control-plane JSON as knob values: every knob is checked as it is set (``knobs``); the
    numbers become floats and the statuses a tuple here."""
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
        else:
            # A finite number here; the knob's own validator checks its range when it is set.
            out[name] = knobs.number(name, value, low=0.0, high=knobs.MAX_SECONDS)
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
    unhandled: int = 0  # requests the last resort answered: a simulator bug (``_last_resort``)

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
            "unhandled": self.unhandled,
        }

    def reset(self) -> None:
        for name in self.as_dict():
            setattr(self, name, 0)


def _keys_fit(_: object, attribute: object, value: int) -> None:
    knobs.integer("keys", value, low=0, high=LOCKERS["key30"])  # a key30 has 30 lockers


@frozen(kw_only=True)
class AccountConfig:
    """One account of the simulated service and the devices it owns.

    ``devices`` key30 automats with ``keys`` keys each, then ``keyx_devices`` keyX automats with one
    key each (when ``keys`` > 0), then ``keypad_devices`` and ``key20_devices`` (listed only when
    asked for with ``products=``).
    """

    email: str
    password: str = field(repr=False)
    devices: int = field(default=3, validator=knobs.count)
    keys: int = field(default=5, validator=_keys_fit)
    keyx_devices: int = field(default=1, validator=knobs.count)
    keypad_devices: int = field(default=1, validator=knobs.count)
    key20_devices: int = field(default=1, validator=knobs.count)


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
    devices: int = field(default=3, validator=knobs.count)
    keys: int = field(default=5, validator=_keys_fit)
    keyx_devices: int = field(default=1, validator=knobs.count)
    keypad_devices: int = field(default=1, validator=knobs.count)
    key20_devices: int = field(default=1, validator=knobs.count)
    extra_accounts: tuple[AccountConfig, ...] = field(default=(), converter=_account_tuple)
    seed: int = 0
    token_lifetime: float = field(default=3600.0, validator=knobs.positive)
    login_limit: int = field(default=30, validator=knobs.positive_count)
    login_window: float = field(default=60.0, validator=knobs.positive)
    rate: float | None = field(default=None, validator=knobs.rate)
    burst: int | None = field(default=None, validator=knobs.positive_count)
    rate_limit_headers: bool = False
    faults: Faults = field(factory=Faults)
    start_grace: float = field(default=0.0, validator=knobs.seconds)
    host: str = "127.0.0.1"
    port: int = 0
    shutdown_timeout: float = field(default=0.5, validator=knobs.seconds)
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
