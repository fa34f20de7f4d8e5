"""Calls for applications (申报通知), applications, provincial and national review.

Visibility, applied once in each queryset's ``for_principal``:

* a call is public once opened; drafts are the ministry's;
* an application is seen by its applicant government, the provincial authority it belongs to, the
  experts assigned to it (never one whose home province it is) and the ministry; never by the public;
* expert assignments and scores are seen by the ministry and by the expert concerned only;
* the history of an application is seen with it, except the confidential entries about experts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from citypilot.core.models import ScopedQuerySet, TimeStampedModel

from .choices import (
    ACTIVE_ASSIGNMENT_STATUSES,
    CONFIDENTIAL_EVENTS,
    DEFAULT_DIMENSION_MAX,
    DEFAULT_QUOTA,
    ApplicationStatus,
    AssignmentStatus,
    CallStatus,
    Dimension,
    EventKind,
)

if TYPE_CHECKING:
    from citypilot.accounts.principals import Principal


class CallQuerySet(ScopedQuerySet):
    def for_principal(self, principal: Principal) -> Self:
        if principal.sees_everything:
            return self.all()
        return self.exclude(status=CallStatus.DRAFT)


class Call(TimeStampedModel):
    """A call for applications: conditions, materials, quota per provincial authority, deadlines."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    title = models.CharField(_("标题"), max_length=300)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=CallStatus.choices, default=CallStatus.DRAFT)
    #: ``[{"key": "plan", "text": "…"}, …]``: editable while the call is a draft.
    conditions = models.JSONField(_("申报条件"), default=list, blank=True)
    #: ``[{"key": "application_form", "name": "申报书"}, …]``: every one is required.
    materials = models.JSONField(_("申报材料"), default=list, blank=True)
    default_quota = models.PositiveSmallIntegerField(_("每个省级主管部门推荐名额"), default=DEFAULT_QUOTA)
    #: ``{"<organisation id>": quota}`` for authorities whose quota differs from the default.
    quota_overrides = models.JSONField(_("名额调整"), default=dict, blank=True)
    dimension_max = models.PositiveSmallIntegerField(
        _("一级指标满分"), default=DEFAULT_DIMENSION_MAX, validators=[MinValueValidator(1)]
    )
    application_deadline = models.DateField(_("申报截止日期"), null=True, blank=True)
    recommendation_deadline = models.DateField(_("省级推荐截止日期"), null=True, blank=True)
    batch = models.OneToOneField(
        "pilots.Batch",
        verbose_name=_("试点批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="selection_call",
    )
    list_notice_text = models.TextField(_("名单通知文稿"), blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("申报通知")
        verbose_name_plural = _("申报通知")
        ordering = ["-year"]

    def __str__(self) -> str:
        return self.title

    def quota_for(self, province_id: int) -> int:
        value = self.quota_overrides.get(str(province_id))
        return int(value) if value is not None else self.default_quota

    @property
    def material_names(self) -> dict[str, str]:
        return {item["key"]: item["name"] for item in self.materials}

    @property
    def condition_texts(self) -> dict[str, str]:
        return {item["key"]: item["text"] for item in self.conditions}


def _expert_home_province_ids(principal: Principal) -> Any:
    return ExpertProfile.objects.filter(user_id=principal.user_id or 0, province__isnull=False).values("province_id")


class ApplicationQuerySet(ScopedQuerySet):
    scope_field = "applicant"

    def for_principal(self, principal: Principal) -> Self:
        if principal.sees_everything:
            return self.all()
        if not principal.is_authenticated:
            return self.none()
        assigned = ExpertAssignment.objects.filter(
            application=OuterRef("pk"), expert_id=principal.user_id, status__in=ACTIVE_ASSIGNMENT_STATUSES
        )
        as_expert = Exists(assigned) & ~Q(province_id__in=_expert_home_province_ids(principal))
        return self.filter(Q(applicant__in=principal.visible_org_ids) | as_expert)


class Application(TimeStampedModel):
    """One government's application to one call. ``status`` is the current state, denormalised from
    the append-only ``ApplicationEvent`` history; ``row_version`` guards against concurrent decisions."""

    call = models.ForeignKey(Call, verbose_name=_("申报通知"), on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("申报单位"),
        on_delete=models.PROTECT,
        related_name="selection_applications",
    )
    province = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("省级主管部门"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    area_name = models.CharField(
        _("申报地区名称"), max_length=200, help_text=_("名单中的写法，如“唐山市曹妃甸区”或“宁波市（含海曙区）”")
    )
    summary = models.TextField(_("申报概要"), blank=True)
    contact = models.CharField(_("联系人及电话"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    #: Keys of the call's conditions the applicant has confirmed.
    confirmed_conditions = models.JSONField(_("已确认的申报条件"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    is_late = models.BooleanField(_("逾期提交"), default=False)
    rank = models.PositiveSmallIntegerField(_("推荐排序"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    pilot = models.OneToOneField(
        "pilots.Pilot",
        verbose_name=_("试点"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="selection_application",
    )
    is_demo = models.BooleanField(_("演示数据"), default=False)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("试点申报")
        verbose_name_plural = _("试点申报")
        ordering = ["call", "province__division_code", "rank", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["call", "applicant"], name="application_one_per_applicant_and_call"),
            models.UniqueConstraint(
                fields=["call", "province", "rank"],
                condition=Q(rank__isnull=False),
                name="application_unique_rank_per_call_and_province",
                violation_error_message=_("该排序已被本省另一项推荐占用。"),
            ),
            models.CheckConstraint(condition=Q(rank__isnull=True) | Q(rank__gte=1), name="application_rank_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.area_name}（{self.call.year}）"


class ApplicationChildQuerySet(ScopedQuerySet):
    """Rows that belong to an application: seen with it."""

    def for_principal(self, principal: Principal) -> Self:
        return self.filter(application__in=Application.objects.for_principal(principal))


class ApplicationMaterial(TimeStampedModel):
    """A required material of the call, tagged on an uploaded document (kind 申报材料).

    Re-uploading adds a version to the same document; earlier versions are kept."""

    application = models.ForeignKey(
        Application, verbose_name=_("申报"), on_delete=models.CASCADE, related_name="material_links"
    )
    material = models.CharField(_("材料"), max_length=50)
    document = models.ForeignKey(
        "documents.Document", verbose_name=_("文件"), on_delete=models.PROTECT, related_name="+"
    )

    objects = ApplicationChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("申报材料")
        verbose_name_plural = _("申报材料")
        ordering = ["application", "pk"]
        constraints = [models.UniqueConstraint(fields=["application", "material"], name="application_material_unique")]

    def __str__(self) -> str:
        return f"{self.application}：{self.material}"


class ProvincialReview(TimeStampedModel):
    """The provincial authority's initial review (初审): materials, site visit, opinion and score.
    A resubmitted application is reviewed again; earlier reviews stay."""

    application = models.ForeignKey(
        Application, verbose_name=_("申报"), on_delete=models.CASCADE, related_name="provincial_reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("初审人"), on_delete=models.PROTECT, related_name="+"
    )
    materials_complete = models.BooleanField(_("材料齐全、符合要求"))
    materials_note = models.TextField(_("材料审查意见"), blank=True)
    site_visit_date = models.DateField(_("实地考察日期"))
    site_visit_participants = models.CharField(_("考察人员"), max_length=500)
    site_visit_notes = models.TextField(_("考察记录"), blank=True)
    opinion = models.TextField(_("初审意见"))
    score = models.PositiveSmallIntegerField(_("初审评分"), validators=[MinValueValidator(0), MaxValueValidator(100)])

    objects = ApplicationChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("省级初审")
        verbose_name_plural = _("省级初审")
        ordering = ["application", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="provincial_review_score_0_100")
        ]

    def __str__(self) -> str:
        return f"{self.application}：{self.score}"


class ExpertProfileQuerySet(ScopedQuerySet):
    def for_principal(self, principal: Principal) -> Self:
        if principal.sees_everything:
            return self.all()
        return self.filter(user_id=principal.user_id) if principal.user_id else self.none()


class ExpertProfile(TimeStampedModel):
    """An expert reviewer's home province (never assigned its applications) and specialities."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("专家"), on_delete=models.CASCADE, related_name="expert_profile"
    )
    province = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("所在省份（主管部门）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    specialities = models.CharField(_("专业领域"), max_length=300, blank=True)

    objects = ExpertProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("专家信息")
        verbose_name_plural = _("专家信息")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return str(self.user)


class ExpertAssignmentQuerySet(ScopedQuerySet):
    def for_principal(self, principal: Principal) -> Self:
        if principal.sees_everything:
            return self.all()
        if not principal.user_id:
            return self.none()
        return self.filter(expert_id=principal.user_id).exclude(
            application__province_id__in=_expert_home_province_ids(principal)
        )


class ExpertAssignment(TimeStampedModel):
    """One expert asked to score one application. A declared conflict withdraws it for good."""

    application = models.ForeignKey(
        Application, verbose_name=_("申报"), on_delete=models.CASCADE, related_name="assignments"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("专家"), on_delete=models.PROTECT, related_name="selection_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("指派人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    opinion = models.TextField(_("评审意见"), blank=True)
    total = models.PositiveSmallIntegerField(_("总分"), null=True, blank=True)
    scored_at = models.DateTimeField(_("评分时间"), null=True, blank=True)
    conflict_reason = models.TextField(_("回避理由"), blank=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    objects = ExpertAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("专家评审任务")
        verbose_name_plural = _("专家评审任务")
        ordering = ["application", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "expert"], name="expert_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.expert}"


class ExpertScoreQuerySet(ScopedQuerySet):
    def for_principal(self, principal: Principal) -> Self:
        return self.filter(assignment__in=ExpertAssignment.objects.for_principal(principal))


class ExpertScore(models.Model):
    """An expert's score on one first-level dimension; written once, with the opinion."""

    assignment = models.ForeignKey(
        ExpertAssignment, verbose_name=_("评审任务"), on_delete=models.CASCADE, related_name="scores"
    )
    dimension = models.CharField(_("一级指标"), max_length=20, choices=Dimension.choices)
    score = models.PositiveSmallIntegerField(_("得分"))

    objects = ExpertScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("专家评分")
        verbose_name_plural = _("专家评分")
        ordering = ["assignment", "dimension"]
        constraints = [models.UniqueConstraint(fields=["assignment", "dimension"], name="expert_score_unique")]

    def __str__(self) -> str:
        return f"{self.get_dimension_display()}：{self.score}"


class ApplicationEventQuerySet(ScopedQuerySet):
    def for_principal(self, principal: Principal) -> Self:
        if principal.sees_everything:
            return self.all()
        visible = self.filter(application__in=Application.objects.for_principal(principal))
        return visible.filter(~Q(kind__in=CONFIDENTIAL_EVENTS) | Q(actor_id=principal.user_id))


class ApplicationEvent(models.Model):
    """Append-only history of an application: who decided what, when and why."""

    application = models.ForeignKey(
        Application, verbose_name=_("申报"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("事项"), max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_repr = models.CharField(_("操作人"), max_length=200)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    from_status = models.CharField(_("原状态"), max_length=20, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=ApplicationStatus.choices, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    source = models.CharField(_("来源"), max_length=20, default="web")

    objects = ApplicationEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("申报记录")
        verbose_name_plural = _("申报记录")
        ordering = ["application", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.application}：{self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("ApplicationEvent is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("ApplicationEvent is append-only.")
