"""``client.keypad``: the LivionKeyPad API (access rights and unlocking), beside the V1 one.

A LivionKeyPad has no keys and no lockers: it opens one lock for whoever types a pincode. Livion
documents it in a separate reference (``apidoc-livionkeypad``) that shares the base URL and the
login, so it rides on the same client, pacer and token. An access right is a keypad's contract:
created once by your own ``access_right_id``, listed per keypad. Operations on a device known
not to be a keypad are refused locally with ``UnsupportedDeviceError``.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable

import attrs

from ._arguments import as_ids, check_bool, check_id
from ._bounded_map import bounded_map
from ._contracts import gone
from ._convert import structure, unstructure
from ._devices import COMMAND_SENT, Devices, segment
from ._errors import NotFoundError, ResponseFormatError
from ._models import AccessRight, AccessRightUpdate, CreatedAccessRight, NewAccessRight
from ._transport import Call, Transport
from ._validation import (
    check_device_ids,
    validate_access_right_update,
    validate_new_access_right,
)

__all__ = ["KEYPAD_KEY", "Keypad"]

# The reference: a keypad's pincode regeneration names the device's one key `keyPadKey`.
KEYPAD_KEY = "keyPadKey"
# The plain-text answers of POST /accessrights/:id and DELETE /accessrights/:id.
_UPDATED = ("updated",)
_DELETED = ("deleted",)
# How many keypads `list` and `find` ask at once when they search a whole account.
_FAN_OUT = 8


class Keypad:
    """The ``/accessrights`` endpoints and the keypad's ``/devices/{id}/...`` ones."""

    def __init__(self, transport: Transport, devices: Devices) -> None:
        self._transport = transport
        self._devices = devices

    def __repr__(self) -> str:
        return f"<Keypad of {self._transport.base_url}>"

    async def _require_keypads(self, device_ids: Iterable[str]) -> None:
        for device_id in dict.fromkeys(device_ids):
            await self._devices.require_keypad(device_id)

    async def create(self, access_right: NewAccessRight) -> CreatedAccessRight:
        """Create an access right; answers its object id and pincode.

        Never resent once it may have reached the server: an unknown outcome raises
        ``AmbiguousOutcomeError``; ``find`` by ``access_right_id`` settles it.
        """
        validate_new_access_right(access_right)
        await self._require_keypads(access_right.device_ids)
        data = await self._transport.request(
            Call("POST", "accessrights", json=unstructure(access_right), idempotent=False)
        )
        return structure(data, CreatedAccessRight)

    async def get(self, id: str) -> AccessRight:
        """One access right by its object id."""
        check_id("id", id)
        data = await self._transport.request(Call("GET", f"accessrights/{segment(id)}"))
        right = structure(data, AccessRight)
        return right if right.id is not None else attrs.evolve(right, id=id)

    async def update(self, id: str, update: AccessRightUpdate) -> None:
        """Change an access right (``device_ids``, ``start`` and ``end`` or ``perm`` always)."""
        check_id("id", id)
        validate_access_right_update(update)
        await self._require_keypads(update.device_ids)
        await self._transport.request(
            Call("POST", f"accessrights/{segment(id)}", json=unstructure(update), ack=_UPDATED)
        )

    async def regenerate_pincode(self, id: str, device_ids: Iterable[str]) -> str:
        """A new generated pincode for an access right; answers it."""
        check_id("id", id)
        ids = as_ids("device_ids", device_ids)
        check_device_ids(ids)
        await self._require_keypads(ids)
        body = {"devices": [{"id": device_id, "keyId": KEYPAD_KEY} for device_id in ids]}
        data = await self._transport.request(
            Call("POST", f"accessrights/{segment(id)}/pincode", json=body)
        )
        # The reference answers the bare JSON string; tolerate `{"pincode": ...}` too.
        if isinstance(data, dict):
            data = data.get("pincode")
        if isinstance(data, int) and not isinstance(data, bool):
            data = str(data)
        if not isinstance(data, str) or not data.strip().isdigit():
            raise ResponseFormatError("the pincode answer carried no pincode")
        return data.strip()

    async def delete(self, id: str, *, cancellation: bool = False) -> None:
        """Delete an access right; ``cancellation=True`` has Livion notify the person.
        ``Delete accessRight failed`` is settled by a look-up, as for contracts."""
        check_id("id", id)
        check_bool("cancellation", cancellation)
        params = {"cancellation": "true"} if cancellation else None
        await self._transport.request(
            Call(
                "DELETE",
                f"accessrights/{segment(id)}",
                params=params,
                gone_is_done=True,
                is_gone=lambda: gone(self.get(id)),
                ack=_DELETED,
            )
        )

    async def device_access_rights(self, device_id: str) -> builtins.list[AccessRight]:
        """The access rights of one keypad (none: an empty list)."""
        await self._devices.require_keypad(device_id)
        call = Call(
            "GET",
            f"devices/{segment(device_id)}/accessrights",
            messages={"no devices": NotFoundError},
        )
        try:
            data = await self._transport.request(call)
        except NotFoundError as exc:
            # The listing's own "Accesrights not found" (sic): the keypad has none.
            if exc.message.lower().startswith(("accesrights", "accessrights")):
                return []
            raise
        return structure(data, builtins.list[AccessRight])

    async def list(self, *, device_ids: Iterable[str] | None = None) -> builtins.list[AccessRight]:
        """The access rights of the given keypads, or of every keypad of the account."""
        if device_ids is None:
            wanted = [d.device_id for d in await self._devices.list(products=["keypad"])]
        else:
            wanted = builtins.list(dict.fromkeys(as_ids("device_ids", device_ids)))
        found = await bounded_map(self.device_access_rights, wanted, _FAN_OUT)
        return [right for rights in found for right in rights]

    async def find(
        self, access_right_id: str, *, device_ids: Iterable[str] | None = None
    ) -> AccessRight | None:
        """The access right whose ``access_right_id`` (your own reference) is this, or ``None``."""
        check_id("access_right_id", access_right_id)
        for right in await self.list(device_ids=device_ids):
            if right.access_right_id == access_right_id:
                return right
        return None

    async def unlock(self, device_id: str) -> None:
        """Open the lock of a keypad. Not resent after an unknown outcome: a lock is physical."""
        await self._devices.require_keypad(device_id)
        await self._transport.request(
            Call("POST", f"devices/{segment(device_id)}/unlock", idempotent=False, ack=COMMAND_SENT)
        )
