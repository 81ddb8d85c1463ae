"""``bulk keys``, ``bulk update`` and ``bulk cancel`` with the sample files in ``examples/``.

Each works like ``bulk contracts``: every row checked first, the same progress bar, summary,
``--report`` lines and journal; updates and cancels may name contracts by ``contract_id``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from livionkey_async.testing import Simulator

from .support import EXAMPLE_IDS, EXAMPLES, Cli, report_lines, table_value

KEYS = {
    ("00001", "K1001"),
    ("00001", "K1002"),
    ("00002", "K2001"),
    ("00002", "K2002"),
    ("00003", "K3001"),
}


def keys_on(sim: Simulator) -> set[tuple[str, str]]:
    return {
        (device_id, key_id)
        for device_id, device in sim.state.devices.items()
        for key_id in device.keys
        if key_id.startswith("K")
    }


@pytest.mark.parametrize("name", ["keys.csv", "keys.jsonl"])
async def test_bulk_keys_adds_every_key_once_and_a_journal_rerun_skips(
    sim: Simulator, cli: Cli, tmp_path: Path, name: str
) -> None:
    report, journal = tmp_path / "report.jsonl", tmp_path / "journal.jsonl"
    args = ("bulk", "keys", str(EXAMPLES / name), "--journal", str(journal))
    run = await cli(*args, "--report", str(report))
    assert run.code == 0, run.text
    assert "bulk keys from" in run.out
    assert table_value(run.out, "succeeded") == "5"
    assert "5/5" in run.err
    assert keys_on(sim) == KEYS
    device_2 = sim.state.devices["00002"].keys
    assert device_2["K2001"].key_code == "7741-2231"
    assert device_2["K2002"].shared is True
    assert sim.state.devices["00001"].keys["K1002"].locker_index == 10
    lines = report_lines(report)
    assert [(line["device_id"], line["key_id"]) for line in lines] == sorted(KEYS)
    assert "7741-2231" not in journal.read_text()  # a key code is a secret
    again = await cli(*args, "--json")
    assert again.code == 0
    assert json.loads(again.out)["skipped"] == 5


async def test_bulk_keys_reports_a_key_taken_by_another(
    sim: Simulator, cli: Cli, tmp_path: Path
) -> None:
    job = tmp_path / "keys.csv"
    job.write_text("device_id,key_id,name\n00001,A0001,Not the seeded one\n00001,K9,New\n")
    run = await cli("bulk", "keys", str(job))
    assert run.code == 1
    assert table_value(run.out, "failed") == "1"
    assert "DuplicateKeyError" in run.out
    assert "00001/A0001" in run.out


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
async def test_bulk_update_then_cancel_by_contract_id(
    sim: Simulator, cli: Cli, tmp_path: Path, suffix: str
) -> None:
    made = await cli("bulk", "contracts", str(EXAMPLES / f"contracts.{suffix}"))
    assert made.code == 0
    requests = sim.stats.requests
    report = tmp_path / "report.jsonl"
    update = await cli(
        "bulk", "update", str(EXAMPLES / f"updates.{suffix}"), "--report", str(report)
    )
    assert update.code == 0, update.text
    assert table_value(update.out, "succeeded") == "5"
    assert "5/5" in update.err
    contracts = {c.contract_id: c for c in sim.contracts()}
    first = contracts["booking-1001"]
    assert first.start == datetime(2031, 3, 1, 16, tzinfo=UTC).timestamp()
    assert [(d.device_id, d.key_id) for d in first.devices] == [("00001", "A0001")]  # kept
    assert contracts["booking-1002"].person == "Mikko Korhonen-Virtanen"
    assert contracts["booking-1002"].free_text == "Arrives by train"
    assert contracts["booking-1003"].pincode == "519046"
    moved = contracts["booking-1004"]
    assert [(d.device_id, d.key_id) for d in moved.devices] == [("00002", "A0005")]
    (contact,) = contracts["booking-1009"].contacts
    assert (contact.email, contact.language, contact.send_email) == (
        "olivia@example.com",
        "en-gb",
        True,
    )
    assert {line["id"] for line in report_lines(report)} == {
        contracts[f"booking-100{n}"].object_id for n in (1, 2, 3, 4, 9)
    }
    # One account-wide listing resolved every contract_id: the login, the devices, a listing
    # per V1 device (4), at most one of the products, and the 5 updates.
    assert sim.stats.requests - requests <= 1 + 1 + 4 + 1 + 5

    cancel = await cli("bulk", "cancel", str(EXAMPLES / f"cancel.{suffix}"), "--notify")
    assert cancel.code == 0, cancel.text
    assert table_value(cancel.out, "succeeded") == "3"
    left = sorted(c.contract_id for c in sim.contracts())
    assert left == [
        i for i in EXAMPLE_IDS if i not in ("booking-1006", "booking-1007", "booking-1010")
    ]
    # Again: they are gone, which is what was asked: done, without a delete.
    again = await cli("bulk", "cancel", str(EXAMPLES / f"cancel.{suffix}"), "--json")
    assert again.code == 0, again.text
    summary = json.loads(again.out)
    assert (summary["succeeded"], summary["reconciled"], summary["failed"]) == (3, 3, 0)


async def test_bulk_update_and_cancel_by_object_id(
    sim: Simulator, cli: Cli, tmp_path: Path
) -> None:
    made = await cli("bulk", "contracts", str(EXAMPLES / "contracts.csv"))
    assert made.code == 0
    ids = {c.contract_id: c.object_id for c in sim.contracts()}
    job = tmp_path / "update.csv"
    job.write_text(f"id,device_id,key_id,person\n{ids['booking-1001']},00001,A0001,Renamed\n")
    run = await cli("bulk", "update", str(job))
    assert run.code == 0, run.text
    assert {c.contract_id: c.person for c in sim.contracts()}["booking-1001"] == "Renamed"
    cancel = tmp_path / "cancel.jsonl"
    cancel.write_text(json.dumps({"id": ids["booking-1001"]}) + "\n")
    gone = await cli("bulk", "cancel", str(cancel))
    assert gone.code == 0, gone.text
    assert "booking-1001" not in {c.contract_id for c in sim.contracts()}


async def test_bulk_update_of_an_unknown_contract_sends_nothing(
    sim: Simulator, cli: Cli, tmp_path: Path
) -> None:
    job = tmp_path / "update.csv"
    job.write_text("contract_id,person\nno-such-booking,Somebody\n")
    run = await cli("bulk", "update", str(job))
    assert run.code == 1
    assert "line 2: no contract contract_id no-such-booking on the account" in run.err
    assert sim.stats.contracts == 0


@pytest.mark.parametrize(
    ("what", "header", "row", "problem"),
    [
        ("keys", "device_id,key_id", "00001,K1", "missing column(s): name"),
        ("keys", "device_id,key_id,name,locker_index", "00001,K1,n,first", "locker_index must be"),
        ("update", "person", "Ann", "missing column(s): id or contract_id"),
        ("update", "contract_id,person", "b-1,", "the row changes nothing"),
        ("update", "contract_id,language", "b-1,fi-fi", "give an email or a phone"),
        ("cancel", "contract", "b-1", "unknown column(s) ['contract']"),
    ],
)
async def test_bad_job_files_are_refused_before_anything_is_sent(
    sim: Simulator, cli: Cli, tmp_path: Path, what: str, header: str, row: str, problem: str
) -> None:
    job = tmp_path / "job.csv"
    job.write_text(f"{header}\n{row}\n")
    run = await cli("bulk", what, str(job))
    assert run.code == 1
    assert problem in run.err
    assert sim.stats.requests == 0


@pytest.mark.parametrize(
    ("what", "columns"),
    [
        ("keys", "device_id, key_id, name, key_code, locker_index"),
        ("update", "id, contract_id, device_id, key_id, keys, start, end"),
        ("cancel", "id, contract_id"),
    ],
)
async def test_help_lists_each_kinds_columns(cli: Cli, what: str, columns: str) -> None:
    run = await cli("bulk", what, "--help")
    assert run.code == 0
    assert columns in run.out
    assert "--journal" in run.out
    assert "--report" in run.out
