"""LivionKey20 from end to end with API v2: a new site, its automat, a booking, its pincode.

The flow of Livion's ``pms-integration-livionkey20`` example, on ``livionkey_async.v2``:

1. check the site's iLOQ credentials (``livionkey_async.iloq.check_credentials``), and stop
   with what to fix in iLOQ Manager if any check fails;
2. create the site's organization unit with its iLOQ API user (the four pieces of data of a
   LivionKey20 set-up: service address, customer code, user name, password);
3. install a LivionKey20 automat (product ``key20``) there, and wait for the installer;
4. map a listing to iLOQ access rights (the doors its key opens);
5. create an iLOQ key contract for a booking, and read its pincode for the guest;
6. cancel it (the booking was cancelled).

Run it as it is and it starts the embedded API v2 and iLOQ simulators. Against the real service, set
``LIVIONKEY_SERVICE_ACCOUNT_ID``, ``LIVIONKEY_PRIVATE_KEY_FILE`` (and ``LIVIONKEY_V2_BASE_URL``
if not the default) and the ``ILOQ_*`` variables of the site::

    python examples/livionkey20.py
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from livionkey_async.iloq import PreflightReport, check_credentials
from livionkey_async.v2 import (
    Contact,
    IloqApiUser,
    IloqKeyContract,
    LivionKeyV2Client,
    NewAutomat,
    NewIloqKeyContract,
    NewOrganizationUnit,
    OrganizationUnitType,
)

if TYPE_CHECKING:
    from livionkey_async.testing import IloqSimulator


@attrs.frozen
class Site:
    """What the property manager tells us about a new LivionKey20 site."""

    name: str
    customer_id: str
    parent_unit_id: str | None
    iloq: IloqApiUser
    address: str = "Rantatie 1"
    postal_code: str = "00100"
    postal_office: str = "Helsinki"
    timezone: str = "Europe/Helsinki"


@attrs.frozen
class Outcome:
    """What the flow did, for the caller (and the tests) to check."""

    unit_id: str
    automat_id: str
    listing_rights: tuple[str, ...]
    contract: IloqKeyContract
    pincode: str = attrs.field(repr=False)  # the guest's secret
    cancelled: bool = False


class PreflightFailed(Exception):
    """The site's iLOQ API user is not ready: nothing was created. ``report`` says what to fix."""

    def __init__(self, report: PreflightReport) -> None:
        fixes = [f"{check.name}: {check.fix}" for check in report.failed]
        super().__init__("the iLOQ credentials preflight failed:\n" + "\n".join(fixes))
        self.report = report


async def wait_until_active(
    client: LivionKeyV2Client,
    automat_id: str,
    every: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """The installer enters the installation pincode on site; then the automat is active."""
    while True:  # polling the service: there is nothing local to wait on
        if (await client.automats.get(automat_id)).lifecycle_state == "active":
            return
        await sleep(every)


async def run(
    client: LivionKeyV2Client,
    site: Site,
    *,
    listing_doors: tuple[str, ...] = ("Main door", "Apartment"),
    check_in: datetime | None = None,
    nights: int = 2,
    install_poll: float = 5.0,
    install_timeout: float = 3600.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Outcome:
    """The whole flow on ``client``; answers what it did. ``sleep`` waits between polls of the
    automat being installed (tests pass one that moves a fake clock on)."""
    # -- step 1: the iLOQ credentials preflight -------------------------------------------------
    # Check the site's iLOQ API user before anything is created: a missing right found now costs
    # a minute at the desk, found when the automat is connected it costs a site visit. (iLOQ
    # calls the customer code the service code.)
    report = await check_credentials(
        service_address=site.iloq.service_address,
        service_code=site.iloq.customer_code,
        username=site.iloq.username,
        password=site.iloq.password,
    )
    if not report.ok:
        raise PreflightFailed(report)
    print(f"iLOQ credentials: all {len(report.checks)} checks passed")

    # -- step 2: the site's organization unit, with its iLOQ API user -------------------------
    unit = await client.organization_units.create(
        NewOrganizationUnit(
            name=site.name,
            customer_id=site.customer_id,
            type=OrganizationUnitType.COMPANY,
            parent_id=site.parent_unit_id,
            iloq_api_user=site.iloq,
        )
    )
    print(f"organization unit {unit.id} ({unit.name}) with its iLOQ API user")

    # -- step 3: install a LivionKey20 there, and wait for the installer ----------------------
    automat = await client.automats.install(
        NewAutomat(
            name=f"{site.name} LivionKey20",
            address=site.address,
            postal_code=site.postal_code,
            postal_office=site.postal_office,
            timezone=site.timezone,
            product="key20",
            organization_unit_id=unit.id,
        )
    )
    print(f"automat {automat.id} installed: {automat.lifecycle_state}; the installer enters its")
    print("installation pincode on site (not printed here: it is a secret)")
    async with asyncio.timeout(install_timeout):
        await wait_until_active(client, automat.id, install_poll, sleep)

    # -- step 4: map the listing to iLOQ access rights ----------------------------------------
    # Every right whose name starts like one of the listing's doors (two rights may share a name).
    listing_rights = tuple(
        [
            right.id
            async for right in client.iloq.access_rights.iterate()
            if right.name is not None and right.name.startswith(listing_doors)
        ]
    )
    if not listing_rights:
        raise LookupError(f"no access right named like {listing_doors} in this iLOQ system")
    print(f"listing-101 opens {len(listing_rights)} door(s) with automat {automat.id}")

    # -- step 5: a booking comes in: one iLOQ key from the automat, for its nights -------------
    check_in = check_in or datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
    contract = await client.iloq.contracts.create(
        NewIloqKeyContract(
            access_right_ids=listing_rights,
            key_automat_id=automat.id,
            number_of_keys=1,
            start=check_in,
            end=check_in + timedelta(days=nights),
            # The PMS sends its own messages: Livion sends none.
            contact=Contact(
                "Alice Example", email="alice@example.com", send_sms=False, send_email=False
            ),
        )
    )
    (pincode,) = contract.pincodes
    print(f"iLOQ key contract {contract.id}: hand the guest the pincode (your PMS sends it)")

    # -- step 6: the booking is cancelled -------------------------------------------------------
    await client.iloq.contracts.delete(contract.id)
    print(f"contract {contract.id} cancelled")
    return Outcome(unit.id, automat.id, listing_rights, contract, pincode, cancelled=True)


def site_from_environment(parent_unit_id: str | None) -> Site:
    return Site(
        name=os.environ.get("SITE_NAME", "Beach house"),
        customer_id=os.environ.get("SITE_CUSTOMER_ID", "customer-demo"),
        parent_unit_id=parent_unit_id,
        iloq=IloqApiUser(
            service_address=os.environ.get("ILOQ_SERVICE_ADDRESS", "https://s5.iloq.example"),
            customer_code=os.environ.get("ILOQ_CUSTOMER_CODE", "BEACH1"),
            username=os.environ.get("ILOQ_USERNAME", "livionkey-api"),
            password=os.environ.get("ILOQ_PASSWORD", "iloq-demo-password"),
        ),
    )


async def main(account: str | None, pem: str | None) -> int:
    if account and pem:
        base_url = os.environ.get("LIVIONKEY_V2_BASE_URL", "https://api.livionkey.com/v2")
        async with LivionKeyV2Client(account, pem, base_url=base_url) as client:
            await run(client, site_from_environment(os.environ.get("PARENT_UNIT_ID")))
        return 0
    from livionkey_async.testing import IloqSimConfig, IloqSimulator, V2Simulator

    print(
        "no LIVIONKEY_SERVICE_ACCOUNT_ID: running against the embedded simulators", file=sys.stderr
    )
    async with (
        V2Simulator() as sim,
        IloqSimulator(IloqSimConfig()) as iloq,
        LivionKeyV2Client(sim.service_account_id, sim.private_key_pem, base_url=sim.url) as client,
    ):
        site = site_for(iloq, sim.config.organization_unit_id)
        await run(client, site, install_poll=0.1)
    return 0


def site_for(iloq: IloqSimulator, parent_unit_id: str | None) -> Site:
    """The demo site, its iLOQ API user on the embedded iLOQ simulator."""
    config = iloq.config
    return attrs.evolve(
        site_from_environment(parent_unit_id),
        iloq=IloqApiUser(
            service_address=iloq.service_address,
            customer_code=config.customer_code,
            username=config.username,
            password=config.password,
        ),
    )


if __name__ == "__main__":
    key_file = os.environ.get("LIVIONKEY_PRIVATE_KEY_FILE")
    private_key = Path(key_file).read_text(encoding="utf-8") if key_file else None
    raise SystemExit(asyncio.run(main(os.environ.get("LIVIONKEY_SERVICE_ACCOUNT_ID"), private_key)))
