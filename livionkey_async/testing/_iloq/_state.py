"""The simulated iLOQ service's rules: URL resolution, sessions, locking systems and rights.

Handlers translate HTTP to these calls and back; every rule lives here. Sessions are recorded
(opened, the locking system chosen, killed) so tests can assert that a client killed every
session it opened. Error bodies are ASP.NET's ``{"Message": ...}``; their texts are assumed (iLOQ
does not document them).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Mapping

from attrs import define, field

from ._config import IloqFaults, IloqLockingSystem, IloqSimConfig

__all__ = ["IloqRefusal", "IloqSimSession", "IloqSimState"]

# Assumed texts (undocumented): what the simulator answers for a refused call.
INVALID_SESSION = "Session is not valid."
NO_LOCKGROUP = "Locking system was not found."
PUBLIC_API_OFF = "Public API is not in use in the locking system."
BAD_BODY = "The request is invalid."


class IloqRefusal(Exception):
    """An HTTP error answer: ``status`` with ``{"Message": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@define
class IloqSimSession:
    """One session the simulator opened. ``pool``: the path it was opened on."""

    session_id: str = field(repr=False)
    username: str
    pool: str
    opened_at: float
    lock_group_id: str | None = None
    killed: bool = False
    killed_at: float | None = None


@define
class IloqSimState:
    """Sessions and the configured customer; ``calls`` lists every ``(method, endpoint)`` served."""

    config: IloqSimConfig
    faults: IloqFaults
    sessions: list[IloqSimSession] = field(factory=list)
    calls: list[tuple[str, str]] = field(factory=list)
    failures_left: int | None = None
    call_waiters: list[asyncio.Event] = field(factory=list)
    unhandled: int = 0  # requests the last resort answered: a simulator bug (``_last_resort``)

    def record(self, method: str, endpoint: str) -> None:
        """Note one call and wake whoever waits for calls."""
        self.calls.append((method, endpoint))
        waiters, self.call_waiters = self.call_waiters, []
        for waiter in waiters:
            waiter.set()

    # -- GetUrl --------------------------------------------------------------------------------

    def get_url(self, body: object, root_url: str) -> str:
        """The pool URL for the configured customer when it lives in a pool, else ``""``."""
        code = _field(body, "CustomerCode")
        if self.config.pool is not None and code == self.config.customer_code:
            return f"{root_url}/{self.config.pool.strip('/')}/"
        return ""

    # -- CreateSession -------------------------------------------------------------------------

    def create_session(self, body: object, path: str) -> dict[str, object]:
        """``{"Result": n, "SessionID": id}``; a session exists only when Result is 1."""
        config = self.config
        if not isinstance(body, Mapping):
            raise IloqRefusal(400, BAD_BODY)
        result = self._login_result(body, path)
        if result != 1:
            return {"Result": result, "SessionID": None}
        session = IloqSimSession(
            session_id=secrets.token_hex(16),
            username=config.username,
            pool=path,
            opened_at=time.monotonic(),
        )
        self.sessions.append(session)
        return {"Result": 1, "SessionID": session.session_id}

    def _login_result(self, body: Mapping[str, object], path: str) -> int:
        config = self.config
        if config.session_result is not None:
            return config.session_result
        if _field(body, "CustomerCode") != config.customer_code:
            return 5
        if config.pool is not None and path.lower() != config.pool.strip("/").lower():
            return 6  # this server does not hold the customer's database
        if _field(body, "UserName") != config.username:
            return 5
        if config.locked_out:
            return 8
        if _field(body, "Password") != config.password:
            return 5
        if config.password_expired:
            return 9
        return 1

    # -- calls within a session ----------------------------------------------------------------

    def session(self, session_id: str | None) -> IloqSimSession:
        for session in self.sessions:
            if session_id and secrets.compare_digest(session.session_id, session_id):
                if session.killed:
                    break
                return session
        raise IloqRefusal(401, INVALID_SESSION)

    def lock_groups(self, session: IloqSimSession) -> list[dict[str, object]]:
        return [_lock_group(system) for system in self.config.locking_systems]

    def set_lockgroup(self, session: IloqSimSession, body: object) -> dict[str, object]:
        wanted = _field(body, "LockGroup_ID")
        for system in self.config.locking_systems:
            if isinstance(wanted, str) and system.lock_group_id.lower() == wanted.lower():
                if not system.public_api:
                    raise IloqRefusal(403, PUBLIC_API_OFF)
                session.lock_group_id = system.lock_group_id
                return {"RightsMask": system.rights_mask}
        raise IloqRefusal(400, NO_LOCKGROUP)

    def kill(self, session: IloqSimSession) -> None:
        session.killed = True
        session.killed_at = time.monotonic()

    # -- faults --------------------------------------------------------------------------------

    def take_failure(self, endpoint: str) -> int | None:
        """The status to answer instead of running ``endpoint``, if a failure is due."""
        faults = self.faults
        if faults.fail_status is None or (faults.fail_on and endpoint not in faults.fail_on):
            return None
        if faults.fail_times is not None:
            if self.failures_left is None:
                self.failures_left = faults.fail_times
            if self.failures_left <= 0:
                return None
            self.failures_left -= 1
        return faults.fail_status


def _field(body: object, name: str) -> object:
    """A body field, its name matched case-insensitively (as ASP.NET binds JSON)."""
    if not isinstance(body, Mapping):
        return None
    for key, value in body.items():
        if isinstance(key, str) and key.lower() == name.lower():
            return value
    return None


def _lock_group(system: IloqLockingSystem) -> dict[str, object]:
    return {
        "AdapterVersion": 2,
        "Address": "Demo street 1, Oulu",
        "Customer_ID": "c0ffee00-0000-4000-8000-000000000001",
        "Description": None,
        "ExpireDateUTC": None,
        "LockGroup_ID": system.lock_group_id,
        "Name": system.name,
        "OptionMask": system.option_mask,
        "State": 0 if system.active else 1,
        "TimeZoneStandardName": "FLE Standard Time",
    }
