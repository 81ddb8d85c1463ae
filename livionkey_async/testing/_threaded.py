"""``ThreadedSimulator``: a simulator serving from a thread and an event loop of its own.

A simulator on the test's own event loop serves only while that loop runs: one shared by a
whole pytest session would need every test on the session's loop. Served from its own thread,
it answers whatever loop a test runs on (pytest-asyncio's loop scopes, anyio, plain synchronous
tests). Its helpers (``reset``, ``faults``, ``contracts()``, ``set_device_state``, ``clock``)
are safe to call between requests; ``call`` runs anything on the simulator's loop, for a change
that must not race a request in flight.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from types import TracebackType
from typing import TypeVar

from ._config import SimConfig
from ._server import Simulator

__all__ = ["ThreadedSimulator"]

T = TypeVar("T")

_START_TIMEOUT = 30.0


class ThreadedSimulator:
    """Start with ``with ThreadedSimulator(config) as threaded:``; ``threaded.sim`` is the
    running ``Simulator``."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.sim = Simulator(config)
        self.thread = threading.Thread(target=self._serve, name="livionkey-sim", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started: Future[None] = Future()
        self._stop: asyncio.Event | None = None

    def __repr__(self) -> str:
        where = self.sim.url if self.sim.running else "stopped"
        return f"<ThreadedSimulator {where}>"

    def start(self) -> None:
        """Serve from a new thread; returns once it listens (or raises why it cannot)."""
        self.thread.start()
        self._started.result(timeout=_START_TIMEOUT)

    def stop(self) -> None:
        """Stop serving and end the thread."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        self.thread.join(timeout=_START_TIMEOUT)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` on the simulator's loop and answer what it returns (or raise)."""
        if self._loop is None:
            raise RuntimeError("the simulator is not running")
        result: Future[T] = Future()

        def run() -> None:
            try:
                result.set_result(fn())
            except BaseException as exc:
                result.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return result.result(timeout=_START_TIMEOUT)

    def __enter__(self) -> ThreadedSimulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.sim.start()
        except BaseException as exc:
            self._started.set_exception(exc)
            return
        self._started.set_result(None)
        try:
            await self._stop.wait()
        finally:
            await self.sim.stop()
