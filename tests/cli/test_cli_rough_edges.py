"""The command line's rough edges, one test each (issue 9): each reproduced the edge first.

Output without the ``cli`` extra, our own field names in ``--json`` and in ``contract show``,
whole object ids, a progress bar that tells the truth (``--json``, Ctrl-C, journal reruns), job
files checked once, option combinations that do nothing, ``--version`` and ``--help``,
idempotent cancel, ``pincode`` without what the contract knows, and a closed pipe.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from livionkey_async import __version__
from livionkey_async.testing import IloqSimConfig, IloqSimulator, Simulator

from .support import EXAMPLES, FUTURE, FUTURE_END, Cli, table_value

DAY = timedelta(days=1)
CREATE = (
    "contract", "create", "--contract-id", "booking-42", "--device", "00002", "--key", "A0004",
    "--start", FUTURE, "--end", FUTURE_END, "--person", "Eva Holm",
)  # fmt: skip


def camel_case_keys(data: Any) -> list[str]:
    """Every key of a JSON document that is camelCase (ours are snake_case)."""
    if isinstance(data, dict):
        found = [k for k in data if re.search(r"[a-z][A-Z]", k)]
        return found + [k for v in data.values() for k in camel_case_keys(v)]
    if isinstance(data, list):
        return [k for item in data for k in camel_case_keys(item)]
    return []


async def created_id(cli: Cli) -> str:
    run = await cli(*CREATE, "--json")
    assert run.code == 0, run.err
    object_id: str = json.loads(run.out)["id"]
    return object_id


# -- without rich --------------------------------------------------------------------------------


@pytest.fixture
def without_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if installed without the ``cli`` extra: every ``import rich...`` fails."""
    for name in [n for n in sys.modules if n == "rich" or n.startswith("rich.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "rich", None)


@pytest.mark.usefixtures("without_rich")
async def test_without_rich_every_command_prints_plain_text(
    sim: Simulator, cli: Cli, tmp_path: Path
) -> None:
    with pytest.raises(ImportError):
        import rich  # noqa: F401
    devices = await cli("devices")
    assert devices.code == 0, devices.err
    assert "00001" in devices.out
    assert sim.state.devices["00001"].name in devices.out
    object_id = await created_id(cli)
    for argv in (("contracts",), ("contracts", "00002"), ("contract", "show", object_id)):
        run = await cli(*argv)
        assert run.code == 0, run.err
        assert object_id in run.out
        assert "booking-42" in run.out
    report = tmp_path / "report.jsonl"
    bulk = await cli("bulk", "contracts", str(EXAMPLES / "contracts.csv"), "--report", str(report))
    assert bulk.code == 0, bulk.err
    assert re.search(r"succeeded\s+10\b", bulk.out)
    assert "10/10" in bulk.err  # the plain progress line
    demo = await cli("demo", "--devices", "1", "--keys", "2", "--rate", "500")
    assert demo.code == 0, demo.text
    assert "every contract exists exactly once" in demo.out


@pytest.mark.usefixtures("without_rich")
async def test_without_rich_the_iloq_checklist_and_webhook_samples_print_plain_text(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ILOQ_PASSWORD", "iloq-pass-never-printed")
    async with IloqSimulator(IloqSimConfig(password="iloq-pass-never-printed")) as iloq:
        run = await cli(
            "iloq", "check", "--service-address", iloq.service_address,
            "--service-code", iloq.config.customer_code, "--username", iloq.config.username,
        )  # fmt: skip
    assert run.code == 0, run.text
    assert "iLOQ credentials check:" in run.out
    assert "All checks passed" in run.out
    assert "[bold" not in run.out
    assert "iloq-pass-never-printed" not in run.text
    monkeypatch.setenv("LIVIONKEY_WEBHOOK_SECRET", "whsec_" + base64.b64encode(b"k" * 24).decode())
    sent = await cli("webhooks", "send", "http://127.0.0.1:9/")  # nobody listens: a table still
    assert "Traceback" not in sent.err
    assert "samples sent to http://127.0.0.1:9/" in sent.out


# -- our field names -----------------------------------------------------------------------------


async def test_contract_show_prints_our_names_and_readable_values(sim: Simulator, cli: Cli) -> None:
    object_id = await created_id(cli)
    run = await cli("contract", "show", object_id)
    assert run.code == 0
    assert table_value(run.out, "contract_id") == "booking-42"
    assert table_value(run.out, "keys") == "00002/A0004"
    assert table_value(run.out, "start") == "2031-09-01T10:00:00Z"
    assert table_value(run.out, "perm") == "no"
    for python_or_wire in ("KeyRef(", "datetime", "contractId", "Contact(", "freeText", "None"):
        assert python_or_wire not in run.out
    (contract,) = sim.contracts()
    assert contract.pincode not in run.out


async def test_json_uses_our_snake_case_field_names(sim: Simulator, cli: Cli) -> None:
    object_id = await created_id(cli)
    outputs: dict[str, Any] = {}
    for argv in (
        ("devices",),
        ("keys", "00001"),
        ("contracts", "00002"),
        ("contracts",),
        ("contract", "show", object_id),
    ):
        run = await cli(*argv, "--json")
        assert run.code == 0, run.err
        outputs[" ".join(argv)] = data = json.loads(run.out)
        assert camel_case_keys(data) == [], argv
    assert {"device_id", "connection_state", "product"} <= set(outputs["devices"][0])
    assert {"key_id", "locker_index", "shared"} <= set(outputs["keys 00001"][0])
    shown = outputs[f"contract show {object_id}"]
    assert shown["contract_id"] == "booking-42"
    assert shown["keys"] == [{"device_id": "00002", "key_id": "A0004"}]
    assert shown["start"] == "2031-09-01T10:00:00Z"
    assert "pincode" not in shown  # secrets are shown only where asked for
    assert "key_code" not in outputs["keys 00001"][0]
    assert "backup_codes" not in outputs["keys 00001"][0]


# -- whole ids -----------------------------------------------------------------------------------


async def test_contracts_table_keeps_whole_object_ids_on_a_narrow_terminal(
    sim: Simulator, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    object_id = await created_id(cli)
    monkeypatch.setenv("COLUMNS", "60")
    for argv in (("contracts", "00002"), ("contracts",)):
        run = await cli(*argv)
        assert run.code == 0
        assert object_id in run.out


# -- the progress bar ----------------------------------------------------------------------------


async def test_json_runs_leave_no_progress_bar(sim: Simulator, cli: Cli) -> None:
    run = await cli("bulk", "contracts", str(EXAMPLES / "contracts.csv"), "--json")
    assert run.code == 0
    assert run.err == ""
    assert json.loads(run.out)["succeeded"] == 10


async def test_a_journal_rerun_shows_no_absurd_rate(
    sim: Simulator, cli: Cli, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    args = ("bulk", "contracts", str(EXAMPLES / "contracts.csv"), "--journal", str(journal))
    assert (await cli(*args)).code == 0
    again = await cli(*args)
    assert again.code == 0
    rates = [float(r.replace(",", "")) for r in re.findall(r"([\d,.]+)/s", again.err)]
    assert rates == [0.0]  # nothing was sent: no rate, not thousands per second
    assert "10 skipped" in again.err


async def test_ctrl_c_leaves_a_bar_and_a_summary_that_count_what_was_not_attempted(
    sim: Simulator, tmp_path: Path
) -> None:
    job = tmp_path / "job.csv"
    first = datetime(2031, 1, 1, tzinfo=UTC)
    rows = [  # 200 valid rows, no two overlapping on one key
        f"ctrl-c-{i},{1 + i % 3:05d},A{1 + i % 5:04d},{first + i * DAY:%Y-%m-%dT%H:%M:%SZ},"
        f"{first + i * DAY + DAY / 2:%Y-%m-%dT%H:%M:%SZ},Guest {i}"
        for i in range(200)
    ]
    job.write_text("contract_id,device_id,key_id,start,end,person\n" + "\n".join(rows) + "\n")
    sim.faults.latency = 0.05
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "livionkey_async._cli", "bulk", "contracts", str(job),
        "--concurrency", "2",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    async with asyncio.timeout(30):
        for _ in range(3000):  # a few rows done (polled, bounded): now press Ctrl-C
            if sim.stats.contracts >= 6:
                break
            await asyncio.sleep(0.01)
        process.send_signal(signal.SIGINT)
        out_bytes, err_bytes = await process.communicate()
    out, err = out_bytes.decode(), err_bytes.decode()
    assert process.returncode == 130, err  # interrupted, as a shell expects
    assert "Traceback" not in err
    done = len(sim.contracts())
    not_attempted = int(table_value(out, "not attempted"))
    assert int(table_value(out, "succeeded")) == done
    assert done + not_attempted + int(table_value(out, "failed")) == 200
    assert not_attempted > 150
    bar = err.strip().splitlines()[-1]
    assert f"{200 - not_attempted}/200" in bar
    assert f"{not_attempted} not attempted" in bar


# -- job files -----------------------------------------------------------------------------------


async def test_a_missing_column_is_reported_once(sim: Simulator, cli: Cli, tmp_path: Path) -> None:
    job = tmp_path / "job.csv"
    job.write_text(
        "contract_id,device_id,key_id,start\n"
        + "".join(f"b-{i},00001,A0001,{FUTURE}\n" for i in range(30)),
        encoding="utf-8",
    )
    run = await cli("bulk", "contracts", str(job))
    assert run.code == 1
    assert run.err.count("person") == 1
    assert "line 1" in run.err
    assert "line 2" not in run.err
    assert sim.stats.requests == 0


async def test_a_file_without_rows_is_an_error(sim: Simulator, cli: Cli, tmp_path: Path) -> None:
    for name, text in (
        ("empty.csv", "contract_id,device_id,key_id,start,person\n"),
        ("e.jsonl", "\n"),
    ):
        job = tmp_path / name
        job.write_text(text, encoding="utf-8")
        run = await cli("bulk", "contracts", str(job))
        assert run.code == 1
        assert "no rows" in run.err
    assert sim.stats.requests == 0


# -- options -------------------------------------------------------------------------------------


async def test_language_without_a_contact_is_a_usage_error(sim: Simulator, cli: Cli) -> None:
    run = await cli(*CREATE, "--language", "fi-fi")
    assert run.code == 2
    assert "--language" in run.err
    assert "--contact-email" in run.err
    assert sim.stats.requests == 0
    phone = await cli(*CREATE, "--contact-phone", "+358401234567", "--language", "fi-fi")
    assert phone.code == 0, phone.err
    (contract,) = sim.contracts()
    assert (contract.contacts[0].phone_number, contract.contacts[0].language) == (
        "+358401234567",
        "fi-fi",
    )


async def test_version(cli: Cli) -> None:
    run = await cli("--version")
    assert run.code == 0
    assert run.out.strip() == f"livionkey-async {__version__}"


@pytest.mark.parametrize("command", [[], ["devices"], ["bulk", "contracts"], ["contract", "show"]])
async def test_help_names_the_environment_variables(cli: Cli, command: list[str]) -> None:
    run = await cli(*command, "--help")
    assert run.code == 0
    for name in ("LIVIONKEY_EMAIL", "LIVIONKEY_PASSWORD", "LIVIONKEY_BASE_URL"):
        assert name in run.out


async def test_cancelling_a_cancelled_contract_succeeds_like_bulk_cancel(
    sim: Simulator, cli: Cli
) -> None:
    object_id = await created_id(cli)
    first = await cli("contract", "cancel", object_id, "--json")
    assert first.code == 0
    assert json.loads(first.out) == {"id": object_id, "deleted": True, "already_gone": False}
    again = await cli("contract", "cancel", object_id, "--json")
    assert again.code == 0, again.err
    assert json.loads(again.out) == {"id": object_id, "deleted": True, "already_gone": True}
    table = await cli("contract", "cancel", object_id)
    assert table.code == 0
    assert table_value(table.out, "already_gone") == "yes"


async def test_pincode_needs_no_device_or_key(sim: Simulator, cli: Cli) -> None:
    object_id = await created_id(cli)
    run = await cli("contract", "pincode", object_id, "--json")
    assert run.code == 0, run.err
    (contract,) = sim.contracts()
    assert json.loads(run.out) == {"id": object_id, "pincode": contract.pincode}
    fixed = await cli("contract", "pincode", object_id, "--pincode", "4321", "--json")
    assert fixed.code == 0, fixed.err
    assert sim.contracts()[0].pincode == "4321"


# -- pipes ---------------------------------------------------------------------------------------


def test_sim_with_its_output_closed_stops_quietly(tmp_path: Path) -> None:
    """``livionkey-async sim | head -1``, then Ctrl-C: no "cannot listen"."""
    with subprocess.Popen(
        [sys.executable, "-m", "livionkey_async._cli", "sim", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("LivionKey simulator listening on http://127.0.0.1:")
        process.stdout.close()  # `head -1` is done
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert "cannot listen" not in err
    assert "Traceback" not in err
    assert process.returncode == 0
