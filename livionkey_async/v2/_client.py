"""``LivionKeyV2Client``: one object per service account, safe to share across coroutines.

It wires the core's layers (pacer, retry budget, counters, transport) with the v2 signer and the
v2 error mapping, and exposes the resources as attributes; it does no HTTP itself. Use it as an
async context manager, or call ``await client.close()`` when done.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self

import aiohttp
from yarl import URL

from .._arguments import check_instance, check_text
from .._client import DEFAULT_DEADLINE, DEFAULT_MAX_RETRY_AFTER, build_pipeline, stats_snapshot
from .._http import DEFAULT_MAX_ANSWER_BYTES
from .._shared import SharedStore
from .._stats import ClientStats, RequestEvent
from .._transport import Deadline
from ._assumptions import DEFAULT_BASE_URL
from ._automats import Automats
from ._bulk import V2Bulk
from ._errors import error_from_v2
from ._iloq import Iloq
from ._mechanical import Mechanical
from ._organization import Groups, OrganizationUnits, ServiceAccounts
from ._resource import Api
from ._signing import ServiceAccountSigner

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

__all__ = ["LivionKeyV2Client"]


class LivionKeyV2Client:
    """An asyncio client for LivionKey API v2, authenticated as one service account.

    ``private_key``: the service account's RSA private key (PEM text, or a loaded key), read
    once and never shown. The pipeline options are V1's: ``rate_limit`` a ceiling in requests
    per second (``None`` discovers the server's), ``rate_hint`` where discovery starts (an
    earlier run's ``stats.learnt_rate``), ``max_connections`` the pool size,
    ``timeout`` seconds per attempt (its whole exchange), ``deadline`` seconds per call (waits
    and retries included; ``client.deadline()`` for a block), ``max_wait`` the longest a 429
    pause may hold a request, ``max_retry_after`` the longest one ``Retry-After`` pauses the
    client, ``max_answer_bytes`` the largest answer read.
    ``session``: your own aiohttp session (never closed by the client). ``allow_insecure``:
    permit plain ``http://`` to a non-loopback host. ``wall_clock`` stamps the signatures.
    ``store``: the rate budget this client shares with the other processes of the service
    account (a ``livionkey_async.redis.RedisStore``); ``None`` keeps it in this process.
    """

    def __init__(
        self,
        service_account_id: str,
        private_key: str | bytes | RSAPrivateKey,
        *,
        base_url: str = DEFAULT_BASE_URL,
        private_key_password: bytes | None = None,
        rate_limit: float | None = None,
        rate_hint: float | None = None,
        max_connections: int = 16,
        timeout: float = 30.0,
        max_wait: float = 60.0,
        max_attempts: int = 4,
        max_throttled_attempts: int = 20,
        deadline: float | None = DEFAULT_DEADLINE,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        session: aiohttp.ClientSession | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
        on_request: Callable[[RequestEvent], None] | None = None,
        allow_insecure: bool = False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        store: SharedStore | None = None,
    ) -> None:
        check_text("service_account_id", service_account_id, required=True)
        check_instance("private_key_password", private_key_password, bytes, optional=True)
        pipeline = build_pipeline(
            base_url=base_url,
            allow_insecure=allow_insecure,
            rate_limit=rate_limit,
            rate_hint=rate_hint,
            max_connections=max_connections,
            timeout=timeout,
            max_wait=max_wait,
            max_attempts=max_attempts,
            max_throttled_attempts=max_throttled_attempts,
            deadline=deadline,
            max_retry_after=max_retry_after,
            max_answer_bytes=max_answer_bytes,
            session=session,
            trace_configs=trace_configs,
            on_request=on_request,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
            error_mapper=error_from_v2,
            store=store,
            identity=service_account_id,
        )
        signer = ServiceAccountSigner(
            service_account_id,
            private_key,
            password=private_key_password,
            wall_clock=wall_clock,
            remember=max(64, 4 * max_connections),
        )
        self._sleep = sleep
        self._pipeline = pipeline
        self._counters, self._pacer = pipeline.counters, pipeline.pacer
        self._transport = pipeline.transport
        self._transport.auth = signer
        self._signer = signer
        # An echoed signature is scrubbed from errors as V1's token is; a call's own secrets
        # (pincodes, a password) ride on the call (``Call.secrets``).
        self._transport.secrets = signer.secrets
        api = Api(self._transport)
        self.service_account_id = signer.account_id
        self.automats = Automats(api)
        self.iloq = Iloq(api)
        self.mechanical = Mechanical(api)
        self.groups = Groups(api)
        self.organization_units = OrganizationUnits(api)
        self.service_accounts = ServiceAccounts(api)
        self.bulk = V2Bulk(self)

    def __repr__(self) -> str:
        return (
            f"LivionKeyV2Client(service_account_id={self.service_account_id!r}, "
            f"base_url={str(self.base_url)!r})"
        )

    @property
    def base_url(self) -> URL:
        return self._transport.base_url

    @property
    def stats(self) -> ClientStats:
        """A snapshot of what this client has done: requests, retries, 429s, pacing."""
        return stats_snapshot(self._counters, self._pacer)

    def deadline(self, seconds: float) -> Deadline:
        """A block in which every call of this client ends within ``seconds`` (as
        ``LivionKeyClient.deadline``)."""
        return self._transport.deadline(seconds)

    async def __aenter__(self) -> Self:
        self._transport.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _journal_pepper(self) -> bytes:
        return self._signer.journal_pepper()

    async def close(self) -> None:
        """Close the connection pool (unless it is the caller's own session). Requests after
        this raise ``TransportError`` until the client is entered again with ``async with``."""
        await self._pipeline.aclose()
