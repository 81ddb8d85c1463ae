"""The documented failures: every message of the wire contract, verbatim, and the error carrying it.

A client maps the service's plain-text messages to typed errors, so the simulator must send
exactly the documented text (``spec/livionkey-api-v1.md``); the messages the contract does not
give are in ``_assumed_messages``.
"""

from __future__ import annotations

from attrs import define, field

from ._wire import dumps

__all__ = ["Msg", "SimError"]


class Msg:
    """The documented plain-text messages, verbatim from the wire contract."""

    MISSING_EMAIL = "Missing email from parameters"
    MISSING_PASSWORD = "Missing password from parameters"
    BAD_CREDENTIALS = "Firebase: Error (auth/invalid-login-credentials)."
    LOGIN_THROTTLED = "Too many login attempts, try again later"
    NO_TOKEN = "No token provided."
    DEVICE_NOT_FOUND = "Device not found"
    NO_SUCH_DEVICE = "no such device"
    NO_SUCH_KEY = "no such key"
    KEY_ID_NOT_FOUND = "KeyId not found"
    CONTRACT_NOT_FOUND = "Contract not found"
    CONTRACT_ID_IN_USE = "ContractId already in use"
    KEY_EXISTS = "key already exists with that keyId"
    OVERLAP = "Overlapping contract existing"
    PINCODE_USED = "Pincode already used in existing contracts"
    START_BEFORE_END = "Start time should be before End time"
    START_IN_FUTURE = "Start time should be in the future"
    BODY_REQUIRED = "body is required"
    NO_DEVICES = "No devices"
    NO_FREE_LOCKERS = "no free lockers"
    LOCKER_INDEX_TOO_BIG = "lockerIndex is too big"
    LOCKER_INDEX_TOO_BIG_DOOR = "Locker index is too big"
    MALFORMED_LOCKER_INDEX = "malformed locker index"
    DEVICE_ERROR = "Device error"
    DEVICE_RESERVED = "Device is reserved"
    LOCKER_NOT_FOUND = "locker not found"
    INTERNAL = "Internal Server Error"

    @staticmethod
    def missing(field_name: str) -> str:
        return f"Missing {field_name} from parameters"

    @staticmethod
    def required(field_name: str) -> str:
        return f"{field_name} is required"


@define(slots=False)
class SimError(Exception):
    """A documented failure: the status, the message and whether the body is JSON."""

    status: int
    message: str
    json_body: bool = False
    headers: dict[str, str] = field(factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.message}"

    def body(self) -> str:
        """The response body exactly as the service sends it."""
        if self.json_body:
            return dumps({"success": False, "message": self.message})
        return self.message
