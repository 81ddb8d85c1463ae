"""A faithful, stateful LivionKey API V1 simulator, for tests, demos and benchmarks.

The real service cannot be asked to time out, drop a connection after committing a contract, or
throttle on cue, and it holds real automats. This one runs in-process on a loopback socket, knows
every V1 endpoint, rule and error message of the wire contract, and has fault knobs for the
failures a client must survive. Three ways in::

    async with Simulator(SimConfig(devices=20, keys=10)) as sim: ...   # in process
    livionkey-async sim --port 8080 --fail-rate 0.05                    # from the shell
    async def test_x(livionkey_sim, livionkey_client): ...             # the pytest plugin
    with ThreadedSimulator(SimConfig()) as threaded: threaded.sim.url   # from a thread of its own

``IloqSimulator`` does the same for iLOQ's 5 Series Public API session flow, with a knob for each
misconfiguration the credentials preflight (``livionkey_async.iloq``) recognises::

    async with IloqSimulator(IloqSimConfig(pool="iloqwspool2")) as iloq: ...
    livionkey-async sim iloq --port 8081 --missing-right order_keys
"""

from ._clock import SimClock
from ._config import AccountConfig, Faults, SimConfig, SimStats
from ._iloq import IloqFaults, IloqLockingSystem, IloqSimConfig, IloqSimSession, IloqSimulator
from ._messages import SimError
from ._records import SimContract
from ._server import Simulator
from ._threaded import ThreadedSimulator

__all__ = [
    "AccountConfig",
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
]
