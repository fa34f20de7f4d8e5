"""Each transition of the selection workflow: legal from its states, refused (with a reason) elsewhere."""

from __future__ import annotations

import datetime as dt

import pytest

from citypilot.audit.models import AuditEntry
from citypilot.core.errors import ConcurrentUpdate, InvalidTransition, PermissionDenied, ValidationFailed
from citypilot.documents.choices import DocumentKind
from citypilot.selection import services
from citypilot.selection.choices import ApplicationStatus, AssignmentStatus, CallStatus, EventKind
from citypilot.selection.models import ApplicationEvent

from .conftest import FULL_SCORES, Flow, pdf

pytestmark = pytest.mark.django_db


def kinds(app) -> list[str]:
    return list(ApplicationEvent.objects.filter(application=app).order_by("pk").values_list("kind", flat=True))


# --------------------------------------------------------------------------------------------------
# Calls


def test_new_call_starts_from_the_reference_conditions_and_materials(flow: Flow) -> None:
    call = services.create_call(actor=flow.users["ministry"], year=2032, title="申报通知")
    assert call.status == CallStatus.DRAFT
    assert [c["key"] for c in call.conditions] == ["plan", "outline", "funding", "leader"]
    assert [m["name"] for m in call.materials] == ["申报书", "智慧城市发展规划纲要", "试点实施方案", "项目投融资方案"]
    assert call.default_quota == 2
    assert AuditEntry.objects.filter(action="call.create", object_id=str(call.pk)).exists()


def test_only_the_ministry_manages_calls(flow: Flow) -> None:
    for who in ("own_province", "pilot", "expert", "observer"):
        with pytest.raises(PermissionDenied):
            services.create_call(actor=flow.users[who], year=2040, title="x")
        with pytest.raises(PermissionDenied):
            services.close_call(flow.call, actor=flow.users[who], expected_version=flow.call.row_version)


def test_call_checklist_is_editable_while_draft_only(flow: Flow) -> None:
    ministry = flow.users["ministry"]
    call = services.create_call(actor=ministry, year=2033, title="草稿")
    call = services.update_call(
        call,
        actor=ministry,
        expected_version=call.row_version,
        changes={
            "conditions": ["城市“十二五”规划（或本年度政府工作报告）中已明确提出智慧城市建设工作", "新条件"],
            "quota_overrides": {str(flow.world.province_a.pk): 3},
        },
    )
    assert [c["key"] for c in call.conditions] == ["plan", "c5"]  # kept key of the unchanged line
    assert call.quota_for(flow.world.province_a.pk) == 3 and call.quota_for(flow.world.province_b.pk) == 2
    call = services.open_call(call, actor=ministry, expected_version=call.row_version)
    with pytest.raises(InvalidTransition):
        services.update_call(call, actor=ministry, expected_version=call.row_version, changes={"conditions": ["x"]})
    call = services.update_call(
        call, actor=ministry, expected_version=call.row_version, changes={"application_deadline": dt.date(2033, 6, 30)}
    )
    assert call.application_deadline == dt.date(2033, 6, 30)
    with pytest.raises(ConcurrentUpdate):
        services.update_call(call, actor=ministry, expected_version=call.row_version - 1, changes={"title": "y"})


def test_call_state_machine(flow: Flow) -> None:
    ministry = flow.users["ministry"]
    call = flow.call
    with pytest.raises(InvalidTransition):
        services.open_call(call, actor=ministry, expected_version=call.row_version)
    with pytest.raises(InvalidTransition, match="须先截止申报"):
        services.finalise_call(call, actor=ministry, expected_version=call.row_version)
    with pytest.raises(InvalidTransition):
        services.publish_list(call, actor=ministry, expected_version=call.row_version)
    call = services.close_call(call, actor=ministry, expected_version=call.row_version)
    assert call.status == CallStatus.CLOSED
    with pytest.raises(InvalidTransition, match="没有批准的申报"):
        services.finalise_call(call, actor=ministry, expected_version=call.row_version)


# --------------------------------------------------------------------------------------------------
# The applicant


def test_applicant_drafts_and_submits(flow: Flow) -> None:
    app = flow.draft()
    assert app.status == ApplicationStatus.DRAFT and app.province == flow.world.province_a
    app = flow.complete(app)
    links = list(app.material_links.select_related("document"))
    assert len(links) == 4 and all(link.document.kind == DocumentKind.APPLICATION for link in links)
    app = services.submit_application(app, actor=flow.users["pilot"], expected_version=app.row_version)
    assert app.status == ApplicationStatus.SUBMITTED and app.submitted_at is not None and not app.is_late
    assert kinds(app) == ["created", *["material"] * 4, "condition", "submitted"]


def test_reuploading_a_material_adds_a_version(flow: Flow) -> None:
    app = flow.draft()
    key = flow.call.materials[0]["key"]
    first = services.attach_material(app, actor=flow.users["pilot"], material=key, upload=pdf(), original_name="a.pdf")
    again = services.attach_material(
        app, actor=flow.users["pilot"], material=key, upload=pdf("b.pdf"), original_name="b.pdf"
    )
    assert first.pk == again.pk
    assert list(again.document.versions.order_by("number").values_list("number", flat=True)) == [1, 2]


def test_submission_refused_with_the_list_of_what_is_missing(flow: Flow) -> None:
    app = flow.draft()
    key = flow.call.materials[0]["key"]
    services.attach_material(app, actor=flow.users["pilot"], material=key, upload=pdf(), original_name="a.pdf")
    app.refresh_from_db()
    app = services.confirm_conditions(
        app, actor=flow.users["pilot"], expected_version=app.row_version, confirmed=["plan", "outline"]
    )
    with pytest.raises(InvalidTransition) as refused:
        services.submit_application(app, actor=flow.users["pilot"], expected_version=app.row_version)
    details = refused.value.details
    assert [m["name"] for m in details["missing_materials"]] == [
        "智慧城市发展规划纲要",
        "试点实施方案",
        "项目投融资方案",
    ]
    assert [c["key"] for c in details["missing_conditions"]] == ["funding", "leader"]
    assert "项目投融资方案" in str(refused.value.message)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT


def test_late_submission_is_accepted_and_marked(flow: Flow) -> None:
    ministry = flow.users["ministry"]
    services.update_call(
        flow.call,
        actor=ministry,
        expected_version=flow.call.row_version,
        changes={"application_deadline": dt.date(2020, 1, 1)},
    )
    app = flow.submitted()
    assert app.status == ApplicationStatus.SUBMITTED and app.is_late


def test_applicant_rules(flow: Flow) -> None:
    with pytest.raises(PermissionDenied):
        flow.draft(user="other_pilot")
    with pytest.raises(PermissionDenied):
        flow.draft(user="own_province")  # the province does not apply for its pilots
    app = flow.draft()
    with pytest.raises(ValidationFailed):
        flow.draft()  # one application per applicant and call
    with pytest.raises(ValidationFailed):
        services.create_application(
            actor=flow.users["ministry"], call=flow.call, applicant=flow.world.province_a, area_name="河北省"
        )
    with pytest.raises(PermissionDenied):
        services.submit_application(app, actor=flow.users["other_pilot"], expected_version=app.row_version)
    with pytest.raises(ValidationFailed):
        services.attach_material(app, actor=flow.users["pilot"], material="nope", upload=pdf(), original_name="a.pdf")


def test_closed_call_accepts_no_application(flow: Flow) -> None:
    app = flow.complete(flow.draft())
    call = services.close_call(flow.call, actor=flow.users["ministry"], expected_version=flow.call.row_version)
    with pytest.raises(InvalidTransition):
        services.create_application(
            actor=flow.users["other_pilot"], call=call, applicant=flow.world.pilot_b, area_name="阳泉市"
        )
    with pytest.raises(InvalidTransition):
        services.submit_application(app, actor=flow.users["pilot"], expected_version=app.row_version)


def test_submitted_application_cannot_be_edited_or_resubmitted(flow: Flow) -> None:
    app = flow.submitted()
    with pytest.raises(InvalidTransition, match="已提交"):
        services.submit_application(app, actor=flow.users["pilot"], expected_version=app.row_version)
    with pytest.raises(InvalidTransition):
        services.update_application(app, actor=flow.users["pilot"], expected_version=app.row_version, area_name="x")
    with pytest.raises(InvalidTransition):
        services.attach_material(
            app, actor=flow.users["pilot"], material=flow.call.materials[0]["key"], upload=pdf(), original_name="a.pdf"
        )


# --------------------------------------------------------------------------------------------------
# Provincial review


def test_provincial_review_recommend(flow: Flow) -> None:
    app = flow.reviewed()
    assert app.status == ApplicationStatus.PROVINCE_REVIEWED
    review = app.provincial_reviews.get()
    assert (review.score, review.site_visit_participants, review.materials_complete) == (88, "张三、李四", True)
    app = services.recommend_application(
        app, actor=flow.users["own_province"], expected_version=app.row_version, rank=1
    )
    assert (app.status, app.rank) == (ApplicationStatus.RECOMMENDED, 1)


def test_provincial_review_is_the_own_province_only(flow: Flow) -> None:
    app = flow.submitted()
    for who in ("other_province", "pilot", "ministry", "observer", "expert"):
        with pytest.raises(PermissionDenied):
            flow.reviewed(app, province_user=who)


def test_provincial_review_rules(flow: Flow) -> None:
    app = flow.draft()
    with pytest.raises(InvalidTransition):
        flow.reviewed(app)  # a draft is not reviewed
    app = flow.complete(app)
    app = services.submit_application(app, actor=flow.users["pilot"], expected_version=app.row_version)
    with pytest.raises(ValidationFailed):
        services.record_provincial_review(
            app,
            actor=flow.users["own_province"],
            expected_version=app.row_version,
            materials_complete=True,
            site_visit_date=dt.date(2014, 5, 1),
            site_visit_participants="张三",
            opinion="好",
            score=101,
        )
    with pytest.raises(InvalidTransition):
        services.recommend_application(app, actor=flow.users["own_province"], expected_version=app.row_version, rank=1)


def test_incomplete_materials_cannot_be_recommended(flow: Flow) -> None:
    app = flow.submitted()
    services.record_provincial_review(
        app,
        actor=flow.users["own_province"],
        expected_version=app.row_version,
        materials_complete=False,
        site_visit_date=dt.date(2014, 5, 1),
        site_visit_participants="张三",
        opinion="缺少签章",
        score=40,
    )
    app.refresh_from_db()
    with pytest.raises(InvalidTransition, match="材料审查未通过"):
        services.recommend_application(app, actor=flow.users["own_province"], expected_version=app.row_version, rank=1)


def test_return_with_reasons_and_resubmit(flow: Flow) -> None:
    app = flow.reviewed()
    with pytest.raises(ValidationFailed):
        services.return_application(app, actor=flow.users["own_province"], expected_version=app.row_version, reason=" ")
    app = services.return_application(
        app, actor=flow.users["own_province"], expected_version=app.row_version, reason="实施方案缺少投融资测算"
    )
    assert app.status == ApplicationStatus.RETURNED
    event = ApplicationEvent.objects.filter(application=app, kind=EventKind.RETURNED).get()
    assert (event.reason, event.actor, event.from_status) == (
        "实施方案缺少投融资测算",
        flow.users["own_province"],
        ApplicationStatus.PROVINCE_REVIEWED,
    )
    services.attach_material(
        app,
        actor=flow.users["pilot"],
        material=flow.call.materials[3]["key"],
        upload=pdf("v2.pdf"),
        original_name="v2.pdf",
    )
    app.refresh_from_db()
    app = services.submit_application(app, actor=flow.users["pilot"], expected_version=app.row_version)
    assert app.status == ApplicationStatus.SUBMITTED
    app = flow.reviewed(app)
    assert app.provincial_reviews.count() == 2  # earlier review kept


# --------------------------------------------------------------------------------------------------
# National review


def test_assign_score_decide(flow: Flow) -> None:
    app, assignment = flow.scored()
    assert assignment.status == AssignmentStatus.SCORED and assignment.total == sum(FULL_SCORES.values())
    assert app.status == ApplicationStatus.NATIONAL_REVIEW
    app = services.decide_application(app, actor=flow.users["ministry"], expected_version=app.row_version, approve=True)
    assert app.status == ApplicationStatus.APPROVED and app.decided_at is not None
    with pytest.raises(InvalidTransition):
        services.decide_application(
            app, actor=flow.users["ministry"], expected_version=app.row_version, approve=False, reason="x"
        )


def test_not_approved_needs_a_reason(flow: Flow) -> None:
    app, _assignment = flow.scored()
    with pytest.raises(ValidationFailed):
        services.decide_application(app, actor=flow.users["ministry"], expected_version=app.row_version, approve=False)
    app = services.decide_application(
        app, actor=flow.users["ministry"], expected_version=app.row_version, approve=False, reason="基础条件不足"
    )
    assert app.status == ApplicationStatus.NOT_APPROVED


def test_decision_waits_for_every_assigned_expert(flow: Flow) -> None:
    app, _assignment = flow.assigned()
    with pytest.raises(InvalidTransition, match="还没有专家完成评分"):
        services.decide_application(app, actor=flow.users["ministry"], expected_version=app.row_version, approve=True)


def test_only_the_ministry_assigns_and_decides(flow: Flow) -> None:
    app = flow.recommended()
    for who in ("own_province", "pilot", "expert"):
        with pytest.raises(PermissionDenied):
            services.assign_expert(app, actor=flow.users[who], expected_version=app.row_version, expert=flow.expert_b)
    app, _assignment = flow.assigned(app)
    with pytest.raises(PermissionDenied):
        services.decide_application(
            app, actor=flow.users["own_province"], expected_version=app.row_version, approve=True
        )


def test_assignment_only_after_recommendation(flow: Flow) -> None:
    app = flow.reviewed()
    with pytest.raises(InvalidTransition):
        services.assign_expert(
            app, actor=flow.users["ministry"], expected_version=app.row_version, expert=flow.expert_b
        )


def test_only_the_assigned_expert_scores(flow: Flow) -> None:
    _app, assignment = flow.assigned()
    with pytest.raises(PermissionDenied):
        services.submit_scores(assignment, actor=flow.expert_a, scores=FULL_SCORES, opinion="x")
    with pytest.raises(PermissionDenied):
        services.submit_scores(assignment, actor=flow.users["ministry"], scores=FULL_SCORES, opinion="x")


def test_scores_must_cover_every_dimension_within_the_scale(flow: Flow) -> None:
    _app, assignment = flow.assigned()
    with pytest.raises(ValidationFailed) as missing:
        services.submit_scores(assignment, actor=flow.expert_b, scores={"safeguards": 10}, opinion="x")
    assert set(missing.value.details["missing"]) == {"liveability", "management", "industry"}
    with pytest.raises(ValidationFailed, match="0 到 25"):
        services.submit_scores(assignment, actor=flow.expert_b, scores={**FULL_SCORES, "industry": 26}, opinion="x")
    with pytest.raises(ValidationFailed):
        services.submit_scores(assignment, actor=flow.expert_b, scores=FULL_SCORES, opinion=" ")
    assignment = services.submit_scores(assignment, actor=flow.expert_b, scores=FULL_SCORES, opinion="好")
    with pytest.raises(InvalidTransition):
        services.submit_scores(assignment, actor=flow.expert_b, scores=FULL_SCORES, opinion="again")


def test_configurable_scale(flow: Flow) -> None:
    ministry = flow.users["ministry"]
    call = services.create_call(actor=ministry, year=2034, title="百分制", dimension_max=100)
    assert call.dimension_max == 100


def test_stale_version_is_refused(flow: Flow) -> None:
    app = flow.submitted()
    with pytest.raises(ConcurrentUpdate, match="已被他人处理"):
        services.return_application(
            app, actor=flow.users["own_province"], expected_version=app.row_version - 1, reason="x"
        )
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED


def test_event_history_is_append_only(flow: Flow) -> None:
    app = flow.submitted()
    event = app.events.first()
    event.reason = "changed"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_every_decision_is_audited(flow: Flow) -> None:
    app, _assignment = flow.scored()
    actions = set(AuditEntry.objects.filter(object_id=str(app.pk)).values_list("action", flat=True))
    assert {
        "application.created",
        "application.submitted",
        "application.provincial_review",
        "application.recommended",
        "application.expert_assigned",
    } <= actions
    # who reviews is confidential: not filed under the applicant's organisation
    assigned = AuditEntry.objects.get(action="application.expert_assigned", object_id=str(app.pk))
    assert assigned.organisation_id is None
