"""The ``/automats`` routes: list, read, change, install, uninstall, replace, send a pincode.

What is assumed (installing, waiting for the installer, ``replace``, ``sendPincode``'s
answers): ``_assumptions``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._wire import JSONObj
from ._assumptions import Assumed
from ._handover import fetch_by_pincode
from ._input import Reader, V2SimError, page_of
from ._records import SimAutomat, SimLocker
from ._state import LOCKERS, V2State

__all__ = ["AutomatRules"]

PRODUCTS = tuple(LOCKERS)


class AutomatRules:
    def __init__(self, state: V2State) -> None:
        self.state = state

    def list_automats(self, query: Mapping[str, str]) -> JSONObj:
        state = self.state
        state.settle_installs()
        wires = [state.automat_wire(a) for a in state.automats.values()]
        return page_of(wires, query)

    def get(self, automat_id: str) -> JSONObj:
        return self.state.automat_wire(self.state.automat(automat_id))

    def update(self, automat_id: str, body: object) -> JSONObj:
        state = self.state
        automat = state.automat(automat_id)
        reader = Reader(body)
        name, label = reader.string("name"), reader.string("label")
        timezone, groups = reader.string("timezone"), reader.strings("groups")
        location = reader.object("location")
        address = postal_code = postal_office = None
        if location is not None:
            address = location.string("address")
            postal_code = location.string("postalCode")
            postal_office = location.string("postalOffice")
        reader.done()
        for group_id in groups or ():
            state.group(group_id)
        automat.name = name or automat.name
        automat.label = label if label is not None else automat.label
        automat.timezone = timezone or automat.timezone
        if groups is not None:
            automat.groups = list(dict.fromkeys(groups))
        automat.address = address or automat.address
        automat.postal_code = postal_code or automat.postal_code
        automat.postal_office = postal_office or automat.postal_office
        return state.automat_wire(automat)

    def install(self, account_unit: str, body: object) -> JSONObj:
        state = self.state
        reader = Reader(body)
        fields = {
            name: reader.string(name, required=True)
            for name in ("name", "address", "postalCode", "postalOffice", "timezone")
        }
        product = reader.string("product", required=True)
        if product is not None and product not in PRODUCTS:
            reader.problems.append(f"product must be one of the following values: {PRODUCTS}")
        unit_id = reader.string("organizationUnitId") or account_unit
        label, group_id = reader.string("label"), reader.string("groupId")
        reader.done()
        assert product is not None
        unit = state.unit(unit_id)
        if group_id is not None:
            state.group(group_id)
        if product == "key20" and unit.iloq_api_user is None:
            raise V2SimError(400, Assumed.NO_ILOQ_USER)
        automat = SimAutomat(
            id=state.automat_id(),
            name=str(fields["name"]),
            product=product,
            organization_unit_id=unit.id,
            address=fields["address"],
            postal_code=fields["postalCode"],
            postal_office=fields["postalOffice"],
            timezone=fields["timezone"],
            label=label,
            groups=[group_id] if group_id else [],
            installation_pincode=f"{state.rng.randrange(10**6):06d}",
            lifecycle_state="waitingForInstall",
            lockers=[SimLocker(i) for i in range(LOCKERS[product])],
            active_at=state.now() + state.config.install_delay,
        )
        state.automats[automat.id] = automat
        return state.automat_wire(automat)

    def uninstall(self, automat_id: str) -> None:
        automat = self.state.automat(automat_id)
        automat.lifecycle_state = "deactivated"
        automat.active_at = None

    def replace(self, automat_id: str) -> JSONObj:
        state = self.state
        automat = state.automat(automat_id)
        automat.hw_id = f"hw-{state.rng.getrandbits(32):08x}"
        return state.automat_wire(automat)

    def send_pincode(self, automat_id: str, body: object) -> JSONObj:
        automat = self.state.automat(automat_id)
        reader = Reader(body)
        pincode = reader.string("pincode", required=True)
        reader.boolean("proximityCheck")
        reader.done()
        assert pincode is not None
        if automat.lifecycle_state != "active":
            return {"success": False, "reason": Assumed.NOT_ACTIVE}
        if fetch_by_pincode(self.state, automat.id, pincode) is None:
            return {"success": False, "reason": Assumed.PINCODE_NOT_FOUND}
        return {"success": True, "reason": None}

    def cancel_send_pincode(self, automat_id: str, body: object) -> None:
        """Nothing to cancel in the simulator (no proximity check waits): checked, then done."""
        self.state.automat(automat_id)
        reader = Reader(body)
        reader.string("pincode", required=True)
        reader.done()
