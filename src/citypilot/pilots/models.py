"""The pilot registry: batches (one per notice), their sections, pilots and scope extensions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citypilot.core.models import ScopedQuerySet, TimeStampedModel

from .choices import AreaKind, Resolution, SectionKind

if TYPE_CHECKING:
    from citypilot.accounts.principals import Principal


class BatchQuerySet(ScopedQuerySet):
    """Published batches are public; unpublished ones are seen by the ministry and by the
    authorities supervising one of their pilots (and those pilots)."""

    def for_principal(self, principal: Principal) -> Self:
        if principal.sees_everything:
            return self.all()
        condition = models.Q(is_published=True)
        if principal.is_authenticated:
            condition |= models.Q(pilots__supervising_authority__in=principal.visible_org_ids)
            condition |= models.Q(pilots__organisation__in=principal.visible_org_ids)
        return self.filter(condition).distinct()


class Batch(TimeStampedModel):
    """One batch of pilots, as published by one notice. A batch that is only referred to by a later
    notice's extension lines exists as a stub (empty ``source_sha256``) until its notice is imported."""

    year = models.PositiveSmallIntegerField(_("批次年度"), unique=True)
    title = models.CharField(_("通知标题"), max_length=300, blank=True)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    issuer = models.CharField(_("发文机关"), max_length=200, blank=True)
    notice_date = models.DateField(_("发文日期"), null=True, blank=True)
    declared_total = models.PositiveIntegerField(_("通知所称试点总数"), null=True, blank=True)
    is_published = models.BooleanField(_("已公布"), default=False)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    source_text = models.TextField(_("通知全文"), blank=True)
    source_sha256 = models.CharField(_("原文 SHA-256"), max_length=64, blank=True)
    addressees = models.JSONField(_("主送机关"), default=list, blank=True)
    referenced_documents = models.JSONField(_("引用文件"), default=list, blank=True)
    body_paragraphs = models.JSONField(_("正文段落"), default=list, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("试点批次")
        verbose_name_plural = _("试点批次")
        ordering = ["year"]

    def __str__(self) -> str:
        return self.title or str(self.year)

    @property
    def is_imported(self) -> bool:
        """False for a stub created from a later notice's extension lines."""
        return bool(self.source_sha256)


class BatchChildQuerySet(ScopedQuerySet):
    """Rows of a batch (deadlines, sections): visible with their batch."""

    def for_principal(self, principal: Principal) -> Self:
        return self.filter(batch__in=Batch.objects.for_principal(principal))


class BatchDeadline(models.Model):
    batch = models.ForeignKey(Batch, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="deadlines")
    date = models.DateField(_("截止日期"))
    description = models.TextField(_("事项"))
    source_line = models.PositiveIntegerField(_("原文行号"))

    objects = BatchChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("批次截止日期")
        verbose_name_plural = _("批次截止日期")
        ordering = ["batch", "date", "source_line"]

    def __str__(self) -> str:
        return f"{self.date}：{self.description}"


class Section(models.Model):
    """A numbered section of the annex list. ``declared_count`` is as printed, ``counted`` what it
    lists; a disagreement is recorded, never corrected."""

    batch = models.ForeignKey(Batch, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="sections")
    ordinal = models.CharField(_("序号"), max_length=10)
    heading = models.CharField(_("标题"), max_length=200)
    kind = models.CharField(_("类别"), max_length=12, choices=SectionKind.choices)
    declared_count = models.PositiveIntegerField(_("声明数量"), null=True, blank=True)
    counted = models.PositiveIntegerField(_("实列数量"))
    position = models.PositiveSmallIntegerField(_("顺序"))

    objects = BatchChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("名单章节")
        verbose_name_plural = _("名单章节")
        ordering = ["batch", "position"]
        constraints = [models.UniqueConstraint(fields=["batch", "ordinal"], name="section_unique_ordinal")]

    def __str__(self) -> str:
        return f"{self.ordinal}、{self.heading}"

    @property
    def count_mismatch(self) -> bool:
        return self.declared_count is not None and self.declared_count != self.counted


class ResolvedArea(TimeStampedModel):
    """A named area mapped to GB/T 2260 divisions, automatically or by a ministry officer."""

    kind = models.CharField(_("类型"), max_length=20, choices=AreaKind.choices, default=AreaKind.OTHER)
    resolution = models.CharField(
        _("区划认定"), max_length=12, choices=Resolution.choices, default=Resolution.UNRESOLVED
    )
    division_code_at_batch = models.CharField(_("批次时区划代码"), max_length=6, blank=True)
    division_name_at_batch = models.CharField(_("批次时区划名称"), max_length=100, blank=True)
    current_divisions = models.JSONField(_("现行区划"), default=list, blank=True)
    containing_code = models.CharField(_("所在区划代码"), max_length=6, blank=True)
    containing_name = models.CharField(_("所在区划名称"), max_length=100, blank=True)
    resolution_reason = models.TextField(_("认定说明"), blank=True)
    lon = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    settled_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    settlement_note = models.TextField(_("认定依据"), blank=True)

    class Meta:
        abstract = True


class PilotQuerySet(ScopedQuerySet):
    scope_field = "supervising_authority"
    public_field = "batch__is_published"

    def for_principal(self, principal: Principal) -> Self:
        if principal.sees_everything:
            return self.all()
        condition = models.Q(batch__is_published=True)
        if principal.is_authenticated:
            condition |= models.Q(supervising_authority__in=principal.visible_org_ids)
            condition |= models.Q(organisation__in=principal.visible_org_ids)
        return self.filter(condition)


class Pilot(ResolvedArea):
    batch = models.ForeignKey(Batch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="pilots")
    section = models.ForeignKey(
        Section, verbose_name=_("章节"), on_delete=models.PROTECT, null=True, blank=True, related_name="pilots"
    )
    province_name = models.CharField(_("省份（原文）"), max_length=50)
    position = models.PositiveIntegerField(_("章节内顺序"), default=0)
    name_as_listed = models.CharField(_("原文名称"), max_length=200)
    name = models.CharField(_("名称"), max_length=200)
    includes = models.JSONField(_("含"), default=list, blank=True)
    supervising_authority = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("省级主管部门"),
        on_delete=models.PROTECT,
        related_name="supervised_pilots",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("试点政府"),
        on_delete=models.PROTECT,
        related_name="pilots",
    )
    is_placeholder = models.BooleanField(
        _("占位"), default=False, help_text=_("由后续批次的扩大范围条目创建，所属批次的通知尚未导入。")
    )

    objects = PilotQuerySet.as_manager()

    class Meta:
        verbose_name = _("试点")
        verbose_name_plural = _("试点")
        ordering = ["batch", "section__position", "position"]
        constraints = [models.UniqueConstraint(fields=["batch", "name"], name="pilot_unique_name_in_batch")]

    def __str__(self) -> str:
        return self.name


class ExtensionLineQuerySet(ScopedQuerySet):
    scope_field = "base_pilot__supervising_authority"
    public_field = "batch__is_published"


class ExtensionLine(TimeStampedModel):
    """An extension of an earlier batch's pilot, one line of an extension section."""

    batch = models.ForeignKey(Batch, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="extension_lines")
    section = models.ForeignKey(
        Section, verbose_name=_("章节"), on_delete=models.CASCADE, related_name="extension_lines"
    )
    position = models.PositiveIntegerField(_("章节内顺序"))
    province_name = models.CharField(_("省份标题（原文）"), max_length=50, blank=True)
    base_pilot = models.ForeignKey(
        Pilot, verbose_name=_("原试点"), on_delete=models.PROTECT, related_name="extension_lines"
    )
    text = models.CharField(_("原文"), max_length=500)
    form = models.JSONField(_("行文格式"), default=dict, blank=True)
    earlier_year = models.PositiveSmallIntegerField(_("原试点批次"), null=True, blank=True)
    earlier_included = models.JSONField(_("原试点范围"), default=list, blank=True)

    objects = ExtensionLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("扩大范围条目")
        verbose_name_plural = _("扩大范围条目")
        ordering = ["batch", "section__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["section", "base_pilot"], name="extension_line_unique_base_in_section")
        ]

    def __str__(self) -> str:
        return self.text


class ExtensionAreaQuerySet(ScopedQuerySet):
    scope_field = "line__base_pilot__supervising_authority"
    public_field = "line__batch__is_published"


class ExtensionArea(ResolvedArea):
    """An area added to an earlier pilot by an extension line."""

    line = models.ForeignKey(
        ExtensionLine, verbose_name=_("扩大范围条目"), on_delete=models.CASCADE, related_name="areas"
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("名称"), max_length=200)

    objects = ExtensionAreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("新增范围")
        verbose_name_plural = _("新增范围")
        ordering = ["line", "position"]
        constraints = [models.UniqueConstraint(fields=["line", "name"], name="extension_area_unique_name")]

    def __str__(self) -> str:
        return self.name
