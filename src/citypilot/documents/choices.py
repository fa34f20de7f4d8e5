from django.db import models
from django.utils.translation import gettext_lazy as _


class FileType(models.TextChoices):
    PDF = "pdf", "PDF"
    OFD = "ofd", "OFD"
    DOCX = "docx", "Word (DOCX)"
    XLSX = "xlsx", "Excel (XLSX)"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"


class DocumentKind(models.TextChoices):
    NOTICE = "notice", _("通知文件")
    APPLICATION = "application", _("申报材料")
    PLAN = "plan", _("实施方案")
    TASK_BOOK = "task_book", _("创建任务书")
    REVIEW_OPINION = "review_opinion", _("评审意见（扫描件）")
    REPORT = "report", _("报告")
    SPREADSHEET = "spreadsheet", _("数据表")
    OTHER = "other", _("其他")


# Which file types each kind of document accepts, judged by content, never by the file's name.
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    DocumentKind.NOTICE: frozenset({FileType.PDF, FileType.OFD, FileType.DOCX}),
    DocumentKind.APPLICATION: frozenset({FileType.PDF, FileType.OFD, FileType.DOCX, FileType.XLSX}),
    DocumentKind.PLAN: frozenset({FileType.PDF, FileType.OFD, FileType.DOCX}),
    DocumentKind.TASK_BOOK: frozenset({FileType.PDF, FileType.OFD, FileType.DOCX, FileType.XLSX}),
    DocumentKind.REVIEW_OPINION: frozenset({FileType.PDF, FileType.OFD, FileType.JPEG, FileType.PNG}),
    DocumentKind.REPORT: frozenset({FileType.PDF, FileType.OFD, FileType.DOCX}),
    DocumentKind.SPREADSHEET: frozenset({FileType.XLSX}),
    DocumentKind.OTHER: frozenset(FileType.values),
}

MIME_TYPES: dict[str, str] = {
    FileType.PDF: "application/pdf",
    FileType.OFD: "application/ofd",
    FileType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileType.JPEG: "image/jpeg",
    FileType.PNG: "image/png",
}
