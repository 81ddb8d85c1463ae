"""A JSON-lines journal of finished bulk items, so a rerun skips what already succeeded.

One line per finished item: its key (the contract_id, key id or object id), its outcome and
the object id it produced. Secrets (pincodes, key codes) are never written. A rerun with the
same journal reads it first; items it names as succeeded are reported as succeeded (skipped)
without a request, and items whose outcome stayed unknown (``"unknown": true``, a create that may
have landed) are ``unsettled``, for a job that must look before it creates again. Lines that
cannot be read (a torn last line after a crash) are ignored.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

__all__ = ["Journal"]

log = logging.getLogger("livionkey_async.bulk")


class Journal:
    """Append-only record of a bulk job's finished items, read back on a rerun."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._done: dict[str, dict[str, Any]] = {}
        self._unknown: set[str] = set()
        if self.path.exists():
            with self.path.open(encoding="utf-8") as lines:
                for number, line in enumerate(lines, 1):
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        log.warning("journal %s: line %d unreadable, ignored", self.path, number)
                        continue
                    if isinstance(entry, dict):
                        self._remember(entry)
        self._file: IO[str] | None = None

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r}, done={len(self._done)})"

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _remember(self, entry: dict[str, Any]) -> None:
        key = str(entry.get("key"))
        if entry.get("outcome") == "succeeded":
            self._done[key] = entry
            self._unknown.discard(key)
        elif entry.get("unknown") is True:
            self._unknown.add(key)

    def succeeded(self, key: str) -> dict[str, Any] | None:
        """The journal entry of ``key`` when an earlier run finished it successfully."""
        return self._done.get(key)

    def object_ids(self) -> set[str]:
        """The object ids every item an earlier run finished successfully produced."""
        return {str(entry["id"]) for entry in self._done.values() if entry.get("id") is not None}

    def unsettled(self, key: str) -> bool:
        """Whether an earlier run left ``key``'s create unknown (it may exist on the server)."""
        return key in self._unknown

    def record(
        self,
        key: str,
        outcome: str,
        *,
        object_id: str | None = None,
        error: str | None = None,
        unknown: bool = False,
    ) -> None:
        """Append one finished item; flushed at once so a crash loses at most this line."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            torn = _ends_mid_line(self.path)
            self._file = self.path.open("a", encoding="utf-8")
            if torn:
                self._file.write("\n")  # end the line a crash left half-written
        entry: dict[str, Any] = {
            "key": key,
            "outcome": outcome,
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        if object_id is not None:
            entry["id"] = object_id
        if error is not None:
            entry["error"] = error
        if unknown:
            entry["unknown"] = True
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()
        self._remember(entry)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _ends_mid_line(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb") as data:
        data.seek(-1, os.SEEK_END)
        return data.read(1) != b"\n"
