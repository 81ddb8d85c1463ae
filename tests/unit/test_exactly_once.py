"""Exactly-once creation on its own: every unknown outcome settled by a look-up."""

from __future__ import annotations

import asyncio

import pytest

from livionkey_async import (
    AmbiguousOutcomeError,
    ContractOverlapError,
    DuplicateContractError,
    LivionKeyError,
    LoginError,
    Outcome,
    ServerError,
)
from livionkey_async._exactly_once import ExactlyOnce
from livionkey_async._fanout import Settled
from livionkey_async._transport import _SENDS


class Server:
    """A fake server: a dict of what landed, and a script of how each create answers."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.landed: dict[str, str] = {}
        self.creates = 0

    async def create(self, spec: str) -> str:
        self.creates += 1
        step = self.script.pop(0)
        if step in ("ok", "lost"):  # committed; "lost": the answer never came back
            self.landed.setdefault(spec, spec)
        if step == "lost":
            raise AmbiguousOutcomeError("dropped", method="POST", path="contracts")
        if step == "overlap":
            raise ContractOverlapError("Overlapping contract existing", status=400)
        if step == "taken":
            raise DuplicateContractError("ContractId already in use", status=400)
        return spec

    async def lookup(self, spec: str) -> str | None:
        return self.landed.get(spec)


async def no_sleep(_: float) -> None:
    return None


def creator(server: Server) -> ExactlyOnce[str, str, str]:
    return ExactlyOnce(
        create=server.create,
        lookup=server.lookup,
        matches=lambda found, spec: found == spec,
        result_of=lambda found: found,
        duplicate=DuplicateContractError,
        name=lambda spec: f"contract {spec!r}",
        sleep=no_sleep,
    )


async def test_a_plain_success_is_not_reconciled() -> None:
    server = Server(["ok"])
    assert await creator(server)("a") == "a"
    assert server.creates == 1


async def test_a_lost_answer_is_found_not_resent() -> None:
    server = Server(["lost"])
    result = await creator(server)("a")
    assert isinstance(result, Settled)
    assert result.outcome is Outcome.SUCCEEDED
    assert server.creates == 1


async def test_a_refusal_after_an_unknown_outcome_is_settled_by_the_copy_that_landed() -> None:
    server = Server(["lost", "overlap"])

    async def late_lookup(spec: str) -> str | None:
        # The first look-up comes before the slow first create commits; the second after.
        found = server.landed.get(spec) if server.creates > 1 else None
        return found

    server.lookup = late_lookup  # type: ignore[method-assign]
    result = await creator(server)("a")
    assert isinstance(result, Settled)
    assert result.outcome is Outcome.SUCCEEDED
    assert server.creates == 2


async def test_taken_by_this_spec_is_success_by_another_a_duplicate() -> None:
    server = Server(["taken"])
    server.landed["a"] = "a"
    result = await creator(server)("a")
    assert isinstance(result, Settled)
    other = Server(["taken"])

    async def different(spec: str) -> str | None:
        return "someone else"

    other.lookup = different  # type: ignore[method-assign]
    with pytest.raises(DuplicateContractError, match="ContractId already in use"):
        await creator(other)("a")  # the server's own words


async def test_lost_then_found_different_is_a_duplicate() -> None:
    server = Server(["lost"])

    async def different(spec: str) -> str | None:
        return "someone else"

    server.lookup = different  # type: ignore[method-assign]
    with pytest.raises(DuplicateContractError, match="already used by a different one"):
        await creator(server)("a")


async def test_a_failing_look_up_after_a_lost_answer_is_ambiguous() -> None:
    server = Server(["lost"])

    async def failing(spec: str) -> str | None:
        raise ServerError("Internal Server Error", status=500)

    server.lookup = failing  # type: ignore[method-assign]
    with pytest.raises(AmbiguousOutcomeError, match="looking it up failed"):
        await creator(server).create("a")
    assert server.creates == 1


async def test_a_failing_look_up_after_taken_keeps_the_refusal() -> None:
    server = Server(["taken"])

    async def failing(spec: str) -> str | None:
        raise ServerError("Internal Server Error", status=500)

    server.lookup = failing  # type: ignore[method-assign]
    with pytest.raises(DuplicateContractError, match="ContractId already in use"):
        await creator(server).create("a")


async def test_a_refused_login_during_the_look_up_leaves_it_ambiguous() -> None:
    # The create may have landed before the credentials were refused: it is not "not sent".
    server = Server(["lost"])

    async def refused(spec: str) -> str | None:
        raise LoginError("Firebase: Error (auth/wrong-password).", status=400)

    server.lookup = refused  # type: ignore[method-assign]
    with pytest.raises(AmbiguousOutcomeError, match="LoginError"):
        await creator(server).create("a")


async def test_create_answers_the_value_and_propagates_cancellation() -> None:
    server = Server(["lost"])
    assert await creator(server).create("a") == "a"  # found: the plain value, not Settled
    started = asyncio.Event()

    async def hang(spec: str) -> str:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    server.create = hang  # type: ignore[method-assign]
    task = asyncio.ensure_future(creator(server).create("b"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_never_found_after_every_create_is_an_ambiguous_failure() -> None:
    server = Server(["lost"] * 4)

    async def never(spec: str) -> str | None:
        return None

    server.lookup = never  # type: ignore[method-assign]
    with pytest.raises(AmbiguousOutcomeError, match="4 creates"):
        await creator(server)("a")
    assert server.creates == 4


async def test_a_first_refusal_is_just_raised() -> None:
    with pytest.raises(ContractOverlapError):
        await creator(Server(["overlap"]))("a")


def hanging_creator(*, sends: bool) -> tuple[ExactlyOnce[str, str, str], asyncio.Event]:
    """A creator whose create hangs, after its request left (``sends``) or before (queued for
    the pacer, waiting for a login); nothing is ever found."""
    started = asyncio.Event()

    async def hanging(spec: str) -> str:
        watch = _SENDS.get()
        if sends and watch is not None:
            watch.sent = True  # what the transport notes as a write leaves
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def nothing(spec: str) -> str | None:
        return None

    once: ExactlyOnce[str, str, str] = ExactlyOnce(
        create=hanging,
        lookup=nothing,
        matches=lambda found, spec: True,
        result_of=lambda found: found,
        duplicate=DuplicateContractError,
        name=lambda spec: spec,
        sleep=no_sleep,
    )
    return once, started


async def test_cancelled_in_flight_and_not_found_is_a_failure_in_doubt() -> None:
    once, started = hanging_creator(sends=True)
    task = asyncio.ensure_future(once("a"))
    await started.wait()
    task.cancel()
    result = await task
    assert isinstance(result, Settled)
    assert result.outcome is Outcome.FAILED
    assert isinstance(result.error, AmbiguousOutcomeError)
    assert isinstance(result.error, LivionKeyError)


async def test_cancelled_before_its_create_left_is_not_attempted() -> None:
    once, started = hanging_creator(sends=False)
    task = asyncio.ensure_future(once("a"))
    await started.wait()
    task.cancel()
    result = await task
    assert isinstance(result, Settled)
    assert result.outcome is Outcome.NOT_ATTEMPTED
    assert result.error is None
