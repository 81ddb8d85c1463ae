"""Shared helpers of the webhook tests: Livion's published bodies, secrets, a fake clock."""

from __future__ import annotations

import base64
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"

# Standard Webhooks secrets are whsec_ + base64 of 24+ random bytes; these are test-only.
SECRET = "whsec_" + base64.b64encode(b"livionkey-async-test-key-0001").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"livionkey-async-test-key-0002").decode()
API_KEY = "legacy-shared-secret-5e1f"
NOW = 1_780_000_000  # Unix seconds the fake clocks read


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, object]:
    data = json.loads(fixture_bytes(name))
    assert isinstance(data, dict)
    return data


def fixture_names(prefix: str = "") -> list[str]:
    return sorted(p.name for p in FIXTURES.glob(f"{prefix}*.json"))


class FakeClock:
    """Seconds that move only when a test says so."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
