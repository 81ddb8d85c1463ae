"""The simulators' last resort: an exception no rule expected is logged and answered 400.

Every refusal the service documents is raised by the rules as a typed error and answered by the
application's own error middleware. What reaches this one is a bug of the simulator: it logs the
traceback (logger ``livionkey_async.testing``), counts the hit (``SimStats.unhandled``, or the
iLOQ simulator's ``unhandled``) and answers 400 in the API's own error shape, rather than
aiohttp's 500 that a client under test would retry as a server failure. The fuzz tests require
no hit at all: the causes are fixed, this only keeps a new one from looking like an outage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

__all__ = ["MESSAGE", "last_resort"]

log = logging.getLogger("livionkey_async.testing")

MESSAGE = "The simulator could not read this request"


def last_resort(
    answer: Callable[[int, str], web.StreamResponse], hit: Callable[[web.Request], None]
) -> Middleware:
    """The outermost middleware of a simulator's application: ``answer(400, MESSAGE)`` for an
    unexpected exception, after ``hit(request)`` counts it."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("the simulator failed on %s %s", request.method, request.rel_url.path)
            hit(request)
            return answer(400, MESSAGE)

    return middleware
