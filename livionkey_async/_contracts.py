"""``client.contracts``: create, read, change and cancel key contracts, and list them across
the whole account."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from datetime import datetime

import attrs

from ._arguments import as_ids, check_aware, check_bool, check_concurrency, check_id
from ._bounded_map import bounded_iter
from ._convert import structure, unstructure
from ._devices import Devices, segment
from ._errors import DuplicateContractError, NotFoundError, ResponseFormatError, ValidationError
from ._exactly_once import ExactlyOnce, contract_matches
from ._models import Contract, ContractUpdate, CreatedContract, KeyRef, NewContract
from ._transport import Call, Transport
from ._validation import validate_contract_update, validate_new_contract

__all__ = ["Contracts", "created_from", "gone"]

# The plain-text answers of POST /contracts/:id (`Contract updated`) and DELETE
# (`Contract deleted successfully`).
_UPDATED = ("updated",)
_DELETED = ("deleted",)

# How many devices `list`, `iterate` and `find` ask at once when they search a whole account.
DEFAULT_FAN_OUT = 8


class Contracts:
    """The ``/contracts`` endpoints, plus the account-wide ``list``/``iterate`` and ``find`` by
    the caller's own ``contract_id``."""

    def __init__(
        self,
        transport: Transport,
        devices: Devices,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._transport = transport
        self._devices = devices
        # The one exactly-once creator, shared by `create` and the bulk helpers.
        self.exactly_once: ExactlyOnce[NewContract, CreatedContract, Contract] = ExactlyOnce(
            create=self._post,
            lookup=self._find_spec,
            matches=contract_matches,
            result_of=created_from,
            duplicate=DuplicateContractError,
            name=lambda spec: f"contract {spec.contract_id!r}",
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"<Contracts of {self._transport.base_url}>"

    async def _require_v1(self, keys: Iterable[KeyRef]) -> None:
        for device_id in dict.fromkeys(ref.device_id for ref in keys):
            await self._devices.require_v1(device_id)

    async def create(self, contract: NewContract, *, reconcile: bool = True) -> CreatedContract:
        """Create a contract exactly once; answers its object id and pincode.

        Checked locally first (``ValidationError``). Never resent blindly: when the outcome is
        unknown (a dropped connection, a timeout, a 5xx), the contract is looked up by its
        ``contract_id`` on its devices; found and matching, it is returned with
        ``reconciled=True``, not found, it is sent again. ``ContractId already in use`` for a
        contract matching this spec is the same success (a retried booking); for a different one
        a ``DuplicateContractError``. ``AmbiguousOutcomeError`` remains only when no look-up
        could settle it. ``reconcile=False`` sends it once and leaves any ambiguity to you.
        """
        validate_new_contract(contract)
        check_bool("reconcile", reconcile)
        await self._require_v1(contract.keys)
        if not reconcile:
            return await self._post(contract)
        return await self.exactly_once.create(contract)

    async def _post(self, contract: NewContract) -> CreatedContract:
        """One ``POST /contracts``, never resent once it may have reached the server."""
        data = await self._transport.request(
            Call("POST", "contracts", json=unstructure(contract), idempotent=False)
        )
        return structure(data, CreatedContract)

    async def _find_spec(self, contract: NewContract) -> Contract | None:
        devices = [ref.device_id for ref in contract.keys]
        return await self.find(contract.contract_id, device_ids=devices)

    async def get(self, id: str) -> Contract:
        """One contract by its object id (the ``id`` that ``create`` answered)."""
        check_id("id", id)
        data = await self._transport.request(Call("GET", f"contracts/{segment(id)}"))
        contract = structure(data, Contract)
        # Livion's answer may leave the object id out: it is the one in the path.
        return contract if contract.id is not None else attrs.evolve(contract, id=id)

    async def update(self, id: str, update: ContractUpdate) -> None:
        """Change a contract. The fields set in ``update`` replace the server's values."""
        check_id("id", id)
        validate_contract_update(update)
        await self._require_v1(update.keys)
        await self._transport.request(
            Call("POST", f"contracts/{segment(id)}", json=unstructure(update), ack=_UPDATED)
        )

    async def set_pincode(self, id: str, keys: Iterable[KeyRef], pincode: str | None = None) -> str:
        """Give a contract ``pincode``, or a new generated one when ``None``; answers it."""
        check_id("id", id)
        update = ContractUpdate(keys=keys, pincode=pincode)  # `keys` checked as the update's
        if pincode is not None:
            await self.update(id, update)
            return pincode
        validate_contract_update(update)
        await self._require_v1(update.keys)
        body = {"devices": unstructure(update.keys)}
        data = await self._transport.request(
            Call("POST", f"contracts/{segment(id)}/pincode", json=body)
        )
        if not isinstance(data, dict) or not isinstance(data.get("pincode"), str | int):
            raise ResponseFormatError("the pincode answer carried no pincode")
        return str(data["pincode"])

    async def delete(self, id: str, *, cancellation: bool = False) -> None:
        """Delete a contract; ``cancellation=True`` has Livion notify the person.

        Livion answers ``Delete contract failed`` whatever stopped it, so that answer is settled
        by a look-up: gone after an attempt whose outcome was unknown is a success, gone
        otherwise a ``NotFoundError``, still there a ``DeleteFailedError``.
        """
        check_id("id", id)
        check_bool("cancellation", cancellation)
        params = {"cancellation": "true"} if cancellation else None
        await self._transport.request(
            Call(
                "DELETE",
                f"contracts/{segment(id)}",
                params=params,
                gone_is_done=True,
                is_gone=lambda: gone(self.get(id)),
                ack=_DELETED,
            )
        )

    async def list(
        self,
        *,
        device_ids: Iterable[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        concurrency: int = DEFAULT_FAN_OUT,
    ) -> builtins.list[Contract]:
        """Every contract of the account (or of the given devices), each once.

        ``start``/``end``: only contracts valid at some time within ``[start, end)`` (either
        bound may be left out; a permanent contract has no end). LivionKey lists contracts per
        device only: this asks every device of the account, ``concurrency`` at once, through
        the client's pacer.
        """
        return [
            contract
            async for contract in self.iterate(
                device_ids=device_ids, start=start, end=end, concurrency=concurrency
            )
        ]

    async def iterate(
        self,
        *,
        device_ids: Iterable[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        concurrency: int = DEFAULT_FAN_OUT,
    ) -> AsyncGenerator[Contract, None]:
        """Like ``list``, yielding device by device (in the account's order) as answers come;
        leaving early stops the devices still being asked."""
        window = _window(start, end)
        check_concurrency(concurrency)
        wanted = await self._device_ids(device_ids)
        seen: set[str] = set()
        async with contextlib.aclosing(
            bounded_iter(self._devices.contracts, wanted, concurrency)
        ) as answers:
            async for contracts in answers:
                for contract in contracts:
                    # A contract on keys of several devices is listed by each of them.
                    ref = contract.id or f"contract_id:{contract.contract_id}"
                    if ref in seen or not window.holds(contract):
                        continue
                    seen.add(ref)
                    yield contract

    async def find(
        self, contract_id: str, *, device_ids: Iterable[str] | None = None
    ) -> Contract | None:
        """The contract whose ``contract_id`` (your own reference) is this, or ``None``.

        There is no endpoint for it: it searches ``iterate`` (the given ``device_ids``, or else
        every device of the account) and stops at the first device that has it.
        """
        check_id("contract_id", contract_id)
        async with contextlib.aclosing(self.iterate(device_ids=device_ids)) as contracts:
            async for contract in contracts:
                if contract.contract_id == contract_id:
                    return contract
        return None

    async def _device_ids(self, device_ids: Iterable[str] | None) -> builtins.list[str]:
        if device_ids is None:
            return [device.device_id for device in await self._devices.list()]
        wanted = builtins.list(dict.fromkeys(as_ids("device_ids", device_ids)))
        if not wanted:
            raise ValidationError("device_ids must name at least one device")
        return wanted


@attrs.frozen
class _Window:
    """``[start, end)``; either bound may be open."""

    start: datetime | None
    end: datetime | None

    def holds(self, contract: Contract) -> bool:
        """Whether the contract is valid at some time within the window."""
        if self.end is not None and contract.start is not None and contract.start >= self.end:
            return False
        if self.start is not None and contract.end is not None and not contract.perm:
            return contract.end > self.start
        return True


def _window(start: datetime | None, end: datetime | None) -> _Window:
    check_aware("start", start)
    check_aware("end", end)
    if start is not None and end is not None and end <= start:
        raise ValidationError("end must be after start")
    return _Window(start, end)


def created_from(found: Contract) -> CreatedContract:
    """What a create would have answered, from the contract a look-up found."""
    if found.id is None:
        raise ResponseFormatError(f"contract {found.contract_id!r} was listed without its id")
    return CreatedContract(id=found.id, pincode=found.pincode, reconciled=True)


async def gone(lookup: Awaitable[object]) -> bool:
    """Whether ``lookup`` finds nothing (``NotFoundError``); other failures propagate."""
    try:
        await lookup
    except NotFoundError:
        return True
    return False
