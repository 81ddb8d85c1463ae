"""The wire contract's fixed vocabulary: products, lockers per product, languages, contract types.

Configuration checks, the records and every rule module need the same few facts about the
service; they live here once, so a correction (a new product, another language) is one edit.
"""

from __future__ import annotations

__all__ = [
    "ALL_PRODUCTS",
    "CONTRACT_TYPES",
    "KEY_ACTIONS",
    "LANGUAGES",
    "LOCKERS",
    "MAX_LIMIT_WITH_LOCKERS",
    "V1_PRODUCTS",
]

V1_PRODUCTS = ("key30", "keyX")
ALL_PRODUCTS = ("key30", "keyX", "keypad", "key20")
LOCKERS = {"key30": 30, "keyX": 1, "keypad": 0, "key20": 20}
LANGUAGES = ("fi-fi", "en-gb", "swe-swe", "no-no", "da-da")
CONTRACT_TYPES = ("default", "fetch", "return")
KEY_ACTIONS = ("key-added", "key-fetched", "key-returned", "key-not-returned")
MAX_LIMIT_WITH_LOCKERS = 50
