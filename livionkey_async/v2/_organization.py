"""``client.groups``, ``client.organization_units`` and ``client.service_accounts``: how an
organization is laid out and who may call the API for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .._arguments import check_text
from .._transport import Call
from ._assumptions import MAX_PAGE_LIMIT
from ._convert import unstructure
from ._models import (
    Group,
    GroupUpdate,
    NewGroup,
    NewOrganizationUnit,
    NewServiceAccount,
    OrganizationUnit,
    Page,
    ServiceAccount,
)
from ._resource import Api, Params, segment
from ._validation import (
    check_id,
    validate_group_update,
    validate_new_group,
    validate_new_organization_unit,
    validate_new_service_account,
)

__all__ = ["Groups", "OrganizationUnits", "ServiceAccounts"]


class Groups:
    """The ``/groups`` endpoints: groups of automats (a handover picks one of them) or keys."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def __repr__(self) -> str:
        return f"<Groups of {self._api.transport.base_url}>"

    async def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        customer_id: str | None = None,
        search: str | None = None,
    ) -> Page[Group]:
        params = _group_filters(customer_id, search)
        return await self._api.page("groups", Group, after=after, limit=limit, params=params)

    def iterate(
        self,
        *,
        customer_id: str | None = None,
        search: str | None = None,
        page_size: int = MAX_PAGE_LIMIT,
    ) -> AsyncIterator[Group]:
        params = _group_filters(customer_id, search)
        return self._api.iterate("groups", Group, page_size=page_size, params=params)

    async def get(self, id: str) -> Group:
        check_id("id", id)
        return await self._api.get(f"groups/{segment(id)}", Group)

    async def create(self, group: NewGroup) -> Group:
        validate_new_group(group)
        return await self._api.read(
            Call("POST", "groups", json=unstructure(group), idempotent=False),
            Group,
        )

    async def update(self, id: str, update: GroupUpdate) -> Group:
        check_id("id", id)
        validate_group_update(update)
        return await self._api.read(
            Call("PATCH", f"groups/{segment(id)}", json=unstructure(update)),
            Group,
        )

    async def delete(self, id: str) -> None:
        check_id("id", id)
        await self._api.delete(f"groups/{segment(id)}")


def _group_filters(customer_id: str | None, search: str | None) -> Params:
    check_text("customer_id", customer_id)
    check_text("search", search)
    return {"customerId": customer_id, "search": search}


class OrganizationUnits:
    """``POST /organizationUnits``: a new unit, with its iLOQ API user for a LivionKey20 site."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def __repr__(self) -> str:
        return f"<OrganizationUnits of {self._api.transport.base_url}>"

    async def create(self, unit: NewOrganizationUnit) -> OrganizationUnit:
        validate_new_organization_unit(unit)
        return await self._api.read(
            Call(
                "POST",
                "organizationUnits",
                json=unstructure(unit),
                idempotent=False,
                secrets=() if unit.iloq_api_user is None else (unit.iloq_api_user.password,),
            ),
            OrganizationUnit,
        )


class ServiceAccounts:
    """The ``/serviceAccounts`` endpoints."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def __repr__(self) -> str:
        return f"<ServiceAccounts of {self._api.transport.base_url}>"

    async def create(self, account: NewServiceAccount) -> ServiceAccount:
        """A new service account; its ``private_key`` is in this answer only: store it now."""
        validate_new_service_account(account)
        return await self._api.read(
            Call("POST", "serviceAccounts", json=unstructure(account), idempotent=False),
            ServiceAccount,
        )

    async def delete(self, id: str) -> None:
        check_id("id", id)
        await self._api.delete(f"serviceAccounts/{segment(id)}")
