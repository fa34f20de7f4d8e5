"""The demo call in its mixed state, the pages and the API of each step, and the work list provider."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from citypilot.accounts.models import User
from citypilot.accounts.principals import principal_of
from citypilot.selection.choices import ApplicationStatus, AssignmentStatus
from citypilot.selection.models import Application, Call, ExpertAssignment
from citypilot.selection.tasks import selection_tasks

from .conftest import Flow

pytestmark = pytest.mark.django_db


def test_demo_seeds_a_marked_call_in_a_mixed_state(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "--no-serve")
    assert "/selection/calls/" in capsys.readouterr().out
    call = Call.objects.get(year=2014)
    assert call.is_demo and "演示" in call.title
    statuses = dict(Application.objects.filter(call=call).values_list("area_name", "status"))
    assert statuses == {
        "正定县": ApplicationStatus.DRAFT,
        "石家庄市鹿泉区": ApplicationStatus.SUBMITTED,
        "邢台市": ApplicationStatus.NATIONAL_REVIEW,
        "运城市": ApplicationStatus.RETURNED,
        "忻州市": ApplicationStatus.NATIONAL_REVIEW,
    }
    assert all(Application.objects.filter(call=call).values_list("is_demo", flat=True))
    expert = User.objects.get(username="expert")
    assert expert.expert_profile.province.code == "prov-320000"
    assert set(ExpertAssignment.objects.filter(expert=expert).values_list("status", flat=True)) == {
        AssignmentStatus.SCORED,
        AssignmentStatus.ASSIGNED,
    }
    call_command("demo", "--no-serve")  # again: nothing doubles
    assert Application.objects.filter(call=call).count() == 5
    # the demo users' queues
    titles = [item.action for item in selection_tasks(expert, principal_of(expert))]
    assert titles == ["评分并填写评审意见"]
    hebei = User.objects.get(username="hebei")
    assert [item.action for item in selection_tasks(hebei, principal_of(hebei))] == ["省级初审"]
    ministry = User.objects.get(username="ministry")
    assert sorted(item.action for item in selection_tasks(ministry, principal_of(ministry))) == ["作出评审决定"] * 2


def test_pages_render_for_each_role(flow: Flow) -> None:
    app, _assignment = flow.assigned()
    for who, marker in (
        ("pilot", "申报材料"),
        ("own_province", "省级初审"),
        ("ministry", "评分汇总"),
        ("expert", "提交评分"),
    ):
        client = flow.world.client(who)
        assert client.get("/selection/").status_code == 200
        page = client.get(f"/selection/applications/{app.pk}/")
        assert page.status_code == 200 and marker in page.content.decode(), who
    ministry = flow.world.client("ministry")
    assert ministry.get(f"/selection/calls/{flow.call.pk}/").status_code == 200
    assert ministry.get(f"/selection/calls/{flow.call.pk}/edit/").status_code == 200
    assert ministry.get("/selection/calls/new/").status_code == 200
    assert ministry.get("/selection/experts/").status_code == 200
    assert flow.world.client("pilot").get("/selection/experts/").status_code == 404


def test_refused_submission_shows_what_is_missing(flow: Flow) -> None:
    app = flow.draft()
    client = flow.world.client("pilot")
    response = client.post(f"/selection/applications/{app.pk}/submit/", {"expected_version": app.row_version})
    assert response.status_code == 409
    assert "尚缺" in response.content.decode() and "项目投融资方案" in response.content.decode()


def test_stale_form_is_told_and_changes_nothing(flow: Flow) -> None:
    app = flow.reviewed()
    client = flow.world.client("own_province")
    response = client.post(
        f"/selection/applications/{app.pk}/return/", {"expected_version": app.row_version - 1, "reason": "退回"}
    )
    assert response.status_code == 409 and "已被他人处理" in response.content.decode()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PROVINCE_REVIEWED


def test_api_walks_the_national_review(flow: Flow) -> None:
    app = flow.recommended()
    ministry, expert = flow.world.client("ministry"), flow.world.client("expert")
    response = ministry.post(
        f"/api/selection/applications/{app.pk}/assignments",
        {"expected_version": app.row_version, "expert_id": flow.expert_a.pk},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    response = ministry.post(
        f"/api/selection/applications/{app.pk}/assignments",
        {"expected_version": app.row_version, "expert_id": flow.expert_b.pk},
        content_type="application/json",
    )
    assert response.status_code == 201
    assignment_id = response.json()["id"]
    response = expert.post(
        f"/api/selection/assignments/{assignment_id}/scores",
        {"scores": {"safeguards": 20, "liveability": 20, "management": 20, "industry": 20}, "opinion": "同意"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["total"] == 80
    summary = ministry.get(f"/api/selection/applications/{app.pk}/scores").json()
    assert summary[-1] == {
        "key": "total",
        "label": "总分",
        "count": 1,
        "mean": 80.0,
        "minimum": 80,
        "maximum": 80,
        "spread": 0.0,
    }
    app.refresh_from_db()
    response = ministry.post(
        f"/api/selection/applications/{app.pk}/decide",
        {"expected_version": app.row_version, "approve": True},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "approved"
    events = flow.world.client("pilot").get(f"/api/selection/applications/{app.pk}/events").json()["items"]
    assert [e["kind"] for e in events][-1] == "approved"
    assert "expert_assigned" not in [e["kind"] for e in events]
    assert Client().get(f"/api/selection/applications/{app.pk}").status_code in (401, 404)
