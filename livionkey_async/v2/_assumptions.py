"""Every guess about LivionKey API v2 that Livion's public material does not settle.

The sources are Livion's repository ``Livion-OY/livionkey-api``: the signature examples in four
languages, the OpenAPI-generated ``types/api.ts``, the PMS integration examples and
``webhooks.md``. What they leave open is assumed here, and only here, with the reason, so the day
the real service says otherwise there is one line to change.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PAGE_LIMIT",
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
# Documented: ``after`` and ``limit`` (default 20, at most 100) in; ``{after, limit, hasNext,
# data}`` out. Assumed: ``after`` is an opaque cursor, and the answer's ``after`` is the one that
# asks for the next page. The access-rights answer carries no ``hasNext``: there a page has a
# successor when it was full and named an ``after``.
DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 100

# -- errors ----------------------------------------------------------------------------------------
# Assumed: error bodies are NestJS's ``{"statusCode", "message", "error"}``, ``message`` a string
# or a list of strings (validation), and the status says what failed (``_errors.error_from_v2``).
# The operations document what their 4xx mean, and the resources name them
# (``_resource.Api``): a 409 on ``POST /iloq/keycontracts`` is "no automat has the keys"
# (documented), on ``PATCH /iloq/keycontracts/{id}`` an overlap (documented), on
# ``POST /mechanical/keys`` a taken key id (documented), on ``POST /mechanical/keycontracts`` a
# taken contract id (assumed: the generated operation of mechanical contracts was overwritten by
# the mechanical keys' one of the same name, so its answers are not in ``api.ts``). A 400 on
# deleting a contract is its documented restriction (a key fetched and not returned): the id is
# checked before sending and the request has no body, so nothing else is left to refuse.
#
# Assumed (mechanical key contracts): the list takes ``after`` and ``limit`` like every other
# list; its other filters were lost with the overwritten operation.
#
# Rate limits: none are published (the examples back off exponentially on 429). The shared pacer
# discovers the limit, reads Retry-After and the RateLimit headers when present, as for V1.
