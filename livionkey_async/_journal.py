"""A JSON-lines journal of finished bulk items, so a rerun skips what already succeeded.

The first line is a header with a random salt. Then one line per finished item: its key (the
contract_id, key id or object id), its outcome, the object id it produced, and a fingerprint of
its spec: one salted digest (HMAC-SHA256, 64 bits) per field, so a rerun can tell which fields
changed. Values are never written. The salt keeps digests from matching across journals; secret
fields (pincodes, key codes) share one digest, ``"secrets"``, keyed also with a ``pepper`` the
client derives from its credentials (the V1 password, the API v2 private key), so that a pincode's
few digits cannot be found from a journal by trying them all without those credentials too.

A rerun with the same journal reads it first: an item it names as succeeded with the same
fingerprint is reported as succeeded (skipped) without a request; with a different one, the bulk
helpers report it as a ``SpecChangedError`` naming the fields. Items whose outcome stayed unknown
(``"unknown": true``, a create that may have landed) are ``unsettled``, for a job that must look
before it creates again. Lines that cannot be read (a torn
last line after a crash) and lines without a fingerprint are ignored: those items simply run
again, which exactly-once creation makes safe.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

__all__ = ["SECRET_FIELDS", "Fingerprint", "Journal"]

log = logging.getLogger("livionkey_async.bulk")

Fingerprint = dict[str, str]  # field name -> salted digest of its value

_FORMAT = 1
_DIGEST_CHARS = 16
# Spec fields (both APIs) fingerprinted together, under the pepper, as "secrets".
SECRET_FIELDS = frozenset({"pincode", "pincodes", "key_code", "code", "backup_codes"})
_SECRETS = "secrets"


class Journal:
    """Append-only record of a bulk job's finished items, read back on a rerun."""

    def __init__(self, path: str | os.PathLike[str], *, pepper: bytes = b"") -> None:
        self.path = Path(path)
        self._pepper = pepper
        self._done: dict[str, dict[str, Any]] = {}
        self._unknown: set[str] = set()
        self._salt: bytes | None = None
        if self.path.exists():
            self._read()
        self._header_needed = self._salt is None
        if self._salt is None:
            self._salt = secrets.token_bytes(16)
        self._file: IO[str] | None = None

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r}, done={len(self._done)})"

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self) -> None:
        unsigned = 0
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                try:
                    entry = json.loads(line)
                except ValueError:
                    log.warning("journal %s: line %d unreadable, ignored", self.path, number)
                    continue
                if not isinstance(entry, dict):
                    continue
                if "journal" in entry:
                    salt = entry.get("salt")
                    if self._salt is None and isinstance(salt, str):
                        try:
                            self._salt = bytes.fromhex(salt)
                        except ValueError:
                            log.warning("journal %s: line %d has a bad salt", self.path, number)
                elif entry.get("outcome") == "succeeded":
                    self._unknown.discard(str(entry.get("key")))
                    if isinstance(entry.get("spec"), dict) and self._salt is not None:
                        self._done[str(entry.get("key"))] = entry
                    else:
                        unsigned += 1
                elif entry.get("unknown") is True:
                    self._unknown.add(str(entry.get("key")))
        if unsigned:
            log.warning(
                "journal %s: %d line(s) without a fingerprint (an older format) ignored: "
                "those items run again",
                self.path,
                unsigned,
            )

    def fingerprint(self, fields: Mapping[str, object]) -> Fingerprint:
        """One salted digest per field of a spec (its values as plain JSON data), and one
        peppered digest of all its secret fields together."""
        assert self._salt is not None
        prints: Fingerprint = {}
        secret = {name: value for name, value in fields.items() if name in SECRET_FIELDS}
        for name, value in fields.items():
            if name not in SECRET_FIELDS:
                prints[name] = _digest(self._salt, name, value)
        if any(value is not None for value in secret.values()):
            prints[_SECRETS] = _digest(self._salt + self._pepper, _SECRETS, secret)
        return prints

    def succeeded(self, key: str) -> dict[str, Any] | None:
        """The journal entry of ``key`` when an earlier run finished it successfully."""
        return self._done.get(key)

    def object_ids(self) -> set[str]:
        """The object ids every item an earlier run finished successfully produced."""
        return {str(entry["id"]) for entry in self._done.values() if entry.get("id") is not None}

    def unsettled(self, key: str) -> bool:
        """Whether an earlier run left ``key``'s create unknown (it may exist on the server)."""
        return key in self._unknown

    @staticmethod
    def changed(entry: Mapping[str, Any], fingerprint: Fingerprint) -> tuple[str, ...]:
        """The fields whose digests differ between ``entry`` and ``fingerprint``, sorted."""
        recorded = entry.get("spec")
        before: Mapping[str, Any] = recorded if isinstance(recorded, Mapping) else {}
        names = set(before) | set(fingerprint)
        return tuple(sorted(n for n in names if before.get(n) != fingerprint.get(n)))

    def record(
        self,
        key: str,
        outcome: str,
        fingerprint: Fingerprint,
        *,
        object_id: str | None = None,
        error: str | None = None,
        unknown: bool = False,
    ) -> None:
        """Append one finished item; flushed at once so a crash loses at most this line.
        ``unknown``: its create may have landed (the outcome was never settled)."""
        if self._file is None:
            self._file = self._open()
        entry: dict[str, Any] = {
            "key": key,
            "outcome": outcome,
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "spec": fingerprint,
        }
        if object_id is not None:
            entry["id"] = object_id
        if error is not None:
            entry["error"] = error
        if unknown:
            entry["unknown"] = True
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()
        if outcome == "succeeded":
            self._done[key] = entry
            self._unknown.discard(key)
        elif unknown:
            self._unknown.add(key)

    def _open(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        torn = _ends_mid_line(self.path)
        file = self.path.open("a", encoding="utf-8")
        if torn:
            file.write("\n")  # end the line a crash left half-written
        if self._header_needed:
            assert self._salt is not None
            file.write(json.dumps({"journal": _FORMAT, "salt": self._salt.hex()}) + "\n")
            self._header_needed = False
        return file

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _digest(key: bytes, name: str, value: object) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    message = f"{name}\0{canonical}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_DIGEST_CHARS]


def _ends_mid_line(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb") as data:
        data.seek(-1, os.SEEK_END)
        return data.read(1) != b"\n"
