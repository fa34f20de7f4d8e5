"""GB/T 2260 divisions as database rows: public reference data, loaded from the packaged CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.db import models
from django.utils.translation import gettext_lazy as _

from citypilot.core.models import ScopedQuerySet

if TYPE_CHECKING:
    from citypilot.accounts.principals import Principal


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    PREFECTURE = "prefecture", _("地级")
    COUNTY = "county", _("县级")


class PublicQuerySet(ScopedQuerySet):
    """Reference data: everyone, signed in or not, may read every row."""

    def for_principal(self, principal: Principal) -> Self:
        return self.all()


class Division(models.Model):
    """One record of the reference table: a code with one name over a span of years.

    ``valid_to_year`` is exclusive (the year the record changed or was retired); ``successors``
    lists ``[code, year]`` pairs, including those ``DivisionIndex.successors_of`` derives for retired
    prefecture-level units.
    """

    code = models.CharField(_("代码"), max_length=6)
    name = models.CharField(_("名称"), max_length=50)
    level = models.CharField(_("级别"), max_length=12, choices=DivisionLevel.choices)
    province_name = models.CharField(_("一级行政区"), max_length=50)
    prefecture_name = models.CharField(_("二级行政区"), max_length=50, blank=True)
    status = models.CharField(_("状态"), max_length=10)
    valid_from_year = models.PositiveSmallIntegerField(_("启用年份"))
    valid_to_year = models.PositiveSmallIntegerField(_("变更/弃用年份"), null=True, blank=True)
    successors = models.JSONField(_("新代码"), default=list, blank=True)

    objects = PublicQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code", "valid_from_year"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from_year"], name="division_unique_code_from_year"),
        ]
        indexes = [models.Index(fields=["code"], name="division_code_idx")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def full_name(self) -> str:
        if self.level != DivisionLevel.COUNTY:
            return self.name
        return (self.prefecture_name or self.province_name) + self.name


class ReferenceDataset(models.Model):
    """Which version of a packaged reference file is loaded: compared by SHA-256 and row count."""

    name = models.CharField(_("数据集"), max_length=50, unique=True)
    sha256 = models.CharField("SHA-256", max_length=64)
    rows = models.PositiveIntegerField(_("行数"))
    loaded_at = models.DateTimeField(_("加载时间"))

    objects = PublicQuerySet.as_manager()

    class Meta:
        verbose_name = _("参考数据集")
        verbose_name_plural = _("参考数据集")

    def __str__(self) -> str:
        return self.name
