"""Every guess about LivionKey API v2 that Livion's public material does not settle.

The sources are Livion's repository ``Livion-OY/livionkey-api``: the signature examples in four
languages, the OpenAPI-generated ``types/api.ts``, the PMS integration examples and
``webhooks.md``. What they leave open is assumed here, and only here, with the reason, so the day
the real service says otherwise there is one line to change.
"""

from __future__ import annotations

__all__ = [
    "CONTRACT_GROUPS",
    "DEFAULT_BASE_URL",
    "DEFAULT_LANGUAGE",
    "DEFAULT_PAGE_LIMIT",
    "IN_USE_WORDS",
    "MAX_PAGE_LIMIT",
    "TIMESTAMP_TOLERANCE",
]

# Documented (every example's BASE_URL).
DEFAULT_BASE_URL = "https://api.livionkey.com/v2"

# -- the signature -------------------------------------------------------------------------------
# Documented: x-service-account-id, x-timestamp (milliseconds since the epoch), x-signature =
# base64(RSA-SHA256 PKCS#1 v1.5 over accountId + timestamp + sha256hex(METHOD + url + body)).
#
# Assumed, the URL that is hashed: the absolute URL exactly as it goes on the wire, that is
# ``scheme://`` + the Host header + the request target (path and query string, percent-encoded
# as aiohttp sends them; yarl writes a space in a query value as ``+``). Every example hashes the
# very string it hands to its HTTP library, so the server must rebuild it from what it receives;
# we hash what we send and never re-encode between the two (``_transport.sent_url``).
#
# Assumed, the body that is hashed: the bytes sent. We send compact JSON (no spaces), UTF-8, with
# non-ASCII characters unescaped: exactly what JavaScript's ``JSON.stringify`` makes of the parsed
# body, so the signature holds whether the server hashes the raw bytes or re-serialises them.
# A request without a body hashes METHOD + URL alone (the examples' ``body || ''``).
#
# Assumed: how far a timestamp may be from the server's clock. Livion does not say; the
# simulator refuses more than five minutes either way (webhooks.md calls five minutes "a
# sensible tolerance" for the other direction). Each attempt is signed just before it is sent.
TIMESTAMP_TOLERANCE = 300.0

# -- pagination ------------------------------------------------------------------------------------
# Documented: ``after`` ("Number of items to skip") and ``limit`` (default 20, at most 100) in;
# ``{after, limit, hasNext, data}`` out. Not said: what the answer's ``after`` is. Assumed
# (``_resource.Api.iterate``): an answer's ``after`` that moves past the one sent asks for the
# next page; when the cursor is a number and the answer's ``after`` is missing or does not move
# on (a server that echoes the ``after`` it was sent), the next page skips ``after + len(data)``
# items; a cursor that is not a number is followed as it is, and never asked for twice. A page
# with a successor: ``hasNext`` true, or, where the answer has no ``hasNext`` (the access
# rights, or a server that leaves it out), a full page.
DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 100

# -- listing key contracts by time -----------------------------------------------------------------
# Documented: ``ongoing``, ``ended`` and ``future`` flags on ``GET /iloq/keycontracts``. Not said:
# whether two flags together mean "either" or "both". Assumed nothing: the client sends at most one
# flag per request, one listing per group asked for, merged by contract id
# (``_iloq.IloqContracts.iterate``), in the order time moves contracts through them, so one that
# moves on while it is listed is still seen.
CONTRACT_GROUPS = ("future", "ongoing", "ended")

# -- contacts --------------------------------------------------------------------------------------
# Documented: a contact's ``language`` "Defaults to \"en\" if not provided". Reconciling an iLOQ
# create (``_reconcile``) assumes the server answers every field of a contact and a contract as it
# was sent, and compares what the server fills in for a field left out (the send flags,
# notifications, iLOQ person, the automat a group handover picked, ``numberOfKeys``, ``keyIds``, a
# return contract's ``start``, the pincodes) only when the caller gave it.
DEFAULT_LANGUAGE = "en"

# -- errors ----------------------------------------------------------------------------------------
# Assumed: error bodies are NestJS's ``{"statusCode", "message", "error"}``, ``message`` a string
# or a list of strings (validation), and the status says what failed (``_errors.error_from_v2``).
# The operations document what their 4xx mean, and the resources name them
# (``_resource.Api``): a 409 on ``POST /iloq/keycontracts`` is "no automat has the keys"
# (documented), on ``PATCH /iloq/keycontracts/{id}`` an overlap (documented), on
# ``POST /mechanical/keys`` a taken key id (documented), on ``POST /mechanical/keycontracts`` a
# taken contract id (assumed: the generated operation of mechanical contracts was overwritten by
# the mechanical keys' one of the same name, so its answers are not in ``api.ts``). A 400 on
# deleting a contract is documented only as "Bad Request", with the restriction (a key fetched and
# not returned) in the operation's description: assumed, a 400 whose message says the contract
# cannot be deleted (any of ``IN_USE_WORDS``, lower-cased) is that restriction
# (``ContractInUseError``); any other 400 stays a ``ValidationError`` (a malformed id, say).
IN_USE_WORDS = ("cannot be deleted", "can not be deleted", "cannot delete", "can't be deleted")

# Assumed (mechanical key contracts): the list takes ``after`` and ``limit`` like every other
# list; its other filters were lost with the overwritten operation.
#
# Rate limits: none are published (the examples back off exponentially on 429). The shared pacer
# discovers the limit, reads Retry-After and the RateLimit headers when present, as for V1.
