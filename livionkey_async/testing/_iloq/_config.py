"""How an iLOQ simulator is set up: the customer, its locking systems, and the fault knobs.

Every misconfiguration the credentials preflight must recognise is a knob here: a wrong service
code or password is simply the client sending something else than ``customer_code`` or
``password``; the rest are settings (``locked_out``, ``password_expired``, ``pool``, no or several
``locking_systems``, ``public_api``/``api_access_rights`` off, ``missing_rights``) or
:class:`IloqFaults` (slow or failing endpoints, a lost ``CreateSession`` answer).
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import define, field, frozen

from .. import _knobs as knobs
from ._vocabulary import (
    OPTION_API_ACCESS_RIGHTS,
    OPTION_FIVE_SERIES,
    OPTION_OTHERS,
    OPTION_PUBLIC_API,
    OTHER_RIGHTS,
    RIGHT_BITS,
    endpoint_key,
)

__all__ = ["IloqFaults", "IloqLockingSystem", "IloqSimConfig", "locking_systems"]


def _right_keys(values: Iterable[str]) -> frozenset[str]:
    keys = frozenset(values)
    unknown = sorted(keys - set(RIGHT_BITS))
    if unknown:
        raise ValueError(f"unknown right(s) {unknown} (one of: {', '.join(RIGHT_BITS)})")
    return keys


def _endpoints(values: Iterable[str]) -> frozenset[str]:
    return frozenset(endpoint_key(value) for value in values)


def _error_status(_: object, attribute: object, value: int | None) -> None:
    if value is not None:
        knobs.integer("fail_status", value, low=400, high=599)


@frozen(kw_only=True)
class IloqLockingSystem:
    """One locking system (iLOQ's ``LockGroup``) and the API user's rights in it."""

    lock_group_id: str = "5a1f0c1e-7d2b-4c1e-9a47-000000000001"
    name: str = "Demo locking system"
    public_api: bool = True
    api_access_rights: bool = True
    five_series: bool = True
    active: bool = True
    missing_rights: frozenset[str] = field(default=frozenset(), converter=_right_keys)

    @property
    def option_mask(self) -> int:
        mask = OPTION_OTHERS
        mask |= OPTION_PUBLIC_API if self.public_api else 0
        mask |= OPTION_API_ACCESS_RIGHTS if self.api_access_rights else 0
        mask |= OPTION_FIVE_SERIES if self.five_series else 0
        return mask

    @property
    def rights_mask(self) -> int:
        held = (bit for key, bit in RIGHT_BITS.items() if key not in self.missing_rights)
        return sum(held, OTHER_RIGHTS)


def locking_systems(count: int, **settings: object) -> tuple[IloqLockingSystem, ...]:
    """``count`` locking systems named "Locking system 1", 2, ... with the same ``settings``."""
    return tuple(
        IloqLockingSystem(
            lock_group_id=f"5a1f0c1e-7d2b-4c1e-9a47-{n:012d}",
            name=f"Locking system {n}",
            **settings,  # type: ignore[arg-type]
        )
        for n in range(1, count + 1)
    )


@define(kw_only=True)
class IloqFaults:
    """Fault knobs, all off by default; change them while the simulator runs.

    ``latency`` seconds before answering the endpoints in ``latency_on`` (empty: all of them);
    ``fail_status`` answered instead of running the endpoints in ``fail_on`` (empty: all), the
    first ``fail_times`` times (``None``: every time); ``drop_create_session_answer`` opens the
    session, then cuts the connection before answering (its id is lost to the client).
    Endpoints are named as in the path (``GetUrl``, ``CreateSession``, ``LockGroups``,
    ``SetLockgroup``, ``KillSession``), any case.
    """

    latency: float = field(default=0.0, validator=knobs.seconds)
    latency_on: frozenset[str] = field(default=frozenset(), converter=_endpoints)
    fail_status: int | None = field(default=None, validator=_error_status)
    fail_on: frozenset[str] = field(default=frozenset(), converter=_endpoints)
    fail_times: int | None = field(default=None, validator=knobs.count)
    drop_create_session_answer: bool = False


def _systems(values: Iterable[IloqLockingSystem]) -> tuple[IloqLockingSystem, ...]:
    return tuple(values)


@frozen(kw_only=True)
class IloqSimConfig:
    """How an iLOQ simulator starts (and what ``reset`` returns it to).

    The service address is ``{url}/{service_path}``. ``pool``: the customer lives in another
    pool, ``{url}/{pool}/``, which ``GetUrl`` answers; ``CreateSession`` at the service address
    itself then answers Result 6 (wrong server). ``locked_out`` (Result 8) and
    ``password_expired`` (Result 9) apply to the right user; ``session_result`` forces any
    ``Result`` (3 HTTPS required, 4 database update, ...). ``locking_systems`` may be empty.
    """

    customer_code: str = "LIVIONDEMO"
    username: str = "api.keyautomat"
    password: str = field(default="iloq-demo-password", repr=False)
    locking_systems: tuple[IloqLockingSystem, ...] = field(
        default=(IloqLockingSystem(),), converter=_systems
    )
    service_path: str = "iloqws"
    pool: str | None = None
    locked_out: bool = False
    password_expired: bool = False
    session_result: int | None = None
    faults: IloqFaults = field(factory=IloqFaults)
    host: str = "127.0.0.1"
    port: int = 0
    shutdown_timeout: float = field(default=0.5, validator=knobs.seconds)
    access_log: bool = False

    def __attrs_post_init__(self) -> None:
        ids = [system.lock_group_id.lower() for system in self.locking_systems]
        if len(set(ids)) != len(ids):
            raise ValueError("locking system ids must be unique")
        paths = {self.service_path.strip("/").lower(), (self.pool or "").strip("/").lower()}
        if not self.service_path.strip("/") or (self.pool is not None and len(paths) < 2):
            raise ValueError("service_path must be set, and pool must differ from it")
