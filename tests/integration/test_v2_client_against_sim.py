"""``LivionKeyV2Client`` against the API v2 simulator over loopback: every path, signed for real.

The fixtures are the pytest plugin's (``livionkey_v2_sim``, ``livionkey_v2_client``), so these
tests also show they work. Each test drives one area through the public client and checks both
the typed answers and the simulator's state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from livionkey_async import (
    AuthenticationError,
    ContractOverlapError,
    DuplicateContractError,
    DuplicateKeyError,
    NotFoundError,
    ValidationError,
)
from livionkey_async.testing import V2SimConfig, V2Simulator
from livionkey_async.v2 import (
    AutomatLocation,
    AutomatUpdate,
    Contact,
    ContractInUseError,
    ContractType,
    GroupType,
    GroupUpdate,
    IloqApiUser,
    IloqContractUpdate,
    KeyStorage,
    LivionKeyV2Client,
    MechanicalContractUpdate,
    MechanicalKeyUpdate,
    NewAutomat,
    NewContractKey,
    NewGroup,
    NewIloqKeyContract,
    NewMechanicalKey,
    NewMechanicalKeyContract,
    NewOrganizationUnit,
    NewServiceAccount,
    NoKeysAvailableError,
    OrganizationUnitType,
    StorageKind,
    UserVerification,
)

NOW = datetime.now(UTC).replace(microsecond=0)
GUEST = Contact("Alice Example", email="alice@example.com", send_sms=False, send_email=False)


def window(start_days: float, days: float) -> tuple[datetime, datetime]:
    start = NOW + timedelta(days=start_days)
    return start, start + timedelta(days=days)


async def key20_of(client: LivionKeyV2Client) -> str:
    async for automat in client.automats.iterate():
        if len(automat.lockers) == 20:
            return automat.id
    raise AssertionError("no LivionKey20 seeded")


async def access_right(client: LivionKeyV2Client) -> str:
    return (await client.iloq.access_rights.list(limit=1)).data[0].id


def handover(
    automat: str, right: str, start_days: float, days: float, n: int = 1
) -> NewIloqKeyContract:
    start, end = window(start_days, days)
    return NewIloqKeyContract(
        access_right_ids=[right],
        key_automat_id=automat,
        number_of_keys=n,
        start=start,
        end=end,
        contact=GUEST,
    )


# -- automats --------------------------------------------------------------------------------------


async def test_automats_are_listed_page_by_page(livionkey_v2_client: LivionKeyV2Client) -> None:
    client = livionkey_v2_client
    first = await client.automats.list(limit=2)
    assert len(first.data) == 2
    assert first.has_next is True
    rest = await client.automats.list(after=first.after, limit=2)
    assert len(rest.data) == 1
    assert rest.has_next is False
    every = [a.id async for a in client.automats.iterate(page_size=1)]
    assert every == [a.id for a in (*first.data, *rest.data)]
    one = await client.automats.get(every[0])
    assert one.lifecycle_state == "active"
    assert one.lockers[0].is_key_inside
    with pytest.raises(NotFoundError):
        await client.automats.get("nope")


async def test_update_uninstall_replace_and_pincodes(
    livionkey_v2_client: LivionKeyV2Client, livionkey_v2_sim: V2Simulator
) -> None:
    client = livionkey_v2_client
    group = await client.groups.create(NewGroup(name="Harbour", customer_id="c1"))
    automat = (await client.automats.list(limit=1)).data[0]
    changed = await client.automats.update(
        automat.id,
        AutomatUpdate(name="Harbour 1", groups=[group.id], location=AutomatLocation("Pier 2")),
    )
    assert changed.name == "Harbour 1"
    assert changed.location is not None
    assert changed.location.address == "Pier 2"
    assert [g.name for g in changed.groups] == ["Harbour"]
    assert [m.id for m in (await client.groups.get(group.id)).members] == [automat.id]

    replaced = await client.automats.replace(automat.id)
    assert replaced.hw_id != automat.hw_id

    sent = await client.automats.send_pincode(automat.id, "000000")
    assert (sent.success, sent.reason) == (False, "PINCODE_NOT_FOUND")
    await client.automats.cancel_send_pincode(automat.id, "000000")

    await client.automats.uninstall(automat.id)
    assert (await client.automats.get(automat.id)).lifecycle_state == "deactivated"


async def test_install_needs_an_iloq_api_user_for_a_key20(
    livionkey_v2_client: LivionKeyV2Client,
) -> None:
    client = livionkey_v2_client
    plain = await client.organization_units.create(
        NewOrganizationUnit(name="Plain", customer_id="c")
    )
    spec = NewAutomat(
        name="Beach",
        address="Rantatie 1",
        postal_code="00100",
        postal_office="Helsinki",
        timezone="Europe/Helsinki",
        product="key20",
        organization_unit_id=plain.id,
    )
    with pytest.raises(ValidationError, match="iLOQ API user"):
        await client.automats.install(spec)
    mechanical = await client.automats.install(attrs.evolve(spec, product="key30"))
    assert mechanical.lifecycle_state == "waitingForInstall"
    assert mechanical.installation_pincode is not None
    assert len(mechanical.lockers) == 30


async def test_an_installed_key20_becomes_active_after_the_install_delay() -> None:
    moment = [1_795_000_000.0]
    config = V2SimConfig(install_delay=3600, clock=lambda: moment[0])
    async with (
        V2Simulator(config) as sim,
        LivionKeyV2Client(
            sim.service_account_id,
            sim.private_key_pem,
            base_url=sim.url,
            wall_clock=lambda: moment[0],
        ) as client,
    ):
        made = await client.automats.install(
            NewAutomat(
                name="Cabin",
                address="Forest 1",
                postal_code="99999",
                postal_office="Inari",
                timezone="Europe/Helsinki",
                product="key20",
            )
        )
        assert (await client.automats.get(made.id)).lifecycle_state == "waitingForInstall"
        moment[0] += 3601
        active = await client.automats.get(made.id)
        assert active.lifecycle_state == "active"
        assert active.installation_pincode is None
        assert sum(locker.is_key_inside for locker in active.lockers) == 4


# -- iLOQ ------------------------------------------------------------------------------------------


async def test_access_rights_search_and_default_only(
    livionkey_v2_client: LivionKeyV2Client,
) -> None:
    client = livionkey_v2_client
    every = [r async for r in client.iloq.access_rights.iterate(page_size=4)]
    assert len(every) == 6  # two pages, the second short: no hasNext needed
    sauna = [r.name async for r in client.iloq.access_rights.iterate(search="sauna")]
    assert sauna == ["Sauna 1"]
    defaults = (await client.iloq.access_rights.list(default_only=True)).data
    assert 0 < len(defaults) < len(every)


async def test_iloq_handover_pincode_fetch_return_and_delete(
    livionkey_v2_client: LivionKeyV2Client, livionkey_v2_sim: V2Simulator
) -> None:
    client, sim = livionkey_v2_client, livionkey_v2_sim
    automat, right = await key20_of(client), await access_right(client)
    made = await client.iloq.contracts.create(handover(automat, right, -0.1, 2))
    assert made.contract_type is ContractType.DEFAULT
    (pincode,) = made.pincodes
    assert made.keys[0].storage_info is not None
    assert made.keys[0].storage_info.device_id == automat
    assert await client.iloq.contracts.get(made.id) == made

    result = await client.automats.send_pincode(automat, pincode)
    assert result.success
    fetched = await client.iloq.contracts.get(made.id)
    assert fetched.keys[0].status == "key-fetched"
    with pytest.raises(ContractInUseError):
        await client.iloq.contracts.delete(made.id)
    sim.return_key(made.id, made.keys[0].id)
    assert (await client.iloq.contracts.get(made.id)).keys[0].in_history
    await client.iloq.contracts.delete(made.id)
    with pytest.raises(NotFoundError):
        await client.iloq.contracts.get(made.id)


async def test_iloq_409_when_no_automat_has_the_keys(
    livionkey_v2_client: LivionKeyV2Client,
) -> None:
    client = livionkey_v2_client
    automat, right = await key20_of(client), await access_right(client)
    await client.iloq.contracts.create(handover(automat, right, 1, 2, n=3))
    # One key is left for those days, and all four the week after.
    with pytest.raises(NoKeysAvailableError):
        await client.iloq.contracts.create(handover(automat, right, 2, 1, n=2))
    await client.iloq.contracts.create(handover(automat, right, 2, 1, n=1))
    later = await client.iloq.contracts.create(handover(automat, right, 7, 1, n=4))
    assert len(later.pincodes) == 4
    assert len(set(later.pincodes)) == 4


async def test_iloq_group_fetch_and_return_contracts(
    livionkey_v2_client: LivionKeyV2Client, livionkey_v2_sim: V2Simulator
) -> None:
    client, sim = livionkey_v2_client, livionkey_v2_sim
    right = await access_right(client)
    group = (await client.groups.list(search="LivionKey20")).data[0]
    start, _ = window(-0.1, 1)
    fetch_only = await client.iloq.contracts.create(
        NewIloqKeyContract(
            contract_type=ContractType.FETCH,
            access_right_ids=[right],
            group_id=group.id,
            number_of_keys=2,
            start=start,
            pincodes=["1111", "2222"],
        )
    )
    assert fetch_only.key_automat_id == await key20_of(client)
    assert fetch_only.pincodes == ("1111", "2222")
    assert sim.fetch_key(fetch_only.key_automat_id or "", "1111") == fetch_only.keys[0].id
    with pytest.raises(ContractInUseError):  # one key out, one still waiting
        await client.iloq.contracts.delete(fetch_only.id)
    sim.fetch_key(fetch_only.key_automat_id or "", "2222")
    handed = await client.iloq.contracts.get(fetch_only.id)
    assert all(key.in_history for key in handed.keys)
    assert handed.pincodes == ()

    _, end = window(0, 3)
    back = await client.iloq.contracts.create(
        NewIloqKeyContract(
            contract_type=ContractType.RETURN,
            key_ids=[k.id for k in handed.keys] + ["s5-from-elsewhere"],
            key_automat_id=fetch_only.key_automat_id,
            end=end,
        )
    )
    assert len(back.keys) == 3
    sim.return_key(back.id, back.keys[0].id)
    with pytest.raises(ContractInUseError):  # one returned, two still waiting
        await client.iloq.contracts.delete(back.id)


async def test_iloq_list_filters_update_and_overlap(
    livionkey_v2_client: LivionKeyV2Client,
) -> None:
    client = livionkey_v2_client
    automat, right = await key20_of(client), await access_right(client)
    ongoing = await client.iloq.contracts.create(handover(automat, right, -1, 2, n=4))
    future = await client.iloq.contracts.create(handover(automat, right, 5, 1, n=4))
    ended_start, ended_end = window(-10, 1)
    ended = await client.iloq.contracts.create(
        NewIloqKeyContract(
            contract_type=ContractType.RETURN, key_ids=["old-key"], start=ended_start, end=ended_end
        )
    )

    async def ids(**flags: bool) -> set[str]:
        return {c.id async for c in client.iloq.contracts.iterate(page_size=1, **flags)}

    assert await ids(ongoing=True) == {ongoing.id}
    assert await ids(future=True) == {future.id}
    assert await ids(ended=True) == {ended.id}
    assert await ids(ongoing=True, future=True) == {ongoing.id, future.id}
    assert await ids() == {ongoing.id, future.id, ended.id}

    with pytest.raises(ContractOverlapError):  # the keys are the future contract's by then
        await client.iloq.contracts.update(
            ongoing.id, IloqContractUpdate(end=NOW + timedelta(days=6))
        )
    moved = await client.iloq.contracts.update(
        ongoing.id, IloqContractUpdate(end=NOW + timedelta(days=4), contact=Contact("Bob"))
    )
    assert moved.end == NOW + timedelta(days=4)
    assert moved.contact is not None
    assert moved.contact.name == "Bob"


async def test_iloq_refusals_of_the_server(livionkey_v2_client: LivionKeyV2Client) -> None:
    client = livionkey_v2_client
    automat = await key20_of(client)
    with pytest.raises(ValidationError, match="Unknown access right"):
        await client.iloq.contracts.create(handover(automat, "no-such-right", 1, 1))
    key30 = (await client.automats.list(limit=1)).data[0].id
    with pytest.raises(ValidationError, match="not a LivionKey20"):
        await client.iloq.contracts.create(handover(key30, await access_right(client), 1, 1))


# -- mechanical ------------------------------------------------------------------------------------


async def test_mechanical_keys(livionkey_v2_client: LivionKeyV2Client) -> None:
    client = livionkey_v2_client
    automat = (await client.automats.list(limit=1)).data[0].id
    in_automat = [k async for k in client.mechanical.keys.iterate(automat_id=automat, page_size=2)]
    assert len(in_automat) == 5
    assert all(k.available for k in in_automat)
    made = await client.mechanical.keys.create(
        NewMechanicalKey(
            id="spare-1", name="Spare", selected_storage=KeyStorage(manual_storage_info="Shelf 1")
        )
    )
    assert made.selected_storage == KeyStorage(manual_storage_info="Shelf 1")
    manual = (await client.mechanical.keys.list(selected_storage=StorageKind.MANUAL)).data
    assert [k.id for k in manual] == ["spare-1"]
    assert [k.id for k in (await client.mechanical.keys.list(search="spare")).data] == ["spare-1"]
    with pytest.raises(DuplicateKeyError):
        await client.mechanical.keys.create(
            NewMechanicalKey(id="spare-1", selected_storage=KeyStorage(automat_id=automat))
        )
    moved = await client.mechanical.keys.update(
        "spare-1", MechanicalKeyUpdate(selected_storage=KeyStorage(automat_id=automat), shared=True)
    )
    assert moved.selected_storage == KeyStorage(automat_id=automat)
    assert moved.shared
    assert (await client.mechanical.keys.get("spare-1")).name == "Spare"
    await client.mechanical.keys.delete("spare-1")
    with pytest.raises(NotFoundError):
        await client.mechanical.keys.get("spare-1")


async def test_mechanical_contracts(
    livionkey_v2_client: LivionKeyV2Client, livionkey_v2_sim: V2Simulator
) -> None:
    client, sim = livionkey_v2_client, livionkey_v2_sim
    key = (await client.mechanical.keys.list(limit=1)).data[0]
    start, end = window(-0.1, 2)
    spec = NewMechanicalKeyContract(
        id="booking-543553",
        start=start,
        end=end,
        contact=GUEST,
        keys=[NewContractKey(key.id)],
        user_verification=UserVerification.SIGNATURE,
    )
    made = await client.mechanical.contracts.create(spec)
    assert made.id == "booking-543553"
    assert made.user_verification is UserVerification.SIGNATURE
    (pincode,) = made.pincodes
    assert await client.mechanical.contracts.find("booking-543553") == made
    assert await client.mechanical.contracts.find("booking-0") is None
    with pytest.raises(DuplicateContractError):
        await client.mechanical.contracts.create(spec)
    with pytest.raises(ContractOverlapError):
        await client.mechanical.contracts.create(
            NewMechanicalKeyContract(
                id="booking-2",
                start=start + timedelta(days=1),
                contact=GUEST,
                keys=[NewContractKey(key.id)],
            )
        )
    assert [c.id async for c in client.mechanical.contracts.iterate()] == ["booking-543553"]

    automat = key.selected_storage.automat_id if key.selected_storage else None
    assert sim.fetch_key(automat or "", pincode) == key.id
    assert not (await client.mechanical.keys.get(key.id)).available
    with pytest.raises(ValidationError, match="Verification"):
        await client.mechanical.contracts.update(
            made.id, MechanicalContractUpdate(user_verification=UserVerification.NONE)
        )
    with pytest.raises(ContractInUseError):
        await client.mechanical.contracts.delete(made.id)
    with pytest.raises(ValidationError, match="active contracts"):
        await client.mechanical.keys.delete(key.id)
    sim.return_key(made.id, key.id)
    later = await client.mechanical.contracts.update(
        made.id, MechanicalContractUpdate(end=end + timedelta(days=1))
    )
    assert later.end == end + timedelta(days=1)
    await client.mechanical.contracts.delete(made.id)
    assert await client.mechanical.contracts.find(made.id) is None


async def test_mechanical_key_with_active_contracts_is_deleted_with_them(
    livionkey_v2_client: LivionKeyV2Client,
) -> None:
    client = livionkey_v2_client
    key = (await client.mechanical.keys.list(limit=1)).data[0]
    start, end = window(1, 1)
    await client.mechanical.contracts.create(
        NewMechanicalKeyContract(
            id="c-1", start=start, end=end, contact=GUEST, keys=[NewContractKey(key.id)]
        )
    )
    await client.mechanical.keys.delete(key.id, delete_active_contracts=True)
    assert await client.mechanical.contracts.find("c-1") is None


# -- groups, organization units, service accounts --------------------------------------------------


async def test_groups_crud(livionkey_v2_client: LivionKeyV2Client) -> None:
    client = livionkey_v2_client
    made = await client.groups.create(NewGroup(name="Keys", customer_id="c9", type=GroupType.KEY))
    assert made.type is GroupType.KEY
    assert [g.id for g in (await client.groups.list(customer_id="c9")).data] == [made.id]
    renamed = await client.groups.update(made.id, GroupUpdate(name="Spare keys"))
    assert renamed.name == "Spare keys"
    await client.groups.delete(made.id)
    with pytest.raises(NotFoundError):
        await client.groups.get(made.id)
    with pytest.raises(NotFoundError):
        await client.groups.delete(made.id)


async def test_organization_units_and_service_accounts(
    livionkey_v2_client: LivionKeyV2Client, livionkey_v2_sim: V2Simulator
) -> None:
    client, sim = livionkey_v2_client, livionkey_v2_sim
    unit = await client.organization_units.create(
        NewOrganizationUnit(
            name="Beach resort",
            customer_id="c1",
            type=OrganizationUnitType.COMPANY,
            parent_id=sim.config.organization_unit_id,
            iloq_api_user=IloqApiUser(
                service_address="https://s5.iloq.example",
                customer_code="BEACH",
                username="lk-api",
                password="iloq-s3cret",
            ),
        )
    )
    assert unit.parent_id == sim.config.organization_unit_id
    assert unit.iloq_api_user is not None
    assert unit.iloq_api_user.customer_code == "BEACH"
    with pytest.raises(AuthenticationError) as refused:
        await client.organization_units.create(
            NewOrganizationUnit(name="Org", customer_id="c", type=OrganizationUnitType.ORGANIZATION)
        )
    assert refused.value.status == 403
    with pytest.raises(NotFoundError):
        await client.organization_units.create(
            NewOrganizationUnit(name="Orphan", customer_id="c", parent_id="nope")
        )

    account = await client.service_accounts.create(
        NewServiceAccount(organization_unit_id=unit.id, name="PMS")
    )
    assert account.private_key is not None
    async with LivionKeyV2Client(account.id, account.private_key, base_url=sim.url) as other:
        assert (await other.groups.list()).data
        await client.service_accounts.delete(account.id)
        with pytest.raises(AuthenticationError):
            await other.groups.list()
