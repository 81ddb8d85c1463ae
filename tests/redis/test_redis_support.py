"""The tests' own Redis: started when no URL is given, and a clear failure (never a skip) when
there is no redis-server at all."""

from __future__ import annotations

import shutil

import pytest
import redis_support


def test_without_a_redis_server_the_tests_fail_saying_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(pytest.fail.Exception, match="make test"):
        redis_support.redis_binary()


def test_a_private_server_stops_and_starts_again_on_its_port(
    private_redis: redis_support.RedisServer,
) -> None:
    assert private_redis.answers()
    private_redis.stop()
    assert not private_redis.answers()
    private_redis.start()
    assert private_redis.answers()
