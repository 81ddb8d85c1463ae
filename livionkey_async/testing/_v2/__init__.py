"""A faithful, stateful LivionKey API v2 simulator (``livionkey_async.testing.V2Simulator``).

It verifies every request's signature with the service account's public key (refusing a wrong
key, a stale timestamp, a body changed after signing), holds automats, groups, organization
units, service accounts, iLOQ access rights and keys, mechanical keys and both kinds of key
contracts with the rules of Livion's reference, pages every list, and shares the V1 simulator's
fault knobs, counters and rate limit. Needs the ``v2`` extra (``cryptography``).
"""

from ._config import V2SimConfig
from ._server import V2Simulator

__all__ = ["V2SimConfig", "V2Simulator"]
