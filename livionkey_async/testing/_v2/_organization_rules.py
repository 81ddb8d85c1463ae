"""The ``/groups``, ``/organizationUnits`` and ``/serviceAccounts`` routes.

What is assumed (group members, ``type`` 0, new service accounts' keys): ``_assumptions``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._wire import JSONObj
from ._assumptions import Assumed
from ._input import Reader, V2SimError, not_found, page_of
from ._keys import new_private_key_pem
from ._records import SimGroup, SimOrganizationUnit
from ._state import V2State

__all__ = ["OrganizationRules"]

_IloqUserFields = ("username", "password", "customerCode", "serviceAddress")


class OrganizationRules:
    def __init__(self, state: V2State) -> None:
        self.state = state

    # -- groups --------------------------------------------------------------------------------

    def _group_wire(self, group: SimGroup) -> JSONObj:
        members = [
            {"id": a.id, "name": a.name}
            for a in self.state.automats.values()
            if group.id in a.groups
        ]
        return {
            "id": group.id,
            "name": group.name,
            "customerId": group.customer_id,
            "type": group.type,
            "members": members,
        }

    def list_groups(self, query: Mapping[str, str]) -> JSONObj:
        customer, search = query.get("customerId"), query.get("search", "").lower()
        groups = [
            self._group_wire(g)
            for g in self.state.groups.values()
            if (customer is None or g.customer_id == customer) and search in g.name.lower()
        ]
        return page_of(groups, query)

    def get_group(self, group_id: str) -> JSONObj:
        return self._group_wire(self.state.group(group_id))

    def create_group(self, body: object) -> JSONObj:
        reader = Reader(body)
        name = reader.string("name", required=True)
        customer = reader.string("customerId", required=True)
        kind = reader.integer("type", required=True, minimum=1)
        if kind is not None and kind not in (1, 2):
            reader.problems.append("type must be one of the following values: 1, 2")
        reader.done()
        assert name is not None
        assert kind is not None
        group = SimGroup(self.state.object_id(), name, customer, kind)
        self.state.groups[group.id] = group
        return self._group_wire(group)

    def update_group(self, group_id: str, body: object) -> JSONObj:
        group = self.state.group(group_id)
        reader = Reader(body)
        name, customer = reader.string("name"), reader.string("customerId")
        reader.done()
        group.name = name or group.name
        group.customer_id = customer or group.customer_id
        return self._group_wire(group)

    def delete_group(self, group_id: str) -> None:
        self.state.group(group_id)
        del self.state.groups[group_id]
        for automat in self.state.automats.values():
            if group_id in automat.groups:
                automat.groups.remove(group_id)

    # -- organization units --------------------------------------------------------------------

    def create_unit(self, body: object) -> JSONObj:
        state = self.state
        reader = Reader(body)
        name = reader.string("name", required=True)
        customer = reader.string("customerId", required=True)
        kind = reader.integer("type")
        if kind is not None and not 0 <= kind <= 6:
            reader.problems.append("type must be one of the following values: 0 to 6")
        parent_id = reader.string("parentId")
        user = reader.object("iloqApiUser")
        iloq_user = None
        if user is not None:
            iloq_user = {field: user.string(field, required=True) for field in _IloqUserFields}
        reader.done()
        assert name is not None
        if kind == 0:
            raise V2SimError(403, Assumed.ORGANIZATION_FORBIDDEN)
        if parent_id is not None:
            state.unit(parent_id)
        unit = SimOrganizationUnit(
            id=state.object_id(),
            name=name,
            customer_id=customer,
            type=1 if kind is None else kind,
            parent_id=parent_id,
            iloq_api_user=dict(iloq_user) if iloq_user is not None else None,
        )
        state.units[unit.id] = unit
        return unit.to_wire()

    # -- service accounts ----------------------------------------------------------------------

    def create_account(self, body: object) -> JSONObj:
        state = self.state
        reader = Reader(body)
        unit_id = reader.string("organizationUnitId", required=True)
        name = reader.string("name", required=True)
        reader.done()
        assert unit_id is not None
        assert name is not None
        state.unit(unit_id)
        private_key = new_private_key_pem()
        account = state.add_account(name, unit_id, private_key, state.uuid())
        return {
            "id": account.id,
            "name": account.name,
            "role": account.role,
            "privateKey": private_key,
            "organizationUnitId": account.organization_unit_id,
        }

    def delete_account(self, account_id: str) -> None:
        if self.state.accounts.pop(account_id, None) is None:
            raise not_found("Service account")
