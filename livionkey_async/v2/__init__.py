"""LivionKey API v2: service-account signing, automats, iLOQ and mechanical key contracts.

Livion builds new integrations on API v2, and a LivionKey20 (iLOQ S5 keys) exists only there.
``LivionKeyV2Client`` is to v2 what ``LivionKeyClient`` is to V1, on the same machinery: the
transport, pacer, retry budget, stats and error tree of the core; only the authentication (a
signature over every attempt instead of a login) and the resources differ. Needs the ``v2``
extra (``cryptography``).
"""

from ._signing import ServiceAccountSigner, load_private_key

__all__ = ["ServiceAccountSigner", "load_private_key"]
