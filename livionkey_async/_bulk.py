"""``client.bulk``: create, update and delete many contracts (and keys) in parallel.

Each helper takes a list, an iterable or an async iterable of any length, keeps at most
``concurrency`` items in flight, checks every item locally before sending it, reports every
item's outcome (``create_*`` as a ``BulkReport``, ``stream_*`` as results in completion order),
and creates each contract and key exactly once. An optional JSON-lines journal makes a job
resumable: rerun it with the same journal and what already succeeded is skipped.

``shard="2/4"`` (or ``Shard(2, 4)``) on any helper runs only the second of four disjoint parts of
the items, so several workers can split one source: an item is the part's whose
``Shard.owns`` its journal key (a contract's ``contract_id``, a key's ``device_id/key_id``, an
object id), as ``livionkey-async bulk ... --shard 2/4`` splits a file. The other parts' items
are passed over silently: they are not in the report nor the stream, and not counted in
``BulkProgress``; an item that fails its own checks (no key to hash) is part 1's, so exactly one
worker reports it. ``ItemResult.index`` stays the item's position in the whole source.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Generic, TypeVar, cast

import attrs

from ._arguments import (
    as_shard,
    check_bool,
    check_callable,
    check_concurrency,
    check_id,
    check_instance,
    check_source,
)
from ._batch_checks import ContractBatchGuard
from ._convert import unstructure
from ._errors import (
    AmbiguousOutcomeError,
    LivionKeyError,
    NotFoundError,
    SpecChangedError,
    StoreError,
    ValidationError,
)
from ._fanout import ItemResult, Outcome, Settled, Source, fan_out
from ._journal import Journal, JournalTarget, check_target
from ._models import ContractUpdate, CreatedContract, CreatedKey, NewContract, NewKey
from ._shard import Shard
from ._validation import validate_contract_update, validate_new_contract, validate_new_key

if TYPE_CHECKING:
    from ._client import LivionKeyClient

__all__ = ["Bulk", "BulkProgress", "BulkReport", "BulkRunner", "Job"]

S = TypeVar("S")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 32

log = logging.getLogger("livionkey_async.bulk")


@attrs.frozen
class BulkProgress:
    """Where a bulk job stands, handed to ``on_progress`` after every finished item.

    ``done`` counts every finished item (``succeeded + failed + not_attempted``); ``skipped``,
    the successes a journal showed done by an earlier run (no request was sent for them).
    """

    done: int
    succeeded: int
    failed: int
    not_attempted: int
    elapsed: float
    total: int | None
    last: ItemResult[object, object]
    skipped: int = 0

    @property
    def worked(self) -> int:
        """Items the job worked on: finished, neither skipped nor left unattempted."""
        return self.done - self.skipped - self.not_attempted

    @property
    def rate(self) -> float:
        """Items worked on per second so far (journal skips and unattempted items, which cost
        nothing, are left out)."""
        return self.worked / self.elapsed if self.elapsed > 0 else 0.0


@attrs.define
class BulkReport(Generic[S, R]):
    """Every item of a bulk job, by outcome, each list in completion order."""

    succeeded: list[ItemResult[S, R]] = attrs.field(factory=list)
    failed: list[ItemResult[S, R]] = attrs.field(factory=list)
    not_attempted: list[ItemResult[S, R]] = attrs.field(factory=list)
    elapsed: float = 0.0

    @property
    def total(self) -> int:
        return len(self.succeeded) + len(self.failed) + len(self.not_attempted)

    @property
    def ok(self) -> bool:
        """True when every item succeeded."""
        return not self.failed and not self.not_attempted

    @property
    def reconciled(self) -> int:
        """How many successes were settled by looking the object up on the server."""
        return sum(1 for item in self.succeeded if item.reconciled)

    def add(self, item: ItemResult[S, R]) -> None:
        {
            Outcome.SUCCEEDED: self.succeeded,
            Outcome.FAILED: self.failed,
            Outcome.NOT_ATTEMPTED: self.not_attempted,
        }[item.outcome].append(item)


ProgressHook = Callable[[BulkProgress], None]


def spec_fields(spec: object) -> dict[str, object]:
    """A spec's fields as plain JSON data (our field names, wire values): what a journal
    fingerprints. An ``(object id, update)`` pair is its update's; a bare id has none."""
    if isinstance(spec, tuple) and len(spec) == 2:
        spec = spec[1]
    if not attrs.has(type(spec)):
        return {}
    values = attrs.asdict(cast(attrs.AttrsInstance, spec), recurse=False)
    return {name: unstructure(value) for name, value in values.items()}


@attrs.frozen
class Job(Generic[S, R]):
    """What distinguishes one bulk operation from another.

    ``validate``: the item's own checks, pure (its type, its fields, its rules), before anything
    else looks at it, the journal included: an item of the wrong type fails alone, with a
    ``ValidationError``. ``check``: what else must hold before it is worked (the devices'
    products, the batch's other items), which may ask the server. ``resume``: how to settle an
    item a journal shows unknown (a create that may have landed in an earlier run) before doing
    its ``work``; without it the item is simply worked again.
    """

    validate: Callable[[S], None]
    work: Callable[[S], Awaitable[R | Settled[R]]]
    key: Callable[[S], str]
    check: Callable[[S], Awaitable[None]] | None = None
    # What a journal fingerprints of an item, to tell a rerun's edited items from its done ones.
    fields: Callable[[S], Mapping[str, object]] = spec_fields
    # What a journal line keeps of a result, and what a rerun rebuilds from it (updates and
    # deletes produce nothing to keep).
    object_id: Callable[[R | None], str | None] = lambda _: None
    from_journal: Callable[[dict[str, object]], R | None] = lambda _: None
    resume: Callable[[S], Awaitable[R | Settled[R]]] | None = None
    # The name of the helper's parameter that holds the items (for its ValidationError).
    source: str = "specs"
    # Told of the job's journal once it is read, before any item (what it says is done).
    read_journal: Callable[[Journal], None] | None = None


class BulkRunner:
    """The machinery shared by every bulk helper (V1's ``client.bulk`` and API v2's): run a
    ``Job`` over a source with a journal and progress, into a report or a stream."""

    def _journal_pepper(self) -> bytes:
        """A key only the client's credentials give, for the journal's digest of secrets."""
        return b""

    async def _run(
        self,
        job: Job[S, R],
        source: Source[S],
        concurrency: int,
        on_progress: ProgressHook | None,
        journal_path: JournalTarget | None,
        sink: Callable[[ItemResult[S, R]], Awaitable[None]],
        shard: Shard | None,
    ) -> None:
        journal = None
        if journal_path is not None:
            journal = await Journal.open(journal_path, pepper=self._journal_pepper())
            if job.read_journal is not None:
                job.read_journal(journal)
        keep = None if shard is None else _owned_by(job, shard)
        total = None
        if isinstance(source, list | tuple):
            total = len(source) if keep is None else sum(1 for spec in source if keep(spec))
        started = time.monotonic()
        counts = dict.fromkeys(Outcome, 0)
        skipped = 0

        invalid: set[int] = set()  # items that failed `validate`: not journalled

        async def prepare(index: int, spec: S) -> ItemResult[S, R] | None:
            try:
                job.validate(spec)
            except LivionKeyError as refused:
                invalid.add(index)
                return ItemResult(index, spec, Outcome.FAILED, error=refused)
            if journal is not None:
                key = job.key(spec)
                entry = journal.succeeded(key)
                if entry is not None:
                    changed = journal.changed(entry, journal.fingerprint(job.fields(spec)))
                    if changed:
                        error = SpecChangedError(
                            f"{key}: succeeded in an earlier run with a different "
                            f"{', '.join(changed)}; not sent again",
                            fields=changed,
                        )
                        return ItemResult(index, spec, Outcome.FAILED, error=error)
                    value = job.from_journal(entry)
                    return ItemResult(index, spec, Outcome.SUCCEEDED, result=value, skipped=True)
            if job.check is not None:
                try:
                    await job.check(spec)
                except LivionKeyError as error:
                    return ItemResult(index, spec, Outcome.FAILED, error=error)
            return None

        async def emit(item: ItemResult[S, R]) -> None:
            nonlocal skipped
            counts[item.outcome] += 1
            skipped += item.skipped
            if journal is not None and not item.skipped and item.index not in invalid:
                journal.record(
                    job.key(item.spec),
                    item.outcome.value,
                    journal.fingerprint(job.fields(item.spec)),
                    object_id=job.object_id(item.result),
                    error=None if item.error is None else type(item.error).__name__,
                    unknown=isinstance(item.error, AmbiguousOutcomeError),
                )
                await journal.flush()
            await sink(item)
            if on_progress is not None:
                _call_hook(
                    on_progress,
                    BulkProgress(
                        done=sum(counts.values()),
                        succeeded=counts[Outcome.SUCCEEDED],
                        failed=counts[Outcome.FAILED],
                        not_attempted=counts[Outcome.NOT_ATTEMPTED],
                        elapsed=time.monotonic() - started,
                        total=total,
                        last=item,  # type: ignore[arg-type]
                        skipped=skipped,
                    ),
                )

        work = job.work
        if journal is not None and job.resume is not None:
            resume, fresh = job.resume, job.work

            async def work(spec: S) -> R | Settled[R]:
                # An earlier run left this item unknown: settle that before anything is sent.
                unsettled = journal is not None and journal.unsettled(job.key(spec))
                return await (resume if unsettled else fresh)(spec)

        try:
            await fan_out(
                source, work=work, emit=emit, concurrency=concurrency, prepare=prepare, keep=keep
            )
        except BaseException:
            if journal is not None:  # the job's own failure stands; unwritten lines are logged
                await journal.aclose(check=False)
            raise
        if journal is not None:
            await journal.aclose()  # lines the store never took: a StoreError

    @staticmethod
    def _check_options(
        job: Job[S, R],
        source: object,
        concurrency: object,
        on_progress: object,
        journal: object,
        shard: object,
    ) -> Shard | None:
        """What every helper takes besides its items, checked before the job starts (answers
        the shard, read)."""
        check_source(job.source, source)
        check_concurrency(concurrency)
        check_callable("on_progress", on_progress, optional=True)
        check_target("journal", journal)
        return as_shard("shard", shard)

    async def _report(
        self,
        job: Job[S, R],
        source: Source[S],
        concurrency: int,
        on_progress: ProgressHook | None,
        journal: JournalTarget | None,
        report: BulkReport[S, R] | None,
        shard: Shard | str | None,
    ) -> BulkReport[S, R]:
        # The caller may pass the report in: cancelled, the job re-raises the cancellation (as
        # asyncio expects), and that report still accounts for every item it reached.
        part = self._check_options(job, source, concurrency, on_progress, journal, shard)
        check_instance("report", report, BulkReport, optional=True)
        report = BulkReport() if report is None else report
        started = time.monotonic()

        async def sink(item: ItemResult[S, R]) -> None:
            report.add(item)

        try:
            await self._run(job, source, concurrency, on_progress, journal, sink, part)
        except StoreError as journal_failed:
            if report.total:  # lines lost at the end: the items' outcomes stand, handed over
                journal_failed.report = report
            raise
        finally:
            report.elapsed = time.monotonic() - started
        return report

    async def _stream(
        self,
        job: Job[S, R],
        source: Source[S],
        concurrency: int,
        on_progress: ProgressHook | None,
        journal: JournalTarget | None,
        shard: Shard | str | None,
    ) -> AsyncIterator[ItemResult[S, R]]:
        part = self._check_options(job, source, concurrency, on_progress, journal, shard)
        # A small queue: a slow consumer slows the job down instead of piling up results.
        queue: asyncio.Queue[ItemResult[S, R] | None] = asyncio.Queue(maxsize=concurrency)
        consumer_gone = asyncio.Event()

        async def sink(item: ItemResult[S, R]) -> None:
            # Once the consumer has left, results still reach the journal and on_progress.
            if not consumer_gone.is_set():
                await queue.put(item)

        async def produce() -> None:
            try:
                await self._run(job, source, concurrency, on_progress, journal, sink, part)
            except asyncio.CancelledError:
                raise
            except BaseException:
                await queue.put(None)
                raise
            await queue.put(None)

        producer = asyncio.ensure_future(produce())
        try:
            while (item := await queue.get()) is not None:
                yield item
            await producer  # re-raises a failure of the job itself
        finally:
            consumer_gone.set()
            if not producer.done():
                producer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await producer


class Bulk(BulkRunner):
    """The bulk helpers of one client."""

    def __init__(self, client: LivionKeyClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<Bulk of {self._client!r}>"

    def _journal_pepper(self) -> bytes:
        return self._client._journal_pepper()

    # -- contracts -----------------------------------------------------------------------------

    def _contract_job(self, check_batch: bool) -> Job[NewContract, CreatedContract]:
        check_bool("check_batch", check_batch)
        client = self._client
        guard = ContractBatchGuard(client.devices.keys) if check_batch else None

        async def check(spec: NewContract) -> None:
            for ref in spec.keys:
                await client.devices.require_v1(ref.device_id)
            if guard is not None:
                await guard.check(spec)

        return Job(
            validate=validate_new_contract,
            check=check,
            work=client.contracts.exactly_once,
            key=lambda spec: spec.contract_id,
            object_id=lambda made: made.id if made is not None else None,
            from_journal=lambda entry: CreatedContract(id=str(entry.get("id", ""))),
        )

    async def create_contracts(
        self,
        specs: Source[NewContract],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
        check_batch: bool = True,
        report: BulkReport[NewContract, CreatedContract] | None = None,
    ) -> BulkReport[NewContract, CreatedContract]:
        """Create every contract of ``specs``, each exactly once; report every item.

        ``check_batch=False`` skips the checks across items (a contract_id used twice, windows
        overlapping on a private key), whose memory grows with the batch; the server still
        refuses both. ``report``: a ``BulkReport`` to fill, yours to read even when the job is
        cancelled (it then accounts for every item reached, and the cancellation propagates).
        ``shard``: run only that part of ``specs`` (the others' items are left out of the
        report entirely; see the module's docstring), the same on every helper.
        """
        job = self._contract_job(check_batch)
        return await self._report(job, specs, concurrency, on_progress, journal, report, shard)

    def stream_create_contracts(
        self,
        specs: Source[NewContract],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
        check_batch: bool = True,
    ) -> AsyncIterator[ItemResult[NewContract, CreatedContract]]:
        """Like ``create_contracts``, but yields each item's result as it finishes."""
        job = self._contract_job(check_batch)
        return self._stream(job, specs, concurrency, on_progress, journal, shard)

    def _update_job(self) -> Job[tuple[str, ContractUpdate], None]:
        client = self._client

        def validate(item: tuple[str, ContractUpdate]) -> None:
            if not isinstance(item, tuple) or len(item) != 2:
                raise ValidationError("updates must hold (contract id, ContractUpdate) pairs")
            check_id("id", item[0])
            validate_contract_update(item[1])

        async def work(item: tuple[str, ContractUpdate]) -> None:
            await client.contracts.update(*item)

        return Job(validate=validate, work=work, key=lambda item: item[0], source="updates")

    async def update_contracts(
        self,
        updates: Source[tuple[str, ContractUpdate]],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
        report: BulkReport[tuple[str, ContractUpdate], None] | None = None,
    ) -> BulkReport[tuple[str, ContractUpdate], None]:
        """Apply ``(contract object id, ContractUpdate)`` pairs; report every item."""
        job = self._update_job()
        return await self._report(job, updates, concurrency, on_progress, journal, report, shard)

    def stream_update_contracts(
        self,
        updates: Source[tuple[str, ContractUpdate]],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
    ) -> AsyncIterator[ItemResult[tuple[str, ContractUpdate], None]]:
        """Like ``update_contracts``, but yields each item's result as it finishes."""
        job = self._update_job()
        return self._stream(job, updates, concurrency, on_progress, journal, shard)

    def _delete_job(self, cancellation: bool) -> Job[str, None]:
        check_bool("cancellation", cancellation)
        client = self._client

        def validate(contract_id: str) -> None:
            check_id("id", contract_id)

        async def work(contract_id: str) -> Settled[None] | None:
            try:
                await client.contracts.delete(contract_id, cancellation=cancellation)
            except NotFoundError:  # already gone (an earlier run, someone else): deleted
                return Settled(None, outcome=Outcome.SUCCEEDED)
            return None

        return Job(validate=validate, work=work, key=lambda contract_id: contract_id, source="ids")

    async def delete_contracts(
        self,
        ids: Source[str],
        *,
        cancellation: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
        report: BulkReport[str, None] | None = None,
    ) -> BulkReport[str, None]:
        """Delete contracts by object id (a contract already gone counts as deleted)."""
        job = self._delete_job(cancellation)
        return await self._report(job, ids, concurrency, on_progress, journal, report, shard)

    def stream_delete_contracts(
        self,
        ids: Source[str],
        *,
        cancellation: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
    ) -> AsyncIterator[ItemResult[str, None]]:
        """Like ``delete_contracts``, but yields each item's result as it finishes."""
        job = self._delete_job(cancellation)
        return self._stream(job, ids, concurrency, on_progress, journal, shard)

    # -- keys ----------------------------------------------------------------------------------

    def _key_job(self) -> Job[NewKey, CreatedKey]:
        client = self._client
        seen: set[tuple[str, str]] = set()

        async def check(spec: NewKey) -> None:
            await client.devices.require_v1(spec.device_id)
            if (spec.device_id, spec.key_id) in seen:
                raise ValidationError(f"key {spec.key_id} appears more than once in this batch")
            seen.add((spec.device_id, spec.key_id))

        return Job(
            validate=validate_new_key,
            check=check,
            work=client.keys.exactly_once,
            key=lambda spec: f"{spec.device_id}/{spec.key_id}",
            from_journal=lambda _: CreatedKey(),
        )

    async def create_keys(
        self,
        specs: Source[NewKey],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
        report: BulkReport[NewKey, CreatedKey] | None = None,
    ) -> BulkReport[NewKey, CreatedKey]:
        """Add every key of ``specs``, each exactly once; report every item."""
        job = self._key_job()
        return await self._report(job, specs, concurrency, on_progress, journal, report, shard)

    def stream_create_keys(
        self,
        specs: Source[NewKey],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressHook | None = None,
        journal: JournalTarget | None = None,
        shard: Shard | str | None = None,
    ) -> AsyncIterator[ItemResult[NewKey, CreatedKey]]:
        """Like ``create_keys``, but yields each item's result as it finishes."""
        job = self._key_job()
        return self._stream(job, specs, concurrency, on_progress, journal, shard)


def _owned_by(job: Job[S, R], shard: Shard) -> Callable[[S], bool]:
    """Whether an item is ``shard``'s: by the hash of its journal key, as the CLI splits a file.
    An item whose key cannot be read (it fails its own checks) is shard 1's, reported once."""

    def owns(spec: S) -> bool:
        try:
            job.validate(spec)
        except LivionKeyError:
            return shard.index == 1
        return shard.owns(job.key(spec))

    return owns


def _call_hook(hook: ProgressHook, progress: BulkProgress) -> None:
    """A progress hook that raises is the caller's bug: log it, never let it stop the job."""
    try:
        hook(progress)
    except Exception:
        log.exception("the on_progress hook raised; ignoring it")
