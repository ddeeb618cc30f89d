"""The OpenAPI document: valid, served, and the API conforms to it under generated input."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import positive_data_acceptance

import upstreams

EXAMPLES = int(os.environ.get("TRIALBUZZ_SCHEMATHESIS_EXAMPLES", "40"))


def test_openapi_document_is_valid_and_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert {"/api/v1/resolve", "/api/v1/trials/{nct_id}", "/api/v1/badge"} <= set(
        document["paths"])


def refuse_every_name(host, port, *args, **kwargs):
    """Name resolution for generated URLs: a documentation address, refused before connecting."""
    import socket
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("203.0.113.7", port or 80))]


@pytest.fixture
def api_app(make_app, fake, ctgov):
    """The app with every upstream faked and page fetches unable to leave the machine."""
    upstreams.install(fake)
    app = make_app()
    app.extensions["trialbuzz"].fetcher.resolver = refuse_every_name
    return app


def operations():
    """The API's operations, from the document itself (no app needed to list them)."""
    from trialbuzz.web import openapi
    return [(path, method.upper()) for path, item in openapi.document()["paths"].items()
            for method in item]


# Driven through hypothesis directly: schemathesis's own pytest plugin does not load under
# pytest 9, its strategies and checks do.
@pytest.mark.parametrize("path, method", operations())
def test_api_conforms_and_never_fails_on_generated_input(api_app, path, method):
    from hypothesis import given

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", api_app)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def run(case):
        # Every other check stays on. Acceptance of schema-valid input is left out: a schema
        # cannot say that /badge needs url or ids, nor which well-formed URLs are usable.
        # Its WSGI transport offers brotli and gzip but, unlike an HTTP client, never decodes
        # them: ask for identity (test_compression.py covers the encodings).
        case.call_and_validate(headers={"Accept-Encoding": "identity"},
                               excluded_checks=[positive_data_acceptance])

    run()
