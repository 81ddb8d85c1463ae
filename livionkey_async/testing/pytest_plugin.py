"""Pytest fixtures that start the LivionKey simulator (registered through the ``pytest11`` entry).

- ``livionkey_sim_config``: the :class:`SimConfig` to start with; override it in a test module or
  ``conftest.py`` to choose devices, keys, limits or faults.
- ``livionkey_sim``: a running :class:`Simulator` (a fresh one per test).
- ``livionkey_client_options``: keyword arguments for the ``LivionKeyClient`` the client fixtures
  make (default: a high ``rate_limit`` ceiling and short timeouts, so tests run fast); override
  it like the config.
- ``livionkey_client``: a ``LivionKeyClient`` for that simulator, entered and closed.
- ``livionkey_session_sim_config`` / ``livionkey_session_sim``: one simulator for the whole test
  session, serving from a thread of its own (:class:`ThreadedSimulator`), so any test can use it
  whatever event loop it runs on, synchronous tests too. Its state lives on from test to test:
  call its ``reset()`` where a test needs a clean one.
- ``livionkey_session_client``: a ``LivionKeyClient`` (per test) for the session simulator.
- ``livionkey_v2_sim_config``, ``livionkey_v2_sim``, ``livionkey_v2_client``: the same for API v2
  (a :class:`V2Simulator` and a ``LivionKeyV2Client`` signing as its service account; they need
  the ``v2`` extra).
- ``livionkey_iloq_sim_config`` / ``livionkey_iloq_sim``: the same pair for the iLOQ simulator
  (``IloqSimConfig`` / a running ``IloqSimulator``), for the credentials preflight.

The async fixtures need pytest-asyncio (``pip install "livionkey-async[testing]"``), and async
tests need it to run them: set ``asyncio_mode = "auto"`` or mark them ``@pytest.mark.asyncio``.
Without pytest-asyncio this plugin defines only the synchronous fixtures, so installing
livionkey-async never breaks a project's own pytest run. Heavy imports happen inside the
fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from livionkey_async import LivionKeyClient  # type: ignore[attr-defined, unused-ignore]
    from livionkey_async.v2 import LivionKeyV2Client

    from ._config import SimConfig
    from ._iloq import IloqSimConfig, IloqSimulator
    from ._server import Simulator
    from ._v2 import V2SimConfig, V2Simulator

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised by a test that hides pytest_asyncio
    HAVE_PYTEST_ASYNCIO = False
else:
    HAVE_PYTEST_ASYNCIO = True


@pytest.fixture
def livionkey_client_options() -> dict[str, Any]:
    """Keyword arguments for the clients of ``livionkey_client`` and
    ``livionkey_session_client``; override this fixture to change them."""
    return {"rate_limit": 1000.0, "timeout": 10.0, "max_wait": 10.0}


@pytest.fixture(scope="session")
def livionkey_session_sim_config() -> SimConfig:
    """The session simulator's configuration; override this (session-scoped) fixture."""
    from ._config import SimConfig

    return SimConfig()


@pytest.fixture(scope="session")
def livionkey_session_sim(livionkey_session_sim_config: SimConfig) -> Iterator[Simulator]:
    """One simulator for the whole session, serving from a thread of its own."""
    from ._threaded import ThreadedSimulator

    with ThreadedSimulator(livionkey_session_sim_config) as threaded:
        yield threaded.sim


def _client_for(sim: Simulator, options: dict[str, Any]) -> LivionKeyClient:
    from livionkey_async import LivionKeyClient

    return LivionKeyClient(sim.config.email, sim.config.password, base_url=sim.url, **options)


if HAVE_PYTEST_ASYNCIO:

    @pytest.fixture
    def livionkey_sim_config() -> SimConfig:
        """The simulator's configuration; override this fixture to change it."""
        from ._config import SimConfig

        return SimConfig()

    @pytest_asyncio.fixture
    async def livionkey_sim(livionkey_sim_config: SimConfig) -> AsyncIterator[Simulator]:
        """A simulator serving on a free loopback port for the duration of one test."""
        from ._server import Simulator

        async with Simulator(livionkey_sim_config) as sim:
            yield sim

    @pytest_asyncio.fixture
    async def livionkey_client(
        livionkey_sim: Simulator, livionkey_client_options: dict[str, Any]
    ) -> AsyncIterator[LivionKeyClient]:
        """A ``LivionKeyClient`` for the simulator's primary account, entered and closed."""
        async with _client_for(livionkey_sim, livionkey_client_options) as client:
            yield client

    @pytest_asyncio.fixture
    async def livionkey_session_client(
        livionkey_session_sim: Simulator, livionkey_client_options: dict[str, Any]
    ) -> AsyncIterator[LivionKeyClient]:
        """A ``LivionKeyClient`` (one per test) for the session simulator's primary account."""
        async with _client_for(livionkey_session_sim, livionkey_client_options) as client:
            yield client

    @pytest.fixture
    def livionkey_iloq_sim_config() -> IloqSimConfig:
        """The iLOQ simulator's configuration; override this fixture to change it."""
        from ._iloq import IloqSimConfig

        return IloqSimConfig()

    @pytest_asyncio.fixture
    async def livionkey_iloq_sim(
        livionkey_iloq_sim_config: IloqSimConfig,
    ) -> AsyncIterator[IloqSimulator]:
        """An iLOQ simulator on a free loopback port for the duration of one test."""
        from ._iloq import IloqSimulator

        async with IloqSimulator(livionkey_iloq_sim_config) as sim:
            yield sim

    @pytest.fixture
    def livionkey_v2_sim_config() -> V2SimConfig:
        """The API v2 simulator's configuration; override this fixture to change it."""
        from ._v2 import V2SimConfig

        return V2SimConfig()

    @pytest_asyncio.fixture
    async def livionkey_v2_sim(livionkey_v2_sim_config: V2SimConfig) -> AsyncIterator[V2Simulator]:
        """An API v2 simulator serving on a free loopback port for the duration of one test."""
        from ._v2 import V2Simulator

        async with V2Simulator(livionkey_v2_sim_config) as sim:
            yield sim

    @pytest_asyncio.fixture
    async def livionkey_v2_client(
        livionkey_v2_sim: V2Simulator,
    ) -> AsyncIterator[LivionKeyV2Client]:
        """A ``LivionKeyV2Client`` signing as the simulator's service account."""
        from livionkey_async.v2 import LivionKeyV2Client

        sim = livionkey_v2_sim
        async with LivionKeyV2Client(
            sim.service_account_id, sim.private_key_pem, base_url=sim.url
        ) as client:
            yield client
