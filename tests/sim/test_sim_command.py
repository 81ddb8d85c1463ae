"""The ``sim`` subcommand: a real process that serves until SIGTERM and exits 0."""

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

from livionkey_async import _cli
from livionkey_async.testing import _command

URL = re.compile(rb"listening on (http://127\.0\.0\.1:\d+)")


async def _read_until_url(stream: asyncio.StreamReader) -> tuple[str, bytes]:
    seen = b""
    while True:
        line = await asyncio.wait_for(stream.readline(), timeout=15)
        if not line:
            raise AssertionError(f"the simulator exited before printing its URL: {seen!r}")
        seen += line
        found = URL.search(line)
        if found:
            return found.group(1).decode(), seen


async def test_sim_command_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "livionkey_async._cli",
        "sim",
        "--port",
        "0",
        "--devices",
        "2",
        "--keys",
        "3",
        "--email",
        "ops@example.com",
        "--password",
        "s3cret",
        "--rate",
        "100",
        "--rate-limit-headers",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        url, banner = await _read_until_url(process.stdout)
        async with aiohttp.ClientSession(url) as session:
            async with session.post(
                "/auth/login", json={"email": "ops@example.com", "password": "s3cret"}
            ) as login:
                token = (await login.json())["token"]
            async with session.get(
                "/devices", headers={"Authorization": f"Bearer {token}"}
            ) as reply:
                devices = await reply.json()
                limit = reply.headers.get("X-RateLimit-Limit")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest, errors = await asyncio.wait_for(process.communicate(), timeout=15)
    assert process.returncode == 0, errors.decode()
    assert b"ops@example.com" in banner + rest
    assert [d["deviceId"] for d in devices] == ["00001", "00002", "00003"]
    assert limit == "100"
    assert b"stopped" in rest


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    _command.add_arguments(parser)
    return parser.parse_args(argv)


def test_flags_map_onto_the_config() -> None:
    args = _parse(
        "--host",
        "127.0.0.2",
        "--port",
        "0",
        "--devices",
        "4",
        "--keys",
        "7",
        "--seed",
        "9",
        "--token-lifetime",
        "4.5",
        "--rate",
        "20",
        "--burst",
        "5",
        "--latency",
        "0.1",
        "--jitter",
        "0.2",
        "--fail-rate",
        "0.3",
        "--drop-rate",
        "0.01",
        "--drop-after-commit-rate",
        "0.02",
        "--slow-rate",
        "0.03",
        "--slow-seconds",
        "9",
    )
    config = _command.config_from_args(args)
    assert (config.host, config.port, config.devices, config.keys, config.seed) == (
        "127.0.0.2",
        0,
        4,
        7,
        9,
    )
    assert (config.token_lifetime, config.rate, config.burst) == (4.5, 20.0, 5)
    faults = config.faults
    assert (faults.latency, faults.jitter, faults.fail_rate) == (0.1, 0.2, 0.3)
    assert (faults.drop_rate, faults.drop_after_commit_rate) == (0.01, 0.02)
    assert (faults.slow_rate, faults.slow_seconds) == (0.03, 9.0)
    defaults = _command.config_from_args(_parse())
    assert (defaults.port, defaults.rate, defaults.rate_limit_headers) == (8080, None, False)


@pytest.mark.parametrize(
    "argv", [["--fail-rate", "1.5"], ["--latency", "-1"], ["--rate", "0"], ["--devices", "-2"]]
)
def test_bad_flags_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _cli.main(["sim", *argv])
    assert exit_info.value.code == 2


def test_keys_beyond_a_key30_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert _command.run(_parse("--keys", "31")) == 2
    assert "keys must be within 0..30" in capsys.readouterr().err


def test_cli_requires_a_subcommand() -> None:
    with pytest.raises(SystemExit) as exit_info:
        _cli.main([])
    assert exit_info.value.code == 2
