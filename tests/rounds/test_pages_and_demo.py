"""The HTML pages (actions, errors, history), my tasks, notifications and the demo round."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from citypilot.notifications.models import Notification
from citypilot.rounds import services
from citypilot.rounds.models import Round, Submission, SubmissionEvent
from citypilot.web import worklist
from tests import files

from .conftest import RoundWorld, fresh, png, to_state

pytestmark = pytest.mark.django_db


def post(rw: RoundWorld, who: str, action: str, **data: Any) -> Any:
    s = fresh(rw.own)
    return rw.world.client(who).post(
        f"/rounds/submissions/{s.pk}/{action}/", {"expected_version": s.row_version, **data}
    )


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("方案.pdf", files.pdf(), content_type="application/pdf")


def test_pages_walk_the_round_and_show_the_history(rw: RoundWorld) -> None:
    assert post(rw, "pilot", "upload_plan", file=pdf()).status_code == 302
    assert post(rw, "pilot", "upload_task_book", file=pdf()).status_code == 302
    assert post(rw, "pilot", "submit").status_code == 302
    assert post(rw, "own_province", "take").status_code == 302
    assert post(rw, "own_province", "return", reason="请补充投融资方案").status_code == 302
    page = rw.world.client("pilot").get(f"/rounds/submissions/{rw.own.pk}/").content.decode()
    assert "请补充投融资方案" in page and 'data-testid="upload-plan"' in page
    assert page.count('data-testid="event"') == 5


def test_a_stale_click_is_refused_with_a_message(rw: RoundWorld) -> None:
    to_state(rw.world, rw.own, "submitted")
    stale = fresh(rw.own).row_version
    assert post(rw, "own_province", "take").status_code == 302
    response = rw.world.client("own_province").post(
        f"/rounds/submissions/{rw.own.pk}/take/", {"expected_version": stale}
    )
    assert response.status_code == 409
    assert "已被他人处理" in response.content.decode()
    assert SubmissionEvent.objects.filter(submission=rw.own, action="take_for_review").count() == 1


def test_illegal_and_forbidden_actions_in_html(rw: RoundWorld) -> None:
    assert post(rw, "own_province", "take").status_code == 409  # nothing submitted yet
    assert post(rw, "pilot", "take").status_code == 403
    assert post(rw, "other_province", "take").status_code == 404  # cannot even see it
    assert post(rw, "pilot", "submit").status_code == 422  # documents missing
    assert post(rw, "pilot", "nonsense").status_code == 404
    assert fresh(rw.own).status == "not_started"


def test_files_of_a_submission_are_served_to_who_sees_it(rw: RoundWorld) -> None:
    s = to_state(rw.world, rw.own, "complete")
    assert s.opinion_version_id is not None
    url = f"/rounds/submissions/{s.pk}/files/{s.opinion_version_id}/"
    assert rw.world.client("pilot").get(url).status_code == 200  # the pilot reads the province's opinion
    assert rw.world.client("other_province").get(url).status_code == 404
    other_doc = f"/rounds/submissions/{s.pk}/files/999999/"
    assert rw.world.client("ministry").get(other_doc).status_code == 404


def test_my_tasks_for_each_role(rw: RoundWorld) -> None:
    users = rw.world.users

    def titles(who: str) -> list[str]:
        return [item.action for item in worklist.items_for(users[who])]

    assert titles("pilot") == ["上传并提交实施方案和创建任务书"]
    assert titles("own_province") == []
    to_state(rw.world, rw.own, "submitted")
    assert titles("pilot") == [] and titles("own_province") == ["接收评审"]
    assert titles("other_province") == []
    s = services.take_for_review(fresh(rw.own), actor=users["own_province"])
    services.upload_opinion(s, actor=users["own_province"], upload=png(), original_name="o.png")
    assert titles("ministry") == ["接收材料"]
    assert titles("observer") == []
    page = rw.world.client("ministry").get("/my-tasks/").content.decode()
    assert "接收材料" in page and f"/rounds/submissions/{s.pk}/" in page


def test_worklist_registry_accepts_other_providers(rw: RoundWorld) -> None:
    def provider(user: Any, principal: Any) -> list[worklist.WorkItem]:
        return [worklist.WorkItem(title="申报书", action="填写申报书", url="/selection/", category="申报")]

    worklist.register(provider)
    try:
        assert "填写申报书" in [item.action for item in worklist.items_for(rw.world.users["pilot"])]
    finally:
        worklist._providers.pop(f"{provider.__module__}.{provider.__qualname__}")


def test_notifications_badge_and_read(rw: RoundWorld) -> None:
    from citypilot.notifications.services import notify

    n = notify(rw.world.users["pilot"], text="请提交材料", url=f"/rounds/submissions/{rw.own.pk}/")
    assert n is not None
    client = rw.world.client("pilot")
    assert 'data-testid="unread-count">1<' in client.get("/").content.decode()
    response = client.post(f"/notifications/{n.pk}/read/")
    assert response.status_code == 302 and response["Location"] == f"/rounds/submissions/{rw.own.pk}/"
    assert 'data-testid="unread-count"' not in client.get("/").content.decode()
    assert rw.world.client("own_province").post(f"/notifications/{n.pk}/read/").status_code == 404
    assert notify(rw.world.users["pilot"], text="x", key="k") is not None
    assert notify(rw.world.users["pilot"], text="x", key="k") is None  # once per key
    assert Notification.objects.filter(user=rw.world.users["pilot"]).count() == 2


def test_open_round_page_is_for_the_ministry(world: Any) -> None:
    from .conftest import make_batch

    batch = make_batch(world)
    assert world.client("own_province").get("/rounds/open/").status_code == 404
    response = world.client("ministry").post(
        "/rounds/open/",
        {"batch": batch.pk, "title": "报送", "deadline": "", "reminder_days": "14,7", "overdue_reminder_days": "1"},
    )
    assert response.status_code == 302
    round_ = Round.objects.get(batch=batch)
    assert round_.reminder_days == [14, 7] and round_.deadline.isoformat().startswith("2013-09-01T15:59:59")


def test_demo_round_is_mixed_marked_and_seeded_once(capsys: Any) -> None:
    call_command("demo", "--no-serve")
    assert "DEMO DATA" in capsys.readouterr().out
    round_ = Round.objects.get(is_demo=True)
    statuses = dict.fromkeys(("not_started", "submitted", "under_review", "returned", "complete", "accepted"), 0)
    for status in Submission.objects.filter(round=round_).values_list("status", flat=True):
        statuses[status] += 1
    total = sum(statuses.values())
    assert total > 90
    assert statuses["not_started"] > total / 2  # most have not started
    assert all(statuses[s] > 0 for s in ("accepted", "complete", "returned", "under_review", "submitted"))
    assert Submission.objects.filter(round=round_, is_late=True).exists()
    caofeidian = Submission.objects.get(round=round_, pilot__name="唐山市曹妃甸区")
    assert caofeidian.status == "returned" and caofeidian.return_reason
    assert Notification.objects.filter(user__username="caofeidian").exists()  # overdue reminder, in-app
    events = SubmissionEvent.objects.count()
    call_command("demo", "--no-serve")
    assert SubmissionEvent.objects.count() == events and Round.objects.count() == 1
