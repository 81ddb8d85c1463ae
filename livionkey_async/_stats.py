"""What a client has done so far: counters a caller can read at any time.

The transport bumps a mutable ``Counters``; ``client.stats`` hands out an immutable
``ClientStats`` snapshot of it, so a reader never sees half an update.
"""

from __future__ import annotations

import attrs

__all__ = ["ClientStats", "Counters", "RequestEvent"]


@attrs.define
class Counters:
    """Live counters, owned by one client's transport."""

    requests: int = 0
    logins: int = 0
    retries: int = 0
    throttled: int = 0
    unauthorized: int = 0
    failures: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


@attrs.frozen
class ClientStats:
    """A snapshot of a client's counters.

    ``requests`` counts every HTTP exchange sent (logins and retries included); ``throttled`` the
    429s received; ``retries`` the attempts after a first one; ``failures`` the calls that ended in
    an error (after their retries); ``current_rate`` the pacing rate in
    requests per second (``None`` while unpaced); ``paused_seconds`` how long 429 pauses held
    the client; ``learnt_rate`` the rate the pacer settled on (``None`` while it still ramps
    up): a service keeps it across restarts and passes it back as ``rate_hint=``.
    """

    requests: int
    logins: int
    retries: int
    throttled: int
    unauthorized: int
    failures: int
    in_flight: int
    max_in_flight: int
    current_rate: float | None
    paused_seconds: float
    congestion_events: int
    learnt_rate: float | None = None


@attrs.frozen
class RequestEvent:
    """One HTTP exchange, handed to the ``on_request`` metrics hook after it completes.

    ``status`` is ``None`` when no answer arrived (then ``error`` names the exception class).
    """

    method: str
    path: str
    status: int | None
    attempt: int
    elapsed: float
    error: str | None = None
