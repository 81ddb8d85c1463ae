"""The ``/contracts`` routes: create, read, change, re-pin and delete contracts, with their rules.

The rules of the wire contract: contracts on one private key do not overlap, ``start < end``,
``start`` in the future, ``contractId`` unique, pincode unique among live contracts.

Answers in Livion's words: an empty body is ``Missing contract parameters``, a device entry
without ``id`` or ``keyId`` is ``Missing deviceId``/``Missing keyId from parameters``, no devices
``No devices``; ``POST /contracts/{id}`` answers ``Contract updated``, ``DELETE`` answers
``Contract deleted successfully`` (and ``Delete contract failed`` for a contract that is not
there); ``GET /contracts/{id}`` leaves the object id out, as Livion's example does. A contract
created without ``perm`` or ``freeText`` shows them as ``null``; ``recurrent`` is ``[]`` unless
schedules were given.

What the references leave open is assumed in ``_assumptions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ._assumptions import Assumed
from ._config import SimConfig, SimStats
from ._messages import Ack, Msg, SimError
from ._parse import (
    opt_bool,
    opt_str,
    parse_body,
    parse_contacts,
    parse_date,
    parse_pincode,
    parse_recurrent,
    require,
    require_str,
    truthy,
)
from ._records import ContractDevice, SimContract
from ._store import SimStore
from ._vocabulary import CONTRACT_TYPES
from ._wire import JSONObj, Text

__all__ = ["ContractRules"]


class ContractRules:
    """Answers the ``/contracts`` routes from the store."""

    def __init__(self, store: SimStore, config: SimConfig, stats: SimStats) -> None:
        self._store = store
        self._config = config
        self._stats = stats

    # ------------------------------------------------------------------ reading the body

    def _parse_devices(self, account: str, value: object) -> list[ContractDevice]:
        if value is None or value == []:
            raise SimError(400, Msg.NO_DEVICES)
        if not isinstance(value, list):
            raise SimError(400, Assumed.malformed("devices"))
        refs: list[ContractDevice] = []
        for item in value:
            if not isinstance(item, dict):
                raise SimError(400, Assumed.malformed("devices"))
            device_id = require_str(item, "id", Msg.missing("deviceId"))
            key_id = require_str(item, "keyId")
            device = self._store.device(account, device_id)
            self._store.key(device, key_id, Msg.KEY_ID_NOT_FOUND)
            refs.append(ContractDevice(device.device_id, key_id, device.product))
        return refs

    # ------------------------------------------------------------------ the rules

    def _pincode_taken(
        self, account: str, pincode: str, now: float, skip: SimContract | None
    ) -> bool:
        holders = self._store.pincode_holders(account, pincode)
        return any(c is not skip and c.live(now) for c in holders)

    def _pick_pincode(
        self, account: str, now: float, wanted: str | None, skip: SimContract | None
    ) -> str:
        if wanted is not None:
            if self._pincode_taken(account, wanted, now, skip):
                raise SimError(400, Msg.PINCODE_USED)
            return wanted
        while True:
            pincode = f"{self._store.rng.randrange(10**6):06d}"
            if not self._pincode_taken(account, pincode, now, skip):
                return pincode

    def _check_overlap(
        self,
        refs: Iterable[ContractDevice],
        start: float,
        end: float | None,
        skip: SimContract | None,
    ) -> None:
        for ref in refs:
            key = self._store.devices[ref.device_id].keys[ref.key_id]
            if key.shared:
                continue
            for other in self._store.key_contracts(key):
                if other is not skip and other.overlaps(start, end):
                    raise SimError(400, Msg.OVERLAP)

    def _tag(self, refs: Sequence[ContractDevice]) -> list[str]:
        return list(dict.fromkeys(self._store.devices[r.device_id].tag for r in refs))

    # ------------------------------------------------------------------ the routes

    def create_contract(self, account: str, body: object) -> JSONObj:
        """``POST /contracts``: answer ``{id, pincode}`` or the documented refusal."""
        fields = parse_body(body, Msg.MISSING_CONTRACT_PARAMETERS)
        contract_id = require_str(fields, "contractId")
        devices_value = fields.get("devices")
        start_value = require(fields, "start")
        person = require_str(fields, "person")
        contacts_value = require(fields, "contacts")
        kind = fields.get("type") or "default"
        if kind not in CONTRACT_TYPES:
            raise SimError(400, Assumed.malformed("type"))
        perm = opt_bool(fields, "perm")
        end_value = None if perm else fields.get("end")
        if kind == "return" and not truthy(end_value):
            raise SimError(400, Msg.missing("end"))
        start = parse_date(start_value, "start")
        end = None if end_value is None else parse_date(end_value, "end")
        store = self._store
        now = store.clock()
        if end is not None and start >= end:
            raise SimError(400, Msg.START_BEFORE_END)
        if start <= now - self._config.start_grace:
            raise SimError(400, Msg.START_IN_FUTURE)
        contacts = parse_contacts(contacts_value)
        wanted_pincode = parse_pincode(fields.get("pincode"))
        free_text = opt_str(fields, "freeText")
        recurrent = parse_recurrent(fields.get("recurrent"))
        refs = self._parse_devices(account, devices_value)
        if store.contract_id_taken(account, contract_id):
            self._stats.duplicate_contract_ids_refused += 1
            raise SimError(400, Msg.CONTRACT_ID_IN_USE)
        self._check_overlap(refs, start, end, None)
        pincode = self._pick_pincode(account, now, wanted_pincode, None)
        contract = SimContract(
            object_id=store.object_id(now),
            contract_id=contract_id,
            account=account,
            devices=refs,
            pincode=pincode,
            start=start,
            end=end,
            perm=perm,
            person=person,
            contacts=contacts,
            free_text=free_text,
            tag=self._tag(refs),
            contract_type=str(kind),
            recurrent=recurrent,
            created_at=now,
            seq=store.next_seq(),
        )
        store.store(contract)
        self._stats.contracts += 1
        return {"id": contract.object_id, "pincode": contract.pincode}

    def get_contract(self, account: str, object_id: str) -> JSONObj:
        return self._store.contract(account, object_id).to_wire(with_id=False)

    def update_contract(self, account: str, object_id: str, body: object) -> Text:
        """``POST /contracts/{id}``: ``devices`` required, the rest optional."""
        fields = parse_body(body, Msg.MISSING_CONTRACT_PARAMETERS)
        store = self._store
        contract = store.contract(account, object_id)
        refs = self._parse_devices(account, fields.get("devices"))
        now = store.clock()
        start = contract.start
        if truthy(fields.get("start")):
            start = parse_date(fields["start"], "start")
        perm = contract.perm
        if fields.get("perm") is not None:
            perm = opt_bool(fields, "perm")
        end = contract.end
        if "end" in fields:
            end = None if fields["end"] is None else parse_date(fields["end"], "end")
        if perm:
            end = None
        if end is not None and start >= end:
            raise SimError(400, Msg.START_BEFORE_END)
        if start != contract.start and start <= now - self._config.start_grace:
            raise SimError(400, Msg.START_IN_FUTURE)
        person = opt_str(fields, "person") or contract.person
        contacts = contract.contacts
        if fields.get("contacts") is not None:
            contacts = parse_contacts(fields["contacts"])
        free_text = contract.free_text
        if "freeText" in fields:
            free_text = opt_str(fields, "freeText")
        recurrent = contract.recurrent
        if fields.get("recurrent") is not None:
            recurrent = parse_recurrent(fields["recurrent"])
        wanted_pincode = parse_pincode(fields.get("pincode"))
        self._check_overlap(refs, start, end, contract)
        pincode = contract.pincode
        if wanted_pincode is not None and wanted_pincode != contract.pincode:
            pincode = self._pick_pincode(account, now, wanted_pincode, contract)
        store.unindex(contract)
        contract.devices = refs
        contract.start, contract.end, contract.perm = start, end, perm
        contract.person, contract.contacts, contract.free_text = person, contacts, free_text
        contract.pincode = pincode
        contract.recurrent = recurrent
        contract.tag = self._tag(refs)
        store.index(contract)
        store.changed(contract)
        return Text(Ack.CONTRACT_UPDATED)

    def regenerate_pincode(self, account: str, object_id: str, body: object) -> JSONObj:
        fields = parse_body(body, Msg.NO_DEVICES)
        store = self._store
        contract = store.contract(account, object_id)
        if not truthy(fields.get("devices")):
            raise SimError(400, Msg.NO_DEVICES)
        pincode = self._pick_pincode(account, store.clock(), None, contract)
        store.unindex(contract)
        contract.pincode = pincode
        store.index(contract)
        store.changed(contract)
        return {"pincode": contract.pincode}

    def delete_contract(self, account: str, object_id: str) -> Text:
        store = self._store
        contract = store.contracts.get(object_id)
        if contract is None:
            raise SimError(400, Msg.DELETE_CONTRACT_FAILED)
        store.forget(store.contract(account, object_id))
        return Text(Ack.CONTRACT_DELETED)
