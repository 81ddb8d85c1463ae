"""A faithful, stateful LivionKey API V1 simulator, for tests, demos and benchmarks.

The real service cannot be asked to time out, drop a connection after committing a contract, or
throttle on cue, and it holds real automats. This one runs in-process on a loopback socket, knows
every V1 endpoint, rule and error message of the wire contract, and has fault knobs for the
failures a client must survive. Three ways in::

    async with Simulator(SimConfig(devices=20, keys=10)) as sim: ...   # in process
    livionkey-async sim --port 8080 --fail-rate 0.05                    # from the shell
    async def test_x(livionkey_sim, livionkey_client): ...             # the pytest plugin
    with ThreadedSimulator(SimConfig()) as threaded: threaded.sim.url   # from a thread of its own

It also pushes webhooks as Livion does (both shapes, signed, retried on Livion's schedules,
ordered per device and event type, with duplicate and late faults) to the endpoints registered
with ``sim.add_webhook(url, shape="v2" | "legacy")``; ``sim.fetch_key``, ``sim.return_key``,
``sim.key_not_returned``, ``sim.enter_code`` and ``sim.raise_alarm`` play what happens at an
automat, and contracts written through the API push their updates.

``IloqSimulator`` does the same for iLOQ's 5 Series Public API session flow, with a knob for each
misconfiguration the credentials preflight (``livionkey_async.iloq``) recognises::

    async with IloqSimulator(IloqSimConfig(pool="iloqwspool2")) as iloq: ...
    livionkey-async sim iloq --port 8081 --missing-right order_keys

API v2 has its own simulator with the same fault knobs, counters and rate limit:
``V2Simulator(V2SimConfig(...))``, ``livionkey-async sim --api v2``, and the plugin's
``livionkey_v2_sim``/``livionkey_v2_client``. It needs the ``v2`` extra (``cryptography``), so it
is imported only when asked for.
"""

from typing import TYPE_CHECKING

from ._clock import SimClock
from ._config import AccountConfig, Faults, SimConfig, SimStats
from ._iloq import IloqFaults, IloqLockingSystem, IloqSimConfig, IloqSimSession, IloqSimulator
from ._messages import SimError
from ._push_model import DeliveryRecord, WebhookSettings, WebhookSubscription
from ._records import SimContract
from ._server import Simulator
from ._threaded import ThreadedSimulator

if TYPE_CHECKING:
    from ._v2 import V2SimConfig, V2Simulator

__all__ = [
    "AccountConfig",
    "DeliveryRecord",
    "Faults",
    "IloqFaults",
    "IloqLockingSystem",
    "IloqSimConfig",
    "IloqSimSession",
    "IloqSimulator",
    "SimClock",
    "SimConfig",
    "SimContract",
    "SimError",
    "SimStats",
    "Simulator",
    "ThreadedSimulator",
    "V2SimConfig",
    "V2Simulator",
    "WebhookSettings",
    "WebhookSubscription",
]


def __getattr__(name: str) -> object:
    if name in ("V2SimConfig", "V2Simulator"):
        from . import _v2

        return getattr(_v2, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
