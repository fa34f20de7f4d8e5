"""The API's edges: authentication, one error shape, OpenAPI document and docs page served locally."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from citypilot.accounts import services
from citypilot.accounts.models import Organisation
from tests.conftest import World

pytestmark = pytest.mark.django_db


def assert_error_shape(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    body = json.loads(response.content)  # type: ignore[attr-defined]
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code and body["message"]
    return body  # type: ignore[no-any-return]


def test_openapi_and_docs_are_served_without_a_cdn(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/accounts/organisations" in schema["paths"]
    docs = client.get("/api/docs").content.decode()
    assert "cdn" not in docs.lower() and "/static/ninja/swagger-ui-bundle.js" in docs


def test_bearer_token_authenticates(world: World) -> None:
    _, key = services.issue_api_token(world.users["pilot"], name="t")
    response = Client().get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert response.json()["username"] == "t-pilot-a"
    assert response.json()["roles"] == ["pilot_officer"]


def test_bad_token_is_refused_not_downgraded(world: World) -> None:
    response = Client().get("/api/accounts/organisations", HTTP_AUTHORIZATION="Bearer cp_wrong")
    assert_error_shape(response, 401, "not_authenticated")


def test_anonymous_me_needs_login(client: Client) -> None:
    assert_error_shape(client.get("/api/accounts/me"), 401, "not_authenticated")


def test_malformed_body_gets_validation_error(world: World) -> None:
    client = world.client("ministry")
    response = client.patch(
        f"/api/accounts/organisations/{world.pilot_a.pk}", data="{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"code", "message", "details"}
    response = client.patch(
        f"/api/accounts/organisations/{world.pilot_a.pk}",
        data={"name": "x"},
        content_type="application/json",
    )
    body = assert_error_shape(response, 422, "validation_error")
    assert any("expected_version" in error["loc"] for error in body["details"]["errors"])  # type: ignore[index]


def test_stale_patch_gets_conflict_and_changes_nothing(world: World) -> None:
    client = world.client("ministry")
    url = f"/api/accounts/organisations/{world.pilot_a.pk}"
    ok = client.patch(url, {"expected_version": 1, "reason": "r", "name": "甲"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["row_version"] == 2
    stale = client.patch(url, {"expected_version": 1, "reason": "r", "name": "乙"}, content_type="application/json")
    assert_error_shape(stale, 409, "concurrent_update")
    assert Organisation.objects.get(pk=world.pilot_a.pk).name == "甲"


def test_session_writes_need_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["ministry"])
    response = client.patch(
        f"/api/accounts/organisations/{world.pilot_a.pk}",
        {"expected_version": 1, "reason": "r", "name": "x"},
        content_type="application/json",
    )
    assert_error_shape(response, 403, "permission_denied")
    assert Organisation.objects.get(pk=world.pilot_a.pk).name != "x"


def test_errors_follow_the_users_language(world: World) -> None:
    user = world.users["other_province"]
    user.language = "en"
    user.save()
    client = Client()
    client.force_login(user)
    body = assert_error_shape(client.get(f"/api/accounts/organisations/{world.pilot_a.pk}"), 404, "not_found")
    assert body["message"] == "The record does not exist or you may not see it."
