"""The real Redis for tests: used when it answers; under CI=true its absence fails the run."""

from __future__ import annotations

import pytest
import redis

from tests.support.databases import IN_CI

REDIS_URL = "redis://127.0.0.1:6379/0"


def require_redis() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if IN_CI:
            pytest.fail("Redis on 127.0.0.1:6379 is unreachable and CI=true", pytrace=False)
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    return REDIS_URL
