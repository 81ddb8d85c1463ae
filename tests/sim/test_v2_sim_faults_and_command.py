"""The API v2 simulator shares the V1 simulator's fault knobs, counters and rate limit, and runs
from the command line (``livionkey-async sim --api v2``) and the pytest plugin."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from clock_support import SharedClock
from yarl import URL

from livionkey_async import AmbiguousOutcomeError, _cli
from livionkey_async.testing import Faults, V2SimConfig, V2Simulator
from livionkey_async.testing._v2 import _command
from livionkey_async.v2 import LivionKeyV2Client, NewGroup, ServiceAccountSigner


@pytest.fixture
def clock() -> SharedClock:
    return SharedClock()


def client_of(sim: V2Simulator, clock: SharedClock, **options: object) -> LivionKeyV2Client:
    """A client on the simulator's clock: backoff, 429 pauses and pacing move fake time on."""
    return LivionKeyV2Client(
        sim.service_account_id,
        sim.private_key_pem,
        base_url=sim.url,
        sleep=clock.sleep,
        clock=clock.monotonic,
        wall_clock=clock.epoch,
        **options,  # type: ignore[arg-type]
    )


async def test_the_rate_limit_answers_429_and_the_client_paces_itself(clock: SharedClock) -> None:
    async with V2Simulator(V2SimConfig(rate=20, burst=2, clock=clock.epoch)) as sim:
        async with client_of(sim, clock) as client:  # it starts faster than 20/s: it must slow
            pages = await asyncio.gather(*(client.automats.list() for _ in range(20)))
        assert all(len(page.data) == 3 for page in pages)
        assert sim.stats.throttled == client.stats.throttled
        assert sim.stats.throttled > 0
        assert sim.stats.requests == 20 + client.stats.throttled
        assert max(clock.sleeps) >= 1.0  # the Retry-After was waited out, on the fake clock


async def test_the_rate_limit_headers_are_the_v1_simulators() -> None:
    async with V2Simulator(V2SimConfig(rate=50, burst=5, rate_limit_headers=True)) as sim:
        signer = ServiceAccountSigner(sim.service_account_id, sim.private_key_pem)
        url = URL(sim.url + "/groups")
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, headers=signer.headers(signer.account_id, "GET", url, None)) as reply,
        ):
            assert reply.status == 200
            assert reply.headers["X-RateLimit-Limit"] == "5"
            assert reply.headers["RateLimit-Policy"] == '"default";q=5;w=1'


async def test_injected_5xx_on_reads_are_retried(clock: SharedClock) -> None:
    faults = Faults(fail_rate=0.3, fail_statuses=(503,))
    async with V2Simulator(V2SimConfig(faults=faults, seed=3, clock=clock.epoch)) as sim:
        async with client_of(sim, clock, max_attempts=10) as client:
            for _ in range(6):
                assert len((await client.automats.list()).data) == 3
        assert sim.stats.failed > 0
        assert client.stats.retries == sim.stats.failed


async def test_a_create_dropped_after_commit_is_ambiguous_and_not_resent(
    clock: SharedClock,
) -> None:
    faults = Faults(drop_after_commit_rate=1.0)
    async with V2Simulator(V2SimConfig(faults=faults, clock=clock.epoch)) as sim:
        async with client_of(sim, clock) as client:
            with pytest.raises(AmbiguousOutcomeError):
                await client.groups.create(NewGroup(name="Lost answer", customer_id="c1"))
        assert sim.stats.dropped == 1
        assert [g.name for g in sim.state.groups.values()].count("Lost answer") == 1
        sim.reset()
        assert "Lost answer" not in [g.name for g in sim.state.groups.values()]
        assert sim.stats.dropped == 0


@pytest.fixture
def livionkey_v2_sim_config() -> V2SimConfig:
    return V2SimConfig(key30_automats=5, key20_automats=0)


async def test_the_plugin_config_fixture_can_be_overridden(
    livionkey_v2_sim: V2Simulator, livionkey_v2_client: LivionKeyV2Client
) -> None:
    automats = [a async for a in livionkey_v2_client.automats.iterate(page_size=2)]
    assert len(automats) == 5
    assert livionkey_v2_sim.stats.requests == 3


LISTENING = re.compile(rb"listening on (http://127\.0\.0\.1:\d+/v2)")


async def test_sim_api_v2_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    key_file = tmp_path / "sa.pem"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "livionkey_async._cli",
        "sim",
        "--api",
        "v2",
        "--port",
        "0",
        "--private-key-file",
        str(key_file),
        "--service-account-id",
        "sa-ops",
        "--key30-automats",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    try:
        seen = b""
        while b"Ctrl-C" not in seen:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=15)
            assert line, seen
            seen += line
        found = LISTENING.search(seen)
        assert found is not None, seen
        url = found.group(1).decode()
        assert key_file.stat().st_mode & 0o077 == 0  # the key file is the owner's only
        async with LivionKeyV2Client("sa-ops", key_file.read_text(), base_url=url) as client:
            automats = (await client.automats.list()).data
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest, errors = await asyncio.wait_for(process.communicate(), timeout=15)
    assert process.returncode == 0, errors.decode()
    assert b"LIVIONKEY_SERVICE_ACCOUNT_ID=sa-ops" in seen
    assert len(automats) == 2  # one LivionKey30 and the default LivionKey20
    assert b"stopped" in rest
    assert key_file.exists()  # a key file the operator named is kept


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    _command.add_arguments(parser)
    return parser.parse_args(argv)


def test_v2_sim_flags_map_onto_the_config() -> None:
    args = _parse("--key20-automats", "3", "--iloq-keys", "7", "--rate", "5", "--fail-rate", "0.1")
    config = _command.config_from_args(args, "pem")
    assert (config.key20_automats, config.iloq_keys_per_automat) == (3, 7)
    assert config.rate == 5.0
    assert config.faults.fail_rate == 0.1


def test_a_key_file_without_a_key_is_a_bad_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    assert _command.run(_parse("--private-key-file", str(bad))) == 2
    assert "sim:" in capsys.readouterr().err


def test_sim_without_api_v2_stays_v1() -> None:
    with pytest.raises(SystemExit) as exit_info:
        _cli.main(["sim", "--key20-automats", "1"])  # a v2 flag: V1's sim does not know it
    assert exit_info.value.code == 2
