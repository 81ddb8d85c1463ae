"""Checks across the items of one bulk batch, before any of them is sent.

Two items of one batch must not use the same ``contract_id``, and two contracts on the same
private key must not overlap in time. The server would refuse the second of each pair anyway,
but which one loses would depend on which request lands first; checked here, the earlier item in
the input wins, every time, and the later one fails without costing a request.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Awaitable, Callable

from ._errors import ContractOverlapError, LivionKeyError, ValidationError
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
        self._windows: dict[KeyRef, list[tuple[float, float]]] = {}
        self._shared: dict[str, asyncio.Future[frozenset[str] | None]] = {}

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
            if _overlaps(self._windows.get(ref, []), start, end):
                raise ContractOverlapError(
                    f"contract {spec.contract_id!r} overlaps an earlier contract of this batch "
                    f"on private key {ref.key_id} of device {ref.device_id}"
                )
        self._contract_ids.add(spec.contract_id)
        for ref in private:
            bisect.insort(self._windows.setdefault(ref, []), (start, end))

    async def _is_shared(self, ref: KeyRef) -> bool:
        future = self._shared.get(ref.device_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._shared[ref.device_id] = future
            try:
                keys = await self._keys_of(ref.device_id)
                future.set_result(frozenset(k.key_id for k in keys if k.shared))
            except LivionKeyError:
                future.set_result(None)
        shared = await future
        # A device we could not list: treat its keys as shared, so nothing is refused here.
        return shared is None or ref.key_id in shared


def _overlaps(windows: list[tuple[float, float]], start: float, end: float) -> bool:
    """Whether [start, end) meets any window of the sorted, non-overlapping ``windows``."""
    i = bisect.bisect_left(windows, (start, start))
    neighbours = windows[max(0, i - 1) : i + 1]
    return any(s < end and start < e for s, e in neighbours)
