"""A real redis-server for the tests: the one ``make test`` started, or one started here.

``make test`` (``scripts/with-redis``) starts a redis-server and hands its URL over in
``LIVIONKEY_TEST_REDIS_URL``; without it (a plain ``pytest``) the session starts its own from the
``redis-server`` on PATH. There is no skipping: without a server the tests that need one fail,
saying how to get one. Tests that stop or restart Redis start a private server of their own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

__all__ = ["RedisServer", "free_port", "redis_binary"]

_START_TIMEOUT = 10.0
NO_REDIS = (
    "these tests need a real redis-server: run them with `make test` (which installs Debian's "
    "redis-server when missing), or install it (`apt-get install redis-server`), or set "
    "LIVIONKEY_TEST_REDIS_URL to a Redis you can flush"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(NO_REDIS, pytrace=False)
    return binary


class RedisServer:
    """A redis-server on a loopback port, without persistence; ``stop``/``start`` keep the port
    (a restart loses every key, as a Redis without persistence does)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port if port is not None else free_port()
        self._dir = tempfile.mkdtemp(prefix="livionkey-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._process = subprocess.Popen(  # noqa: S603 - our own arguments
            [
                redis_binary(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while not self.answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"redis-server did not start on port {self.port}", pytrace=False)
            time.sleep(0.02)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextlib.contextmanager
def session_redis() -> Iterator[str]:
    """The URL of the session's Redis: ``make test``'s, or one started (and stopped) here."""
    url = os.environ.get("LIVIONKEY_TEST_REDIS_URL")
    if url:
        yield url
        return
    server = RedisServer()
    server.start()
    try:
        yield server.url
    finally:
        server.close()
