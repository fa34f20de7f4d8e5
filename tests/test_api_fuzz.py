"""Property-based fuzzing of the whole JSON API from its own OpenAPI document (schemathesis).

Every operation of ``/api/openapi.json`` is called with generated parameters and bodies (valid and
invalid ones), anonymously and with a ministry and a provincial bearer token, against the Django WSGI
application in this process: no network at all. Each response must not be a 5xx and must conform to the
document: a declared status code, the declared content type and a body matching the declared schema.

Generation is derandomized and bounded (``CITYPILOT_FUZZ_EXAMPLES`` per operation, caller and mode), so
a failure reproduces on every run; the failure report names the operation, the caller and a ``curl``
line. The world is built once and every operation runs against it inside one test, so writes made by one
operation are seen by the next, as on a real server.

Path parameters are drawn half of the time from the ids of records that exist (a published 2013 batch,
a document with a version, a job, organisations), so the 200 branches are exercised as well as the 404s.
A new app's router is fuzzed as soon as it is added to ``citypilot.api``; give ``KNOWN`` the ids of its
records for deeper coverage.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from citypilot.accounts import services as accounts
from citypilot.api import api
from citypilot.documents import services as documents
from citypilot.documents.choices import DocumentKind
from citypilot.jobs import services as jobs
from citypilot.jobs.choices import JobKind
from citypilot.notices.services import import_notice
from citypilot.pilots.models import Pilot
from tests.conftest import World
from tests.files import pdf
from tests.pilots.conftest import SEED_BYTES

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("CITYPILOT_FUZZ_EXAMPLES", "8"))
CALLERS = ("anonymous", "ministry", "own_province")
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)

# Ids of existing records, filled by the fixture before any case is generated.
KNOWN: dict[str, list[Any]] = {}

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
SCHEMA.app = WSGIHandler()

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@SCHEMA.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half of the time, replace each known id parameter with the id of a record that exists."""
    if not path_parameters:
        return st.just(path_parameters)
    real = {
        name: st.sampled_from(KNOWN[name]) if KNOWN.get(name) else st.just(value)
        for name, value in path_parameters.items()
    }
    return st.one_of(st.just(path_parameters), st.fixed_dictionaries(real))


@pytest.fixture
def _keep_the_test_connection() -> Iterator[None]:
    """Requests go straight to a WSGIHandler, whose request signals would close the database connection
    (and with it the test's transaction, on PostgreSQL); Django's test client disconnects them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(world: World, _keep_the_test_connection: None) -> dict[str, dict[str, str]]:
    """The shared small world plus a published 2013 batch, a document, a job and bearer tokens."""
    import_notice(SEED_BYTES, filename="notice_2013.txt", actor=world.users["ministry"], publish=True)
    document = documents.upload_document(
        actor=world.users["own_province"],
        organisation=world.province_a,
        kind=DocumentKind.OTHER,
        title="fuzz",
        upload=io.BytesIO(pdf()),
        original_name="a.pdf",
        is_public=True,
    )
    job = jobs.start_job(actor=world.users["ministry"], kind=JobKind.AUDIT_VERIFY)
    pilots = list(Pilot.objects.filter(supervising_authority=world.province_a).values_list("pk", flat=True)[:3])
    KNOWN.clear()
    KNOWN.update(
        {
            "org_id": [world.province_a.pk, world.pilot_a.pk, world.ministry.pk],
            "document_id": [document.pk],
            "number": [1],
            "job_id": [job.pk],
            "pilot_id": pilots or list(Pilot.objects.values_list("pk", flat=True)[:3]),
        }
    )
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for who in ("ministry", "own_province"):
        _, key = accounts.issue_api_token(world.users[who], name="fuzz")
        headers[who] = {"Authorization": f"Bearer {key}"}
    return headers


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception as exc:  # an operation with nothing to make invalid has no negative cases
        if mode is GenerationMode.NEGATIVE:
            return
        raise AssertionError(f"cannot generate cases: {exc}") from exc

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_api_conforms_to_its_openapi_document(fuzz_world: dict[str, dict[str, str]]) -> None:
    failures: list[str] = []
    operations = [result.ok() for result in SCHEMA.get_all_operations()]
    assert len(operations) >= 20, "the OpenAPI document lost its operations"
    for operation in operations:
        for caller in CALLERS:
            for mode in MODES:
                try:
                    _fuzz(operation, mode, fuzz_world[caller])
                except (Exception, BaseExceptionGroup) as exc:
                    failures.append(f"--- {operation.label} [{caller}, {mode.value}]\n{exc}")
    assert not failures, f"{len(failures)} operation(s) misbehave:\n\n" + "\n\n".join(failures)


def test_huge_offset_is_refused_not_a_server_error(world: World) -> None:
    response = Client().get("/api/pilots/", {"offset": str(2**70)})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
