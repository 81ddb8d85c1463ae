"""The LivionKey20 example (``examples/livionkey20.py``) runs from end to end on the v2 simulator.

It is loaded from its file, as a user would run it, and driven through its ``run`` against the
plugin's simulator; the simulator's state proves each step happened (the unit with its iLOQ API
user, the key20 automat in it, the contract on that automat's key with the listing's rights, its
cancellation), and the output never shows a secret.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest
from clock_support import SharedClock

from livionkey_async.testing import (
    IloqLockingSystem,
    IloqSimConfig,
    IloqSimulator,
    V2SimConfig,
    V2Simulator,
)
from livionkey_async.v2 import LivionKeyV2Client

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "livionkey20.py"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("livionkey20_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # attrs needs the module to resolve its annotations
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def clock() -> SharedClock:
    return SharedClock()


@pytest.fixture
def livionkey_v2_sim_config(clock: SharedClock) -> V2SimConfig:
    # The installer takes ten minutes on site (of the simulator's clock): the example waits.
    return V2SimConfig(install_delay=600.0, clock=clock.epoch)


@pytest.fixture
async def client_on_clock(
    livionkey_v2_sim: V2Simulator, clock: SharedClock
) -> AsyncIterator[LivionKeyV2Client]:
    sim = livionkey_v2_sim
    async with LivionKeyV2Client(
        sim.service_account_id,
        sim.private_key_pem,
        base_url=sim.url,
        sleep=clock.sleep,
        clock=clock.monotonic,
        wall_clock=clock.epoch,
    ) as client:
        yield client


async def test_livionkey20_from_end_to_end(
    example: ModuleType,
    livionkey_v2_sim: V2Simulator,
    client_on_clock: LivionKeyV2Client,
    livionkey_iloq_sim: IloqSimulator,
    clock: SharedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim = livionkey_v2_sim
    # Two doors of the listing share a name: both are mapped, neither is lost.
    twin = {**sim.state.access_rights[0], "id": "ar-twin"}
    sim.state.access_rights.append(twin)
    site = example.site_for(livionkey_iloq_sim, sim.config.organization_unit_id)
    outcome = await example.run(client_on_clock, site, install_poll=30.0, sleep=clock.sleep)
    # Polled every 30 s until the installer was done (ten minutes, none of them real).
    assert 20 <= clock.sleeps.count(30.0) <= 21
    # Step 0 checked the iLOQ API user first, and ended its session.
    assert livionkey_iloq_sim.endpoint_calls("CreateSession") == 1
    assert livionkey_iloq_sim.open_sessions() == []

    unit = sim.state.units[outcome.unit_id]
    assert unit.parent_id == sim.config.organization_unit_id
    assert unit.iloq_api_user is not None
    assert unit.iloq_api_user["customerCode"] == site.iloq.customer_code
    automat = sim.state.automats[outcome.automat_id]
    assert (automat.product, automat.organization_unit_id) == ("key20", unit.id)
    assert automat.lifecycle_state == "active"
    names = {str(r["id"]): str(r["name"]) for r in sim.state.access_rights}
    mapped = sorted(names[r] for r in outcome.listing_rights)
    assert mapped == sorted(["Apartment 1", "Main door 1", str(twin["name"])])
    assert "ar-twin" in outcome.listing_rights
    contract = outcome.contract
    assert contract.key_automat_id == outcome.automat_id
    assert set(contract.access_right_ids) == set(outcome.listing_rights)
    assert outcome.pincode.isdigit()
    assert outcome.pincode == contract.pincodes[0]
    assert outcome.cancelled
    assert contract.id not in sim.state.iloq_contracts

    printed = capsys.readouterr()
    for secret in (outcome.pincode, site.iloq.password):
        assert secret not in printed.out + printed.err + repr(outcome)


async def test_the_example_runs_on_its_own(
    example: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await example.main(None, None) == 0  # no credentials: the embedded simulator
    assert "cancelled" in capsys.readouterr().out


async def test_a_failed_preflight_stops_before_anything_is_created(
    example: ModuleType,
    livionkey_v2_sim: V2Simulator,
    client_on_clock: LivionKeyV2Client,
) -> None:
    system = IloqLockingSystem(missing_rights={"order_keys"})
    state = livionkey_v2_sim.state
    units, automats = set(state.units), set(state.automats)
    async with IloqSimulator(IloqSimConfig(locking_systems=[system])) as iloq:
        site = example.site_for(iloq, livionkey_v2_sim.config.organization_unit_id)
        with pytest.raises(example.PreflightFailed) as failed:
            await example.run(client_on_clock, site)
    assert [c.name for c in failed.value.report.failed] == ["Right to order keys"]
    assert "Right to order keys" in str(failed.value)
    # Nothing was created on the LivionKey side: no organization unit, no automat.
    assert (set(state.units), set(state.automats)) == (units, automats)
