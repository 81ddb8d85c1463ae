"""``bulk ... --shard I/N --redis URL --shared-journal NAME``: one file split across workers."""

from __future__ import annotations

import asyncio
import json

import pytest

from livionkey_async.testing import Simulator

from .support import EXAMPLE_IDS, EXAMPLES, Cli


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
