"""The simulator speaks Livion's dialect: its answers have the shapes of Livion's own examples.

Each example in ``tests/fixtures/livion`` (copied from Livion's API references) is set beside the
simulator's answer to the same request: every member the example has, the simulator sends, with
the same JSON type (``null`` standing in for any, as Livion's examples themselves do); every
member the simulator adds appears in some other example of Livion's. The plain-text success
answers and every message the simulator sends are checked against the references too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sim_support import Api, connect, contract_body, future

from livionkey_async._lenient_json import loads_lenient
from livionkey_async.testing import Simulator
from livionkey_async.testing._assumptions import Assumed
from livionkey_async.testing._messages import Ack, Msg

FIXTURES = Path(__file__).parent.parent / "fixtures" / "livion"


def example(name: str) -> Any:
    text = (FIXTURES / name).read_text()
    try:
        return json.loads(text)
    except ValueError:
        return loads_lenient(text)  # three examples are not strict JSON


def member_names(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*(member_names(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(member_names(v) for v in value))
    return set()


EXAMPLES = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("apidoc-*/*.json"))
# The links Livion mails to a contract's person: not simulated (no integrator calls them).
NOT_SIMULATED = {"apidoc-livionkey30/GET_contracts_public_id_hash.json"}
# Every member name some example of Livion's shows.
DOCUMENTED_MEMBERS = set().union(*(member_names(example(name)) for name in EXAMPLES))


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def differences(sim: Any, documented: Any, where: str = "$") -> list[str]:
    """How ``sim`` departs from the ``documented`` example's shape (nothing: conforms)."""
    if sim is None or documented is None:
        return []  # Livion's examples show null for fields that otherwise hold values
    if kind(sim) != kind(documented):
        return [f"{where}: {kind(sim)}, documented as {kind(documented)}"]
    found: list[str] = []
    if isinstance(documented, dict):
        found += [f"{where}.{m}: missing" for m in sorted(set(documented) - set(sim))]
        found += [f"{where}.{m}: not in any example" for m in sorted(set(sim) - DOCUMENTED_MEMBERS)]
        for name in set(documented) & set(sim):
            found += differences(sim[name], documented[name], f"{where}.{name}")
    elif isinstance(documented, list) and documented and sim:
        for index, item in enumerate(sim):
            found += differences(item, documented[0], f"{where}[{index}]")
    return found


async def prepare(api: Api, sim: Simulator) -> dict[str, str]:
    """Data for every example: a contract on a key, a fetched key, a keypad access right."""
    contacts = [{"name": "John Doe", "email": "john.doe@livion.fi", "sendEmail": True}]
    made = await api.post("/contracts", contract_body("543553", contacts=contacts))
    assert made.status == 200, made.text
    sim.fetch_key("00001", "A0001")
    access = await api.post(
        "/accessrights",
        {
            "accessRightId": "543553",
            "devices": [{"id": "00005"}],
            "start": future(1),
            "end": future(3),
            "person": "John Doe",
            "contacts": contacts,
        },
    )
    assert access.status == 200, access.text
    locker = sim.state.devices["00001"].keys["A0001"].locker_index
    return {
        "contract": str(made.obj()["id"]),
        "access": str(access.obj()["id"]),
        "locker": str(locker),
    }


# Each example and the request that answers it on the simulator (``{contract}``, ``{access}`` and
# ``{locker}`` filled in from the prepared data).
REQUESTS: dict[str, tuple[str, str, dict[str, str] | None, Any]] = {
    "apidoc-livionkey30/GET_devices.json": ("GET", "/devices", None, None),
    "apidoc-livionkey30/GET_devices.paginated.json": (
        "GET",
        "/devices",
        {"limit": "10", "after": "0"},
        None,
    ),
    "apidoc-livionkey30/GET_devices.paginated_extend_lockers.json": (
        "GET",
        "/devices",
        {"limit": "50", "extend": "lockers"},
        None,
    ),
    "apidoc-livionkey30/GET_devices_id.json": ("GET", "/devices/00001", None, None),
    "apidoc-livionkey30/GET_devices_id.extend_lockers.json": (
        "GET",
        "/devices/00001",
        {"extend": "lockers"},
        None,
    ),
    "apidoc-livionkey30/GET_devices_id_keys.json": ("GET", "/devices/00001/keys", None, None),
    "apidoc-livionkey30/GET_devices_id_contracts.json": (
        "GET",
        "/devices/00001/contracts",
        None,
        None,
    ),
    "apidoc-livionkey30/GET_devices_id_lockers.json": ("GET", "/devices/00001/lockers", None, None),
    "apidoc-livionkey30/GET_devices_id_lockers_lockerIndex.json": (
        "GET",
        "/devices/00001/lockers/{locker}",
        None,
        None,
    ),
    "apidoc-livionkey30/GET_devices_id_accessrights.json": (
        "GET",
        "/devices/00005/accessrights",
        None,
        None,
    ),
    "apidoc-livionkey30/POST_keys.json": (
        "POST",
        "/keys",
        None,
        {"keyId": "A53", "deviceId": "00001", "keyName": "Gustavsberginkatu 12c A 13"},
    ),
    "apidoc-livionkey30/GET_keys_id.json": (
        "GET",
        "/keys/A0001",
        {"deviceId": "00001", "keyStatus": "true"},
        None,
    ),
    "apidoc-livionkey30/GET_keys_id_status.json": (
        "GET",
        "/keys/A0001/status",
        {"deviceId": "00001"},
        None,
    ),
    "apidoc-livionkey30/POST_contracts.json": (
        "POST",
        "/contracts",
        None,
        contract_body("booking-2", key_id="A0002"),
    ),
    "apidoc-livionkey30/GET_contracts_id.json": ("GET", "/contracts/{contract}", None, None),
    "apidoc-livionkey30/POST_contracts_id_pincode.json": (
        "POST",
        "/contracts/{contract}/pincode",
        None,
        {"devices": [{"id": "00001", "keyId": "A0001"}]},
    ),
    "apidoc-livionkeypad/GET_accessrights_id.json": ("GET", "/accessrights/{access}", None, None),
    "apidoc-livionkeypad/GET_devices_id_accessrights.json": (
        "GET",
        "/devices/00005/accessrights",
        None,
        None,
    ),
    "apidoc-livionkeypad/POST_accessrights.json": (
        "POST",
        "/accessrights",
        None,
        {
            "accessRightId": "543554",
            "devices": [{"id": "00005"}],
            "start": future(1),
            "end": future(3),
            "person": "John Doe",
            "contacts": [],
        },
    ),
    "apidoc-livionkeypad/POST_accessrights_id_pincode.json": (
        "POST",
        "/accessrights/{access}/pincode",
        None,
        {"devices": [{"id": "00005", "keyId": "keyPadKey"}]},
    ),
}


def test_every_example_is_checked() -> None:
    assert set(REQUESTS) == set(EXAMPLES) - NOT_SIMULATED


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_the_simulator_answers_in_the_shape_of_the_example(
    livionkey_sim: Simulator, name: str
) -> None:
    method, path, params, body = REQUESTS[name]
    async with connect(livionkey_sim) as api:
        data = await prepare(api, livionkey_sim)
        reply = await api.call(method, path.format(**data), params=params, json_body=body)
    assert reply.status == 200, reply.text
    answer = reply.json()
    assert differences(answer, example(name)) == []
    if isinstance(answer, list):
        assert answer, "an empty list would prove nothing"


def test_the_shape_check_can_fail() -> None:
    documented = {"id": "a", "perm": None, "lockers": [{"lockerIndex": "0"}]}
    assert (
        differences({"id": "a", "perm": True, "lockers": [{"lockerIndex": "0"}]}, documented) == []
    )
    assert sorted(
        differences({"id": 1, "lockers": [{"lockerIndex": 0, "nope": 1}]}, documented)
    ) == [
        "$.id: number, documented as string",
        "$.lockers[0].lockerIndex: number, documented as string",
        "$.lockers[0].nope: not in any example",
        "$.perm: missing",
    ]


# -- the words -------------------------------------------------------------------------------

SUCCESS_TEXTS = json.loads((FIXTURES / "success_texts.json").read_text())
ERRORS = json.loads((FIXTURES / "errors.json").read_text())


def documented_texts() -> set[str]:
    texts = set()
    for row in SUCCESS_TEXTS:
        description = re.sub(r"</?p>", "", row["description"])
        texts.add(description if row["field"].isdigit() else f"{row['field']} {description}")
    return texts


def documented_messages() -> set[str]:
    found: set[str] = set()
    for row in ERRORS:
        text = re.sub(r"</?p>", "", row["description"])
        found.update(m.strip() for m in re.split(r"<br\s*/?>| / ", text) if m.strip())
    return found


def constants(cls: type) -> dict[str, str]:
    return {name: value for name, value in vars(cls).items() if name.isupper()}


def test_every_plain_text_answer_is_documented() -> None:
    # "backup codes updated": the reading of the field (Key) and description.
    sent = set(constants(Ack).values())
    assert sent - documented_texts() == {"backup codes updated"}
    assert "Key backup codes updated" in documented_texts()


def test_every_message_the_simulator_sends_is_documented() -> None:
    documented = documented_messages() | {"No token provided."}
    sent = constants(Msg)
    undocumented = {name for name, text in sent.items() if text not in documented}
    # `missing()` and `required()` build documented patterns; the rest must be verbatim.
    assert undocumented == set()
    assert Assumed.LIMIT_TOO_BIG not in documented  # the assumed ones live apart
