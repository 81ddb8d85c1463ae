"""``livionkey-async iloq check`` and ``livionkey-async sim iloq``: exit codes, output, secrets.

In-process runs call ``main`` in a worker thread while the simulator serves in the test's loop;
the acceptance scenario runs both real commands as processes. No run's output ever holds the
password.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from livionkey_async._cli import build_parser
from livionkey_async.iloq._advice import PUBLIC_API_FIX, right_fix
from livionkey_async.iloq._rights import RIGHTS
from livionkey_async.testing import IloqFaults, IloqLockingSystem, IloqSimConfig, IloqSimulator
from livionkey_async.testing._iloq import _command as sim_iloq_command

from .support import Cli, Run, call_main

PASSWORD = "Iloq-cli-5e8b02-never-printed"
CODE = "LIVIONDEMO"
USER = "api.keyautomat"
ORDER_KEYS = next(right for right in RIGHTS if right.key == "order_keys")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    for name in ("ILOQ_SERVICE_ADDRESS", "ILOQ_SERVICE_CODE", "ILOQ_USERNAME", "ILOQ_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ILOQ_PASSWORD", PASSWORD)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # never a terminal: no prompt

    async def run(*argv: str) -> Run:
        capsys.readouterr()
        code = await asyncio.to_thread(call_main, list(argv))
        captured = capsys.readouterr()
        assert PASSWORD not in captured.out + captured.err
        assert "Traceback" not in captured.err
        return Run(code, captured.out, captured.err)

    return run


def check_args(sim: IloqSimulator, *extra: str) -> list[str]:
    return [
        "iloq",
        "check",
        "--service-address",
        sim.service_address,
        "--service-code",
        CODE,
        "--username",
        USER,
        *extra,
    ]


def serving(**settings: Any) -> IloqSimulator:
    return IloqSimulator(IloqSimConfig(password=PASSWORD, **settings))


async def test_every_check_passing_exits_0_with_a_tick_for_each(cli: Cli) -> None:
    async with serving() as sim:
        run = await cli(*check_args(sim))
    assert run.code == 0, run.out + run.err
    for name in ("service address answers", "GetUrl resolves", "session opens"):
        assert f"✔ {name}: " in run.out
    assert f"  ✔ {ORDER_KEYS.label}: held" in run.out
    assert "✘" not in run.out
    assert "All checks passed (19 passed, 0 failed, 0 skipped)." in run.out
    assert "Locking system: Demo locking system" in run.out


async def test_a_missing_right_exits_1_with_the_right_crossed_and_its_fix(cli: Cli) -> None:
    systems = [IloqLockingSystem(missing_rights={"order_keys"})]
    async with serving(locking_systems=systems) as sim:
        run = await cli(*check_args(sim))
        assert sim.open_sessions() == []
    assert run.code == 1
    lines = run.out.splitlines()
    crossed = next(i for i, line in enumerate(lines) if f"✘ {ORDER_KEYS.label}:" in line)
    assert lines[crossed + 1].strip() == f"fix: {right_fix(ORDER_KEYS)}"
    assert "Not ready (18 passed, 1 failed, 0 skipped)." in run.out


async def test_skipped_checks_are_shown_as_skipped(cli: Cli) -> None:
    async with serving(locking_systems=[IloqLockingSystem(public_api=False)]) as sim:
        run = await cli(*check_args(sim))
    assert run.code == 1
    assert "✘ Public API in use: Public API is not in use" in run.out
    assert f"fix: {PUBLIC_API_FIX}" in run.out
    assert f"○ {ORDER_KEYS.label} (skipped: Public API is not in use)" in run.out
    assert "(5 passed, 1 failed, 13 skipped)" in run.out


async def test_json_output(cli: Cli) -> None:
    async with serving(password_expired=True) as sim:
        run = await cli(*check_args(sim, "--json"))
    assert run.code == 1
    report = json.loads(run.out)
    assert report["ok"] is False
    assert report["session_killed"] is None
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["session opens"]["status"] == "failed"
    assert checks["session opens"]["ok"] is False
    assert "Result 9" in checks["session opens"]["detail"]
    assert checks["session opens"]["fix"]
    assert checks["locking system visible"]["status"] == "skipped"
    assert checks["locking system visible"]["ok"] is None
    assert checks["GetUrl resolves"]["ok"] is True
    assert len(report["checks"]) == 19


async def test_json_output_of_a_passing_check_exits_0(cli: Cli) -> None:
    async with serving(pool="iloqwspool2") as sim:
        run = await cli(*check_args(sim, "--json", "--locking-system", "demo locking system"))
        assert json.loads(run.out)["service_url"] == sim.pool_url
    assert run.code == 0


async def test_a_session_that_could_not_be_ended_is_noted(cli: Cli) -> None:
    faults = IloqFaults(fail_status=400, fail_on={"KillSession"})
    async with serving(faults=faults) as sim:
        run = await cli(*check_args(sim))
        assert len(sim.open_sessions()) == 1
    assert run.code == 0
    assert "the iLOQ session could not be ended" in run.out


async def test_missing_values_exit_2_naming_them(cli: Cli) -> None:
    run = await cli("iloq", "check", "--username", USER)
    assert run.code == 2
    assert "--service-address, --service-code required" in run.err


async def test_values_from_the_environment(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    async with serving() as sim:
        monkeypatch.setenv("ILOQ_SERVICE_ADDRESS", sim.service_address)
        monkeypatch.setenv("ILOQ_SERVICE_CODE", CODE)
        monkeypatch.setenv("ILOQ_USERNAME", USER)
        run = await cli("iloq", "check")
    assert run.code == 0


async def test_bad_input_exits_2_before_anything_is_sent(cli: Cli) -> None:
    async with serving() as sim:
        run = await cli(*check_args(sim)[:3], "http://s5.iloq.com/iloqws", *check_args(sim)[4:])
        assert sim.calls == []
    assert run.code == 2
    assert "service_address must use https" in run.err


async def test_no_password_and_no_terminal_exits_2(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ILOQ_PASSWORD")
    async with serving() as sim:
        run = await cli(*check_args(sim))
        assert sim.calls == []
    assert run.code == 2
    assert "set ILOQ_PASSWORD" in run.err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_the_password_is_asked_for_hidden_on_a_terminal(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.delenv("ILOQ_PASSWORD")
    monkeypatch.setattr(sys, "stdin", _Terminal(""))
    monkeypatch.setattr("getpass.getpass", getpass)
    async with serving() as sim:
        run = await cli(*check_args(sim))
    assert run.code == 0
    assert prompts == [f"iLOQ password for {USER}: "]


def test_the_password_is_never_an_argument() -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["iloq", "check", "--password", PASSWORD])


def test_plain_sim_is_still_the_v1_simulator_and_sim_iloq_takes_its_own_knobs() -> None:
    parser = build_parser()
    v1 = parser.parse_args(["sim", "--port", "0", "--devices", "2"])
    assert v1.service is None
    assert (v1.port, v1.devices) == (0, 2)
    iloq = parser.parse_args(
        ["sim", "iloq", "--port", "0", "--missing-right", "order_keys", "--pool", "iloqwspool2",
         "--locking-systems", "2", "--public-api-off",
         "--fail-status", "503", "--fail-on", "LockGroups"]
    )  # fmt: skip
    assert iloq.service == "iloq"
    config = sim_iloq_command.config_from_args(iloq)
    assert config.port == 0
    assert config.pool == "iloqwspool2"
    assert [s.missing_rights for s in config.locking_systems] == [{"order_keys"}] * 2
    assert not any(s.public_api for s in config.locking_systems)
    assert config.faults.fail_status == 503
    assert config.faults.fail_on == {"LockGroups"}
    with pytest.raises(SystemExit):
        parser.parse_args(["sim", "iloq", "--missing-right", "fly"])


# -- the acceptance scenario: both real commands, as processes -----------------------------------

ADDRESS = re.compile(rb"service address: (http://127\.0\.0\.1:\d+/iloqws)")


async def _start_sim(*knobs: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "livionkey_async._cli", "sim", "iloq", "--port", "0",
        "--password", PASSWORD, *knobs,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    seen = b""
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        if not line:
            raise AssertionError(f"the simulator exited early: {seen!r}")
        seen += line
        found = ADDRESS.search(line)
        if found:
            return process, found.group(1).decode()


@pytest.fixture
async def sim_process() -> AsyncIterator[Callable[..., Awaitable[str]]]:
    started: list[asyncio.subprocess.Process] = []

    async def start(*knobs: str) -> str:
        process, address = await _start_sim(*knobs)
        started.append(process)
        return address

    yield start
    for process in started:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest, errors = await asyncio.wait_for(process.communicate(), timeout=20)
        assert process.returncode == 0, errors.decode()
        assert b"left open: 0" in rest


async def test_acceptance_iloq_check_against_sim_iloq_with_a_missing_right(
    sim_process: Callable[..., Awaitable[str]], tmp_path: Path
) -> None:
    address = await sim_process("--missing-right", "order_keys")
    check = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "livionkey_async._cli", "iloq", "check",
        "--service-address", address, "--service-code", CODE, "--username", USER,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "ILOQ_PASSWORD": PASSWORD, "PYTHONIOENCODING": "utf-8"},
        cwd=tmp_path,
    )  # fmt: skip
    out, err = await asyncio.wait_for(check.communicate(), timeout=60)
    text = out.decode("utf-8")
    assert check.returncode == 1, text + err.decode()
    assert f"✘ {ORDER_KEYS.label}: missing" in text
    assert f"fix: {right_fix(ORDER_KEYS)}" in text
    assert "✔ session opens" in text
    assert PASSWORD.encode() not in out + err
