"""The ``livionkey-async`` command line against a simulator serving over loopback.

The commands call ``asyncio.run`` themselves, so each one runs in a worker thread while the
simulator serves in the test's loop (the ``sim`` and ``cli`` fixtures of ``conftest.py``);
every run's output is checked for the password (and the other secrets) before a test sees it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from livionkey_async._cli import main
from livionkey_async.testing import Simulator

from .support import (
    EMAIL,
    EXAMPLE_IDS,
    EXAMPLES,
    FUTURE,
    FUTURE_END,
    PASSWORD,
    WRONG_PASSWORD,
    Cli,
    assert_no_secrets,
    report_lines,
    table_value,
)

# -- listings ------------------------------------------------------------------------------------


async def test_devices_table(sim: Simulator, cli: Cli) -> None:
    run = await cli("devices")
    assert run.code == 0
    for device_id in ("00001", "00002", "00003"):
        device = sim.state.devices[device_id]
        assert device_id in run.out
        assert device.name in run.out  # not wrapped or cut at 200 columns
    assert "key30" in run.out


async def test_devices_json(sim: Simulator, cli: Cli) -> None:
    run = await cli("devices", "--json")
    assert run.code == 0
    devices = json.loads(run.out)
    v1 = {d.device_id for d in sim.state.devices.values() if d.product in ("key30", "keyX")}
    assert {d["device_id"] for d in devices} == v1 == {"00001", "00002", "00003", "00004"}
    run = await cli("devices", "--products", "key30", "--json")
    assert run.code == 0
    assert [d["device_id"] for d in json.loads(run.out)] == ["00001", "00002", "00003"]


async def test_keys_table(sim: Simulator, cli: Cli) -> None:
    run = await cli("keys", "00001")
    assert run.code == 0
    for key in sim.state.devices["00001"].keys.values():
        assert key.key_id in run.out
        assert key.key_name in run.out
        assert str(key.locker_index) in run.out


async def test_keys_json_leaves_out_backup_codes(sim: Simulator, cli: Cli) -> None:
    run = await cli("keys", "00001", "--json")
    assert run.code == 0
    keys = json.loads(run.out)
    assert [k["key_id"] for k in keys] == ["A0001", "A0002", "A0003", "A0004", "A0005"]
    for key in sim.state.devices["00001"].keys.values():
        for code in key.backup_codes:
            assert code not in run.out


async def test_contracts_lists_what_is_on_the_device(sim: Simulator, cli: Cli) -> None:
    run = await cli("contracts", "00001")
    assert run.code == 0
    assert "booking-" not in run.out
    created = await cli(
        "contract", "create", "--contract-id", "booking-77", "--device", "00001",
        "--key", "A0003", "--start", FUTURE, "--end", FUTURE_END, "--person", "Ann Guest",
    )  # fmt: skip
    assert created.code == 0
    run = await cli("contracts", "00001")
    assert run.code == 0
    (contract,) = sim.contracts()
    assert contract.object_id in run.out
    assert "booking-77" in run.out
    assert "Ann Guest" in run.out
    assert contract.pincode not in run.out
    other = await cli("contracts", "00002", "--json")
    assert other.code == 0
    assert json.loads(other.out) == []


async def test_contracts_without_a_device_lists_the_whole_account(sim: Simulator, cli: Cli) -> None:
    for contract_id, device, start, end in (
        ("on-1", "00001", FUTURE, FUTURE_END),
        ("on-3", "00003", "2031-10-01T10:00:00Z", "2031-10-02T10:00:00Z"),
    ):
        made = await cli(
            "contract", "create", "--contract-id", contract_id, "--device", device,
            "--key", "A0001", "--start", start, "--end", end, "--person", "P",
        )  # fmt: skip
        assert made.code == 0
    run = await cli("contracts", "--json")
    assert run.code == 0
    assert sorted(c["contract_id"] for c in json.loads(run.out)) == ["on-1", "on-3"]
    table = await cli("contracts")
    assert "on-1" in table.out
    assert "on-3" in table.out
    october = await cli("contracts", "--start", "2031-10-01T00:00:00Z", "--json")
    assert [c["contract_id"] for c in json.loads(october.out)] == ["on-3"]
    some = await cli("contracts", "00001", "00002", "--json")
    assert [c["contract_id"] for c in json.loads(some.out)] == ["on-1"]


# -- one contract --------------------------------------------------------------------------------


async def test_contract_create_show_pincode_cancel(sim: Simulator, cli: Cli) -> None:
    run = await cli(
        "contract", "create", "--contract-id", "booking-42", "--device", "00002",
        "--key", "A0004", "--start", FUTURE, "--end", FUTURE_END, "--person", "Eva Holm",
        "--contact-email", "eva@example.com", "--language", "swe-swe", "--json",
    )  # fmt: skip
    assert run.code == 0
    created = json.loads(run.out)
    (contract,) = sim.contracts()
    assert created == {"id": contract.object_id, "pincode": contract.pincode, "reconciled": False}
    assert contract.contract_id == "booking-42"
    assert [(d.device_id, d.key_id) for d in contract.devices] == [("00002", "A0004")]
    assert contract.contacts[0].email == "eva@example.com"
    assert contract.contacts[0].language == "swe-swe"
    assert contract.contacts[0].send_email is True
    contract_id = contract.object_id

    run = await cli("contract", "show", contract_id, "--json")
    assert run.code == 0
    shown = json.loads(run.out)
    assert shown["id"] == contract_id
    assert shown["contract_id"] == "booking-42"
    assert shown["person"] == "Eva Holm"
    assert shown["start"].startswith("2031-09-01T10:00:00")
    table = await cli("contract", "show", contract_id)
    assert table.code == 0
    assert "booking-42" in table.out
    assert "Eva Holm" in table.out

    first_pincode = contract.pincode
    run = await cli("contract", "pincode", contract_id, "--device", "00002", "--key", "A0004")
    assert run.code == 0
    (contract,) = sim.contracts()
    assert contract.pincode != first_pincode
    assert contract.pincode in run.out

    run = await cli(
        "contract", "pincode", contract_id, "--device", "00002", "--key", "A0004",
        "--pincode", "4321", "--json",
    )  # fmt: skip
    assert run.code == 0
    assert json.loads(run.out) == {"id": contract_id, "pincode": "4321"}
    (contract,) = sim.contracts()
    assert contract.pincode == "4321"

    run = await cli("contract", "cancel", contract_id)
    assert run.code == 0
    assert contract_id in run.out
    assert sim.contracts() == []
    assert sim.contracts_by_contract_id() == {}

    gone = await cli("contract", "show", contract_id)
    assert gone.code == 1
    assert "NotFoundError" in gone.err
    assert "Contract not found" in gone.err


async def test_contract_create_refused_by_the_server(sim: Simulator, cli: Cli) -> None:
    args = ("--device", "00001", "--key", "A0001", "--end", FUTURE_END, "--person", "P")
    first = await cli("contract", "create", "--contract-id", "a", "--start", FUTURE, *args)
    assert first.code == 0
    overlap = await cli("contract", "create", "--contract-id", "b", "--start", FUTURE, *args)
    assert overlap.code == 1
    assert "ContractOverlapError" in overlap.err
    assert [c.contract_id for c in sim.contracts()] == ["a"]


async def test_contract_create_naive_start_is_a_usage_error(sim: Simulator, cli: Cli) -> None:
    run = await cli(
        "contract", "create", "--contract-id", "x", "--device", "00001", "--key", "A0001",
        "--start", "2031-09-01T10:00:00", "--person", "P",
    )  # fmt: skip
    assert run.code == 2
    assert "no time zone" in run.err
    assert sim.stats.requests == 0


# -- bulk ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["contracts.csv", "contracts.jsonl"])
async def test_bulk_example_exactly_once_then_journal_skips(
    sim: Simulator, cli: Cli, tmp_path: Path, name: str
) -> None:
    report, journal = tmp_path / "report.jsonl", tmp_path / "journal.jsonl"
    run = await cli(
        "bulk", "contracts", str(EXAMPLES / name), "--report", str(report),
        "--journal", str(journal),
    )  # fmt: skip
    assert run.code == 0, run.err
    on_sim = sim.contracts_by_contract_id()
    assert sorted(on_sim) == EXAMPLE_IDS
    assert all(len(group) == 1 for group in on_sim.values())
    lines = report_lines(report)
    assert [line["contract_id"] for line in lines] == EXAMPLE_IDS
    assert {line["outcome"] for line in lines} == {"succeeded"}
    assert {line["id"] for line in lines} == {g[0].object_id for g in on_sim.values()}
    assert_no_secrets(journal.read_text(encoding="utf-8"))

    # The rows' details arrived as written.
    two_keys = on_sim["booking-1005"][0]
    assert [(d.device_id, d.key_id) for d in two_keys.devices] == [
        ("00001", "A0001"),
        ("00002", "A0002"),
    ]
    permanent = on_sim["booking-1008"][0]
    assert permanent.perm is True
    assert permanent.end is None
    (contact,) = on_sim["booking-1002"][0].contacts
    assert (contact.email, contact.language, contact.send_email) == (
        "mikko.korhonen@example.com",
        "fi-fi",
        True,
    )
    assert on_sim["booking-1003"][0].pincode == "482913"

    requests, ids = sim.stats.requests, {c.object_id for c in sim.contracts()}
    again = await cli(
        "bulk", "contracts", str(EXAMPLES / name), "--report", str(report),
        "--journal", str(journal), "--json",
    )  # fmt: skip
    assert again.code == 0
    summary = json.loads(again.out)
    assert summary == {
        "succeeded": 10,
        "failed": 0,
        "changed": 0,
        "not_attempted": 0,
        "skipped": 10,
        "reconciled": 0,
        "interrupted": False,
        "elapsed": summary["elapsed"],
        "throttled": 0,
        "logins": 0,
    }
    assert sim.stats.requests == requests
    assert {c.object_id for c in sim.contracts()} == ids
    assert all(line["skipped"] for line in report_lines(report))


async def test_bulk_rerun_reports_an_edited_row_as_changed(
    sim: Simulator, cli: Cli, tmp_path: Path
) -> None:
    job, journal = tmp_path / "job.csv", tmp_path / "journal.jsonl"
    original = (EXAMPLES / "contracts.csv").read_text(encoding="utf-8")
    job.write_text(original, encoding="utf-8")
    first = await cli("bulk", "contracts", str(job), "--journal", str(journal))
    assert first.code == 0
    # New dates for booking-1001, same contract_id.
    edited = original.replace(
        "2031-03-01T15:00:00Z,2031-03-03T11:00:00Z,Aino",
        "2031-03-02T15:00:00Z,2031-03-04T11:00:00Z,Aino",
    )
    assert edited != original
    job.write_text(edited, encoding="utf-8")
    requests = sim.stats.requests
    run = await cli("bulk", "contracts", str(job), "--journal", str(journal))
    assert run.code == 1
    assert sim.stats.requests == requests
    assert table_value(run.out, "  of which skipped (journal)") == "9"
    assert table_value(run.out, "  of which changed since the journal") == "1"
    assert "booking-1001" in run.out
    assert "end, start" in run.out
    as_json = await cli("bulk", "contracts", str(job), "--journal", str(journal), "--json")
    assert json.loads(as_json.out)["changed"] == 1


async def test_bulk_shows_a_summary_table(sim: Simulator, cli: Cli) -> None:
    run = await cli("bulk", "contracts", str(EXAMPLES / "contracts.csv"))
    assert run.code == 0
    assert "bulk contracts from contracts.csv" in run.out
    assert table_value(run.out, "succeeded") == "10"
    assert table_value(run.out, "failed") == "0"
    assert "10/10" in run.err  # the progress bar, on stderr
    assert len(sim.contracts()) == 10


async def test_bulk_bad_row_sends_nothing(sim: Simulator, cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "contract_id,device_id,key_id,start,end,person\n"
        f"ok-1,00001,A0001,{FUTURE},{FUTURE_END},Ann\n"
        f"ok-2,00001,A0002,{FUTURE},{FUTURE_END},Ben\n"
        f"bad-3,00001,A0003,next tuesday,{FUTURE_END},Cy\n"
        f"ok-4,00001,A0004,{FUTURE},{FUTURE_END},Dee\n",
        encoding="utf-8",
    )
    run = await cli("bulk", "contracts", str(bad))
    assert run.code != 0
    assert "line 4" in run.err
    assert "next tuesday" in run.err
    assert sim.contracts() == []
    assert sim.stats.requests == 0  # not even a login


async def test_bulk_rows_failing_on_the_server(sim: Simulator, cli: Cli, tmp_path: Path) -> None:
    taken = await cli(
        "contract", "create", "--contract-id", "booking-1001", "--device", "00003",
        "--key", "A0004", "--start", FUTURE, "--end", FUTURE_END, "--person", "Somebody Else",
    )  # fmt: skip
    assert taken.code == 0
    (original,) = sim.contracts()
    report = tmp_path / "report.jsonl"
    run = await cli("bulk", "contracts", str(EXAMPLES / "contracts.csv"), "--report", str(report))
    assert run.code == 1
    assert table_value(run.out, "failed") == "1"
    assert table_value(run.out, "succeeded") == "9"
    assert "first failures" in run.out
    assert "booking-1001" in run.out
    assert "DuplicateContractError" in run.out
    on_sim = sim.contracts_by_contract_id()
    assert sorted(on_sim) == EXAMPLE_IDS
    assert all(len(group) == 1 for group in on_sim.values())
    assert on_sim["booking-1001"][0].object_id == original.object_id
    outcomes = {line["contract_id"]: line for line in report_lines(report)}
    assert outcomes["booking-1001"]["outcome"] == "failed"
    assert outcomes["booking-1001"]["error"] == "DuplicateContractError"
    assert sum(line["outcome"] == "succeeded" for line in outcomes.values()) == 9


async def test_bulk_reads_a_csv_with_a_byte_order_mark(
    sim: Simulator, cli: Cli, tmp_path: Path
) -> None:
    excel = tmp_path / "excel.csv"
    excel.write_text(
        f"contract_id,device_id,key_id,start,end,person\nbom-1,00001,A0001,{FUTURE},,Ann\n",
        encoding="utf-8-sig",
    )
    run = await cli("bulk", "contracts", str(excel))
    assert run.code == 0, run.err
    assert list(sim.contracts_by_contract_id()) == ["bom-1"]


async def test_bulk_unreadable_files_are_clear_errors(
    sim: Simulator, cli: Cli, tmp_path: Path
) -> None:
    missing = await cli("bulk", "contracts", str(tmp_path / "nowhere.csv"))
    assert missing.code == 1
    assert "No such file or directory" in missing.err
    assert "nowhere.csv" in missing.err
    binary = tmp_path / "latin1.csv"
    binary.write_bytes("contract_id,person\nx,Jyväskylä\n".encode("latin-1"))
    run = await cli("bulk", "contracts", str(binary))
    assert run.code == 1
    assert "not UTF-8" in run.err
    assert sim.stats.requests == 0


# -- credentials ---------------------------------------------------------------------------------


async def test_missing_password_is_a_clear_message(
    sim: Simulator, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIVIONKEY_PASSWORD")
    run = await cli("devices")
    assert run.code != 0
    assert "LIVIONKEY_PASSWORD" in run.err
    assert run.out == ""
    assert sim.stats.requests == 0


async def test_missing_email_is_a_clear_message(
    sim: Simulator, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIVIONKEY_EMAIL")
    run = await cli("keys", "00001")
    assert run.code != 0
    assert "LIVIONKEY_EMAIL" in run.err
    assert sim.stats.requests == 0


async def test_wrong_password_is_refused_without_echoing_it(
    sim: Simulator, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVIONKEY_PASSWORD", WRONG_PASSWORD)
    run = await cli("devices")
    assert run.code == 1
    assert "LoginError" in run.err
    assert sim.stats.requests >= 1  # it did ask
    assert sim.stats.logins == 0  # the simulator counts successful logins only


async def test_bulk_with_a_wrong_password_logs_in_once_and_says_so_once(
    sim: Simulator, cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIVIONKEY_PASSWORD", WRONG_PASSWORD)
    report = tmp_path / "report.jsonl"
    run = await cli("bulk", "contracts", str(EXAMPLES / "contracts.csv"), "--report", str(report))
    assert run.code == 1
    assert sim.stats.requests == 1  # one login request, refused; nothing else
    assert run.text.count("credentials were refused") == 1
    assert "LIVIONKEY_PASSWORD" in run.err
    assert "first failures" not in run.out  # not one row per item
    assert table_value(run.out, "not attempted") == "9"
    outcomes = [line["outcome"] for line in report_lines(report)]
    assert outcomes.count("not_attempted") == 9


async def test_a_wrong_password_is_one_clear_line(
    sim: Simulator, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVIONKEY_PASSWORD", WRONG_PASSWORD)
    run = await cli("contracts", "00001")
    assert run.code == 1
    assert run.out == ""
    assert len(run.err.strip().splitlines()) == 1
    assert "credentials were refused" in run.err
    assert sim.stats.requests == 1


async def test_unreachable_server_is_a_clear_error(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVIONKEY_EMAIL", EMAIL)
    monkeypatch.setenv("LIVIONKEY_PASSWORD", PASSWORD)
    monkeypatch.setenv("LIVIONKEY_BASE_URL", "http://127.0.0.1:1")
    run = await cli("devices")
    assert run.code == 1
    assert run.err.startswith("error: TransportError: ")


# -- help and demo -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["devices"],
        ["keys"],
        ["contracts"],
        ["contract"],
        ["contract", "create"],
        ["contract", "show"],
        ["contract", "cancel"],
        ["contract", "pincode"],
        ["bulk"],
        ["bulk", "contracts"],
        ["sim"],
        ["demo"],
    ],
)
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: livionkey-async {' '.join(command)}".rstrip())
    assert_no_secrets(out)
    if command == ["bulk", "contracts"]:
        assert "contract_id, device_id, key_id, keys, start, end, person" in out


async def test_demo_small(cli: Cli) -> None:
    run = await cli("demo", "--devices", "2", "--keys", "3", "--rate", "200")
    assert run.code == 0, run.text
    assert "every contract exists exactly once" in run.out
    assert table_value(run.out, "contracts asked for") == "6"
    assert table_value(run.out, "on the simulator") == "6"
    assert table_value(run.out, "duplicates on the simulator") == "0"
    assert "CHECK FAILED" not in run.text
