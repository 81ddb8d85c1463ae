"""What a fresh service holds: each account's automats and keys, made up from the seed.

The same seed gives the same devices, names, tags, lockers and key codes every time, so tests
can name ``00001``/``A0001`` and a reset returns to exactly the start.
"""

from __future__ import annotations

import random

from ._config import SimConfig
from ._records import SimDevice
from ._store import SimStore

__all__ = ["seed"]

_PLACES = ("Helsinki", "Espoo", "Tampere", "Turku", "Oulu", "Stockholm", "Oslo", "Copenhagen")
_SITES = ("Central", "Airport", "Harbour", "Station", "Garage", "Depot", "Office", "Mall")


def seed(store: SimStore, config: SimConfig) -> None:
    """Fill an empty ``store``: key30 devices, then keyX, keypad and key20, numbered ``00001``..."""
    rng = store.rng
    now = store.clock()
    number = 0
    for account in config.accounts():
        email = account.email.lower()
        store.accounts[email] = []
        plan = (
            [("key30", account.keys)] * account.devices
            + [("keyX", min(account.keys, 1))] * account.keyx_devices
            + [("keypad", 0)] * account.keypad_devices
            + [("key20", 0)] * account.key20_devices
        )
        for product, key_count in plan:
            number += 1
            device = _device(rng, f"{number:05d}", email, product, now)
            lockers = sorted(rng.sample(range(device.lockers), key_count))
            for n, locker in enumerate(lockers, start=1):
                store.add_key(
                    device,
                    key_id=f"A{n:04d}",
                    key_name=_plate(rng),
                    locker_index=locker,
                    shared=False,
                    key_code=f"{rng.randrange(10**6):06d}",
                    now=now,
                )
            store.devices[device.device_id] = device
            store.accounts[email].append(device.device_id)


def _device(
    rng: random.Random, device_id: str, account: str, product: str, now: float
) -> SimDevice:
    place = rng.choice(_PLACES)
    site = rng.choice(_SITES)
    return SimDevice(
        device_id=device_id,
        account=account,
        product=product,
        name=f"{place} {site} {device_id}",
        tag=place.lower(),
        synced_at=now - rng.randrange(60, 86400),
    )


def _plate(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVXYZ") for _ in range(3))
    return f"{letters}-{rng.randrange(1, 1000)}"
