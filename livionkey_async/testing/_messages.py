"""The documented answers in words: every failure message of Livion's reference, verbatim, the
error carrying it, and the plain-text success answers.

A client maps the service's plain-text messages to typed errors, so the simulator must send
exactly the documented text (Livion's ``legacy/apidoc-*/api_data.json`` and ``legacy/README.md``);
the messages the reference does not give are in ``_assumptions``.
"""

from __future__ import annotations

from attrs import define, field

from ._wire import dumps

__all__ = ["Ack", "Msg", "SimError"]


class Msg:
    """The documented plain-text messages, verbatim from Livion's reference (both apidoc files
    and the legacy README), typos included."""

    MISSING_EMAIL = "Missing email from parameters"
    MISSING_PASSWORD = "Missing password from parameters"
    BAD_CREDENTIALS = "Firebase: Error (auth/invalid-login-credentials)."
    LOGIN_THROTTLED = "Too many login attempts, try again later"
    NO_TOKEN = "No token provided."
    DEVICE_NOT_FOUND = "Device not found"
    DEVICE_KEYS_NOT_FOUND = "Device keys not found"
    NOT_SUPPORTED = "not supported"
    COMMAND_NOT_FOUND = "Command not found"
    NOT_A_KEYPAD = "Device is not a keypad"
    MISSING_CONTRACT_PARAMETERS = "Missing contract parameters"
    MISSING_ACCESS_RIGHT_PARAMETERS = "Missing accessRight parameters"
    MISSING_QUERY_PARAMETERS = "Missing query parameters"
    MISSING_DEVICE_ID_QUERY = "Missing deviceId from query parameters"
    DELETE_CONTRACT_FAILED = "Delete contract failed"
    DELETE_ACCESS_RIGHT_FAILED = "Delete accessRight failed"
    ACCESS_RIGHT_NOT_FOUND = "AccessRight not found"
    ACCESS_ID_IN_USE = "AccessId already in use"
    ACCESS_RIGHT_OVERLAP = "Overlapping accessRight existing"
    ACCESS_RIGHT_PINCODE_USED = "Pincode already used in existing accessRights"
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
    DEVICE_BUSY = "Device busy"
    DEVICE_RESERVED = "Device is reserved"
    LOCKER_NOT_FOUND = "locker not found"
    INTERNAL = "Internal Server Error"

    @staticmethod
    def missing(field_name: str) -> str:
        return f"Missing {field_name} from parameters"

    @staticmethod
    def required(field_name: str) -> str:
        return f"{field_name} is required"


class Ack:
    """The plain-text success answers: the reference's "Success 200" field and its description
    (``Key`` + ``updated``), and the typo of ``Command sent successfuly``."""

    KEY_UPDATED = "Key updated"
    KEY_DELETED = "Key deleted"
    BACKUP_CODES_UPDATED = "backup codes updated"
    CONTRACT_UPDATED = "Contract updated"
    CONTRACT_DELETED = "Contract deleted successfully"
    ACCESS_RIGHT_UPDATED = "AccessRight updated"
    ACCESS_RIGHT_DELETED = "AccessRight deleted successfully"
    COMMAND_SENT = "Command sent successfuly"


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
