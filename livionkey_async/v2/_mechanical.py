"""``client.mechanical``: mechanical keys and their key contracts (LivionKey30, manual storage).

A mechanical key contract takes a caller-chosen ``id``: a create whose outcome is unknown is
never sent again, and ``contracts.find(id)`` settles it (the bulk helpers do, exactly once).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from .._arguments import check_bool, check_instance, check_text
from .._errors import DuplicateContractError, DuplicateKeyError, NotFoundError
from .._transport import Call
from ._assumptions import MAX_PAGE_LIMIT
from ._convert import unstructure
from ._models import (
    MechanicalContractUpdate,
    MechanicalKey,
    MechanicalKeyContract,
    MechanicalKeyUpdate,
    NewMechanicalKey,
    NewMechanicalKeyContract,
    Page,
    StorageKind,
)
from ._resource import Api, segment
from ._validation import (
    check_id,
    validate_mechanical_contract_update,
    validate_mechanical_key_update,
    validate_new_mechanical_contract,
    validate_new_mechanical_key,
)

__all__ = ["Mechanical", "MechanicalContracts", "MechanicalKeys"]


class MechanicalKeys:
    """The ``/mechanical/keys`` endpoints."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def __repr__(self) -> str:
        return f"<MechanicalKeys of {self._api.transport.base_url}>"

    async def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        search: str | None = None,
        selected_storage: StorageKind | None = None,
        automat_id: str | None = None,
        organization_unit_id: str | None = None,
    ) -> Page[MechanicalKey]:
        """One page of keys, filtered by keyword, kind of storage, automat or unit."""
        params = _key_filters(search, selected_storage, automat_id, organization_unit_id)
        return await self._api.page(
            "mechanical/keys", MechanicalKey, after=after, limit=limit, params=params
        )

    def iterate(
        self,
        *,
        search: str | None = None,
        selected_storage: StorageKind | None = None,
        automat_id: str | None = None,
        organization_unit_id: str | None = None,
        page_size: int = MAX_PAGE_LIMIT,
    ) -> AsyncIterator[MechanicalKey]:
        params = _key_filters(search, selected_storage, automat_id, organization_unit_id)
        return self._api.iterate(
            "mechanical/keys", MechanicalKey, page_size=page_size, params=params
        )

    async def get(self, id: str) -> MechanicalKey:
        check_id("id", id)
        return await self._api.get(f"mechanical/keys/{segment(id)}", MechanicalKey)

    async def create(self, key: NewMechanicalKey) -> MechanicalKey:
        """Create a key; ``DuplicateKeyError`` when its id is taken."""
        validate_new_mechanical_key(key)
        return await self._api.read(
            Call("POST", "mechanical/keys", json=unstructure(key), idempotent=False),
            MechanicalKey,
            refine={409: DuplicateKeyError},
        )

    async def update(self, id: str, update: MechanicalKeyUpdate) -> MechanicalKey:
        check_id("id", id)
        validate_mechanical_key_update(update)
        return await self._api.read(
            Call("PATCH", f"mechanical/keys/{segment(id)}", json=unstructure(update)),
            MechanicalKey,
        )

    async def delete(self, id: str, *, delete_active_contracts: bool = False) -> None:
        """Delete a key; ``delete_active_contracts`` deletes its active contracts with it."""
        check_id("id", id)
        check_bool("delete_active_contracts", delete_active_contracts)
        body = {"deleteActiveContracts": True} if delete_active_contracts else None
        await self._api.delete(f"mechanical/keys/{segment(id)}", json=body)


def _key_filters(
    search: str | None,
    selected_storage: StorageKind | None,
    automat_id: str | None,
    organization_unit_id: str | None,
) -> dict[str, str | None]:
    check_text("search", search)
    check_instance("selected_storage", selected_storage, StorageKind, optional=True)
    check_text("automat_id", automat_id)
    check_text("organization_unit_id", organization_unit_id)
    return {
        "search": search,
        "selectedStorage": None if selected_storage is None else str(int(selected_storage)),
        "automatId": automat_id,
        "organizationUnitId": organization_unit_id,
    }


class MechanicalContracts:
    """The ``/mechanical/keycontracts`` endpoints, plus ``find`` by your own ``id``."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def __repr__(self) -> str:
        return f"<MechanicalContracts of {self._api.transport.base_url}>"

    async def list(
        self, *, after: str | None = None, limit: int | None = None
    ) -> Page[MechanicalKeyContract]:
        return await self._api.page(
            "mechanical/keycontracts", MechanicalKeyContract, after=after, limit=limit
        )

    def iterate(self, *, page_size: int = MAX_PAGE_LIMIT) -> AsyncIterator[MechanicalKeyContract]:
        return self._api.iterate(
            "mechanical/keycontracts", MechanicalKeyContract, page_size=page_size
        )

    async def create(self, contract: NewMechanicalKeyContract) -> MechanicalKeyContract:
        """Create a contract; the answer holds each key's pincode (``.pincodes``).

        ``DuplicateContractError`` when your ``id`` is taken. Never resent once it may have
        reached the server: an unknown outcome is ``AmbiguousOutcomeError``, which ``find(id)``
        settles (the bulk helpers do it for you).
        """
        validate_new_mechanical_contract(contract)
        return await self._api.read(
            Call(
                "POST",
                "mechanical/keycontracts",
                json=unstructure(contract),
                idempotent=False,
                secrets=tuple(key.pincode for key in contract.keys if key.pincode is not None),
            ),
            MechanicalKeyContract,
            refine={409: DuplicateContractError},
        )

    async def get(self, id: str) -> MechanicalKeyContract:
        check_id("id", id)
        return await self._api.get(f"mechanical/keycontracts/{segment(id)}", MechanicalKeyContract)

    async def find(self, id: str) -> MechanicalKeyContract | None:
        """The contract with this ``id``, or ``None`` when there is none."""
        try:
            return await self.get(id)
        except NotFoundError:
            return None

    async def update(self, id: str, update: MechanicalContractUpdate) -> MechanicalKeyContract:
        check_id("id", id)
        validate_mechanical_contract_update(update)
        return await self._api.read(
            Call("PATCH", f"mechanical/keycontracts/{segment(id)}", json=unstructure(update)),
            MechanicalKeyContract,
        )

    async def delete(self, id: str) -> None:
        """Cancel a contract, as ``client.iloq.contracts.delete``: ``NotFoundError`` when there
        is none, ``ContractInUseError`` while a key is fetched and not returned."""
        check_id("id", id)
        await self._api.delete(f"mechanical/keycontracts/{segment(id)}", in_use=True)


class Mechanical:
    """``client.mechanical``: ``.keys`` and ``.contracts``."""

    def __init__(self, api: Api) -> None:
        self.keys = MechanicalKeys(api)
        self.contracts = MechanicalContracts(api)

    def __repr__(self) -> str:
        return f"<Mechanical {self.contracts!r}>"
