"""What waits for each user in the selection workflow: their entries in "我的任务"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from citypilot.accounts.choices import Role
from citypilot.accounts.models import Membership
from citypilot.accounts.principals import Principal

from .choices import ApplicationStatus, AssignmentStatus
from .models import Application, ExpertAssignment

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIMIT = 50


def _end_of(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=SHANGHAI)


def selection_tasks(user: Any, principal: Principal) -> Iterable[Any]:
    """Pilot: draft and returned applications; province: applications awaiting initial review or
    ranking; expert: assignments to score; ministry: applications to assign experts to or to decide."""
    from citypilot.web.worklist import WorkItem

    category = _("试点申报与评审")
    now = timezone.now()
    visible = Application.objects.visible_to(user).select_related("call")

    def items(applications: Any, action: str, deadline: str) -> Iterable[WorkItem]:
        for app in applications.order_by("pk")[:LIMIT]:
            due = _end_of(getattr(app.call, deadline))
            yield WorkItem(
                title=_("%(area)s（%(year)s年度申报）") % {"area": app.area_name, "year": app.call.year},
                action=action,
                url=reverse("selection:application-detail", args=[app.pk]),
                category=category,
                due=due,
                overdue=bool(due and due < now),
                detail=app.get_status_display(),
            )

    if principal.has_role(Role.PILOT_OFFICER):
        own = Membership.objects.filter(user_id=user.pk, role=Role.PILOT_OFFICER).values("organisation_id")
        yield from items(
            visible.filter(applicant_id__in=own, status=ApplicationStatus.DRAFT),
            _("完成并提交申报"),
            "application_deadline",
        )
        yield from items(
            visible.filter(applicant_id__in=own, status=ApplicationStatus.RETURNED),
            _("修改后重新提交"),
            "application_deadline",
        )
    if principal.has_role(Role.PROVINCIAL_OFFICER):
        provinces = Membership.objects.filter(user_id=user.pk, role=Role.PROVINCIAL_OFFICER).values("organisation_id")
        yield from items(
            visible.filter(province_id__in=provinces, status=ApplicationStatus.SUBMITTED),
            _("省级初审"),
            "recommendation_deadline",
        )
        yield from items(
            visible.filter(province_id__in=provinces, status=ApplicationStatus.PROVINCE_REVIEWED),
            _("推荐或退回"),
            "recommendation_deadline",
        )
    if principal.has_role(Role.EXPERT_REVIEWER):
        assignments = (
            ExpertAssignment.objects.visible_to(user)
            .filter(expert_id=user.pk, status=AssignmentStatus.ASSIGNED)
            .select_related("application", "application__call")
            .order_by("pk")[:LIMIT]
        )
        for assignment in assignments:
            app = assignment.application
            yield WorkItem(
                title=_("%(area)s（%(year)s年度申报）") % {"area": app.area_name, "year": app.call.year},
                action=_("评分并填写评审意见"),
                url=reverse("selection:application-detail", args=[app.pk]),
                category=category,
                detail=assignment.get_status_display(),
            )
    if principal.has_role(Role.MINISTRY_OFFICER):
        yield from items(
            visible.filter(status=ApplicationStatus.RECOMMENDED), _("指派评审专家"), "recommendation_deadline"
        )
        yield from items(
            visible.filter(status=ApplicationStatus.NATIONAL_REVIEW), _("作出评审决定"), "recommendation_deadline"
        )
