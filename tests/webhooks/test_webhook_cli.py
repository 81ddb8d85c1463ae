"""``livionkey-async webhooks listen`` and ``webhooks send``, run against each other.

``listen`` runs as a real process on a free loopback port; ``send`` runs in a worker thread of
the test (it calls ``asyncio.run`` itself), posting one signed sample of each event type to it.
Every output is searched for the secrets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator

import attrs
import pytest
from webhook_support import API_KEY, OTHER_SECRET, SECRET

from livionkey_async._cli import main
from livionkey_async.webhooks import CodeEnteredEvent, ContractUpdateEvent, sample_events
from livionkey_async.webhooks._command import _json_line, _row

URL = re.compile(r"listening for Livion webhooks on (http://127\.0\.0\.1:\d+/)")
SECRETS = (SECRET, SECRET.removeprefix("whsec_"), OTHER_SECRET.removeprefix("whsec_"), API_KEY)
TYPES = ("key-status", "contract-update", "code-entered", "device-alarm")


@attrs.frozen
class Run:
    code: int
    out: str
    err: str


@attrs.define
class Listener:
    url: str
    process: asyncio.subprocess.Process

    async def finish(self) -> Run:
        out, err = await asyncio.wait_for(self.process.communicate(), timeout=15)
        assert self.process.returncode is not None
        return Run(self.process.returncode, out.decode(), err.decode())


def _assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


@contextlib.asynccontextmanager
async def _listen(*args: str, env: dict[str, str]) -> AsyncIterator[Listener]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "livionkey_async._cli", "webhooks", "listen", "--port", "0", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in {**os.environ, **env, "PYTHONUNBUFFERED": "1"}.items() if v},
    )  # fmt: skip
    assert process.stderr is not None
    try:
        line = (await asyncio.wait_for(process.stderr.readline(), timeout=15)).decode()
        found = URL.search(line)
        assert found, f"no URL in {line!r}"
        yield Listener(found.group(1), process)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=15)


async def _send(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["webhooks", "send", *argv])
    captured = capsys.readouterr()
    _assert_no_secrets(captured.out + captured.err)
    return Run(code, captured.out, captured.err)


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("LIVIONKEY_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("LIVIONKEY_WEBHOOK_API_KEY", raising=False)


async def test_listen_shows_each_signed_sample_send_posts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"LIVIONKEY_WEBHOOK_SECRET": f"{OTHER_SECRET} {SECRET}"}  # two, as during a change
    async with _listen("--count", "4", env=env) as listener:
        monkeypatch.setenv("LIVIONKEY_WEBHOOK_SECRET", "whsec_" + "A" * 32)  # not the listener's
        refused = await _send(capsys, listener.url)
        assert refused.code == 1
        assert refused.out.count("│ 401") == 4
        monkeypatch.setenv("LIVIONKEY_WEBHOOK_SECRET", SECRET)
        sent = await _send(capsys, listener.url + "livion")
        assert sent.code == 0, sent.out + sent.err
        assert sent.out.count("│ 200") == 4
        for kind in TYPES:
            assert kind in sent.out
        run = await listener.finish()
    assert run.code == 0, run.err
    header, *rows = run.out.splitlines()
    assert header.split() == ["time", "event", "what", "device", "key", "contract", "delivery"]
    assert [row.split()[1] for row in rows] == list(TYPES)
    assert rows[0].split()[2:5] == ["key-fetched", "000000", "key1"]
    assert "DEVICE_DISCONNECTED activated" in rows[3]
    assert "4 events" in run.err
    assert "4 refused" in run.err
    _assert_no_secrets(run.out + run.err)


async def test_legacy_samples_as_json_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"LIVIONKEY_WEBHOOK_API_KEY": API_KEY}
    async with _listen("--json", "--count", "2", env=env) as listener:
        monkeypatch.setenv("LIVIONKEY_WEBHOOK_API_KEY", API_KEY)
        sent = await _send(
            capsys, listener.url, "--shape", "legacy", "--type", "code-entered",
            "--type", "device-alarm", "--json",
        )  # fmt: skip
        assert sent.code == 0
        assert [row["status"] for row in json.loads(sent.out)] == ["200", "200"]
        run = await listener.finish()
    assert run.code == 0, run.err
    lines = [json.loads(line) for line in run.out.splitlines()]
    assert [line["event"] for line in lines] == ["code-entered", "device-alarm"]
    assert lines[0]["codeType"] == "right-pincode"
    assert lines[0]["shape"] == "legacy"
    assert lines[0]["deliveryId"].startswith("hmac-sha256:")
    assert "code" not in lines[0]
    assert lines[1]["alarmType"] == "DEVICE_DISCONNECTED"


async def test_missing_secrets_and_unreachable_endpoints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await asyncio.to_thread(main, ["webhooks", "listen", "--port", "0"]) == 2
    assert "LIVIONKEY_WEBHOOK_SECRET" in capsys.readouterr().err
    refused = await _send(capsys, "http://127.0.0.1:9/")
    assert refused.code == 2
    assert "LIVIONKEY_WEBHOOK_SECRET" in refused.err
    monkeypatch.setenv("LIVIONKEY_WEBHOOK_SECRET", "whsec_Zq9*malformed")
    malformed = await _send(capsys, "http://127.0.0.1:9/")
    assert malformed.code == 2
    assert "Zq9" not in malformed.err
    monkeypatch.setenv("LIVIONKEY_WEBHOOK_SECRET", SECRET)
    nobody = await _send(capsys, "http://127.0.0.1:9/", "--json")
    assert nobody.code == 1
    assert {row["status"] for row in json.loads(nobody.out)} == {"-"}


def test_printed_events_leave_out_pincodes_and_codes() -> None:
    for event in sample_events():
        if isinstance(event, ContractUpdateEvent):
            event = attrs.evolve(event, pincode="271828")
        elif isinstance(event, CodeEnteredEvent):
            event = attrs.evolve(event, code="271828")
        for text in (_row(event), _json_line(event)):
            assert "271828" not in text
