"""Every write of the plan and task-book round: one function per transition.

Each transition locks the submission (``SELECT … FOR UPDATE``; SQLite serialises writers with
``BEGIN IMMEDIATE``), checks the actor, the version the actor saw (``expected_version``) and the
current state, then writes the new state, appends a ``SubmissionEvent`` and an audit entry in the
same transaction. Notifications and e-mails leave after commit.

    not_started ─submit─▶ submitted ─take_for_review─▶ under_review ─upload_opinion─▶ complete ─accept─▶ accepted
    under_review ─return (province)─▶ returned ─submit─▶ resubmitted ─take_for_review─▶ under_review
    complete ─return (ministry)─▶ returned
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from citypilot.accounts.choices import Role
from citypilot.accounts.models import Membership, User
from citypilot.accounts.principals import Principal, principal_of
from citypilot.audit.services import record, snapshot
from citypilot.core.errors import ConcurrentUpdate, InvalidTransition, PermissionDenied, ValidationFailed
from citypilot.documents import services as documents
from citypilot.documents.choices import DocumentKind
from citypilot.documents.models import Document, DocumentVersion
from citypilot.notifications.services import notify
from citypilot.pilots.models import Batch

from .choices import (
    AWAITING_REVIEW,
    FINISHED,
    PILOT_EDITABLE,
    RoundStatus,
    SubmissionAction,
    SubmissionStatus,
)
from .clock import days_left, end_of_day, local_date
from .models import Round, Submission, SubmissionEvent

AUDIT_FIELDS = (
    "status",
    "plan",
    "task_book",
    "opinion",
    "submitted_plan_version",
    "submitted_task_book_version",
    "opinion_version",
    "first_submitted_at",
    "submitted_at",
    "times_submitted",
    "is_late",
    "reviewer",
    "return_reason",
    "completed_at",
    "accepted_at",
    "accepted_by",
    "row_version",
)
PILOT_DOCUMENT_FIELDS = {DocumentKind.PLAN: "plan", DocumentKind.TASK_BOOK: "task_book"}
UPLOAD_ACTIONS = {
    DocumentKind.PLAN: SubmissionAction.UPLOAD_PLAN,
    DocumentKind.TASK_BOOK: SubmissionAction.UPLOAD_TASK_BOOK,
}


# --- who may act ------------------------------------------------------------------------------


def acts_for_pilot(principal: Principal, submission: Submission) -> bool:
    """A pilot officer of the submission's own pilot government."""
    org = submission.pilot.organisation_id
    return principal.is_superuser or (
        Role.PILOT_OFFICER in principal.roles and org in principal.member_org_ids and org in principal.writable_org_ids
    )


def acts_for_province(principal: Principal, submission: Submission) -> bool:
    """A provincial officer of the authority supervising the submission's pilot."""
    org = submission.pilot.supervising_authority_id
    return principal.is_superuser or (
        Role.PROVINCIAL_OFFICER in principal.roles
        and org in principal.member_org_ids
        and org in principal.writable_org_ids
    )


def acts_for_ministry(principal: Principal) -> bool:
    return principal.has_role(Role.MINISTRY_OFFICER)


def allowed_actions(user: Any, submission: Submission) -> set[str]:
    """The transitions ``user`` may start on ``submission`` in its current state (for buttons)."""
    principal = principal_of(user)
    if submission.round.status != RoundStatus.OPEN:
        return set()
    actions: set[str] = set()
    status = submission.status
    if acts_for_pilot(principal, submission) and status in PILOT_EDITABLE:
        actions |= {SubmissionAction.UPLOAD_PLAN, SubmissionAction.UPLOAD_TASK_BOOK}
        if submission.plan_id and submission.task_book_id:
            actions.add(SubmissionAction.RESUBMIT if status == SubmissionStatus.RETURNED else SubmissionAction.SUBMIT)
    if acts_for_province(principal, submission):
        if status in AWAITING_REVIEW:
            actions.add(SubmissionAction.TAKE_FOR_REVIEW)
        if status == SubmissionStatus.UNDER_REVIEW:
            actions |= {SubmissionAction.RETURN, SubmissionAction.UPLOAD_OPINION}
    if acts_for_ministry(principal) and status == SubmissionStatus.COMPLETE:
        actions |= {SubmissionAction.ACCEPT, SubmissionAction.RETURN}
    return actions


# --- the machinery of one transition ----------------------------------------------------------


def _lock(submission: Submission, expected_version: int | None) -> Submission:
    """The submission as stored now, locked for this transaction; refuses a stale ``expected_version``."""
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if expected_version is not None and locked.row_version != expected_version:
        raise ConcurrentUpdate(
            _("这份材料刚刚已被他人处理（当前状态：%(status)s），您的操作未执行。请刷新页面后查看。")
            % {"status": locked.get_status_display()},
            details={"current_status": locked.status, "current_version": locked.row_version},
        )
    if locked.round.status != RoundStatus.OPEN:
        raise InvalidTransition(_("报送轮次“%(round)s”已关闭，不能再办理。") % {"round": locked.round.title})
    return locked


def _refuse(locked: Submission, action: str) -> InvalidTransition:
    return InvalidTransition(
        _("当前状态为“%(status)s”，不能执行“%(action)s”。")
        % {"status": locked.get_status_display(), "action": SubmissionAction(action).label},
        details={"current_status": locked.status, "action": action},
    )


def _version_info(version_ids: dict[str, int | None]) -> dict[str, Any]:
    ids = {kind: pk for kind, pk in version_ids.items() if pk}
    rows = {
        row["pk"]: row for row in DocumentVersion.objects.filter(pk__in=ids.values()).values("pk", "number", "sha256")
    }
    return {
        kind: {"id": pk, "number": rows[pk]["number"], "sha256": rows[pk]["sha256"]}
        for kind, pk in ids.items()
        if pk in rows
    }


def _apply(
    locked: Submission,
    *,
    actor: Any,
    action: str,
    to_status: str,
    changes: dict[str, Any],
    now: datetime,
    reason: str = "",
    versions: dict[str, Any] | None = None,
    is_late: bool = False,
    source: str,
) -> Submission:
    """Write the new state (guarded by ``row_version``), the event and the audit entry."""
    before = snapshot(locked, AUDIT_FIELDS)
    from_status = locked.status
    updated = Submission.objects.filter(pk=locked.pk, row_version=locked.row_version).update(
        status=to_status, row_version=F("row_version") + 1, updated_at=now, **changes
    )
    if updated != 1:  # cannot happen under the row lock; refuse rather than write twice
        raise ConcurrentUpdate()
    locked.refresh_from_db()
    SubmissionEvent.objects.create(
        submission=locked,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_repr=str(actor) if getattr(actor, "is_authenticated", False) else "system",
        at=now,
        reason=reason,
        versions=versions or {},
        is_late=is_late,
        source=source,
    )
    record(
        actor=actor,
        action=f"submission.{action}",
        obj=locked,
        organisation=locked.pilot.organisation_id,
        before=before,
        after=snapshot(locked, AUDIT_FIELDS),
        reason=reason,
        source=source,
    )
    return locked


def _officers(organisation_ids: set[int], role: str) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, memberships__organisation_id__in=organisation_ids, memberships__role=role
        ).distinct()
    )


def _notify_after_commit(recipients: list[tuple[int, str]], text: str, url: str) -> None:
    """After commit, tell the officers holding ``role`` in each organisation (in-app and by e-mail)."""

    def send() -> None:
        for organisation_id, role in recipients:
            for user in _officers({organisation_id}, role):
                notify(user, text=text, url=url, email_subject=_("智慧城市试点：报送材料办理提醒"))

    transaction.on_commit(send)


def submission_url(submission: Submission) -> str:
    return reverse("rounds:submission", args=[submission.pk])


# --- transitions ------------------------------------------------------------------------------


@transaction.atomic
def upload_document(
    submission: Submission,
    *,
    actor: Any,
    kind: str,
    upload: Any,
    original_name: str,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
    source: str = "web",
) -> Submission:
    """The pilot uploads its plan or task book: the first upload creates the document, every later
    one adds a version (nothing is overwritten). Allowed before submitting and after a return."""
    now = now or timezone.now()
    if kind not in PILOT_DOCUMENT_FIELDS:
        raise ValidationFailed(_("只能上传实施方案或创建任务书。"), details={"field": "kind"})
    if not acts_for_pilot(principal_of(actor), submission):
        raise PermissionDenied(_("只有本试点政府的工作人员可以上传实施方案和创建任务书。"))
    locked = _lock(submission, expected_version)
    action = UPLOAD_ACTIONS[DocumentKind(kind)]
    if locked.status not in PILOT_EDITABLE:
        raise InvalidTransition(
            _("材料已提交（当前状态：%(status)s），不能再上传；如需修改，请等待省级主管部门退回。")
            % {"status": locked.get_status_display()},
            details={"current_status": locked.status, "action": action},
        )
    field_name = PILOT_DOCUMENT_FIELDS[DocumentKind(kind)]
    document: Document | None = getattr(locked, field_name)
    if document is None:
        document = documents.upload_document(
            actor=actor,
            organisation=locked.pilot.organisation,
            kind=kind,
            title=_("%(pilot)s%(kind)s（%(round)s）")
            % {"pilot": locked.pilot.name, "kind": DocumentKind(kind).label, "round": locked.round.title},
            upload=upload,
            original_name=original_name,
            note=note,
            source=source,
        )
        version = document.current_version
    else:
        version = documents.add_version(
            document, actor=actor, upload=upload, original_name=original_name, note=note, source=source
        )
    assert version is not None  # noqa: S101 - upload_document always stores a first version
    try:
        return _apply(
            locked,
            actor=actor,
            action=action,
            to_status=locked.status,
            changes={field_name: document},
            now=now,
            reason=note,
            versions=_version_info({kind: version.pk}),
            source=source,
        )
    except BaseException:
        version.file.delete(save=False)  # the transition failed: keep no file of it
        raise


@transaction.atomic
def submit(
    submission: Submission,
    *,
    actor: Any,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
    source: str = "web",
) -> Submission:
    """The pilot submits (or, after a return, resubmits) its plan and task book to its province.

    A submission after the deadline is accepted and marked late (by the first submission's time,
    in Beijing time); it is never refused or dropped."""
    now = now or timezone.now()
    if not acts_for_pilot(principal_of(actor), submission):
        raise PermissionDenied(_("只有本试点政府的工作人员可以提交材料。"))
    locked = _lock(submission, expected_version)
    resubmitting = locked.status == SubmissionStatus.RETURNED
    action = SubmissionAction.RESUBMIT if resubmitting else SubmissionAction.SUBMIT
    if locked.status not in PILOT_EDITABLE:
        raise _refuse(locked, action)
    missing = [
        str(DocumentKind(kind).label)
        for kind, name in PILOT_DOCUMENT_FIELDS.items()
        if getattr(locked, f"{name}_id") is None
    ]
    if missing:
        raise ValidationFailed(
            _("还缺少：%(missing)s。请先上传后再提交。") % {"missing": _("、").join(missing)},
            details={"missing": missing},
        )
    plan_version = Document.objects.values_list("current_version_id", flat=True).get(pk=cast(int, locked.plan_id))
    task_book_version = Document.objects.values_list("current_version_id", flat=True).get(
        pk=cast(int, locked.task_book_id)
    )
    late_now = now > locked.round.deadline
    first = locked.first_submitted_at is None
    return_reason = locked.return_reason
    updated = _apply(
        locked,
        actor=actor,
        action=action,
        to_status=SubmissionStatus.RESUBMITTED if resubmitting else SubmissionStatus.SUBMITTED,
        changes={
            "submitted_plan_version_id": plan_version,
            "submitted_task_book_version_id": task_book_version,
            "submitted_at": now,
            "first_submitted_at": now if first else locked.first_submitted_at,
            "is_late": late_now if first else locked.is_late,
            "times_submitted": F("times_submitted") + 1,
        },
        now=now,
        reason=note,
        versions=_version_info({DocumentKind.PLAN: plan_version, DocumentKind.TASK_BOOK: task_book_version}),
        is_late=late_now,
        source=source,
    )
    text = (
        _("%(pilot)s已根据退回意见（%(reason)s）重新提交实施方案和创建任务书，请组织评审。")
        % {"pilot": updated.pilot.name, "reason": return_reason[:80]}
        if resubmitting
        else _("%(pilot)s已提交实施方案和创建任务书，请组织评审。") % {"pilot": updated.pilot.name}
    )
    _notify_after_commit(
        [(updated.pilot.supervising_authority_id, Role.PROVINCIAL_OFFICER)], text, submission_url(updated)
    )
    return updated


@transaction.atomic
def take_for_review(
    submission: Submission,
    *,
    actor: Any,
    expected_version: int | None = None,
    now: datetime | None = None,
    source: str = "web",
) -> Submission:
    """The supervising province takes a submitted set for review; one reviewer wins, the other is told."""
    now = now or timezone.now()
    if not acts_for_province(principal_of(actor), submission):
        raise PermissionDenied(_("只有该试点所在省级主管部门的工作人员可以评审。"))
    locked = _lock(submission, expected_version)
    if locked.status not in AWAITING_REVIEW:
        if locked.status == SubmissionStatus.UNDER_REVIEW:
            raise InvalidTransition(
                _("这份材料已由%(reviewer)s接收评审，无需重复接收。") % {"reviewer": locked.reviewer or _("他人")},
                details={"current_status": locked.status, "action": SubmissionAction.TAKE_FOR_REVIEW},
            )
        raise _refuse(locked, SubmissionAction.TAKE_FOR_REVIEW)
    return _apply(
        locked,
        actor=actor,
        action=SubmissionAction.TAKE_FOR_REVIEW,
        to_status=SubmissionStatus.UNDER_REVIEW,
        changes={"reviewer": actor},
        now=now,
        versions=_version_info(
            {
                DocumentKind.PLAN: locked.submitted_plan_version_id,
                DocumentKind.TASK_BOOK: locked.submitted_task_book_version_id,
            }
        ),
        source=source,
    )


@transaction.atomic
def return_submission(
    submission: Submission,
    *,
    actor: Any,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
    source: str = "web",
) -> Submission:
    """Return the documents to the pilot with reasons: the province from review, or the ministry
    from a complete set it does not accept. The pilot may then revise and resubmit."""
    now = now or timezone.now()
    principal = principal_of(actor)
    by_province = acts_for_province(principal, submission)
    by_ministry = acts_for_ministry(principal)
    if not (by_province or by_ministry):
        raise PermissionDenied(_("只有省级主管部门或部试点办可以退回材料。"))
    if not reason.strip():
        raise ValidationFailed(_("请填写退回原因。"), details={"field": "reason"})
    locked = _lock(submission, expected_version)
    allowed_from = set()
    if by_province:
        allowed_from.add(SubmissionStatus.UNDER_REVIEW)
    if by_ministry:
        allowed_from.add(SubmissionStatus.COMPLETE)
    if locked.status not in allowed_from:
        raise _refuse(locked, SubmissionAction.RETURN)
    updated = _apply(
        locked,
        actor=actor,
        action=SubmissionAction.RETURN,
        to_status=SubmissionStatus.RETURNED,
        changes={"return_reason": reason.strip(), "opinion_version": None, "completed_at": None},
        now=now,
        reason=reason.strip(),
        versions=_version_info(
            {
                DocumentKind.PLAN: locked.submitted_plan_version_id,
                DocumentKind.TASK_BOOK: locked.submitted_task_book_version_id,
                DocumentKind.REVIEW_OPINION: locked.opinion_version_id,
            }
        ),
        source=source,
    )
    _notify_after_commit(
        [(updated.pilot.organisation_id, Role.PILOT_OFFICER)],
        _("您的实施方案和创建任务书被退回修改：%(reason)s") % {"reason": reason.strip()[:200]},
        submission_url(updated),
    )
    return updated


@transaction.atomic
def upload_opinion(
    submission: Submission,
    *,
    actor: Any,
    upload: Any,
    original_name: str,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
    source: str = "web",
) -> Submission:
    """The province uploads the signed review opinion (a scan): the set is then complete."""
    now = now or timezone.now()
    if not acts_for_province(principal_of(actor), submission):
        raise PermissionDenied(_("只有该试点所在省级主管部门的工作人员可以上传评审意见。"))
    locked = _lock(submission, expected_version)
    if locked.status != SubmissionStatus.UNDER_REVIEW:
        raise _refuse(locked, SubmissionAction.UPLOAD_OPINION)
    if locked.opinion is None:
        document = documents.upload_document(
            actor=actor,
            organisation=locked.pilot.supervising_authority,
            kind=DocumentKind.REVIEW_OPINION,
            title=_("%(pilot)s实施方案和创建任务书评审意见（%(round)s）")
            % {"pilot": locked.pilot.name, "round": locked.round.title},
            upload=upload,
            original_name=original_name,
            note=note,
            source=source,
        )
        version = document.current_version
    else:
        document = locked.opinion
        version = documents.add_version(
            document, actor=actor, upload=upload, original_name=original_name, note=note, source=source
        )
    assert version is not None  # noqa: S101 - upload_document always stores a first version
    try:
        updated = _apply(
            locked,
            actor=actor,
            action=SubmissionAction.UPLOAD_OPINION,
            to_status=SubmissionStatus.COMPLETE,
            changes={"opinion": document, "opinion_version": version, "completed_at": now},
            now=now,
            reason=note,
            versions=_version_info(
                {
                    DocumentKind.PLAN: locked.submitted_plan_version_id,
                    DocumentKind.TASK_BOOK: locked.submitted_task_book_version_id,
                    DocumentKind.REVIEW_OPINION: version.pk,
                }
            ),
            source=source,
        )
    except BaseException:
        version.file.delete(save=False)
        raise
    _notify_after_commit(
        [(updated.pilot.organisation_id, Role.PILOT_OFFICER)],
        _("省级主管部门已上传评审意见，您的材料已齐全，待部试点办接收。"),
        submission_url(updated),
    )
    return updated


@transaction.atomic
def accept(
    submission: Submission,
    *,
    actor: Any,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
    source: str = "web",
) -> Submission:
    """The ministry accepts the complete set (plan, task book and the signed review opinion)."""
    now = now or timezone.now()
    if not acts_for_ministry(principal_of(actor)):
        raise PermissionDenied(_("只有部试点办可以接收材料。"))
    locked = _lock(submission, expected_version)
    if locked.status != SubmissionStatus.COMPLETE:
        raise _refuse(locked, SubmissionAction.ACCEPT)
    updated = _apply(
        locked,
        actor=actor,
        action=SubmissionAction.ACCEPT,
        to_status=SubmissionStatus.ACCEPTED,
        changes={"accepted_at": now, "accepted_by": actor},
        now=now,
        reason=note,
        versions=_version_info(
            {
                DocumentKind.PLAN: locked.submitted_plan_version_id,
                DocumentKind.TASK_BOOK: locked.submitted_task_book_version_id,
                DocumentKind.REVIEW_OPINION: locked.opinion_version_id,
            }
        ),
        source=source,
    )
    _notify_after_commit(
        [
            (updated.pilot.organisation_id, Role.PILOT_OFFICER),
            (updated.pilot.supervising_authority_id, Role.PROVINCIAL_OFFICER),
        ],
        _("部试点办已接收%(pilot)s的实施方案、创建任务书和评审意见。") % {"pilot": updated.pilot.name},
        submission_url(updated),
    )
    return updated


# --- rounds -----------------------------------------------------------------------------------


def default_deadline(batch: Batch) -> datetime | None:
    """The batch notice's deadline for the plan and task book (end of that day, Beijing time)."""
    deadlines = list(batch.deadlines.order_by("date"))
    for deadline in deadlines:
        if "任务书" in deadline.description or "实施方案" in deadline.description:
            return end_of_day(deadline.date)
    return end_of_day(deadlines[-1].date) if deadlines else None


def _clean_days(values: Any, field_name: str) -> list[int]:
    try:
        days = sorted({int(value) for value in values}, reverse=True)
    except (TypeError, ValueError):
        days = [-1]
    if any(day < 0 or day > 366 for day in days):
        raise ValidationFailed(_("提醒天数须为 0 到 366 之间的整数。"), details={"field": field_name})
    return days


@transaction.atomic
def open_round(
    *,
    actor: Any,
    batch: Batch,
    title: str,
    deadline: datetime | None = None,
    reminder_days: list[int] | None = None,
    overdue_reminder_days: list[int] | None = None,
    is_demo: bool = False,
    source: str = "web",
) -> Round:
    """The ministry opens the round of a published batch: one submission per listed pilot."""
    if not acts_for_ministry(principal_of(actor)) and actor is not None:
        raise PermissionDenied(_("只有部试点办可以发起报送轮次。"))
    if not batch.is_published:
        raise ValidationFailed(_("批次名单公布后才能发起报送。"), details={"field": "batch"})
    if not title.strip():
        raise ValidationFailed(_("请填写名称。"), details={"field": "title"})
    deadline = deadline or default_deadline(batch)
    if deadline is None:
        raise ValidationFailed(_("该批次通知中没有截止日期，请填写截止时间。"), details={"field": "deadline"})
    if timezone.is_naive(deadline):
        raise ValidationFailed(_("截止时间须带时区。"), details={"field": "deadline"})
    if Round.objects.select_for_update().filter(batch=batch, status=RoundStatus.OPEN).exists():
        raise ValidationFailed(_("该批次已有一个正在报送的轮次。"), details={"field": "batch"})
    round_ = Round.objects.create(
        batch=batch,
        title=title.strip(),
        deadline=deadline,
        reminder_days=_clean_days(reminder_days if reminder_days is not None else [14, 7, 3, 1], "reminder_days"),
        overdue_reminder_days=_clean_days(
            overdue_reminder_days if overdue_reminder_days is not None else [1, 7, 30], "overdue_reminder_days"
        ),
        is_demo=is_demo,
        opened_by=actor,
    )
    pilots = batch.pilots.filter(is_placeholder=False).values_list("pk", flat=True)
    created = Submission.objects.bulk_create(Submission(round=round_, pilot_id=pk) for pk in pilots)
    record(
        actor=actor,
        action="round.open",
        obj=round_,
        before=None,
        after={
            **snapshot(round_, ["batch", "title", "deadline", "reminder_days", "overdue_reminder_days", "is_demo"]),
            "submissions": len(created),
        },
        source=source,
    )
    return round_


@transaction.atomic
def close_round(
    round_: Round, *, actor: Any, expected_version: int, now: datetime | None = None, source: str = "web"
) -> Round:
    """The ministry closes a round: its submissions keep their states and history, nothing more changes."""
    now = now or timezone.now()
    if not acts_for_ministry(principal_of(actor)):
        raise PermissionDenied(_("只有部试点办可以关闭报送轮次。"))
    locked = Round.objects.select_for_update().get(pk=round_.pk)
    if locked.row_version != expected_version:
        raise ConcurrentUpdate()
    if locked.status != RoundStatus.OPEN:
        raise InvalidTransition(_("报送轮次已关闭。"))
    before = snapshot(locked, ["status", "closed_at"])
    Round.objects.filter(pk=locked.pk).update(
        status=RoundStatus.CLOSED, closed_at=now, row_version=F("row_version") + 1, updated_at=now
    )
    locked.refresh_from_db()
    record(
        actor=actor,
        action="round.close",
        obj=locked,
        before=before,
        after=snapshot(locked, ["status", "closed_at"]),
        source=source,
    )
    return locked


# --- reminders --------------------------------------------------------------------------------


def due_reminder(round_: Round, now: datetime) -> tuple[str, int] | None:
    """The reminder due today, if any, as (key, days): the latest threshold crossed, so a run that
    missed some days sends one reminder, not a backlog. Days are counted in Beijing time."""
    left = days_left(round_.deadline, now)
    if left >= 0:
        crossed = [day for day in round_.reminder_days if left <= day]
        return (f"before-{min(crossed)}", left) if crossed else None
    overdue = -left
    crossed = [day for day in round_.overdue_reminder_days if overdue >= day]
    return (f"after-{max(crossed)}", overdue) if crossed else None


@dataclass
class ReminderReport:
    rounds: int = 0
    sent: int = 0
    skipped: int = 0
    keys: dict[int, str] = field(default_factory=dict)


def send_due_reminders(
    *, now: datetime | None = None, round_id: int | None = None, source: str = "task"
) -> ReminderReport:
    """Remind the pilots that still have to act and the provinces with unfinished pilots.

    In-app and by e-mail; idempotent per (round, recipient, reminder day): running it twice on the
    same day, or again after a crash, never sends a reminder twice."""
    now = now or timezone.now()
    report = ReminderReport()
    rounds = Round.objects.filter(status=RoundStatus.OPEN).order_by("pk")
    if round_id is not None:
        rounds = rounds.filter(pk=round_id)
    for round_ in rounds:
        due = due_reminder(round_, now)
        if due is None:
            continue
        report.rounds += 1
        key, days = due
        report.keys[round_.pk] = key
        sent, skipped = _send_round_reminders(round_, key, days, now, source)
        report.sent += sent
        report.skipped += skipped
    return report


@transaction.atomic
def _send_round_reminders(round_: Round, key: str, days: int, now: datetime, source: str) -> tuple[int, int]:
    unfinished = list(
        Submission.objects.filter(round=round_)
        .exclude(status__in=FINISHED)
        .values("pk", "status", "pilot__name", "pilot__organisation_id", "pilot__supervising_authority_id")
    )
    pilot_orgs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    province_counts: dict[int, int] = defaultdict(int)
    for row in unfinished:
        if row["status"] in PILOT_EDITABLE:
            pilot_orgs[row["pilot__organisation_id"]].append(row)
        province_counts[row["pilot__supervising_authority_id"]] += 1
    memberships = Membership.objects.filter(
        user__is_active=True,
        role__in=[Role.PILOT_OFFICER, Role.PROVINCIAL_OFFICER],
        organisation_id__in=set(pilot_orgs) | set(province_counts),
    ).select_related("user")
    deadline_text = round_.deadline.astimezone(timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M")
    pilot_messages: dict[int, tuple[User, list[dict[str, Any]]]] = {}
    province_messages: dict[int, tuple[User, int]] = {}
    for membership in memberships:
        user, org = membership.user, membership.organisation_id
        if membership.role == Role.PILOT_OFFICER and org in pilot_orgs:
            rows = pilot_messages.get(user.pk, (user, []))[1] + pilot_orgs[org]
            pilot_messages[user.pk] = (user, rows)
        elif membership.role == Role.PROVINCIAL_OFFICER and org in province_counts:
            count = province_messages.get(user.pk, (user, 0))[1] + province_counts[org]
            province_messages[user.pk] = (user, count)
    sent = skipped = 0
    board_url = reverse("rounds:board", args=[round_.pk])
    before = key.startswith("before-")
    for user, rows in pilot_messages.values():
        names = _("、").join(sorted({row["pilot__name"] for row in rows}))
        if before:
            text = _(
                "【%(round)s】距截止时间（%(deadline)s）还有 %(days)d 天，"
                "请尽快上传并提交%(pilots)s的实施方案和创建任务书。"
            )
        else:
            text = _(
                "【%(round)s】已超过截止时间（%(deadline)s）%(days)d 天，"
                "%(pilots)s的实施方案和创建任务书尚未提交，请尽快提交；逾期提交将标记为逾期。"
            )
        text = text % {"round": round_.title, "deadline": deadline_text, "days": days, "pilots": names}
        url = reverse("rounds:submission", args=[rows[0]["pk"]]) if len(rows) == 1 else board_url
        if notify(
            user, text=text, url=url, key=f"round-{round_.pk}-{key}", email_subject=_("智慧城市试点：报送截止提醒")
        ):
            sent += 1
        else:
            skipped += 1
    for user, count in province_messages.values():
        if before:
            text = _(
                "【%(round)s】距截止时间（%(deadline)s）还有 %(days)d 天，本地区尚有 %(count)d 个试点的材料未办结。"
            )
        else:
            text = _(
                "【%(round)s】已超过截止时间（%(deadline)s）%(days)d 天，本地区尚有 %(count)d 个试点的材料未办结。"
            )
        text = text % {"round": round_.title, "deadline": deadline_text, "days": days, "count": count}
        if notify(
            user,
            text=text,
            url=board_url,
            key=f"round-{round_.pk}-{key}",
            email_subject=_("智慧城市试点：报送截止提醒"),
        ):
            sent += 1
        else:
            skipped += 1
    if sent:
        record(
            actor=None,
            action="round.remind",
            obj=round_,
            after={"key": key, "sent": sent, "at_local_date": local_date(now).isoformat()},
            source=source,
        )
    return sent, skipped
