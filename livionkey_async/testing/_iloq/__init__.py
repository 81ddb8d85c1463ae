"""An in-process simulator of iLOQ's 5 Series Public API v2 session flow, for the preflight.

``GetUrl`` → ``CreateSession`` → ``LockGroups`` → ``SetLockgroup`` → ``KillSession``, with a knob
for every misconfiguration the credentials check recognises, and a record of every session.
"""

from ._config import IloqFaults, IloqLockingSystem, IloqSimConfig, locking_systems
from ._server import IloqSimulator
from ._state import IloqSimSession
from ._vocabulary import RIGHT_BITS

__all__ = [
    "RIGHT_BITS",
    "IloqFaults",
    "IloqLockingSystem",
    "IloqSimConfig",
    "IloqSimSession",
    "IloqSimulator",
    "locking_systems",
]
