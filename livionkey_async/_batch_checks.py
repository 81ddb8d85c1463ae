"""Checks across the items of one bulk batch, before any of them is sent.

Two items of one batch must not use the same ``contract_id``, and two contracts on the same
private key must not overlap in time. The server would refuse the second of each pair anyway,
but which one loses would depend on which request lands first; checked here, the earlier item in
the input wins, every time, and the later one fails without costing a request.

What it remembers grows with the batch (the contract ids, and 16 bytes per window): a stream of
millions of items can turn it off (``check_batch=False``) and leave both checks to the server.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Awaitable, Callable

from ._errors import ContractOverlapError, LivionKeyError, LoginError, ValidationError
from ._models import Key, KeyRef, NewContract

__all__ = ["ContractBatchGuard"]


class ContractBatchGuard:
    """Remembers the contract ids and key windows claimed so far in one batch.

    ``keys_of(device_id)`` lists a device's keys: it tells shared keys (which may overlap) from
    private ones. It is asked once per device; a device it cannot list is not checked here.
    """

    def __init__(self, keys_of: Callable[[str], Awaitable[list[Key]]]) -> None:
        self._keys_of = keys_of
        self._contract_ids: set[str] = set()
        self._windows: dict[KeyRef, _Windows] = {}
        self._shared: dict[str, frozenset[str] | None] = {}  # per device; None: unknown

    async def check(self, spec: NewContract) -> None:
        """Raise when ``spec`` clashes with an earlier item; otherwise claim what it uses."""
        if spec.contract_id in self._contract_ids:
            raise ValidationError(
                f"contract_id {spec.contract_id!r} appears more than once in this batch"
            )
        start = spec.start.timestamp()
        end = spec.end.timestamp() if spec.end is not None else float("inf")
        private = [ref for ref in spec.keys if not await self._is_shared(ref)]
        for ref in private:
            windows = self._windows.get(ref)
            if windows is not None and windows.overlaps(start, end):
                raise ContractOverlapError(
                    f"contract {spec.contract_id!r} overlaps an earlier contract of this batch "
                    f"on private key {ref.key_id} of device {ref.device_id}"
                )
        self._contract_ids.add(spec.contract_id)
        for ref in private:
            self._windows.setdefault(ref, _Windows()).add(start, end)

    async def _is_shared(self, ref: KeyRef) -> bool:
        # Items are checked one at a time, in input order: a plain cache will do.
        if ref.device_id not in self._shared:
            try:
                keys = await self._keys_of(ref.device_id)
                self._shared[ref.device_id] = frozenset(k.key_id for k in keys if k.shared)
            except LoginError:
                raise  # nothing more can be sent: the job stops on it
            except LivionKeyError:
                self._shared[ref.device_id] = None
        shared = self._shared[ref.device_id]
        # A device we could not list: treat its keys as shared, so nothing is refused here.
        return shared is None or ref.key_id in shared


class _Windows:
    """The sorted, non-overlapping time windows claimed on one key, 16 bytes each."""

    __slots__ = ("_ends", "_starts")

    def __init__(self) -> None:
        self._starts = array("d")
        self._ends = array("d")

    def overlaps(self, start: float, end: float) -> bool:
        """Whether [start, end) meets a window (only the two neighbours of ``start`` can)."""
        i = bisect.bisect_left(self._starts, start)
        before = i > 0 and self._ends[i - 1] > start
        after = i < len(self._starts) and self._starts[i] < end
        return before or after

    def add(self, start: float, end: float) -> None:
        i = bisect.bisect_left(self._starts, start)
        self._starts.insert(i, start)
        self._ends.insert(i, end)
