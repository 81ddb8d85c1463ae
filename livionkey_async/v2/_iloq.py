"""``client.iloq``: iLOQ access rights and iLOQ key contracts (the LivionKey20's keys).

An iLOQ key contract takes no reference of the caller's: the server names it. So a create that
may have reached the server is never sent again (``AmbiguousOutcomeError``);
``contracts.find_matching`` lists the contracts that match what was asked, which is the best the
API allows for settling it (the README says what a caller can and cannot rely on).
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator

from .._arguments import check_bool, check_text
from .._errors import ContractOverlapError, ValidationError
from .._transport import Call
from ._assumptions import CONTRACT_GROUPS, MAX_PAGE_LIMIT
from ._convert import unstructure
from ._errors import NoKeysAvailableError
from ._models import (
    IloqAccessRight,
    IloqContractUpdate,
    IloqKeyContract,
    NewIloqKeyContract,
    Page,
)
from ._reconcile import iloq_contract_matches
from ._resource import Api, Params, segment
from ._validation import check_id, validate_iloq_update, validate_new_iloq_contract

__all__ = ["Iloq", "IloqAccessRights", "IloqContracts"]


class IloqAccessRights:
    """``GET /iloq/accessRights``: what a key can be programmed to open."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def __repr__(self) -> str:
        return f"<IloqAccessRights of {self._api.transport.base_url}>"

    async def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        search: str | None = None,
        default_only: bool | None = None,
    ) -> Page[IloqAccessRight]:
        """One page of access rights; ``search`` by name; ``default_only``: only those iLOQ
        Manager shows by default."""
        params = _access_filters(search, default_only)
        return await self._api.page(
            "iloq/accessRights", IloqAccessRight, after=after, limit=limit, params=params
        )

    def iterate(
        self,
        *,
        search: str | None = None,
        default_only: bool | None = None,
        page_size: int = MAX_PAGE_LIMIT,
    ) -> AsyncIterator[IloqAccessRight]:
        params = _access_filters(search, default_only)
        return self._api.iterate(
            "iloq/accessRights", IloqAccessRight, page_size=page_size, params=params
        )


class IloqContracts:
    """The ``/iloq/keycontracts`` endpoints."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def __repr__(self) -> str:
        return f"<IloqContracts of {self._api.transport.base_url}>"

    async def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        ongoing: bool | None = None,
        ended: bool | None = None,
        future: bool | None = None,
    ) -> Page[IloqKeyContract]:
        """One page of contracts: every one, or only the ongoing, the ended or the future ones
        (one group per page; ``iterate`` merges several)."""
        groups = _groups(ongoing=ongoing, ended=ended, future=future)
        if groups is not None and len(groups) > 1:
            raise ValidationError(
                "list() asks for one group (ongoing, ended or future) per page: iterate() "
                "merges several"
            )
        params = {group: True for group in groups or ()}
        return await self._api.page(
            "iloq/keycontracts", IloqKeyContract, after=after, limit=limit, params=params
        )

    async def iterate(
        self,
        *,
        ongoing: bool | None = None,
        ended: bool | None = None,
        future: bool | None = None,
        page_size: int = MAX_PAGE_LIMIT,
    ) -> AsyncIterator[IloqKeyContract]:
        """Every contract, or those of the groups asked for: ``True`` asks for a group,
        ``False`` leaves it out. Several groups are listed one by one and merged by id (what
        two flags in one request mean is not documented: ``_assumptions``)."""
        groups = _groups(ongoing=ongoing, ended=ended, future=future)
        merging = groups is not None and len(groups) > 1
        seen: set[str] = set()
        for group in groups or (None,):
            params = {} if group is None else {group: True}
            listed = self._api.iterate(
                "iloq/keycontracts", IloqKeyContract, page_size=page_size, params=params
            )
            async for contract in listed:
                if merging and contract.id in seen:
                    continue
                if merging:
                    seen.add(contract.id)
                yield contract

    async def create(self, contract: NewIloqKeyContract) -> IloqKeyContract:
        """Create a contract; the answer holds the keys and their pincodes (``.pincodes``).

        ``NoKeysAvailableError`` when no automat has the keys for the whole time. Never resent
        once it may have reached the server: an unknown outcome is ``AmbiguousOutcomeError``.
        """
        validate_new_iloq_contract(contract)
        return await self._api.read(
            Call(
                "POST",
                "iloq/keycontracts",
                json={"input": unstructure(contract)},
                idempotent=False,
                secrets=contract.pincodes,
            ),
            IloqKeyContract,
            refine={409: NoKeysAvailableError},
        )

    async def get(self, id: str) -> IloqKeyContract:
        check_id("id", id)
        return await self._api.get(f"iloq/keycontracts/{segment(id)}", IloqKeyContract)

    async def update(self, id: str, update: IloqContractUpdate) -> IloqKeyContract:
        """Change the contact, start or end; ``ContractOverlapError`` when the keys are taken."""
        check_id("id", id)
        validate_iloq_update(update)
        return await self._api.read(
            Call("PATCH", f"iloq/keycontracts/{segment(id)}", json=unstructure(update)),
            IloqKeyContract,
            refine={409: ContractOverlapError},
        )

    async def find_matching(self, contract: NewIloqKeyContract) -> builtins.list[IloqKeyContract]:
        """The ongoing and future contracts that agree with everything ``contract`` asks for.

        The best the API allows for settling a create whose outcome is unknown (it keeps no
        reference of yours): none found means it did not land (once its request is over); one
        found may also be an identical contract made before or by someone else; the bulk
        helpers narrow that down for you (see ``client.bulk.create_iloq_contracts``).
        """
        validate_new_iloq_contract(contract)
        return [
            found
            async for found in self.iterate(ongoing=True, future=True)
            if iloq_contract_matches(found, contract)
        ]

    async def delete(self, id: str) -> None:
        """Cancel a contract. ``NotFoundError`` when there is none (unless an earlier attempt of
        this call may have deleted it: then it is done; the bulk helper counts both as
        cancelled). ``ContractInUseError`` while a key is out: a DEFAULT contract whose key was
        fetched and not returned, say."""
        check_id("id", id)
        await self._api.delete(f"iloq/keycontracts/{segment(id)}", in_use=True)


def _access_filters(search: str | None, default_only: bool | None) -> Params:
    check_text("search", search)
    check_bool("default_only", default_only, optional=True)
    return {"search": search, "returnDefaultAccessesOnly": default_only}


def _groups(
    *, ongoing: bool | None, ended: bool | None, future: bool | None
) -> tuple[str, ...] | None:
    """The groups asked for, in ``CONTRACT_GROUPS`` order; ``None``: every contract."""
    given = {"ongoing": ongoing, "ended": ended, "future": future}
    for name, flag in given.items():
        check_bool(name, flag, optional=True)
    asked = any(given.values())
    groups = tuple(
        group
        for group in CONTRACT_GROUPS
        if (given[group] is True if asked else given[group] is not False)
    )
    if not groups:
        raise ValidationError("ongoing, ended and future are all False: nothing to list")
    return None if len(groups) == len(CONTRACT_GROUPS) else groups


class Iloq:
    """``client.iloq``: ``.access_rights`` and ``.contracts``."""

    def __init__(self, api: Api) -> None:
        self.access_rights = IloqAccessRights(api)
        self.contracts = IloqContracts(api)

    def __repr__(self) -> str:
        return f"<Iloq {self.contracts!r}>"
