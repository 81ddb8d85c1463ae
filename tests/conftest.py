"""Shared test set-up, including a small compatibility shim for aioresponses on aiohttp 3.14.

aioresponses 0.7.9 builds ``ClientResponse`` without the ``stream_writer`` argument aiohttp 3.14
requires, and feeds bodies into a ``StreamReader`` whose 64 KiB limit makes 3.14 call
``pause_reading`` on a protocol without a transport (aioresponses issue #289, pull requests #288
and #292). We do not pin aiohttp below its 3.14 security release to dodge that: the shim gives the
missing argument a default (aiohttp itself always passes it) and raises the reader's limit.
``tests/unit/test_aioresponses_shim.py`` fails loudly once aioresponses fixes this upstream, so
the shim gets removed.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import aiohttp
import aiohttp.client_reqrep
import aioresponses.core
import pytest
from aiohttp.client_proto import ResponseHandler
from aiohttp.streams import StreamReader

if TYPE_CHECKING:
    from redis_support import RedisServer

_original_init = aiohttp.ClientResponse.__init__


class _NoStreamWriter:
    """Stands in for the writer of a request that was never really sent."""

    output_size = 0


@functools.wraps(_original_init)
def _init_with_default_writer(self: aiohttp.ClientResponse, *args: Any, **kwargs: Any) -> None:
    kwargs.setdefault("stream_writer", _NoStreamWriter())
    _original_init(self, *args, **kwargs)


def _roomy_stream_reader(loop: asyncio.AbstractEventLoop | None = None) -> StreamReader:
    protocol = ResponseHandler(loop=loop)  # type: ignore[arg-type]
    return StreamReader(protocol, limit=2**30, loop=loop)


# True while aioresponses still builds responses without ``stream_writer``: the shim test reads it.
UPSTREAM_PASSES_STREAM_WRITER = "stream_writer" in inspect.getsource(
    aioresponses.core.RequestMatch._build_response
)

aiohttp.ClientResponse.__init__ = _init_with_default_writer  # type: ignore[method-assign]
aiohttp.client_reqrep.ClientResponse.__init__ = _init_with_default_writer  # type: ignore[method-assign]
aioresponses.core.stream_reader_factory = _roomy_stream_reader  # type: ignore[attr-defined]

# `pytester`: the README's testing section is run as a user's own pytest run would run it.
pytest_plugins = ("pytester",)

# -- API v2: RSA keys of service accounts (generated once per run: it takes a moment) -----------


@functools.cache
def _rsa_key_pem(which: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # BEGIN RSA PRIVATE KEY, as Livion's
        serialization.NoEncryption(),
    ).decode("ascii")


@pytest.fixture(scope="session")
def rsa_key_pem() -> str:
    """A service account's private key, PEM (PKCS#1) as Livion hands it out."""
    return _rsa_key_pem("right")


@pytest.fixture(scope="session")
def other_rsa_key_pem() -> str:
    """Another private key: signatures made with it must be refused."""
    return _rsa_key_pem("wrong")


# -- Redis: a real server for the shared store (never skipped; see tests/redis_support.py) -----


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The session's Redis (``make test`` starts one; a plain pytest starts its own)."""
    from redis_support import session_redis

    with session_redis() as url:
        yield url


@pytest.fixture
def redis_namespace() -> str:
    """A namespace of this test's own in the shared Redis, so tests never see each other's keys."""
    import secrets

    return f"t{secrets.token_hex(6)}"


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, to stop and restart."""
    from redis_support import RedisServer

    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.close()
