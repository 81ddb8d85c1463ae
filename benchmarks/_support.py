"""Shared helpers of the benchmarks: the simulator subprocess, its control plane, timing, output.

The simulator always runs in its own process (``python -m livionkey_async._cli sim --port 0``,
bound to 127.0.0.1), so ``time.process_time()`` in the benchmark process measures the client
alone. :func:`running_sim` reads the URL and credentials the command prints and terminates the
process on the way out, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import cast

import aiohttp
import attrs
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from yarl import URL

import livionkey_async

__all__ = [
    "RESULTS",
    "CpuWall",
    "SimControl",
    "SimInfo",
    "Target",
    "console",
    "environment",
    "max_rss_kib",
    "measure",
    "median",
    "print_table",
    "print_targets",
    "raw_login",
    "running_sim",
    "write_json",
]

RESULTS = Path(__file__).resolve().parent / "results"
console = Console(highlight=False, width=int(os.environ.get("BENCH_WIDTH", "320")))

_READY_TIMEOUT = 30.0  # seconds for the simulator to print its banner
_BANNER_LINES = 50  # most lines read while looking for the banner
_STOP_TIMEOUT = 5.0  # seconds between SIGTERM and SIGKILL
_CONTROL_TIMEOUT = aiohttp.ClientTimeout(total=120.0)


@attrs.frozen
class SimInfo:
    """Where a simulator listens and the account it was seeded with."""

    url: str
    email: str
    password: str
    pid: int
    flags: tuple[str, ...]


async def _read_banner(process: asyncio.subprocess.Process, flags: tuple[str, ...]) -> SimInfo:
    assert process.stdout is not None
    url = email = password = None
    for _ in range(_BANNER_LINES):
        raw = await process.stdout.readline()
        if not raw:
            code = await process.wait()
            raise RuntimeError(f"the simulator exited before it was ready (exit code {code})")
        line = raw.decode().strip()
        if line.startswith("LivionKey simulator listening on "):
            url = line.rsplit(" ", 1)[1]
        elif line.startswith("email:"):
            email = line.split(":", 1)[1].strip()
        elif line.startswith("password:"):
            password = line.split(":", 1)[1].strip()
        elif line.startswith("Press Ctrl-C") and url and email and password:
            host = URL(url).host
            if host != "127.0.0.1":
                raise RuntimeError(f"the simulator is not on loopback: {url}")
            return SimInfo(url, email, password, process.pid, flags)
    raise RuntimeError("the simulator's banner did not name its URL and credentials")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), _STOP_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


@contextlib.asynccontextmanager
async def running_sim(*flags: str) -> AsyncIterator[SimInfo]:
    """Run ``livionkey-async sim --host 127.0.0.1 --port 0 FLAGS`` in a child process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "livionkey_async._cli",
        "sim",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        *flags,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        info = await asyncio.wait_for(_read_banner(process, tuple(flags)), _READY_TIMEOUT)
        yield info
    finally:
        await _stop(process)


class SimControl:
    """The simulator's ``/_sim/`` control plane, on its own session (never the measured one)."""

    def __init__(self, info: SimInfo) -> None:
        self.info = info
        self._base = URL(info.url)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SimControl:
        self._session = aiohttp.ClientSession(timeout=_CONTROL_TIMEOUT)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    def _http(self) -> aiohttp.ClientSession:
        assert self._session is not None, "use `async with SimControl(...)`"
        return self._session

    async def reset(self) -> None:
        """Seeded data again, no contracts, no tokens, zero counters, every bucket full."""
        async with self._http().post(self._base / "_sim" / "reset") as response:
            response.raise_for_status()

    async def stats(self) -> dict[str, int]:
        async with self._http().get(self._base / "_sim" / "stats") as response:
            response.raise_for_status()
            data = await response.json()
        return {str(k): int(v) for k, v in cast(dict[str, int], data).items()}

    async def contracts(self) -> list[dict[str, object]]:
        async with self._http().get(self._base / "_sim" / "contracts") as response:
            response.raise_for_status()
            data = await response.json()
        return cast(list[dict[str, object]], data)


async def raw_login(session: aiohttp.ClientSession, url: str, email: str, password: str) -> str:
    """Log in with plain aiohttp (what the baselines do, once); answer the bearer token."""
    body = {"email": email, "password": password}
    async with session.post(URL(url) / "auth" / "login", json=body) as response:
        response.raise_for_status()
        data = await response.json()
    return str(cast(dict[str, object], data)["token"])


@attrs.define
class CpuWall:
    """Wall-clock and process CPU seconds of a measured block (filled in when it ends)."""

    wall: float = 0.0
    cpu: float = 0.0


@contextlib.contextmanager
def measure() -> Iterator[CpuWall]:
    """Time a block: ``perf_counter`` and ``process_time`` (client only: the sim is elsewhere)."""
    result = CpuWall()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        yield result
    finally:
        result.wall = time.perf_counter() - wall0
        result.cpu = time.process_time() - cpu0


def max_rss_kib() -> int:
    """This process's peak resident set size so far, in KiB (Linux ``ru_maxrss``)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


@attrs.frozen
class Target:
    """A target the issue sets: printed PASS or MISS, never asserted. ``reference``: a figure
    printed beside the targets for comparison (INFO), with what bounds it in its detail."""

    name: str
    met: bool
    detail: str
    reference: bool = False

    def as_dict(self) -> dict[str, object]:
        if self.reference:
            return {"reference": self.name, "detail": self.detail}
        return {"target": self.name, "met": self.met, "detail": self.detail}


def print_targets(targets: Sequence[Target]) -> None:
    for target in targets:
        if target.reference:
            verdict = "[blue]INFO[/blue]"
        else:
            verdict = "[green]PASS[/green]" if target.met else "[red]MISS[/red]"
        console.print(f"  {verdict}  {target.name}: {target.detail}")


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], note: str = ""
) -> None:
    """A rich table in Markdown form (readable here, pasteable into README.md)."""
    console.print(f"\n[bold]{title}[/bold]\n")
    table = Table(box=box.MARKDOWN, show_edge=True)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(escape(str(cell)) for cell in row))
    console.print(table)
    if note:
        console.print(note, soft_wrap=True)


def environment() -> dict[str, object]:
    """Where the numbers were measured."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "aiohttp": aiohttp.__version__,
        "livionkey_async": livionkey_async.__version__,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_json(name: str, data: Mapping[str, object]) -> Path:
    """Write ``benchmarks/results/NAME`` (indented, sorted keys kept in insertion order)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path
