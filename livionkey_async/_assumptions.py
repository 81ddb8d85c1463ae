"""Every guess about the LivionKey service that its public documentation does not settle.

The wire contract marks these **assumed**. They live here, and only here, so the day the real
service says otherwise there is one line to change.
"""

from __future__ import annotations

import re

__all__ = [
    "CATALOGUE_PRODUCTS",
    "CATALOGUE_TTL",
    "DEFAULT_BASE_URL",
    "DOCUMENTED_PRODUCTS",
    "MAX_WIRE_INT",
    "PINCODE_PATTERN",
    "UNSUPPORTED_PRODUCTS",
    "V1_PRODUCTS",
]

DEFAULT_BASE_URL = "https://api.livionkey.com"

# Products the V1 key and contract endpoints serve (documented).
V1_PRODUCTS = frozenset({"key30", "keyX"})

# Products `GET /devices?products=` documents (its default is the V1 pair).
DOCUMENTED_PRODUCTS = ("key30", "keyX", "keypad")

# Assumed: `products` is sent as a repeated query parameter (`?products=key30&products=keyX`),
# which an Express service reads as the documented String[]; a comma-separated value would
# arrive as one string.

# What the client asks for, once, to learn every device's product whatever the caller listed
# first (`key20` is assumed; if the service refuses it, the documented products are asked for).
CATALOGUE_PRODUCTS = (*DOCUMENTED_PRODUCTS, "key20")
# A device the catalogue did not know is looked up again at most this often (seconds).
CATALOGUE_TTL = 300.0

# Products that may be listed but must not be driven through V1: LivionKey20 is iLOQ-based and
# needs API v2 (its product name ``key20`` is assumed); the keypad has endpoints of its own.
UNSUPPORTED_PRODUCTS = {
    "key20": "a LivionKey20 (iLOQ) is served by API v2, not by the V1 key and contract endpoints",
    "keypad": "a LivionKeyPad has its own access-right endpoints, not the V1 key and contracts",
}

# Assumed: pincodes are 4 to 8 digits (every documented example has 6).
PINCODE_PATTERN = re.compile(r"[0-9]{4,8}")  # used with fullmatch: ASCII digits only

# Assumed: the services read JSON numbers as JavaScript does (doubles), so an integer sent beyond
# 2**53 - 1 would arrive changed; the client refuses one rather than send it.
MAX_WIRE_INT = 2**53 - 1
