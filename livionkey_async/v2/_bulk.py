"""``client.bulk`` for API v2: create and cancel many key contracts, each create exactly once.

The core's bulk machinery does the work (bounded fan-out, local checks first, a report or a
stream, a resumable journal, cancellation that accounts for every item); this module only says
what each job is:

- **mechanical contracts** carry your ``id`` (required here): a create whose outcome is unknown
  is settled by looking it up, resent only when it is not there, and the server's uniqueness of
  the id stops a late copy; a rerun's "already exists" for the same contract is a success.
- **iLOQ contracts** carry nothing of yours: a create whose outcome is unknown is never sent
  again. The job lists the contracts there were when it started; afterwards, a new contract
  that matches everything the spec asked (``_reconcile``) and that no other item of the job owns
  is that create's. An item owns the contract its create answered, the one its look-up settled
  on, and, on a rerun, the one the journal recorded for it. None found (or the look-up failed):
  the item fails as unknown, and the journal remembers it, so a rerun looks for it (among every
  contract now) before creating it. Two specs of one batch that one contract could match both
  are refused, since nobody could tell their contracts apart.

Every helper takes ``shard=`` as V1's do (``"2/4"`` or ``Shard(2, 4)``: the part of the items
whose journal key the shard owns; the other parts' items are left out of the report entirely).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from .._arguments import check_bool, check_id
from .._bulk import DEFAULT_CONCURRENCY, BulkReport, BulkRunner, Job, ProgressHook
from .._errors import AmbiguousOutcomeError, DuplicateContractError, NotFoundError, ValidationError
from .._exactly_once import ExactlyOnce
from .._fanout import ItemResult, Outcome, Settled, Source
from .._journal import Journal, JournalTarget
from .._shard import Shard
from ._models import (
    IloqKeyContract,
    MechanicalKeyContract,
    NewIloqKeyContract,
    NewMechanicalKeyContract,
)
from ._reconcile import (
    AlikeSpecs,
    iloq_contract_matches,
    iloq_fingerprint,
    mechanical_contract_matches,
)
from ._validation import validate_new_iloq_contract, validate_new_mechanical_contract

if TYPE_CHECKING:
    from ._client import LivionKeyV2Client

__all__ = ["V2Bulk"]


class _IloqClaims:
    """Which iLOQ contracts one job may call its own: new since it started, and owned by no item
    yet (the ids an earlier run's ``journal`` gives to its items are owned)."""

    def __init__(self, client: LivionKeyV2Client) -> None:
        self._client = client
        self._before: set[str] | None = None
        self._claimed: set[str] = set()
        self._snapshot = asyncio.Lock()

    def read_journal(self, journal: Journal) -> None:
        """Own what the job's journal says earlier runs made (the job read it already)."""
        self._claimed |= journal.object_ids()

    async def take_snapshot(self) -> None:
        """Note the contracts there are now (once, before the job's first create)."""
        async with self._snapshot:
            if self._before is None:
                listed = self._client.iloq.contracts.iterate(ongoing=True, future=True)
                self._before = {contract.id async for contract in listed}

    async def candidates(
        self, spec: NewIloqKeyContract, *, new_only: bool
    ) -> list[IloqKeyContract]:
        """Unclaimed matching contracts (``new_only``: only those the job did not find there)."""
        before = (self._before or set()) if new_only else set()
        return [
            contract
            for contract in await self._client.iloq.contracts.find_matching(spec)
            if contract.id not in before and contract.id not in self._claimed
        ]

    async def find_new(self, spec: NewIloqKeyContract) -> IloqKeyContract | None:
        """After an unknown outcome: the one new matching contract, claimed; ``None`` if none."""
        found = await self.candidates(spec, new_only=True)
        if len(found) > 1:
            raise AmbiguousOutcomeError(
                f"{_name(spec)}: the create's outcome is unknown and {len(found)} new contracts "
                f"match it ({_ids(found)}): not resent, settle it by hand",
                method="POST",
                path="iloq/keycontracts",
            )
        return self.claim(found[0]) if found else None

    def claim(self, contract: IloqKeyContract) -> IloqKeyContract:
        self._claimed.add(contract.id)
        return contract


def _ids(contracts: list[IloqKeyContract]) -> str:
    return ", ".join(contract.id for contract in contracts)


def _name(spec: NewIloqKeyContract) -> str:
    return f"iLOQ contract {iloq_fingerprint(spec)}"


class V2Bulk(BulkRunner):
    """The bulk helpers of one ``LivionKeyV2Client``."""

    def __init__(self, client: LivionKeyV2Client) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<V2Bulk of {self._client!r}>"

    def _journal_pepper(self) -> bytes:
        return self._client._journal_pepper()

    # -- iLOQ ----------------------------------------------------------------------------------

    def _iloq_job(self, check_batch: bool) -> Job[NewIloqKeyContract, IloqKeyContract]:
        check_bool("check_batch", check_batch)
        client = self._client
        claims = _IloqClaims(client)
        alike = AlikeSpecs()

        async def check(spec: NewIloqKeyContract) -> None:
            if check_batch and not alike.add(spec):
                raise ValidationError(
                    "an iLOQ contract identical in everything both give appears earlier in this "
                    "batch: after an unknown outcome nobody could tell the two apart"
                )
            await claims.take_snapshot()

        async def create_and_claim(spec: NewIloqKeyContract) -> IloqKeyContract:
            return claims.claim(await client.iloq.contracts.create(spec))

        create = ExactlyOnce(
            create=create_and_claim,
            lookup=claims.find_new,
            matches=iloq_contract_matches,
            result_of=lambda found: found,
            duplicate=None,
            name=_name,
            sleep=client._sleep,
            resend=False,
        )

        async def resume(spec: NewIloqKeyContract) -> IloqKeyContract | Settled[IloqKeyContract]:
            # An earlier run's create may have landed: it is one of today's contracts, if any.
            found = await claims.candidates(spec, new_only=False)
            if not found:
                return await create(spec)
            if len(found) > 1:
                error = AmbiguousOutcomeError(
                    f"{_name(spec)}: an earlier run left it unknown and {len(found)} contracts "
                    f"match it ({_ids(found)}): settle it by hand",
                    method="POST",
                    path="iloq/keycontracts",
                )
                return Settled(None, outcome=Outcome.FAILED, reconciled=False, error=error)
            return Settled(claims.claim(found[0]), outcome=Outcome.SUCCEEDED)

        return Job(
            validate=validate_new_iloq_contract,
            check=check,
            work=create,
            key=iloq_fingerprint,
            object_id=lambda made: made.id if made is not None else None,
            from_journal=lambda entry: IloqKeyContract(id=str(entry.get("id", ""))),
            resume=resume,
            read_journal=claims.read_journal,
        )

    async def create_iloq_contracts(
        self,
        specs: Source[NewIloqKeyContract],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
        check_batch: bool = True,
        report: BulkReport[NewIloqKeyContract, IloqKeyContract] | None = None,
    ) -> BulkReport[NewIloqKeyContract, IloqKeyContract]:
        """Create every iLOQ key contract of ``specs``; never resend one whose outcome is unknown.

        A create whose answer was lost is settled by finding the one new contract that matches
        it (``reconciled``); when there is none, the item fails with ``AmbiguousOutcomeError``
        and is not sent again, and a rerun with the same ``journal`` looks for it before creating
        it. ``check_batch=False`` lets through specs one contract could match (and their
        creates can then not be told apart). ``report``: a ``BulkReport`` to fill, yours even
        when cancelled.
        """
        job = self._iloq_job(check_batch)
        return await self._report(job, specs, concurrency, on_progress, journal, report, shard)

    def stream_create_iloq_contracts(
        self,
        specs: Source[NewIloqKeyContract],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
        check_batch: bool = True,
    ) -> AsyncIterator[ItemResult[NewIloqKeyContract, IloqKeyContract]]:
        """Like ``create_iloq_contracts``, but yields each item's result as it finishes."""
        job = self._iloq_job(check_batch)
        return self._stream(job, specs, concurrency, on_progress, journal, shard)

    # -- mechanical ----------------------------------------------------------------------------

    def _mechanical_job(
        self, check_batch: bool
    ) -> Job[NewMechanicalKeyContract, MechanicalKeyContract]:
        check_bool("check_batch", check_batch)
        client = self._client
        seen: set[str] = set()

        def validate(spec: NewMechanicalKeyContract) -> None:
            validate_new_mechanical_contract(spec)
            if spec.id is None:
                raise ValidationError("id is required: the bulk helpers create by your own id")

        async def check(spec: NewMechanicalKeyContract) -> None:
            if check_batch and spec.id is not None:
                if spec.id in seen:
                    raise ValidationError(f"id {spec.id!r} appears more than once in this batch")
                seen.add(spec.id)

        async def find(spec: NewMechanicalKeyContract) -> MechanicalKeyContract | None:
            return await client.mechanical.contracts.find(spec.id or "")

        return Job(
            validate=validate,
            check=check,
            work=ExactlyOnce(
                create=client.mechanical.contracts.create,
                lookup=find,
                matches=mechanical_contract_matches,
                result_of=lambda found: found,
                duplicate=DuplicateContractError,
                name=lambda spec: f"mechanical contract {spec.id!r}",
                sleep=client._sleep,
            ),
            key=lambda spec: spec.id or "",
            object_id=lambda made: made.id if made is not None else None,
            from_journal=lambda entry: MechanicalKeyContract(id=str(entry.get("id", ""))),
        )

    async def create_mechanical_contracts(
        self,
        specs: Source[NewMechanicalKeyContract],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
        check_batch: bool = True,
        report: BulkReport[NewMechanicalKeyContract, MechanicalKeyContract] | None = None,
    ) -> BulkReport[NewMechanicalKeyContract, MechanicalKeyContract]:
        """Create every mechanical key contract of ``specs`` exactly once, by its ``id``
        (required). ``check_batch=False`` skips the check that no id appears twice."""
        job = self._mechanical_job(check_batch)
        return await self._report(job, specs, concurrency, on_progress, journal, report, shard)

    def stream_create_mechanical_contracts(
        self,
        specs: Source[NewMechanicalKeyContract],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
        check_batch: bool = True,
    ) -> AsyncIterator[ItemResult[NewMechanicalKeyContract, MechanicalKeyContract]]:
        """Like ``create_mechanical_contracts``, but yields each item's result as it finishes."""
        job = self._mechanical_job(check_batch)
        return self._stream(job, specs, concurrency, on_progress, journal, shard)

    # -- cancelling ----------------------------------------------------------------------------

    def _delete_job(self, kind: str, delete: Callable[[str], Awaitable[None]]) -> Job[str, None]:
        def validate(contract_id: str) -> None:
            check_id("id", contract_id)

        async def work(contract_id: str) -> Settled[None] | None:
            try:
                await delete(contract_id)
            except NotFoundError:  # already gone (an earlier run, someone else): deleted
                return Settled(None, outcome=Outcome.SUCCEEDED)
            return None

        return Job(
            validate=validate,
            work=work,
            key=lambda contract_id: f"{kind}:{contract_id}",
            source="ids",
        )

    async def delete_iloq_contracts(
        self,
        ids: Source[str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
        report: BulkReport[str, None] | None = None,
    ) -> BulkReport[str, None]:
        """Cancel iLOQ contracts by id (one already gone counts as cancelled; one whose key is
        out fails with ``ContractInUseError``)."""
        job = self._delete_job("iloq", self._client.iloq.contracts.delete)
        return await self._report(job, ids, concurrency, on_progress, journal, report, shard)

    async def delete_mechanical_contracts(
        self,
        ids: Source[str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
        report: BulkReport[str, None] | None = None,
    ) -> BulkReport[str, None]:
        """Cancel mechanical contracts by id, as ``delete_iloq_contracts``."""
        job = self._delete_job("mechanical", self._client.mechanical.contracts.delete)
        return await self._report(job, ids, concurrency, on_progress, journal, report, shard)
