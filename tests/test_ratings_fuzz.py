"""The API fuzzed from its own OpenAPI document (schemathesis): valid and invalid requests,
with and without the site's Origin; the service must never answer 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from ratings_support import ORIGIN, make_settings
from schemathesis.checks import not_a_server_error

from portal.ratings.app import create_app


@pytest.fixture
def api_schema(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app(make_settings(folder, rate_limit=100_000))
    return schemathesis.openapi.from_asgi("/api/ratings/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=50, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_service_fail(case):
    # Steer most cases past the Origin check and to a published article, so that the
    # validation of stars, fields and bodies is fuzzed too (deterministically, from the case).
    if len(repr(case.body)) % 3:
        case.headers = {**(case.headers or {}), "Origin": ORIGIN}
    if isinstance(case.body, dict) and len(str(case.body.get("article"))) % 2:
        case.body["article"] = "bai-a"
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        assert response.headers["content-type"] == ["application/json"]
        assert set(response.json()) == {"error"}
