"""Fixtures of the command-line tests (helpers in ``support``).

``sim`` is a simulator whose URL and credentials are in the environment, as an operator would
set them; ``cli`` runs one command in a worker thread (the commands call ``asyncio.run``
themselves while the simulator serves in the test's loop) and captures what it printed. Every
run's output, and whatever was printed outside a run, is checked for the secrets.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from livionkey_async.testing import SimConfig, Simulator

from .support import EMAIL, PASSWORD, Cli, Run, assert_no_secrets, call_main


@pytest.fixture
async def sim(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Simulator]:
    async with Simulator(SimConfig(password=PASSWORD)) as simulator:
        monkeypatch.setenv("LIVIONKEY_EMAIL", EMAIL)
        monkeypatch.setenv("LIVIONKEY_PASSWORD", PASSWORD)
        monkeypatch.setenv("LIVIONKEY_BASE_URL", simulator.url)
        yield simulator


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # never a terminal: no password prompt

    async def run(*argv: str) -> Run:
        capsys.readouterr()
        code = await asyncio.to_thread(call_main, list(argv))
        captured = capsys.readouterr()
        assert_no_secrets(captured.out + captured.err)
        assert "Traceback" not in captured.err
        return Run(code, captured.out, captured.err)

    yield run
    left = capsys.readouterr()
    assert_no_secrets(left.out + left.err)
