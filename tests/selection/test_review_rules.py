"""Quota and rank, conflicts of interest, the expert-province rule, scoping and score aggregation."""

from __future__ import annotations

import pytest

from citypilot.accounts import services as accounts
from citypilot.accounts.choices import OrganisationKind, Role
from citypilot.accounts.models import Organisation
from citypilot.core.errors import InvalidTransition, ValidationFailed
from citypilot.selection import selectors, services
from citypilot.selection.choices import ApplicationStatus, AssignmentStatus, Dimension
from citypilot.selection.models import Application, ApplicationEvent, ExpertAssignment
from tests.conftest import make_user

from .conftest import FULL_SCORES, Flow

pytestmark = pytest.mark.django_db


def pilot_of(flow: Flow, code: str, name: str, province: Organisation | None = None) -> tuple[Organisation, str]:
    org = accounts.create_organisation(
        actor=None,
        kind=OrganisationKind.PILOT,
        code=code,
        name=f"{name}人民政府",
        parent=province or flow.world.province_a,
    )
    make_user(f"u-{code}", org, Role.PILOT_OFFICER)
    return org, f"u-{code}"


def add_applicant(flow: Flow, code: str, name: str, province: Organisation | None = None) -> Application:
    org, username = pilot_of(flow, code, name, province)
    from citypilot.accounts.models import User

    flow.world.users[username] = User.objects.get(username=username)
    return flow.reviewed(applicant=org, area_name=name, user=username)


# --------------------------------------------------------------------------------------------------
# Quota and rank


def test_quota_refuses_a_third_recommendation_with_a_clear_message(flow: Flow) -> None:
    first = flow.recommended(rank=1)
    second = flow.recommended(add_applicant(flow, "t-q2", "唐山市丰南区"), rank=2)
    third = add_applicant(flow, "t-q3", "邯郸市")
    with pytest.raises(InvalidTransition) as refused:
        services.recommend_application(
            third, actor=flow.users["own_province"], expected_version=third.row_version, rank=2
        )
    assert "推荐名额已满" in str(refused.value.message) and "最多推荐 2 个" in str(refused.value.message)
    assert refused.value.details == {"quota": 2, "recommended": 2}
    third.refresh_from_db()
    assert third.status == ApplicationStatus.PROVINCE_REVIEWED and third.rank is None
    assert {first.rank, second.rank} == {1, 2}


def test_quota_override_per_authority(flow: Flow) -> None:
    ministry = flow.users["ministry"]
    services.update_call(
        flow.call,
        actor=ministry,
        expected_version=flow.call.row_version,
        changes={"quota_overrides": {str(flow.world.province_a.pk): 1}},
    )
    flow.call.refresh_from_db()
    flow.recommended(rank=1)
    other = add_applicant(flow, "t-o2", "邯郸市")
    with pytest.raises(InvalidTransition, match="最多推荐 1 个"):
        services.recommend_application(
            other, actor=flow.users["own_province"], expected_version=other.row_version, rank=1
        )


def test_rank_is_unique_within_call_and_province(flow: Flow) -> None:
    flow.recommended(rank=1)
    other = add_applicant(flow, "t-r2", "邯郸市")
    with pytest.raises(ValidationFailed, match="排序第 1 位已推荐"):
        services.recommend_application(
            other, actor=flow.users["own_province"], expected_version=other.row_version, rank=1
        )
    with pytest.raises(ValidationFailed, match="1 到 2"):
        services.recommend_application(
            other, actor=flow.users["own_province"], expected_version=other.row_version, rank=3
        )


def test_rank_constraint_holds_in_the_database(flow: Flow) -> None:
    from django.db import IntegrityError, transaction

    first = flow.recommended(rank=1)
    other = add_applicant(flow, "t-db2", "邯郸市")
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=other.pk).update(rank=first.rank)


def test_other_provinces_have_their_own_quota(flow: Flow) -> None:
    flow.recommended(rank=1)
    app = flow.reviewed(
        applicant=flow.world.pilot_b, area_name="阳泉市", user="other_pilot", province_user="other_province"
    )
    app = services.recommend_application(
        app, actor=flow.users["other_province"], expected_version=app.row_version, rank=1
    )
    assert app.rank == 1


# --------------------------------------------------------------------------------------------------
# Experts


def test_expert_of_the_applicants_province_is_never_assigned(flow: Flow) -> None:
    app = flow.recommended()
    with pytest.raises(InvalidTransition, match="须回避") as refused:
        services.assign_expert(
            app, actor=flow.users["ministry"], expected_version=app.row_version, expert=flow.expert_a
        )
    assert refused.value.details["rule"] == "expert_province"
    assert flow.expert_a not in selectors.eligible_experts(app)
    assert flow.expert_b in selectors.eligible_experts(app)


def test_plan_city_commission_counts_as_its_province() -> None:
    a = Organisation(pk=1, code="prov-330000", division_code="330000")
    b = Organisation(pk=2, code="city-330200", division_code="330200")
    c = Organisation(pk=3, code="prov-130000", division_code="130000")
    assert services.same_province(a, b) and not services.same_province(a, c) and not services.same_province(None, a)


def test_expert_without_profile_cannot_be_assigned(flow: Flow) -> None:
    app = flow.recommended()
    newcomer = make_user("t-expert-new", flow.world.panel, Role.EXPERT_REVIEWER)
    with pytest.raises(ValidationFailed, match="尚未登记所在省份"):
        services.assign_expert(app, actor=flow.users["ministry"], expected_version=app.row_version, expert=newcomer)
    with pytest.raises(ValidationFailed, match="不是评审专家"):
        services.assign_expert(
            app, actor=flow.users["ministry"], expected_version=app.row_version, expert=flow.users["pilot"]
        )


def test_declared_conflict_withdraws_and_blocks_the_assignment(flow: Flow) -> None:
    app, assignment = flow.assigned()
    with pytest.raises(ValidationFailed):
        services.declare_conflict(assignment, actor=flow.expert_b, reason="")
    assignment = services.declare_conflict(assignment, actor=flow.expert_b, reason="曾参与该市规划编制")
    assert assignment.status == AssignmentStatus.CONFLICT
    # the expert no longer sees the application; the ministry cannot assign them again
    assert not Application.objects.visible_to(flow.expert_b).filter(pk=app.pk).exists()
    app.refresh_from_db()
    with pytest.raises(InvalidTransition, match="利益冲突"):
        services.assign_expert(
            app, actor=flow.users["ministry"], expected_version=app.row_version, expert=flow.expert_b
        )
    assert flow.expert_b not in selectors.eligible_experts(app)
    with pytest.raises(InvalidTransition):
        services.submit_scores(assignment, actor=flow.expert_b, scores=FULL_SCORES, opinion="x")


def test_scored_assignment_cannot_be_withdrawn_by_conflict(flow: Flow) -> None:
    _app, assignment = flow.scored()
    with pytest.raises(InvalidTransition):
        services.declare_conflict(assignment, actor=flow.expert_b, reason="后来发现")


def test_duplicate_assignment_refused(flow: Flow) -> None:
    app, _assignment = flow.assigned()
    with pytest.raises(InvalidTransition, match="已被指派"):
        services.assign_expert(
            app, actor=flow.users["ministry"], expected_version=app.row_version, expert=flow.expert_b
        )


# --------------------------------------------------------------------------------------------------
# Scoping


def test_who_sees_an_application(flow: Flow) -> None:
    app, _assignment = flow.assigned()
    users = flow.users

    def sees(user) -> bool:
        return Application.objects.visible_to(user).filter(pk=app.pk).exists()

    assert sees(users["pilot"]) and sees(users["own_province"]) and sees(users["ministry"]) and sees(flow.expert_b)
    assert sees(users["observer"])  # observer of the own province reads
    assert not sees(users["other_pilot"]) and not sees(users["other_province"]) and not sees(flow.expert_a)
    from django.contrib.auth.models import AnonymousUser

    assert not sees(AnonymousUser())


def test_expert_never_sees_own_province_even_if_assigned_by_hand(flow: Flow) -> None:
    app = flow.recommended()
    ExpertAssignment.objects.create(application=app, expert=flow.expert_a, assigned_by=flow.users["ministry"])
    assert not Application.objects.visible_to(flow.expert_a).filter(pk=app.pk).exists()
    assert not ExpertAssignment.objects.visible_to(flow.expert_a).exists()


def test_assignments_and_expert_events_are_confidential(flow: Flow) -> None:
    app, _assignment = flow.scored()
    assert not ExpertAssignment.objects.visible_to(flow.users["pilot"]).exists()
    assert not ExpertAssignment.objects.visible_to(flow.users["own_province"]).exists()
    pilot_events = set(
        ApplicationEvent.objects.visible_to(flow.users["pilot"]).filter(application=app).values_list("kind", flat=True)
    )
    assert "expert_assigned" not in pilot_events and "scored" not in pilot_events and "submitted" in pilot_events
    expert_events = set(
        ApplicationEvent.objects.visible_to(flow.expert_b).filter(application=app).values_list("kind", flat=True)
    )
    assert "scored" in expert_events and "expert_assigned" not in expert_events


# --------------------------------------------------------------------------------------------------
# Aggregation


def test_scores_aggregate_with_mean_min_max_and_spread(flow: Flow, django_assert_max_num_queries) -> None:
    app, _first = flow.scored({"safeguards": 20, "liveability": 10, "management": 20, "industry": 10})
    third = make_user("t-expert-c", flow.world.panel, Role.EXPERT_REVIEWER)
    services.set_expert_profile(actor=flow.users["ministry"], expert=third, province=None)
    fourth = make_user("t-expert-d", flow.world.panel, Role.EXPERT_REVIEWER)
    services.set_expert_profile(actor=flow.users["ministry"], expert=fourth, province=flow.world.province_b)
    for expert, scores in (
        (third, {"safeguards": 10, "liveability": 20, "management": 20, "industry": 20}),
        (fourth, {"safeguards": 15, "liveability": 15, "management": 20, "industry": 25}),
    ):
        app.refresh_from_db()
        assignment = services.assign_expert(
            app, actor=flow.users["ministry"], expected_version=app.row_version, expert=expert
        )
        services.submit_scores(assignment, actor=expert, scores=scores, opinion="意见")
    with django_assert_max_num_queries(2):
        summary = {row.key: row for row in selectors.score_summary(app)}
    safeguards = summary[Dimension.SAFEGUARDS]
    assert (safeguards.count, safeguards.mean, safeguards.minimum, safeguards.maximum) == (3, 15, 10, 20)
    assert safeguards.spread == pytest.approx(4.0825, abs=1e-3)  # population std dev of 20, 10, 15
    assert summary[Dimension.MANAGEMENT].spread == pytest.approx(0)
    total = summary["total"]
    assert (total.count, total.minimum, total.maximum) == (3, 60, 75)
    assert total.mean == pytest.approx(205 / 3)
    assert total.spread == pytest.approx(6.2361, abs=1e-3)


def test_aggregate_ignores_withdrawn_assignments(flow: Flow) -> None:
    app, assignment = flow.assigned()
    services.declare_conflict(assignment, actor=flow.expert_b, reason="回避")
    summary = {row.key: row for row in selectors.score_summary(app)}
    assert summary["total"].count == 0 and summary["total"].mean is None
