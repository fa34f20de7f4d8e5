from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citypilot.core.models import ScopedQuerySet, TimeStampedModel

from .choices import DocumentKind, FileType


class DocumentQuerySet(ScopedQuerySet):
    public_field = "is_public"


class Document(TimeStampedModel):
    """An official document; its file contents live in versions, which are never overwritten."""

    kind = models.CharField(_("文件类别"), max_length=30, choices=DocumentKind.choices)
    title = models.CharField(_("标题"), max_length=300)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("所属机构"),
        on_delete=models.PROTECT,
        related_name="documents",
    )
    is_public = models.BooleanField(_("公开"), default=False)
    current_version = models.ForeignKey(
        "DocumentVersion",
        verbose_name=_("当前版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("文件")
        verbose_name_plural = _("文件")
        ordering = ["-created_at"]
        # Lists and the home page show the newest documents first.
        indexes = [models.Index(fields=["-created_at", "-id"], name="document_newest_first")]

    def __str__(self) -> str:
        return self.title


class DocumentVersionQuerySet(ScopedQuerySet):
    scope_field = "document__organisation"
    public_field = "document__is_public"


def version_upload_to(instance: DocumentVersion, filename: str) -> str:
    return f"documents/{instance.document_id}/v{instance.number}/{instance.sha256}.{instance.file_type}"


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, verbose_name=_("文件"), on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    file = models.FileField(_("文件内容"), upload_to=version_upload_to, max_length=300)
    original_name = models.CharField(_("原文件名"), max_length=255)
    file_type = models.CharField(_("文件格式"), max_length=10, choices=FileType.choices)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField("SHA-256", max_length=64)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    objects = DocumentVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("文件版本")
        verbose_name_plural = _("文件版本")
        ordering = ["document", "-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="document_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"
