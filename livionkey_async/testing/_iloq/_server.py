"""``IloqSimulator``: the simulated iLOQ service on a real loopback socket, as an async context.

Tests, the ``sim iloq`` command and the pytest plugin start it this way; it exposes the service
address, the live fault knobs and the record of every session, so a test can assert that each
session a client opened was killed.
"""

from __future__ import annotations

import asyncio
import ssl
from types import TracebackType

import attrs
from aiohttp import web
from aiohttp.log import access_logger

from ._app import make_app
from ._config import IloqFaults, IloqSimConfig
from ._state import IloqSimSession, IloqSimState
from ._vocabulary import endpoint_key

__all__ = ["IloqSimulator"]


class IloqSimulator:
    """The iLOQ 5 Series Public API v2 session flow, served on ``config.host:config.port``.

    >>> async with IloqSimulator(IloqSimConfig()) as sim:  # doctest: +SKIP
    ...     report = await check_credentials(service_address=sim.service_address, ...)
    ...     assert not sim.open_sessions()

    ``ssl_context``: serve https with it (the tests use one to show that an unverifiable
    certificate is refused).
    """

    def __init__(
        self, config: IloqSimConfig | None = None, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.config = config if config is not None else IloqSimConfig()
        self.faults = attrs.evolve(self.config.faults)
        self.state = IloqSimState(self.config, self.faults)
        self.app = make_app(self.state)
        self._ssl = ssl_context
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` once started (the server's root)."""
        if self._url is None:
            raise RuntimeError("the simulator is not running; use `async with IloqSimulator()`")
        return self._url

    @property
    def service_address(self) -> str:
        """What an integrator types as the service address: ``{url}/iloqws``."""
        return f"{self.url}/{self.config.service_path.strip('/')}"

    @property
    def pool_url(self) -> str | None:
        """Where ``GetUrl`` sends the configured customer, when ``pool`` is set."""
        return None if self.config.pool is None else f"{self.url}/{self.config.pool.strip('/')}/"

    @property
    def sessions(self) -> list[IloqSimSession]:
        """Every session opened so far, in order."""
        return self.state.sessions

    def open_sessions(self) -> list[IloqSimSession]:
        """Sessions opened and not killed (must be empty after a well-behaved client)."""
        return [session for session in self.state.sessions if not session.killed]

    @property
    def calls(self) -> list[tuple[str, str]]:
        """Every ``(method, endpoint)`` served, in order (``("POST", "CreateSession")``)."""
        return self.state.calls

    @property
    def unhandled(self) -> int:
        """Requests the last resort had to answer (400): each one is a simulator bug."""
        return self.state.unhandled

    def endpoint_calls(self, endpoint: str) -> int:
        """How many times ``endpoint`` (``GetUrl``, ``CreateSession``, ... any case) was called."""
        key = endpoint_key(endpoint)
        return sum(1 for _, name in self.state.calls if name == key)

    async def wait_for_call(self, endpoint: str) -> None:
        """Return once ``endpoint`` has been called (at once if it already was)."""
        while not self.endpoint_calls(endpoint):
            called = asyncio.Event()
            self.state.call_waiters.append(called)
            await called.wait()

    def reset(self) -> None:
        """No sessions, no calls, the configured faults."""
        self.state.sessions.clear()
        self.state.calls.clear()
        self.state.failures_left = None
        self.state.unhandled = 0
        for knob in attrs.fields(IloqFaults):
            setattr(self.faults, knob.name, getattr(self.config.faults, knob.name))

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        runner = web.AppRunner(
            self.app,
            access_log=access_logger if self.config.access_log else None,
            shutdown_timeout=self.config.shutdown_timeout,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.config.host, self.config.port, ssl_context=self._ssl)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        host = f"[{host}]" if ":" in host else host
        self._runner = runner
        self._url = f"{'https' if self._ssl else 'http'}://{host}:{port}"

    async def stop(self) -> None:
        runner, self._runner, self._url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> IloqSimulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
