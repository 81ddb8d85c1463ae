"""``client.automats``: list, read, change, install, uninstall and replace key automats, and send
(or cancel) a pincode to one."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .._arguments import check_bool
from .._transport import Call
from ._assumptions import MAX_PAGE_LIMIT
from ._convert import unstructure
from ._models import Automat, AutomatUpdate, NewAutomat, Page, PincodeSent
from ._resource import Api, segment
from ._validation import (
    check_id,
    check_pincode,
    validate_automat_update,
    validate_new_automat,
)

__all__ = ["Automats"]


class Automats:
    """The ``/automats`` endpoints."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def __repr__(self) -> str:
        return f"<Automats of {self._api.transport.base_url}>"

    async def list(self, *, after: str | None = None, limit: int | None = None) -> Page[Automat]:
        """One page of automats (``limit`` 1 to 100; the server's default is 20)."""
        return await self._api.page("automats", Automat, after=after, limit=limit)

    def iterate(self, *, page_size: int = MAX_PAGE_LIMIT) -> AsyncIterator[Automat]:
        """Every automat, page after page."""
        return self._api.iterate("automats", Automat, page_size=page_size)

    async def get(self, id: str) -> Automat:
        check_id("id", id)
        return await self._api.get(f"automats/{segment(id)}", Automat)

    async def update(self, id: str, update: AutomatUpdate) -> Automat:
        """Change an automat's name, label, groups, time zone or location; answers it."""
        check_id("id", id)
        validate_automat_update(update)
        return await self._api.read(
            Call("PATCH", f"automats/{segment(id)}", json=unstructure(update)),
            Automat,
        )

    async def install(self, automat: NewAutomat) -> Automat:
        """Install a new automat (``product`` key20 or key30). It answers ``waitingForInstall``
        with the ``installation_pincode`` the installer enters on site. Never resent once it may
        have reached the server (``AmbiguousOutcomeError``): list the automats to see."""
        validate_new_automat(automat)
        return await self._api.read(
            Call("POST", "automats/install", json=unstructure(automat), idempotent=False),
            Automat,
        )

    async def uninstall(self, id: str) -> None:
        """Deactivate an automat (its lifecycle state)."""
        check_id("id", id)
        await self._api.send(Call("POST", f"automats/{segment(id)}/uninstall"))

    async def replace(self, id: str) -> Automat:
        """Replace an automat's hardware (a new ``hw_id``); answers the automat."""
        check_id("id", id)
        return await self._api.read(
            Call("POST", f"automats/{segment(id)}/replace", idempotent=False),
            Automat,
        )

    async def send_pincode(
        self, id: str, pincode: str, *, proximity_check: bool = False
    ) -> PincodeSent:
        """Send a pincode to the automat: the matching locker opens (an iLOQ S5 key is also
        programmed with its contract's access rights). With ``proximity_check`` the person must
        press # on the automat. ``success`` is false with a ``reason`` (``AUTOMAT_BUSY``) when
        the automat could not take it. Never resent blindly: a locker would open twice."""
        check_id("id", id)
        check_pincode("pincode", pincode)
        check_bool("proximity_check", proximity_check)
        body: dict[str, object] = {"pincode": pincode}
        if proximity_check:
            body["proximityCheck"] = True
        return await self._api.read(
            Call(
                "POST",
                f"automats/{segment(id)}/sendPincode",
                json=body,
                idempotent=False,
                secrets=(pincode,),
            ),
            PincodeSent,
        )

    async def cancel_send_pincode(self, id: str, pincode: str) -> None:
        """Cancel a pincode sent with ``proximity_check`` (or any proximity check under way)."""
        check_id("id", id)
        check_pincode("pincode", pincode)
        await self._api.send(
            Call(
                "POST",
                f"automats/{segment(id)}/cancelSendPincode",
                json={"pincode": pincode},
                secrets=(pincode,),
            )
        )
