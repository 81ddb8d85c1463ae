"""livionkey-async: an asyncio-native client for the LivionKey API V1.

One ``LivionKeyClient`` per account owns the login, the connection pool, the pacing and the
retries; callers just ``await client.contracts.create(...)``. Everything public is imported from
here; the modules behind it are private.
"""

from ._bulk import BulkProgress, BulkReport
from ._client import LivionKeyClient
from ._errors import (
    AmbiguousOutcomeError,
    ApiError,
    AuthenticationError,
    ConflictError,
    ContractOverlapError,
    DeviceBusyError,
    DuplicateContractError,
    DuplicateKeyError,
    LivionKeyError,
    LoginError,
    NoFreeLockerError,
    NotFoundError,
    PincodeConflictError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    TransportError,
    UnsupportedDeviceError,
    ValidationError,
)
from ._fanout import ItemResult, Outcome
from ._models import (
    Contact,
    Contract,
    ContractUpdate,
    CreatedContract,
    CreatedKey,
    Device,
    DevicePage,
    Key,
    KeyEvent,
    KeyEventData,
    KeyPosition,
    KeyRef,
    KeyStatus,
    Locker,
    LockerKey,
    NewContract,
    NewKey,
    PageInfo,
    SyncState,
)
from ._stats import ClientStats, RequestEvent

__version__ = "0.1.0"

__all__ = [
    "AmbiguousOutcomeError",
    "ApiError",
    "AuthenticationError",
    "BulkProgress",
    "BulkReport",
    "ClientStats",
    "ConflictError",
    "Contact",
    "Contract",
    "ContractOverlapError",
    "ContractUpdate",
    "CreatedContract",
    "CreatedKey",
    "Device",
    "DeviceBusyError",
    "DevicePage",
    "DuplicateContractError",
    "DuplicateKeyError",
    "ItemResult",
    "Key",
    "KeyEvent",
    "KeyEventData",
    "KeyPosition",
    "KeyRef",
    "KeyStatus",
    "LivionKeyClient",
    "LivionKeyError",
    "Locker",
    "LockerKey",
    "LoginError",
    "NewContract",
    "NewKey",
    "NoFreeLockerError",
    "NotFoundError",
    "Outcome",
    "PageInfo",
    "PincodeConflictError",
    "RateLimitedError",
    "RequestEvent",
    "ResponseFormatError",
    "ServerError",
    "SyncState",
    "TransportError",
    "UnsupportedDeviceError",
    "ValidationError",
    "__version__",
]
