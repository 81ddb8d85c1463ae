"""``Simulator``: the simulated service on a real loopback socket, as an async context manager.

Tests, the ``demo`` command and the ``sim`` command all start the service this way; it owns the
aiohttp runner and exposes the live state, counters and fault knobs for assertions.
"""

from __future__ import annotations

import random
from types import TracebackType

import attrs
from aiohttp import web
from aiohttp.log import access_logger

from ._app import SimContext, make_app, reset_context
from ._clock import SimClock
from ._config import SimConfig, SimStats
from ._controls import DeviceControls
from ._push_api import WebhookMethods
from ._push_routes import add_webhook_routes
from ._records import SimContract
from ._state import SimState

__all__ = ["Simulator"]


class Simulator(WebhookMethods, DeviceControls):
    """The LivionKey API V1 simulator, serving on ``config.host:config.port`` (0: a free port);
    it pushes webhooks to the endpoints registered with ``add_webhook`` (``WebhookMethods``).

    ``clock`` is its time (``SimClock``: move it to expire tokens or age contracts);
    ``set_device_state`` disconnects, busies or reserves a device.

    >>> async with Simulator(SimConfig(devices=2, keys=3)) as sim:  # doctest: +SKIP
    ...     async with LivionKeyClient(sim.config.email, sim.config.password, base_url=sim.url):
    ...         ...
    """

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config if config is not None else SimConfig()
        self.stats = SimStats()
        self.faults = self.config.faults.copy()
        self.clock = SimClock(self.config.clock)
        self.state = SimState(attrs.evolve(self.config, clock=self.clock), self.stats)
        self._context = SimContext(
            config=self.config,
            state=self.state,
            faults=self.faults,
            stats=self.stats,
            rng=random.Random(self.config.seed),
        )
        self._init_webhooks()
        self._context.on_reset.append(self._reset_webhooks)
        self.app = make_app(self._context)
        add_webhook_routes(self.app, self)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        if self._url is None:
            raise RuntimeError("the simulator is not running; use `async with Simulator(...)`")
        return self._url

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def running(self) -> bool:
        return self._runner is not None

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
            site = web.TCPSite(runner, self.config.host, self.config.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        host = f"[{host}]" if ":" in host else host
        self._runner = runner
        self._url = f"http://{host}:{port}"
        await self._webhooks.start()

    async def stop(self) -> None:
        runner, self._runner, self._url = self._runner, None, None
        if runner is not None:
            await self._webhooks.stop()
            await runner.cleanup()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ helpers for tests

    def revoke_tokens(self, email: str | None = None) -> int:
        """Invalidate every live token (or one account's); the next call with one gets a 401."""
        return self.state.revoke_tokens(email)

    def reset(self) -> None:
        """Back to the configured start: seeded data, no contracts/tokens, zero counters, faults,
        the configured clock."""
        self.clock.reset()
        reset_context(self._context)

    def set_rate_limit(
        self, rate: float | None, burst: int | None = None, *, headers: bool | None = None
    ) -> None:
        """Change the per-account rate limit live (``rate=None``: unlimited)."""
        self.state.set_rate_limit(rate, burst, headers=headers)

    def contracts(self) -> list[SimContract]:
        """Every contract that exists now, in creation order."""
        return self.state.all_contracts()

    def contracts_by_contract_id(self) -> dict[str, list[SimContract]]:
        """Existing contracts grouped by the caller's ``contractId`` (exactly-once checks)."""
        return self.state.contracts_by_contract_id()

    def duplicated_contract_ids(self) -> dict[str, int]:
        """``contractId``s held by more than one contract (must be empty), with their counts."""
        grouped = self.contracts_by_contract_id()
        return {cid: len(group) for cid, group in grouped.items() if len(group) > 1}

    def fetch_key(self, device_id: str, key_id: str) -> None:
        """The person takes the key out of its locker (records ``key-fetched``)."""
        self.state.key_action(device_id, key_id, "key-fetched")

    def return_key(self, device_id: str, key_id: str) -> None:
        """The key is put back (records ``key-returned``)."""
        self.state.key_action(device_id, key_id, "key-returned")
