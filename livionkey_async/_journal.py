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

The lines live in a file, or in a :class:`JournalBackend` (a shared store, so that a job resumed
on another machine, or split across workers, skips what any of them finished): the same lines,
read once when the job starts (the first header there gives every worker the same salt) and
appended as items finish. A backend that cannot be reached at the start is a ``StoreError``; one
that stops answering keeps the lines to append, and is tried again at most every
``retry_interval`` seconds (the store's, so a hung Redis does not slow every item down by its
timeout), and once more when the job ends; lines it never took are a ``StoreError`` then (those
items would run again).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol, TypeAlias

from ._arguments import check_methods, check_number, check_path
from ._errors import StoreError

__all__ = [
    "SECRET_FIELDS",
    "Fingerprint",
    "Journal",
    "JournalBackend",
    "JournalTarget",
    "check_target",
]

log = logging.getLogger("livionkey_async.bulk")

Fingerprint = dict[str, str]  # field name -> salted digest of its value

_FORMAT = 1
_DIGEST_CHARS = 16
# Spec fields (both APIs) fingerprinted together, under the pepper, as "secrets".
SECRET_FIELDS = frozenset({"pincode", "pincodes", "key_code", "code", "backup_codes"})
_SECRETS = "secrets"
# Seconds between tries of a backend that failed, unless it says (``retry_interval``).
DEFAULT_RETRY_INTERVAL = 5.0


class JournalBackend(Protocol):
    """Where a journal's lines live when they are not in a file (a shared store). A backend may
    also say, as ``retry_interval``, how many seconds to wait before trying it again after a
    failure."""

    async def load(self, header: str) -> list[str]:
        """Every line so far, in order; when there is none yet, ``header`` becomes the first."""
        ...

    async def append(self, lines: Sequence[str], *, header: str) -> None:
        """Add ``lines`` at the end, atomically; into an empty journal (a store that lost it),
        ``header`` first."""
        ...


JournalTarget: TypeAlias = str | os.PathLike[str] | JournalBackend


def check_target(name: str, value: object) -> None:
    """``None``, a file path or a :class:`JournalBackend` (``store.journal(name)``)."""
    if value is None or isinstance(value, str | os.PathLike):
        check_path(name, value)
    else:
        check_methods(name, value, ("load", "append"), "a file path or a store's journal")


class Journal:
    """Append-only record of a bulk job's finished items, read back on a rerun.

    ``Journal(path)`` reads a file; ``await Journal.open(target)`` takes a path or a
    :class:`JournalBackend`.
    """

    _salt: bytes | None
    _pending: list[str]
    _done: dict[str, dict[str, Any]]
    _unknown: set[str]
    _file: IO[str] | None

    def __init__(self, path: str | os.PathLike[str], *, pepper: bytes = b"") -> None:
        self._start(str(path), pepper, None)
        self.path = Path(path)
        if self.path.exists():
            with self.path.open(encoding="utf-8") as lines:
                self._read(lines)
        self._header_needed = self._salt is None
        if self._salt is None:
            self._salt = secrets.token_bytes(16)

    @classmethod
    async def open(
        cls,
        target: JournalTarget,
        *,
        pepper: bytes = b"",
        clock: Callable[[], float] = time.monotonic,
    ) -> Journal:
        """The journal at ``target``: a file's path, or a backend (read once, now; a backend that
        does not answer is a ``StoreError``). ``clock``: monotonic seconds, for the pause
        between tries of a backend that failed."""
        if isinstance(target, str | os.PathLike):
            return cls(target, pepper=pepper)
        journal = cls.__new__(cls)
        journal._start(repr(target), pepper, target)
        journal._clock = clock
        interval = getattr(target, "retry_interval", DEFAULT_RETRY_INTERVAL)
        check_number("journal.retry_interval", interval, positive=True)
        journal._retry_interval = float(interval)
        header = json.dumps({"journal": _FORMAT, "salt": secrets.token_bytes(16).hex()})
        failure = None
        try:
            lines = await target.load(header)
        except StoreError as exc:
            failure = f"journal {journal._where}: cannot read it ({exc})"
        if failure is not None:  # raised here, so that nothing chains the store's own error
            raise StoreError(failure)
        journal._read(lines)
        if journal._salt is None:  # a first line nobody can read: digests of this run only
            journal._salt = secrets.token_bytes(16)
        return journal

    def _start(self, where: str, pepper: bytes, backend: JournalBackend | None) -> None:
        self._where = where
        self._backend = backend
        self._pending = []
        self._clock: Callable[[], float] = time.monotonic
        self._retry_interval = DEFAULT_RETRY_INTERVAL
        self._retry_at = -math.inf  # a backend that failed is left alone until then
        self._pepper = pepper
        self._done = {}
        self._unknown = set()
        self._salt = None
        self._header_needed = False
        self._file = None

    def __repr__(self) -> str:
        return f"Journal({self._where!r}, done={len(self._done)})"

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, lines: Iterable[str]) -> None:
        unsigned = 0
        for number, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
            except ValueError:
                log.warning("journal %s: line %d unreadable, ignored", self._where, number)
                continue
            if not isinstance(entry, dict):
                continue
            if "journal" in entry:
                salt = entry.get("salt")
                if self._salt is None and isinstance(salt, str):
                    try:
                        self._salt = bytes.fromhex(salt)
                    except ValueError:
                        log.warning("journal %s: line %d has a bad salt", self._where, number)
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
                self._where,
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
        """Append one finished item; flushed at once so a crash loses at most this line (with
        a backend: sent by the next :meth:`flush`). ``unknown``: its create may have landed (the
        outcome was never settled)."""
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
        if self._backend is not None:
            self._pending.append(json.dumps(entry))
        else:
            if self._file is None:
                self._file = self._open()
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
            file.write(self._header + "\n")
            self._header_needed = False
        return file

    @functools.cached_property
    def _header(self) -> str:
        """The first line of this journal (its salt is fixed once it is open)."""
        assert self._salt is not None
        return json.dumps({"journal": _FORMAT, "salt": self._salt.hex()})

    async def flush(self, *, now: bool = False) -> None:
        """Send the lines recorded since the last flush to the backend (files write at once).
        A backend that cannot be reached keeps them, and is left alone for its
        ``retry_interval`` (unless ``now``): a later flush sends them."""
        if self._backend is None or not self._pending:
            return
        if not now and self._clock() < self._retry_at:
            return
        lines = list(self._pending)
        try:
            await self._backend.append(lines, header=self._header)
        except StoreError as exc:
            if self._retry_at == -math.inf:
                log.warning(
                    "journal %s: cannot append (%s); lines kept, trying again every %g s",
                    self._where,
                    exc,
                    self._retry_interval,
                )
            self._retry_at = self._clock() + self._retry_interval
            return
        if self._retry_at != -math.inf:
            log.warning("journal %s: appending again", self._where)
            self._retry_at = -math.inf
        del self._pending[: len(lines)]

    async def aclose(self, *, check: bool = True) -> None:
        """Flush what is left (trying the backend once more, whatever the pause) and close.
        Lines the backend never took are a ``StoreError`` (``check=False``: only said in the
        log, when the job is failing already)."""
        try:
            await self.flush(now=True)
        except BaseException:  # cancelled (or failing) while writing the last lines
            if self._pending:
                log.warning(
                    "journal %s: %d line(s) not written (stopped while writing them)",
                    self._where,
                    len(self._pending),
                )
            raise
        finally:
            self.close()
        unwritten, self._pending = len(self._pending), []
        if not unwritten:
            return
        message = (
            f"journal {self._where}: {unwritten} line(s) could not be written (the store did "
            "not answer): those items would run again"
        )
        if not check:
            log.warning("%s", message)
            return
        raise StoreError(message)

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
