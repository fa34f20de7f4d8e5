"""The plan and task-book round of a published batch: one submission per pilot, its history, its deadline.

A ``Round`` asks every pilot of a batch for its revised implementation plan (实施方案) and its task
book (创建任务书); the supervising province reviews them and uploads the signed review opinion, or
returns them with reasons; the ministry accepts the complete set. ``Submission.status`` is the
current state (denormalised); ``SubmissionEvent`` is the append-only history of every decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from citypilot.core.models import ScopedQuerySet, TimeStampedModel

from .choices import (
    DEFAULT_OVERDUE_REMINDER_DAYS,
    DEFAULT_REMINDER_DAYS,
    FINISHED,
    RoundStatus,
    SubmissionAction,
    SubmissionStatus,
)

if TYPE_CHECKING:
    from citypilot.accounts.principals import Principal


def default_reminder_days() -> list[int]:
    return list(DEFAULT_REMINDER_DAYS)


def default_overdue_reminder_days() -> list[int]:
    return list(DEFAULT_OVERDUE_REMINDER_DAYS)


class SubmissionQuerySet(ScopedQuerySet):
    """A submission is seen by its pilot government, its supervising authority and the ministry."""

    def for_principal(self, principal: Principal) -> Self:
        if principal.sees_everything:
            return self.all()
        if not principal.is_authenticated:
            return self.none()
        ids = principal.visible_org_ids
        return self.filter(Q(pilot__organisation__in=ids) | Q(pilot__supervising_authority__in=ids))


class RoundQuerySet(ScopedQuerySet):
    """A round is seen by the ministry and by whoever sees one of its submissions."""

    def for_principal(self, principal: Principal) -> Self:
        if principal.sees_everything:
            return self.all()
        if not principal.is_authenticated:
            return self.none()
        visible = Submission.objects.for_principal(principal).filter(round=OuterRef("pk"))
        return self.filter(Exists(visible))


class Round(TimeStampedModel):
    batch = models.ForeignKey("pilots.Batch", verbose_name=_("批次"), on_delete=models.PROTECT, related_name="rounds")
    title = models.CharField(_("名称"), max_length=200)
    deadline = models.DateTimeField(_("截止时间"), help_text=_("按北京时间（Asia/Shanghai）计算。"))
    reminder_days = models.JSONField(
        _("截止前提醒（天）"), default=default_reminder_days, help_text=_("截止前多少天发送提醒，如 14、7、3、1。")
    )
    overdue_reminder_days = models.JSONField(
        _("逾期后提醒（天）"), default=default_overdue_reminder_days, help_text=_("截止后多少天发送催办提醒。")
    )
    status = models.CharField(_("状态"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("报送轮次")
        verbose_name_plural = _("报送轮次")
        ordering = ["-deadline", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch"],
                condition=Q(status=RoundStatus.OPEN),
                name="round_one_open_per_batch",
                violation_error_message=_("该批次已有一个正在报送的轮次。"),
            ),
            models.CheckConstraint(
                condition=Q(status=RoundStatus.OPEN, closed_at__isnull=True)
                | Q(status=RoundStatus.CLOSED, closed_at__isnull=False),
                name="round_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Submission(TimeStampedModel):
    """One pilot's documents in one round, with the current state of their review."""

    round = models.ForeignKey(Round, verbose_name=_("报送轮次"), on_delete=models.PROTECT, related_name="submissions")
    pilot = models.ForeignKey(
        "pilots.Pilot", verbose_name=_("试点"), on_delete=models.PROTECT, related_name="round_submissions"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.NOT_STARTED
    )
    plan = models.ForeignKey(
        "documents.Document",
        verbose_name=_("实施方案"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    task_book = models.ForeignKey(
        "documents.Document",
        verbose_name=_("创建任务书"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    opinion = models.ForeignKey(
        "documents.Document",
        verbose_name=_("评审意见（扫描件）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The exact versions that were last submitted and reviewed; later uploads never change them.
    submitted_plan_version = models.ForeignKey(
        "documents.DocumentVersion",
        verbose_name=_("提交的实施方案版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_task_book_version = models.ForeignKey(
        "documents.DocumentVersion",
        verbose_name=_("提交的任务书版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    opinion_version = models.ForeignKey(
        "documents.DocumentVersion",
        verbose_name=_("评审意见版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    first_submitted_at = models.DateTimeField(_("首次提交时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("最近提交时间"), null=True, blank=True)
    times_submitted = models.PositiveSmallIntegerField(_("提交次数"), default=0)
    is_late = models.BooleanField(_("逾期提交"), default=False, help_text=_("首次提交晚于截止时间。"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评审经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    return_reason = models.TextField(_("最近退回原因"), blank=True)
    completed_at = models.DateTimeField(_("材料齐全时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    row_version = models.PositiveIntegerField(default=1, editable=False)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("报送材料")
        verbose_name_plural = _("报送材料")
        ordering = ["round", "pk"]
        indexes = [models.Index(fields=["round", "status"], name="submission_round_status")]
        constraints = [
            models.UniqueConstraint(fields=["round", "pilot"], name="submission_unique_pilot_in_round"),
            models.CheckConstraint(
                condition=Q(status=SubmissionStatus.NOT_STARTED) | Q(first_submitted_at__isnull=False),
                name="submission_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=FINISHED) | Q(opinion_version__isnull=False, completed_at__isnull=False),
                name="submission_complete_has_opinion",
            ),
            models.CheckConstraint(
                condition=~Q(status=SubmissionStatus.ACCEPTED) | Q(accepted_at__isnull=False),
                name="submission_accepted_has_time",
            ),
            models.CheckConstraint(
                condition=Q(is_late=False) | Q(first_submitted_at__isnull=False), name="submission_late_was_submitted"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pilot} · {self.round}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


class SubmissionEventQuerySet(ScopedQuerySet):
    def for_principal(self, principal: Principal) -> Self:
        return self.filter(submission__in=Submission.objects.for_principal(principal))


class AppendOnlyError(Exception):
    pass


class SubmissionEvent(models.Model):
    """One decision on a submission: who, when, from which state to which, why, on which versions."""

    submission = models.ForeignKey(
        Submission, verbose_name=_("报送材料"), on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=30, choices=SubmissionAction.choices)
    from_status = models.CharField(_("原状态"), max_length=20, choices=SubmissionStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=20, choices=SubmissionStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_repr = models.CharField(_("操作人"), max_length=200)
    at = models.DateTimeField(_("时间"))
    reason = models.TextField(_("原因或说明"), blank=True)
    # {"plan": {"id": 3, "number": 2, "sha256": "…"}, …}: the document versions this decision concerns.
    versions = models.JSONField(_("涉及的文件版本"), default=dict, blank=True)
    is_late = models.BooleanField(_("晚于截止时间"), default=False)
    source = models.CharField(_("来源"), max_length=20, default="web")

    objects = SubmissionEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("报送记录")
        verbose_name_plural = _("报送记录")
        ordering = ["submission", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.submission}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("SubmissionEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("SubmissionEvent is append-only")

    @property
    def version_labels(self) -> list[tuple[str, int]]:
        from citypilot.documents.choices import DocumentKind

        return [
            (str(DocumentKind(kind).label) if kind in DocumentKind.values else kind, info.get("number", 0))
            for kind, info in self.versions.items()
        ]
