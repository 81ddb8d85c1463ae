"""``V2Simulator``: the simulated API v2 on a real loopback socket, as an async context manager.

Tests, ``livionkey-async sim --api v2`` and ``demo --api v2`` start the service this way; it owns
the aiohttp runner and exposes the live state, counters and fault knobs, and the people at the
automats (``fetch_key``, ``return_key``).
"""

from __future__ import annotations

import random
from types import TracebackType

from aiohttp import web
from aiohttp.log import access_logger

from .._config import Faults, SimStats
from ._app import API_PREFIX, V2Context, make_v2_app, reset_v2_context
from ._automat_rules import AutomatRules
from ._config import V2SimConfig
from ._handover import fetch_by_pincode, return_key
from ._iloq_rules import IloqRules
from ._input import not_found
from ._mechanical_rules import MechanicalRules
from ._organization_rules import OrganizationRules
from ._state import V2State

__all__ = ["V2Simulator"]


class V2Simulator:
    """The LivionKey API v2 simulator, serving on ``config.host:config.port`` (0: a free port).

    >>> async with V2Simulator() as sim:  # doctest: +SKIP
    ...     async with LivionKeyV2Client(sim.service_account_id, sim.private_key_pem,
    ...                                  base_url=sim.url) as client:
    ...         ...
    """

    def __init__(self, config: V2SimConfig | None = None) -> None:
        self.config = config if config is not None else V2SimConfig()
        self.stats = SimStats()
        self.faults: Faults = self.config.faults.copy()
        self.state = V2State(self.config, self.stats)
        self._context = V2Context(
            config=self.config,
            state=self.state,
            faults=self.faults,
            stats=self.stats,
            rng=random.Random(self.config.seed),
            automats=AutomatRules(self.state),
            iloq=IloqRules(self.state),
            mechanical=MechanicalRules(self.state),
            organization=OrganizationRules(self.state),
        )
        self.app = make_v2_app(self._context)
        self._runner: web.AppRunner | None = None
        self._origin: str | None = None

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` once started (the control plane is under ``/_sim/``)."""
        if self._origin is None:
            raise RuntimeError("the simulator is not running; use `async with V2Simulator(...)`")
        return self._origin

    @property
    def url(self) -> str:
        """The API's base URL, ``http://127.0.0.1:PORT/v2``: give it to the client."""
        return self.origin + API_PREFIX

    @property
    def service_account_id(self) -> str:
        return self.config.service_account_id

    @property
    def private_key_pem(self) -> str:
        """The demo service account's private key (a test key for this simulator)."""
        return self.config.private_key_pem

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
        self._origin = f"http://{host}:{port}"

    async def stop(self) -> None:
        runner, self._runner, self._origin = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> V2Simulator:
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

    def reset(self) -> None:
        """Back to the configured start: seeded data, no contracts, zero counters, faults."""
        reset_v2_context(self._context)

    def set_rate_limit(
        self, rate: float | None, burst: int | None = None, *, headers: bool | None = None
    ) -> None:
        """Change the per-account rate limit live (``rate=None``: unlimited)."""
        self.state.limiter.configure(rate, burst, headers=headers)

    def fetch_key(self, automat_id: str, pincode: str) -> str | None:
        """A person types ``pincode`` on the automat: the key waiting under it is handed over.
        Answers the key's id (``None``: no key of an ongoing contract waits there under it)."""
        key = fetch_by_pincode(self.state, automat_id, pincode)
        return None if key is None else key.id

    def return_key(self, contract_id: str, key_id: str) -> None:
        """The key of this (iLOQ or mechanical) contract is put back into its automat."""
        contract = self.state.iloq_contracts.get(
            contract_id
        ) or self.state.mechanical_contracts.get(contract_id)
        if contract is None:
            raise not_found("Contract")
        return_key(self.state, contract, key_id)
