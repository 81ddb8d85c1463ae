"""The ``livionkey-async`` API v2 commands against the v2 simulator over loopback.

As for V1, each command runs in a worker thread (it calls ``asyncio.run``) while the simulator
serves in the test's loop. Every run's output is checked for the service account's private key
and the iLOQ API user's password before a test sees it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from livionkey_async._cli import main
from livionkey_async.testing import V2SimConfig, V2Simulator

from .support import Cli, Run, call_main

START = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
END = START + timedelta(days=2)


def _wire(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
async def sim(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[V2Simulator]:
    async with V2Simulator(V2SimConfig(iloq_keys_per_automat=10)) as simulator:
        key_file = tmp_path / "service-account.pem"
        key_file.write_text(simulator.private_key_pem)
        monkeypatch.setenv("LIVIONKEY_SERVICE_ACCOUNT_ID", simulator.service_account_id)
        monkeypatch.setenv("LIVIONKEY_PRIVATE_KEY_FILE", str(key_file))
        monkeypatch.setenv("LIVIONKEY_V2_BASE_URL", simulator.url)
        monkeypatch.delenv("LIVIONKEY_EMAIL", raising=False)
        monkeypatch.delenv("LIVIONKEY_PASSWORD", raising=False)
        yield simulator


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    from livionkey_async.testing._v2._keys import demo_private_key_pem

    secrets = [
        line for line in demo_private_key_pem().splitlines() if "PRIVATE KEY" not in line
    ] + ["iloq-demo-password"]

    async def run(*argv: str) -> Run:
        capsys.readouterr()
        code = await asyncio.to_thread(call_main, list(argv))
        captured = capsys.readouterr()
        for secret in secrets:
            assert secret not in captured.out + captured.err
        assert "Traceback" not in captured.err
        return Run(code, captured.out, captured.err)

    return run


def key20(sim: V2Simulator) -> str:
    return next(a.id for a in sim.state.automats.values() if a.product == "key20")


def right(sim: V2Simulator, index: int = 0) -> str:
    return str(sim.state.access_rights[index]["id"])


def field(text: str, label: str) -> str:
    match = re.search(rf"│ {re.escape(label)} +│ ([^│]*?) *│", text)
    assert match is not None, f"no row {label!r} in:\n{text}"
    return match.group(1)


async def test_automats_need_no_api_flag(sim: V2Simulator, cli: Cli) -> None:
    run = await cli("automats")
    assert run.code == 0, run.text
    for automat in sim.state.automats.values():
        assert automat.id in run.out
    listed = await cli("automats", "--api", "v2", "--json")
    data = json.loads(listed.out)
    assert {a["id"] for a in data} == set(sim.state.automats)
    assert all("installationPincode" not in a for a in data)


async def test_access_rights(sim: V2Simulator, cli: Cli) -> None:
    run = await cli("access-rights", "--search", "sauna", "--json")
    assert run.code == 0, run.text
    assert [r["name"] for r in json.loads(run.out)] == ["Sauna 1"]


async def test_iloq_contract_create_list_show_cancel(sim: V2Simulator, cli: Cli) -> None:
    created = await cli(
        "contract",
        "create",
        "--access-right",
        right(sim),
        "--automat",
        key20(sim),
        "--number-of-keys",
        "1",
        "--start",
        _wire(START),
        "--end",
        _wire(END),
        "--name",
        "Åsa Öberg",
        "--json",
    )
    assert created.code == 0, created.text
    made = json.loads(created.out)
    (contract,) = sim.state.iloq_contracts.values()
    assert made["id"] == contract.id
    assert made["pincodes"] == contract.keys[0].pincode  # asked for: shown once

    listed = await cli("contracts", "--future")
    assert contract.id in listed.out
    pincode = contract.keys[0].pincode
    assert pincode is not None
    assert pincode not in listed.out  # a listing never shows pincodes
    assert "Åsa Öberg" in listed.out
    shown = await cli("contract", "show", contract.id, "--json")
    assert json.loads(shown.out)["id"] == contract.id
    assert "pincode" not in shown.out

    cancelled = await cli("contract", "cancel", contract.id)
    assert cancelled.code == 0, cancelled.text
    assert not sim.state.iloq_contracts
    again = await cli("contract", "cancel", contract.id)
    assert again.code == 1
    assert "NotFoundError" in again.err


async def test_mechanical_contract_create_and_cancel(sim: V2Simulator, cli: Cli) -> None:
    key = sorted(sim.state.mechanical_keys)[0]
    created = await cli(
        "contract",
        "create",
        "--kind",
        "mechanical",
        "--id",
        "booking-77",
        "--key",
        key,
        "--start",
        _wire(START),
        "--name",
        "John Doe",
    )
    assert created.code == 0, created.text
    assert field(created.out, "id") == "booking-77"
    listed = await cli("contracts", "--kind", "mechanical")
    assert "booking-77" in listed.out
    assert (await cli("contract", "cancel", "--kind", "mechanical", "booking-77")).code == 0
    assert not sim.state.mechanical_contracts


async def test_server_refusals_are_clear_errors(sim: V2Simulator, cli: Cli) -> None:
    run = await cli(
        "contract",
        "create",
        "--access-right",
        "no-such-right",
        "--automat",
        key20(sim),
        "--number-of-keys",
        "1",
        "--start",
        _wire(START),
        "--end",
        _wire(END),
        "--name",
        "x",
    )
    assert run.code == 1
    assert "ValidationError" in run.err
    assert "Unknown access right" in run.err


def _iloq_csv(sim: V2Simulator, path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["access_rights", "automat_id", "number_of_keys", "start", "end", "name"])
        for n in range(rows):
            begin = START + timedelta(days=n)
            rights = f"{right(sim, 0)};{right(sim, 1)}"
            writer.writerow(
                [rights, key20(sim), 1, _wire(begin), _wire(begin + timedelta(days=1)), f"G{n}"]
            )


async def test_bulk_iloq_from_csv_then_the_journal_skips(
    sim: V2Simulator, cli: Cli, tmp_path: Path
) -> None:
    source, journal, report = tmp_path / "b.csv", tmp_path / "j.jsonl", tmp_path / "r.jsonl"
    _iloq_csv(sim, source, 6)
    first = await cli(
        "bulk", "contracts", str(source), "--journal", str(journal), "--report", str(report)
    )
    assert first.code == 0, first.text
    assert field(first.out, "succeeded") == "6"
    assert len(sim.state.iloq_contracts) == 6
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert {line["id"] for line in lines} == set(sim.state.iloq_contracts)
    assert "pincode" not in report.read_text() + journal.read_text()
    again = await cli("bulk", "contracts", str(source), "--journal", str(journal), "--json")
    assert json.loads(again.out)["succeeded"] == 6
    assert len(sim.state.iloq_contracts) == 6  # nothing created twice


async def test_bulk_mechanical_and_bad_rows(sim: V2Simulator, cli: Cli, tmp_path: Path) -> None:
    keys = sorted(sim.state.mechanical_keys)[:3]
    good = tmp_path / "m.csv"
    good.write_text(
        "id,keys,start,end,name,user_verification\n"
        + "".join(
            f"m-{n},{key},{_wire(START)},{_wire(END)},Guest {n},1\n" for n, key in enumerate(keys)
        ),
        encoding="utf-8",
    )
    run = await cli("bulk", "contracts", "--kind", "mechanical", str(good))
    assert run.code == 0, run.text
    assert sorted(sim.state.mechanical_contracts) == ["m-0", "m-1", "m-2"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,keys,start,name\nm-9,k,2031-01-01T10:00:00,x\n,k,nope,y\n")
    refused = await cli("bulk", "contracts", "--kind", "mechanical", str(bad))
    assert refused.code == 1
    assert "line 2" in refused.err
    assert "line 3" in refused.err
    assert len(sim.state.mechanical_contracts) == 3


async def test_missing_credentials_are_clear_messages(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LIVIONKEY_SERVICE_ACCOUNT_ID", raising=False)
    monkeypatch.delenv("LIVIONKEY_PRIVATE_KEY_FILE", raising=False)
    run = await cli("automats")
    assert run.code == 1
    assert "LIVIONKEY_SERVICE_ACCOUNT_ID" in run.err
    run = await cli("automats", "--service-account-id", "sa-1")
    assert "LIVIONKEY_PRIVATE_KEY_FILE" in run.err
    run = await cli(
        "automats", "--service-account-id", "sa-1", "--private-key-file", str(tmp_path / "none")
    )
    assert run.code == 1
    assert "cannot read the private key file" in run.err


async def test_the_environment_picks_v2_and_api_v1_still_wins(
    sim: V2Simulator, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = await cli("contracts", "--json")
    assert chosen.code == 0  # v2: no device argument
    assert "using API v2" in chosen.err  # and the user is told
    v1 = await cli("contracts", "--api", "v1")  # V1 wants its own credentials
    assert v1.code == 1
    assert "LIVIONKEY_EMAIL" in v1.err
    assert "using API" not in v1.err  # asked for, not guessed
    # V1 credentials too (in the environment or on the command line): V1, and it says why.
    monkeypatch.setenv("LIVIONKEY_EMAIL", "ops@example.com")
    both = await cli("contracts")
    assert both.code == 1  # V1's missing password
    assert "using API V1 (LIVIONKEY_EMAIL given" in both.err
    monkeypatch.delenv("LIVIONKEY_EMAIL")
    flag = await cli("contracts", "--email=ops@example.com")
    assert "using API V1 (--email given" in flag.err
    # An account without its key file is not a v2 set-up.
    monkeypatch.delenv("LIVIONKEY_PRIVATE_KEY_FILE")
    keyless = await cli("contracts")
    assert "using API V1 (LIVIONKEY_PRIVATE_KEY_FILE is not set" in keyless.err


async def test_demo_api_v2_small(cli: Cli) -> None:
    run = await cli(
        "demo",
        "--api",
        "v2",
        "--key20-automats",
        "1",
        "--nights",
        "4",
        "--key30-automats",
        "1",
        "--keys",
        "3",
        "--rate",
        "300",
    )
    assert run.code == 0, run.text
    assert "every booking exists exactly once" in run.out
    assert "CHECK FAILED" not in run.text


@pytest.mark.parametrize(
    "command",
    [
        ["automats"],
        ["access-rights"],
        ["contracts", "--api", "v2"],
        ["contract", "create", "--api", "v2"],
        ["bulk", "contracts", "--api", "v2"],
        ["sim", "--api", "v2"],
        ["demo", "--api", "v2"],
    ],
)
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: livionkey-async")
    if command[:2] == ["bulk", "contracts"]:
        assert "access_rights, automat_id" in out
