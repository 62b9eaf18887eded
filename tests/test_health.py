"""``/health`` for the load balancer, and configuration errors of the shared services."""

from __future__ import annotations

import pytest

from geo.errors import InvalidParameter
from tests.backends import backend  # noqa: F401  (the module's tests run on both stores)
from webmap.options import security_options


def test_health_names_the_store_and_says_redis_is_not_configured(client, backend):  # noqa: F811
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    doc = answer.get_json()
    assert doc["status"] == "ok"
    assert doc["store"] == {"kind": "postgis" if backend == "postgis" else "embedded", "status": "ok"}
    assert doc["redis"] == {"status": "not configured"}
    assert len(doc["data_version"]) == 16


def test_health_is_not_rate_limited(app_factory):
    client = app_factory(COOPMAP_RATE_LIMIT="2 per minute").test_client()
    assert [client.get("/health").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/ogc/conformance").status_code for _ in range(3)] == [200, 200, 429]


def test_an_unreachable_redis_makes_health_degraded_and_the_api_still_answers(app_factory):
    # nothing listens on port 1 of loopback: Redis is "down" from the start
    client = app_factory(COOPMAP_REDIS_URL="redis://127.0.0.1:1/0", COOPMAP_RATE_LIMIT="2 per minute").test_client()
    doc = client.get("/health").get_json()
    assert (doc["status"], doc["redis"]) == ("degraded", {"status": "unavailable"})
    # the limits fall back to this process's memory: still enforced, never an outage
    assert [client.get("/ogc/conformance").status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.parametrize("url", ["localhost:6379", "http://redis:6379"])
def test_a_redis_url_that_is_not_one_is_refused_at_start(url):
    with pytest.raises(InvalidParameter, match="COOPMAP_REDIS_URL"):
        security_options({"COOPMAP_REDIS_URL": url}, environ={})
