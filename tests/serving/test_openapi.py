"""The server against its own OpenAPI document, with schemathesis: generated requests to every
operation (a bounded number each, so that CI stays quick) never get a 500, and every response
matches the document: its status code, content type, headers and schema."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from timeline.serving.app import create_app
from timeline.serving.questions import QUESTIONS
from timeline.store.sql import SqlStore

# Examples per operation and backend: enough to reach every parameter's odd values (empty,
# repeated, out of range, unparsable dates) in about ten seconds for the whole document.
EXAMPLES = 30
# Drawing with matplotlib takes a tenth of a second or more a map: fewer of those.
FEWER = {"map.svg": 8}
# The document's own string formats, drawn mostly from values that mean something (so that
# answers, not only refusals, are checked against their schemas) and sometimes from any text.
schemathesis.openapi.format(
    "fuzzy-date",
    st.one_of(
        st.dates(min_value=date(2010, 1, 1), max_value=date(2021, 12, 31)).map(str),
        st.sampled_from(["2019", "2020-05", "2019-04~", "2020-05-26T12:00:00Z", "now", "2100"]),
        st.text(max_size=12),
    ),
)
schemathesis.openapi.format("timeline-name", st.one_of(st.just("libya"), st.text(max_size=8)))
schemathesis.openapi.format(
    "entity-name",
    st.one_of(
        st.sampled_from(["al-watiya", "GNA", "Libyan National Army", "tripoli", "Wagner"]),
        st.text(max_size=8),
    ),
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


# The document describes the server, whatever holds its data: one backend is enough here
# (test_api.py runs every endpoint on both).
@pytest.mark.parametrize("libya_store", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", sorted(QUESTIONS))
def test_every_response_matches_the_document(libya_store: SqlStore, path: str) -> None:
    # Driven through Hypothesis directly: schemathesis' own pytest fixtures do not run under
    # this pytest.
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(libya_store))
    assert sorted(schema) == sorted(f"/api/{name}" for name in QUESTIONS)
    operation = schema[f"/api/{path}"]["GET"]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=FEWER.get(path, EXAMPLES),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(checks=CHECKS)

    check()
