"""Split a bulk job across workers: ``--shard 2/4`` runs the second of four disjoint parts.

Which part an item belongs to is a stable hash of its key (the key a journal uses: a contract's
``contract_id``, a key's ``device/key``, a contract's object id), never of its position, so every
worker reading the same file agrees, an edited file moves only the items it changed, and every
item is in exactly one part.
"""

from __future__ import annotations

import hashlib
import re

import attrs

__all__ = ["Shard"]

_FORM = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@attrs.frozen
class Shard:
    """Part ``index`` (from 1) of ``count``."""

    index: int
    count: int

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"a shard is I/N with 1 <= I <= N, not {self.index}/{self.count}")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"`` -> ``Shard(2, 4)``; ``ValueError`` for anything else."""
        match = _FORM.fullmatch(text)
        if match is None:
            raise ValueError(f"a shard is I/N (for example 2/4), not {text!r}")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, key: str) -> bool:
        """Whether the item named ``key`` belongs to this part."""
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1
