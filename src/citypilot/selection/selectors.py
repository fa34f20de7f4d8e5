"""Reads of the selection workflow: scoped querysets and the score aggregates, computed in the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Max, Min, Q, QuerySet, StdDev

from citypilot.accounts.choices import Role
from citypilot.accounts.models import Organisation, User
from citypilot.accounts.principals import principal_of

from .choices import ACTIVE_ASSIGNMENT_STATUSES, AssignmentStatus, CallStatus, Dimension
from .models import Application, ApplicationEvent, Call, ExpertAssignment, ExpertProfile, ExpertScore
from .services import same_province


def visible_calls(user: Any) -> QuerySet[Call]:
    return Call.objects.visible_to(user).order_by("-year")


def visible_applications(user: Any) -> QuerySet[Application]:
    return Application.objects.visible_to(user).select_related("call", "applicant", "province")


def visible_events(user: Any, application: Application) -> QuerySet[ApplicationEvent]:
    return ApplicationEvent.objects.visible_to(user).filter(application=application).order_by("at", "pk")


def visible_assignments(user: Any) -> QuerySet[ExpertAssignment]:
    return ExpertAssignment.objects.visible_to(user).select_related(
        "application", "application__call", "application__applicant", "expert"
    )


@dataclass(frozen=True)
class Stats:
    label: str
    key: str
    count: int
    mean: float | None
    minimum: int | None
    maximum: int | None
    spread: float | None  # population standard deviation


def score_summary(application: Application) -> list[Stats]:
    """Mean, min, max and spread (standard deviation) of the experts' scores: per first-level
    dimension, then of the totals. Two queries, whatever the number of experts."""
    rows = {
        row["dimension"]: row
        for row in ExpertScore.objects.filter(
            assignment__application=application, assignment__status=AssignmentStatus.SCORED
        )
        .values("dimension")
        .annotate(
            count=Count("pk"), mean=Avg("score"), minimum=Min("score"), maximum=Max("score"), spread=StdDev("score")
        )
    }
    result = [
        Stats(
            str(label),
            value,
            rows.get(value, {}).get("count", 0),
            rows.get(value, {}).get("mean"),
            rows.get(value, {}).get("minimum"),
            rows.get(value, {}).get("maximum"),
            rows.get(value, {}).get("spread"),
        )
        for value, label in Dimension.choices
    ]
    totals = ExpertAssignment.objects.filter(application=application, status=AssignmentStatus.SCORED).aggregate(
        count=Count("pk"), mean=Avg("total"), minimum=Min("total"), maximum=Max("total"), spread=StdDev("total")
    )
    from django.utils.translation import gettext as _

    result.append(
        Stats(
            _("总分"), "total", totals["count"], totals["mean"], totals["minimum"], totals["maximum"], totals["spread"]
        )
    )
    return result


def eligible_experts(application: Application) -> list[User]:
    """Experts the ministry may assign: with a profile, not of the applicant's province, not yet
    assigned and without a declared conflict."""
    taken = set(ExpertAssignment.objects.filter(application=application).values_list("expert_id", flat=True))
    profiles = (
        ExpertProfile.objects.select_related("user", "province")
        .filter(user__memberships__role=Role.EXPERT_REVIEWER, user__is_active=True)
        .exclude(user_id__in=taken)
        .distinct()
        .order_by("user__username")
    )
    province = application.province
    return [p.user for p in profiles if not same_province(p.province, province)]


def quota_board(call: Call) -> list[dict[str, Any]]:
    """Per provincial authority with applications: its quota and how many it has recommended."""
    rows = (
        call.applications.values("province_id")
        .annotate(
            total=Count("pk"),
            recommended=Count("pk", filter=Q(rank__isnull=False)),
        )
        .order_by("province__division_code", "province_id")
    )
    names = dict(Organisation.objects.filter(pk__in=[r["province_id"] for r in rows]).values_list("pk", "name"))
    return [
        {**row, "name": names.get(row["province_id"], ""), "quota": call.quota_for(row["province_id"])} for row in rows
    ]


def pending_assignment_count(user: Any) -> int:
    return ExpertAssignment.objects.visible_to(user).filter(expert=user, status=AssignmentStatus.ASSIGNED).count()


def active_assignment_statuses() -> frozenset[str]:
    return ACTIVE_ASSIGNMENT_STATUSES


def can_apply_orgs(user: Any) -> QuerySet[Organisation]:
    """The pilot governments this user may apply for (as their pilot officer)."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(
        memberships__user=user, memberships__role=Role.PILOT_OFFICER, kind="pilot", parent__isnull=False
    ).distinct()


def open_calls(user: Any) -> QuerySet[Call]:
    return visible_calls(user).filter(status=CallStatus.OPEN)


def is_ministry(user: Any) -> bool:
    return principal_of(user).has_role(Role.MINISTRY_OFFICER)
