"""Reads of the round: the deadline board (rows and per-province counts), exports, work items."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from citypilot.accounts.choices import Role
from citypilot.accounts.principals import Principal, principal_of
from citypilot.web.worklist import WorkItem

from .choices import (
    AWAITING_REVIEW,
    BOARD_STATUSES,
    FINISHED,
    PILOT_EDITABLE,
    BoardState,
    RoundStatus,
    SubmissionStatus,
)
from .clock import SHANGHAI, days_left
from .models import Round, Submission

BOARD_ORDER = (
    "pilot__supervising_authority__division_code",
    "pilot__supervising_authority__code",
    "pilot__section__position",
    "pilot__position",
    "pk",
)


def visible_rounds(user: Any) -> QuerySet[Round]:
    return Round.objects.visible_to(user).select_related("batch")


def board_submissions(
    round_: Round, user: Any, *, province: int | None = None, state: str = "", now: datetime | None = None
) -> QuerySet[Submission]:
    """The round's submissions the user may see, filtered by authority and board state, in board order."""
    now = now or timezone.now()
    rows = (
        Submission.objects.visible_to(user)
        .filter(round=round_)
        .select_related("pilot", "pilot__supervising_authority", "round")
        .order_by(*BOARD_ORDER)
    )
    if province is not None:
        rows = rows.filter(pilot__supervising_authority_id=province)
    if state in BOARD_STATUSES:
        rows = rows.filter(status__in=BOARD_STATUSES[state])
    elif state == BoardState.LATE:
        rows = rows.filter(is_late=True)
    elif state == BoardState.OVERDUE:
        rows = rows.exclude(status__in=FINISHED) if now > round_.deadline else rows.none()
    return rows


COUNT_COLUMNS = (*BOARD_STATUSES, BoardState.LATE, BoardState.OVERDUE)


def board_counts(round_: Round, user: Any, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per supervising authority: how many pilots in each board state; one aggregate query."""
    now = now or timezone.now()
    overdue = ~Q(status__in=FINISHED) if now > round_.deadline else Q(pk__isnull=True)
    aggregates: dict[str, Any] = {
        state: Count("pk", filter=Q(status__in=statuses)) for state, statuses in BOARD_STATUSES.items()
    }
    aggregates[BoardState.LATE] = Count("pk", filter=Q(is_late=True))
    aggregates[BoardState.OVERDUE] = Count("pk", filter=overdue)
    return list(
        Submission.objects.visible_to(user)
        .filter(round=round_)
        .values(
            "pilot__supervising_authority_id",
            "pilot__supervising_authority__name",
            "pilot__supervising_authority__division_code",
            "pilot__supervising_authority__code",
        )
        .annotate(total=Count("pk"), **aggregates)
        .order_by("pilot__supervising_authority__division_code", "pilot__supervising_authority__code")
    )


def totals(counts: Iterable[dict[str, Any]]) -> dict[str, int]:
    result = dict.fromkeys(("total", *COUNT_COLUMNS), 0)
    for row in counts:
        for key in result:
            result[key] += row[key]
    return result


def board_state(submission: Submission) -> str:
    for state, statuses in BOARD_STATUSES.items():
        if submission.status in statuses:
            return state
    return BoardState.NOT_STARTED


@dataclass(frozen=True)
class Timing:
    """Where a submission stands against the deadline, in Beijing calendar days."""

    days_left: int | None  # None once finished
    overdue: bool
    finished_late: bool

    @property
    def label(self) -> str:
        if self.days_left is None:
            return _("逾期办结") if self.finished_late else _("按期办结")
        if self.days_left > 0:
            return _("剩余 %(days)d 天") % {"days": self.days_left}
        if self.days_left == 0 and not self.overdue:
            return _("今日截止")
        return _("已逾期 %(days)d 天") % {"days": max(-self.days_left, 1) if self.overdue else 0}


def timing(submission: Submission, now: datetime) -> Timing:
    deadline = submission.round.deadline
    if submission.status in FINISHED:
        return Timing(None, False, bool(submission.completed_at and submission.completed_at > deadline))
    return Timing(days_left(deadline, now), now > deadline, False)


def local(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


# --- exports ----------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    ("authority", gettext_lazy("省级主管部门")),
    ("pilot", gettext_lazy("试点")),
    ("state", gettext_lazy("状态")),
    ("late", gettext_lazy("逾期提交")),
    ("timing", gettext_lazy("截止情况")),
    ("days_left", gettext_lazy("剩余天数（负数为逾期）")),
    ("first_submitted_at", gettext_lazy("首次提交时间")),
    ("submitted_at", gettext_lazy("最近提交时间")),
    ("times_submitted", gettext_lazy("提交次数")),
    ("completed_at", gettext_lazy("材料齐全时间")),
    ("accepted_at", gettext_lazy("接收时间")),
    ("return_reason", gettext_lazy("最近退回原因")),
)


def export_rows(submissions: QuerySet[Submission], now: datetime) -> Iterator[list[str]]:
    """One row per submission, read in chunks so memory stays flat however many pilots there are."""
    for submission in submissions.iterator(chunk_size=2000):
        when = timing(submission, now)
        yield [
            submission.pilot.supervising_authority.name,
            submission.pilot.name,
            str(SubmissionStatus(submission.status).label),
            _("是") if submission.is_late else _("否"),
            when.label,
            "" if when.days_left is None else str(when.days_left),
            local(submission.first_submitted_at),
            local(submission.submitted_at),
            str(submission.times_submitted),
            local(submission.completed_at),
            local(submission.accepted_at),
            submission.return_reason,
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[list[str]]) -> Iterator[str]:
    """UTF-8 CSV with a byte-order mark, so that Excel opens the Chinese text correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([str(label) for _key, label in EXPORT_COLUMNS])
    for row in rows:
        yield writer.writerow(row)


def xlsx_file(rows: Iterable[list[str]], title: str) -> IO[bytes]:
    """A write-only workbook (constant memory) in a temporary file spooled to disk past 8 MiB."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or "board")
    sheet.append([str(label) for _key, label in EXPORT_COLUMNS])
    for row in rows:
        sheet.append(row)
    handle: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned open
    workbook.save(handle)
    handle.seek(0)
    return handle


# --- my tasks ---------------------------------------------------------------------------------


def work_items(user: Any, principal: Principal | None = None) -> list[WorkItem]:
    """What waits for ``user`` in open rounds: pilots upload and (re)submit, provinces review,
    the ministry accepts complete sets."""
    principal = principal or principal_of(user)
    if not principal.is_authenticated:
        return []
    base = (
        Submission.objects.for_principal(principal)
        .filter(round__status=RoundStatus.OPEN)
        .select_related("pilot", "round")
        .order_by("round__deadline", *BOARD_ORDER)
    )
    conditions = Q(pk__isnull=True)
    if Role.PILOT_OFFICER in principal.roles:
        own = principal.member_org_ids & principal.writable_org_ids
        conditions |= Q(pilot__organisation__in=own, status__in=PILOT_EDITABLE)
    if Role.PROVINCIAL_OFFICER in principal.roles:
        own = principal.member_org_ids & principal.writable_org_ids
        conditions |= Q(
            pilot__supervising_authority__in=own,
            status__in=(*AWAITING_REVIEW, SubmissionStatus.UNDER_REVIEW),
        )
    if Role.MINISTRY_OFFICER in principal.roles:
        conditions |= Q(status=SubmissionStatus.COMPLETE)
    now = timezone.now()
    items = []
    for submission in base.filter(conditions)[:500]:
        todo = {
            SubmissionStatus.NOT_STARTED: _("上传并提交实施方案和创建任务书"),
            SubmissionStatus.RETURNED: _("根据退回意见修改后重新提交"),
            SubmissionStatus.SUBMITTED: _("接收评审"),
            SubmissionStatus.RESUBMITTED: _("接收评审（重新提交）"),
            SubmissionStatus.UNDER_REVIEW: _("完成评审：上传评审意见或退回修改"),
            SubmissionStatus.COMPLETE: _("接收材料"),
        }[SubmissionStatus(submission.status)]
        items.append(
            WorkItem(
                title=f"{submission.pilot.name} · {submission.round.title}",
                action=todo,
                url=reverse("rounds:submission", args=[submission.pk]),
                category=str(_("实施方案与任务书")),
                due=submission.round.deadline,
                overdue=now > submission.round.deadline,
                detail=submission.return_reason if submission.status == SubmissionStatus.RETURNED else "",
            )
        )
    return items
