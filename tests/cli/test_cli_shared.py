"""``bulk ... --shard I/N --redis URL --shared-journal NAME``: one file split across workers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from livionkey_async import LivionKeyClient, Shard
from livionkey_async._spec_files import read_spec_file
from livionkey_async.testing import SimConfig, Simulator

from .support import EMAIL, EXAMPLE_IDS, EXAMPLES, PASSWORD, Cli


async def test_three_workers_split_one_file_each_row_exactly_once(
    sim: Simulator, cli: Cli, redis_url: str, redis_namespace: str
) -> None:
    def worker(shard: str) -> list[str]:
        return [
            "bulk",
            "contracts",
            str(EXAMPLES / "contracts.csv"),
            "--redis",
            redis_url,
            "--shared-journal",
            redis_namespace,
            "--shard",
            shard,
            "--json",
        ]

    runs = await asyncio.gather(*(cli(*worker(f"{i}/3")) for i in (1, 2, 3)))
    summaries = [json.loads(run.out.splitlines()[-1]) for run in runs]
    assert [run.code for run in runs] == [0, 0, 0]
    assert sum(s["succeeded"] for s in summaries) == len(EXAMPLE_IDS)
    assert sum(s["logins"] for s in summaries) == 1  # one login for the three workers
    assert sorted(c.contract_id for c in sim.contracts()) == sorted(EXAMPLE_IDS)

    # Shard 1 again (it crashed, say): the shared journal says it is done, nothing is sent.
    again = await cli(*worker("1/3"))
    summary = json.loads(again.out.splitlines()[-1])
    assert again.code == 0
    assert summary["skipped"] == summary["succeeded"] == summaries[0]["succeeded"]
    assert len(sim.contracts()) == len(EXAMPLE_IDS)


async def test_the_python_shard_parameter_agrees_with_the_cli_split(
    sim: Simulator, cli: Cli, tmp_path: Path
) -> None:
    path = EXAMPLES / "contracts.csv"
    lines = tmp_path / "report.jsonl"
    run = await cli(
        "bulk", "contracts", str(path), "--shard", "2/4", "--json", "--report", str(lines)
    )
    assert run.code == 0, run.text
    by_cli = sorted(c.contract_id for c in sim.contracts())
    assert by_cli == [i for i in EXAMPLE_IDS if Shard(2, 4).owns(i)]
    assert 0 < len(by_cli) < len(EXAMPLE_IDS)
    # The report's indices are the rows' positions in the whole file.
    report = [json.loads(line) for line in lines.read_text().splitlines()]
    assert [(r["index"], r["contract_id"]) for r in report] == [
        (EXAMPLE_IDS.index(i), i) for i in by_cli
    ]

    specs = read_spec_file(path.name, path.read_text(encoding="utf-8-sig").splitlines())
    for shard in ("2/4", Shard(2, 4)):
        async with (
            Simulator(SimConfig(password=PASSWORD)) as other,
            LivionKeyClient(EMAIL, PASSWORD, base_url=other.url) as client,
        ):
            made = await client.bulk.create_contracts(specs, shard=shard)
            assert sorted(item.spec.contract_id for item in made.succeeded) == by_cli
            assert sorted(c.contract_id for c in other.contracts()) == by_cli


async def test_sharded_cancels_settle_every_row_once_gone_ones_too(
    sim: Simulator, cli: Cli, tmp_path: Path
) -> None:
    made = await cli("bulk", "contracts", str(EXAMPLES / "contracts.csv"), "--json")
    assert made.code == 0, made.text
    # Five rows by object id, three by a contract_id never made (gone: cancelled already).
    # (A row by the contract_id of a contract on the account is split by its object id, the
    # journal's key, so it is another shard's once it is gone: such rows are left out here.)
    by_id = {c.contract_id: c.object_id for c in sim.contracts()}
    rows = [f"{by_id[name]}," for name in EXAMPLE_IDS[:5]] + [f",never-{i}" for i in (1, 2, 3)]
    cancel = tmp_path / "cancel.csv"
    cancel.write_text("id,contract_id\n" + "".join(f"{row}\n" for row in rows))
    runs = [await cli("bulk", "cancel", str(cancel), "--shard", f"{i}/2", "--json") for i in (1, 2)]
    summaries = [json.loads(run.out.splitlines()[-1]) for run in runs]
    assert [run.code for run in runs] == [0, 0]
    assert sum(s["succeeded"] for s in summaries) == len(rows)
    assert sum(s["reconciled"] for s in summaries) == 3  # the gone rows, each in one shard
    assert all(s["succeeded"] for s in summaries)  # both shards had rows
    assert sorted(c.contract_id for c in sim.contracts()) == EXAMPLE_IDS[5:]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--shard", "4/3"], "I/N"),
        (["--shared-journal", "x"], "needs --redis"),
    ],
)
async def test_bad_sharing_options_are_refused(
    sim: Simulator, cli: Cli, extra: list[str], message: str
) -> None:
    run = await cli("bulk", "contracts", str(EXAMPLES / "contracts.csv"), *extra)
    assert run.code != 0
    assert message in run.err
    assert sim.contracts() == []


async def test_a_shared_journal_whose_redis_is_down_is_one_line_and_exit_1(
    sim: Simulator, cli: Cli
) -> None:
    from redis_support import free_port

    run = await cli(
        "bulk",
        "contracts",
        str(EXAMPLES / "contracts.csv"),
        "--redis",
        f"redis://127.0.0.1:{free_port()}/0?password=s3cret",
        "--shared-journal",
        "job",
    )
    assert run.code == 1
    errors = [line for line in run.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith("error: StoreError: journal ")
    assert "cannot read it" in errors[0]
    assert "Traceback" not in run.err
    assert "s3cret" not in run.text
    assert sim.contracts() == []


async def test_a_redis_url_of_another_scheme_is_refused(sim: Simulator, cli: Cli) -> None:
    run = await cli(
        "bulk", "contracts", str(EXAMPLES / "contracts.csv"), "--redis", "http://127.0.0.1:1"
    )
    assert run.code == 1
    assert "url must be a redis://" in run.err
    assert "Traceback" not in run.err
