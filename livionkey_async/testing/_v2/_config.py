"""How an API v2 simulator is set up: its service account, seeded data, limits and faults.

The fault knobs (:class:`~.._config.Faults`), counters (:class:`~.._config.SimStats`) and rate
limit settings are the V1 simulator's, so a test drives both the same way.
"""

from __future__ import annotations

import time

from attrs import field, frozen

from ...v2._assumptions import TIMESTAMP_TOLERANCE
from .. import _knobs as knobs
from .._config import Clock, Faults
from ._keys import demo_private_key_pem

__all__ = ["V2SimConfig"]


def _lockers(_: object, attribute: object, value: int) -> None:
    knobs.integer(getattr(attribute, "name", "keys"), value, low=0, high=20)


@frozen(kw_only=True)
class V2SimConfig:
    """How an API v2 simulator starts (and what ``reset`` returns it to).

    The service account ``service_account_id`` signs with ``private_key_pem`` (a key made once
    per process unless given) and belongs to the organization unit ``organization_unit_id``,
    which has an iLOQ API user. Seeded: ``key30_automats`` LivionKey30s with
    ``keys_per_automat`` mechanical keys each, ``key20_automats`` LivionKey20s with
    ``iloq_keys_per_automat`` iLOQ S5 keys each (all of them in one device group), and
    ``access_rights`` iLOQ access rights. An automat installed through the API becomes active
    ``install_delay`` seconds later (a LivionKey20 then holds ``iloq_keys_per_automat`` keys, as
    if the installer loaded them). Signatures more than ``timestamp_tolerance`` seconds from
    ``clock`` are refused. ``rate``/``burst``/``rate_limit_headers`` and ``faults`` work as in
    the V1 simulator's ``SimConfig``.
    """

    service_account_id: str = "sa-demo"
    private_key_pem: str = field(factory=demo_private_key_pem, repr=False)
    organization_unit_id: str = "ou-demo"
    customer_id: str = "customer-demo"
    key30_automats: int = field(default=2, validator=knobs.count)
    keys_per_automat: int = field(default=5, validator=_lockers)
    key20_automats: int = field(default=1, validator=knobs.count)
    iloq_keys_per_automat: int = field(default=4, validator=_lockers)
    access_rights: int = field(default=6, validator=knobs.count)
    install_delay: float = field(default=0.0, validator=knobs.seconds)
    timestamp_tolerance: float = field(default=TIMESTAMP_TOLERANCE, validator=knobs.positive)
    seed: int = 0
    rate: float | None = field(default=None, validator=knobs.rate)
    burst: int | None = field(default=None, validator=knobs.positive_count)
    rate_limit_headers: bool = False
    faults: Faults = field(factory=Faults)
    host: str = "127.0.0.1"
    port: int = 0
    shutdown_timeout: float = field(default=0.5, validator=knobs.seconds)
    access_log: bool = False
    clock: Clock = field(default=time.time, repr=False, eq=False)
