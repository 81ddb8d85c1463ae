"""The test kit: device states and the clock from Python, a simulator shared by the session,
and client options as a fixture. Through the client, as a user's tests would use them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from livionkey_async import (
    DeviceBusyError,
    KeyRef,
    LivionKeyClient,
    NewContract,
    ValidationError,
)
from livionkey_async.testing import SimConfig, Simulator, ThreadedSimulator

HOUR = timedelta(hours=1)


def contract(contract_id: str, start: datetime) -> NewContract:
    return NewContract(
        contract_id=contract_id,
        keys=[KeyRef("00001", "A0001")],
        start=start,
        end=start + HOUR,
        person="Guest",
    )


# -- device states -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"connected": False}, "Device error"),
        ({"busy": True}, "Device busy"),
        ({"reserved": True}, "Device is reserved"),
    ],
)
async def test_device_states_set_from_python(
    livionkey_sim: Simulator,
    livionkey_client: LivionKeyClient,
    state: dict[str, bool],
    message: str,
) -> None:
    livionkey_sim.set_device_state("00001", **state)
    with pytest.raises(DeviceBusyError, match=message):
        await livionkey_client.devices.open_door("00001", 0)
    livionkey_sim.set_device_state("00001", connected=True, busy=False, reserved=False)
    await livionkey_client.devices.open_door("00001", 0)


async def test_a_disconnected_device_is_listed_so(
    livionkey_sim: Simulator, livionkey_client: LivionKeyClient
) -> None:
    livionkey_sim.set_device_state("00002", connected=False)
    states = {d.device_id: d.connection_state for d in await livionkey_client.devices.list()}
    assert states["00002"] == "disconnected"
    assert states["00001"] == "connected"


def test_an_unknown_device_state_is_refused(livionkey_sim_config: SimConfig) -> None:
    sim = Simulator(livionkey_sim_config)
    with pytest.raises(KeyError, match="99999"):
        sim.set_device_state("99999", busy=True)


# -- the clock -----------------------------------------------------------------------------------


async def test_moving_the_clock_expires_the_token(
    livionkey_sim: Simulator, livionkey_client: LivionKeyClient
) -> None:
    await livionkey_client.devices.list()
    livionkey_sim.clock.advance(timedelta(hours=2))  # past the token's hour
    await livionkey_client.devices.list()  # refused once (401), logged in again, answered
    assert livionkey_sim.stats.unauthorized == 1
    assert livionkey_client.stats.logins == 2


async def test_moving_the_clock_moves_contract_windows(
    livionkey_sim: Simulator, livionkey_client: LivionKeyClient
) -> None:
    before = livionkey_sim.clock.now()
    tomorrow = before + timedelta(days=1)
    await livionkey_client.contracts.create(contract("tomorrow", tomorrow))
    livionkey_sim.clock.set(tomorrow + timedelta(days=2))
    moved = livionkey_sim.clock.now() - (tomorrow + timedelta(days=2))
    assert timedelta(0) <= moved < timedelta(seconds=60)  # set, and running on from there
    # What starts "tomorrow" by our clock is in the simulator's past now.
    with pytest.raises(ValidationError, match="Start time should be in the future"):
        await livionkey_client.contracts.create(contract("too-late", tomorrow + HOUR))
    livionkey_sim.reset()
    assert abs((livionkey_sim.clock.now() - before).total_seconds()) < 60  # back to real time


def test_the_clock_is_the_configured_one_moved(livionkey_sim_config: SimConfig) -> None:
    fixed = datetime(2030, 1, 1, tzinfo=UTC)
    sim = Simulator(SimConfig(clock=fixed.timestamp))
    assert sim.clock.now() == fixed
    sim.clock.advance(90)
    assert sim.clock.now() == fixed + timedelta(seconds=90)
    assert sim.state.clock() == (fixed + timedelta(seconds=90)).timestamp()
    with pytest.raises(ValueError, match="timezone"):
        sim.clock.set(datetime(2031, 1, 1))  # naive


# -- a simulator for the whole session -----------------------------------------------------------

SEEN: list[str] = []


@pytest.mark.parametrize("run", [1, 2])
async def test_the_session_simulator_is_shared(
    livionkey_session_sim: Simulator, livionkey_session_client: LivionKeyClient, run: int
) -> None:
    SEEN.append(livionkey_session_sim.url)
    assert len(set(SEEN)) == 1  # one simulator, whatever test asks
    assert [d.device_id for d in await livionkey_session_client.devices.list()] == [
        "00001",
        "00002",
        "00003",
        "00004",
    ]


def test_the_session_simulator_serves_synchronous_tests_too(
    livionkey_session_sim: Simulator,
) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{livionkey_session_sim.url}/_sim/stats") as answer:  # noqa: S310
        assert answer.status == 200


def test_a_threaded_simulator_starts_and_stops() -> None:
    with ThreadedSimulator(SimConfig(devices=1)) as threaded:
        sim = threaded.sim
        assert sim.running
        assert threading.current_thread() is not threaded.thread
        threaded.call(sim.reset)
        assert threaded.call(lambda: len(sim.state.devices)) > 0
    assert not sim.running
    assert not threaded.thread.is_alive()


def test_a_threaded_simulator_that_cannot_listen_says_so() -> None:
    with ThreadedSimulator() as first:
        taken = SimConfig(port=first.sim.port)
        with pytest.raises(OSError, match=r"(?i)address already in use"):
            ThreadedSimulator(taken).start()


# -- client options ------------------------------------------------------------------------------


class TestClientOptions:
    @pytest.fixture
    def livionkey_client_options(self) -> dict[str, Any]:
        return {"rate_limit": 7.0, "timeout": 2.0}

    async def test_the_options_reach_the_client(self, livionkey_client: LivionKeyClient) -> None:
        assert livionkey_client.stats.current_rate == 7.0


async def test_the_default_options_are_fast(
    livionkey_client: LivionKeyClient, livionkey_client_options: dict[str, Any]
) -> None:
    assert livionkey_client_options["rate_limit"] >= 100
    assert livionkey_client.stats.current_rate == livionkey_client_options["rate_limit"]
