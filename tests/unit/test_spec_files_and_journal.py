"""Job files (CSV, JSON lines) and the resumable journal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from livionkey_async import KeyRef
from livionkey_async._journal import Journal
from livionkey_async._spec_files import SpecFileError, read_spec_file

CSV = """contract_id,device_id,key_id,start,end,person,email,language,send_email,pincode
b-1,00001,A0001,2031-01-01T12:00:00Z,2031-01-02T12:00:00Z,John Doe,j@example.com,en-gb,yes,
b-2,00001,A0002,2031-01-01T12:00:00+02:00,2031-01-02T12:00:00+02:00,Jane Roe,,,,123456
"""


def test_csv_rows_become_checked_contracts() -> None:
    first, second = read_spec_file("job.csv", CSV.splitlines(keepends=True))
    assert first.contract_id == "b-1"
    assert first.keys == (KeyRef("00001", "A0001"),)
    assert first.start == datetime(2031, 1, 1, 12, tzinfo=UTC)
    assert first.contacts[0].email == "j@example.com"
    assert first.contacts[0].send_email is True
    assert second.contacts == ()
    assert second.pincode == "123456"
    assert second.start == datetime(2031, 1, 1, 10, tzinfo=UTC)


def test_several_keys_and_json_lines() -> None:
    row = {
        "contract_id": "m-1",
        "keys": [{"device_id": "1", "key_id": "A"}, {"device_id": "2", "key_id": "B"}],
        "start": "2031-01-01T12:00:00Z",
        "perm": True,
        "person": "P",
    }
    (spec,) = read_spec_file("job.jsonl", [json.dumps(row), ""])
    assert spec.keys == (KeyRef("1", "A"), KeyRef("2", "B"))
    assert spec.perm
    (csv_spec,) = read_spec_file(
        "job.csv", ["contract_id,keys,start,perm,person\n", "m-2,1/A;2/B,2031-01-01T00:00Z,1,P\n"]
    )
    assert csv_spec.keys == (KeyRef("1", "A"), KeyRef("2", "B"))


def test_every_bad_row_is_reported_with_its_line_before_anything_is_sent() -> None:
    text = (
        "contract_id,device_id,key_id,start,end,person,language\n"
        "ok,1,A,2031-01-01T00:00Z,2031-01-02T00:00Z,P,\n"
        "naive,1,A,2031-01-01T00:00,2031-01-02T00:00,P,\n"
        "lang,1,A,2031-01-01T00:00Z,2031-01-02T00:00Z,P,xx-xx\n"
        ",1,A,2031-01-01T00:00Z,,P,\n"
        "nokey,1,,2031-01-01T00:00Z,2031-01-02T00:00Z,P,\n"
    )
    with pytest.raises(SpecFileError) as caught:
        read_spec_file("job.csv", text.splitlines(keepends=True))
    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4", "line 5", "line 6"]
    assert "timezone" in problems[0]
    assert "language" in problems[1]


def test_unknown_columns_are_refused() -> None:
    with pytest.raises(SpecFileError, match="unknown column"):
        read_spec_file("job.csv", ["contract_id,colour\n", "a,red\n"])


def test_journal_records_and_reads_back_only_successes(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "journal.jsonl"
    with Journal(path) as journal:
        journal.record("a", "succeeded", journal.fingerprint({"x": 1}), object_id="obj-a")
        journal.record("b", "failed", journal.fingerprint({"x": 2}), error="ServerError")
        assert journal.succeeded("a") is not None
    with path.open("a") as torn:
        torn.write('{"key": "c", "outc')  # a crash mid-line
    again = Journal(path)
    entry = again.succeeded("a")
    assert entry is not None
    assert entry["id"] == "obj-a"
    assert again.succeeded("b") is None
    assert again.succeeded("c") is None
    again.record("d", "succeeded", again.fingerprint({"x": 4}), object_id="obj-d")
    again.close()
    assert Journal(path).succeeded("d") is not None


def test_journal_fingerprints_name_the_fields_that_changed(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    spec = {"start": "2031-03-01T15:00:00Z", "end": None, "person": "Ann", "pincode": "482913"}
    with Journal(path) as journal:
        journal.record("a", "succeeded", journal.fingerprint(spec), object_id="obj-a")
    again = Journal(path)  # a rerun reads it back, with the same salt
    entry = again.succeeded("a")
    assert entry is not None
    assert again.changed(entry, again.fingerprint(spec)) == ()
    edited = {**spec, "start": "2031-03-02T15:00:00Z", "pincode": "111111"}
    assert again.changed(entry, again.fingerprint(edited)) == ("secrets", "start")
    added = {**spec, "free_text": "late"}
    assert again.changed(entry, again.fingerprint(added)) == ("free_text",)


def test_journal_keeps_no_secret_and_salts_its_fingerprints(tmp_path: Path) -> None:
    spec = {"person": "Ann", "pincode": "482913"}
    with Journal(tmp_path / "one.jsonl") as one, Journal(tmp_path / "two.jsonl") as two:
        one.record("a", "succeeded", one.fingerprint(spec))
        two.record("a", "succeeded", two.fingerprint(spec))
        # Two journals never share a digest: no table of person digests works across them.
        assert one.fingerprint(spec)["person"] != two.fingerprint(spec)["person"]
    text = (tmp_path / "one.jsonl").read_text()
    assert "482913" not in text
    assert "Ann" not in text
    assert "pincode" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert set(lines[0]) == {"journal", "salt"}  # the header
    assert set(lines[1]["spec"]) == {"person", "secrets"}


def test_a_pincode_cannot_be_found_from_the_journal_without_the_pepper(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    spec = {"person": "Ann", "pincode": "4829"}
    with Journal(path, pepper=b"from the password") as journal:
        journal.record("a", "succeeded", journal.fingerprint(spec))
    recorded = json.loads(path.read_text().splitlines()[1])["spec"]["secrets"]
    # Someone with the journal (and its salt) but not the credentials tries every pincode.
    thief = Journal(path)
    tried = {thief.fingerprint({"pincode": f"{n:04}"})["secrets"] for n in range(10_000)}
    assert recorded not in tried
    # The same credentials on a rerun find it unchanged, and see an edited pincode.
    again = Journal(path, pepper=b"from the password")
    entry = again.succeeded("a")
    assert entry is not None
    assert again.changed(entry, again.fingerprint(spec)) == ()
    assert again.changed(entry, again.fingerprint({**spec, "pincode": "1111"})) == ("secrets",)


def test_the_clients_derive_a_stable_pepper_from_their_credentials() -> None:
    from livionkey_async import LivionKeyClient

    one = LivionKeyClient("ops@example.com", "s3cret")._journal_pepper()
    assert one == LivionKeyClient("ops@example.com", "s3cret")._journal_pepper()
    assert one != LivionKeyClient("ops@example.com", "other")._journal_pepper()
    assert b"s3cret" not in one


def test_journal_lines_without_a_fingerprint_are_not_trusted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.jsonl"
    path.write_text('{"key": "a", "outcome": "succeeded", "id": "obj-a"}\n')
    journal = Journal(path)
    assert journal.succeeded("a") is None  # run again: exactly-once makes that safe
    assert "without a fingerprint" in caplog.text


def test_the_same_problem_on_many_rows_is_reported_once_with_its_lines() -> None:
    rows = [f"b-{i},1,A,2031-01-01T00:00Z,P,xx-xx\n" for i in range(30)]
    with pytest.raises(SpecFileError) as caught:
        read_spec_file("job.csv", ["contract_id,device_id,key_id,start,person,language\n", *rows])
    (problem,) = caught.value.problems
    assert problem.startswith("lines 2, 3, 4, 5, 6 and 25 more: language must be one of")


def test_a_missing_column_is_one_problem_on_line_1() -> None:
    with pytest.raises(SpecFileError) as caught:
        read_spec_file("job.csv", ["contract_id,start,person\n", "a,2031-01-01T00:00Z,P\n"])
    assert caught.value.problems == ["line 1: missing column(s): device_id+key_id or keys"]


@pytest.mark.parametrize(
    ("name", "text"), [("job.csv", "contract_id,keys,start,person\n"), ("job.jsonl", "\n\n")]
)
def test_a_file_without_rows_is_a_problem(name: str, text: str) -> None:
    with pytest.raises(SpecFileError, match="no rows"):
        read_spec_file(name, text.splitlines(keepends=True))
