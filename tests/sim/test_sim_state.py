"""The pure state, without sockets: seeding, configuration checks, the token bucket."""

from __future__ import annotations

import pytest
from sim_support import FakeClock, contract_body

from livionkey_async.testing import AccountConfig, SimConfig, SimError
from livionkey_async.testing._rate_limit import TokenBucket
from livionkey_async.testing._state import SimState
from livionkey_async.testing._wire import iso


def _snapshot(state: SimState) -> list[tuple[str, str, str, str, list[tuple[str, str, int]]]]:
    return [
        (
            d.device_id,
            d.product,
            d.name,
            d.account,
            [(k.key_id, k.key_name, k.locker_index) for k in d.keys.values()],
        )
        for d in state.devices.values()
    ]


def test_seeded_data_is_deterministic_and_seed_dependent() -> None:
    clock = FakeClock(1_800_000_000.0)
    first = SimState(SimConfig(seed=3, clock=clock))
    again = SimState(SimConfig(seed=3, clock=clock))
    other = SimState(SimConfig(seed=4, clock=clock))
    assert _snapshot(first) == _snapshot(again)
    assert _snapshot(first) != _snapshot(other)


def test_default_layout() -> None:
    state = SimState(SimConfig())
    products = {d: dev.product for d, dev in state.devices.items()}
    assert products == {
        "00001": "key30",
        "00002": "key30",
        "00003": "key30",
        "00004": "keyX",
        "00005": "keypad",
        "00006": "key20",
    }
    assert [sorted(dev.keys) for dev in state.devices.values()] == [
        ["A0001", "A0002", "A0003", "A0004", "A0005"]
    ] * 3 + [["A0001"], [], []]
    assert state.devices["00004"].keys["A0001"].locker_index == 0


def test_extra_accounts_continue_the_device_numbering() -> None:
    config = SimConfig(
        devices=1,
        keyx_devices=0,
        keypad_devices=0,
        key20_devices=0,
        extra_accounts=(AccountConfig(email="b@example.com", password="pw", devices=2, keys=1),),
    )
    state = SimState(config)
    assert state.accounts == {
        "demo@example.com": ["00001"],
        "b@example.com": ["00002", "00003", "00004", "00005", "00006"],
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"keys": 31},
        {"devices": -1},
        {"token_lifetime": 0},
        {"rate": 0},
        {"burst": 0},
        {"extra_accounts": (AccountConfig(email="DEMO@example.com", password="x"),)},
    ],
)
def test_config_refuses_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages
        SimConfig(**kwargs)  # type: ignore[arg-type]


def test_sim_error_bodies() -> None:
    assert SimError(400, "Device not found").body() == "Device not found"
    forbidden = SimError(403, "No token provided.", json_body=True)
    assert forbidden.body() == '{"success":false,"message":"No token provided."}'
    assert str(forbidden) == "403 No token provided."


def test_token_bucket_refills_at_rate_up_to_burst() -> None:
    bucket = TokenBucket(rate=10.0, burst=2, tokens=2.0, updated=0.0)
    assert [bucket.take(0.0).allowed for _ in range(3)] == [True, True, False]
    assert bucket.take(0.05).retry_after == 1
    assert bucket.take(0.1).allowed
    assert bucket.take(100.0).remaining == 1  # capped at burst, minus this one


def test_iso_has_milliseconds_and_z() -> None:
    assert iso(1_790_000_000.5) == "2026-09-21T14:13:20.500Z"


def test_state_rules_without_http() -> None:
    clock = FakeClock()
    state = SimState(SimConfig(clock=clock))
    made = state.create_contract("demo@example.com", contract_body("x", base=clock()))
    assert set(made) == {"id", "pincode"}
    with pytest.raises(SimError) as refused:
        state.create_contract("demo@example.com", contract_body("x", base=clock()))
    assert (refused.value.status, refused.value.message) == (400, "ContractId already in use")
    assert state.stats.duplicate_contract_ids_refused == 1
