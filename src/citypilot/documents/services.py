"""Uploading documents and their versions: checked by content, hashed, never overwritten."""

from __future__ import annotations

import hashlib
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from citypilot.accounts.models import Organisation
from citypilot.accounts.principals import principal_of
from citypilot.audit.services import record, snapshot
from citypilot.core.errors import PermissionDenied, ValidationFailed

from .choices import ALLOWED_TYPES, MIME_TYPES, DocumentKind, FileType
from .models import Document, DocumentVersion
from .sniffing import sniff


def _checked_file(kind: str, upload: IO[bytes], size: int) -> tuple[FileType, str]:
    """Validate an upload against the kind's rules; return its sniffed type and SHA-256."""
    if size <= 0:
        raise ValidationFailed(_("文件为空。"), details={"field": "file"})
    if size > settings.DOCUMENT_MAX_BYTES:
        raise ValidationFailed(
            _("文件过大（%(size)s），上限为 %(limit)s。")
            % {"size": filesizeformat(size), "limit": filesizeformat(settings.DOCUMENT_MAX_BYTES)},
            details={"field": "file", "size": size, "limit": settings.DOCUMENT_MAX_BYTES},
        )
    file_type = sniff(upload)
    allowed = ALLOWED_TYPES[DocumentKind(kind)]
    if file_type is None or file_type not in allowed:
        raise ValidationFailed(
            _("文件内容不是%(kind)s允许的格式（允许：%(allowed)s；实际：%(actual)s）。")
            % {
                "kind": DocumentKind(kind).label,
                "allowed": _("、").join(sorted(FileType(t).label for t in allowed)),
                "actual": FileType(file_type).label if file_type else _("无法识别"),
            },
            details={"field": "file", "detected": file_type, "allowed": sorted(allowed)},
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return file_type, digest.hexdigest()


def _store_version(
    document: Document, *, actor: Any, upload: Any, original_name: str, note: str, source: str
) -> DocumentVersion:
    size = upload.size if hasattr(upload, "size") else len(upload.read())
    file_type, sha256 = _checked_file(document.kind, upload, size)
    last = document.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = DocumentVersion(
        document=document,
        number=last + 1,
        original_name=original_name[:255],
        file_type=file_type,
        size=size,
        sha256=sha256,
        note=note,
        uploaded_by=actor,
    )
    version.file.save(original_name, File(upload), save=False)
    try:
        with transaction.atomic():
            version.save()
            before = snapshot(document, ["current_version"])
            document.current_version = version
            document.save(update_fields=["current_version", "updated_at"])
            record(
                actor=actor,
                action="document.add_version",
                obj=document,
                organisation=document.organisation_id,
                before=before,
                after={**snapshot(version, ["number", "original_name", "file_type", "size", "sha256", "note"])},
                reason=note,
                source=source,
            )
    except BaseException:
        version.file.delete(save=False)  # the database refused: leave no orphan file behind
        raise
    return version


@transaction.atomic
def upload_document(
    *,
    actor: Any,
    organisation: Organisation,
    kind: str,
    title: str,
    upload: Any,
    original_name: str,
    is_public: bool = False,
    note: str = "",
    source: str = "web",
) -> Document:
    """Create a document with its first version."""
    if not principal_of(actor).can_write_for(organisation.pk):
        raise PermissionDenied()
    if not title.strip():
        raise ValidationFailed(_("请填写标题。"), details={"field": "title"})
    document = Document.objects.create(
        kind=kind, title=title.strip(), organisation=organisation, is_public=is_public, created_by=actor
    )
    record(
        actor=actor,
        action="document.create",
        obj=document,
        organisation=organisation,
        after=snapshot(document, ["kind", "title", "organisation", "is_public"]),
        source=source,
    )
    _store_version(document, actor=actor, upload=upload, original_name=original_name, note=note, source=source)
    return document


@transaction.atomic
def add_version(
    document: Document, *, actor: Any, upload: Any, original_name: str, note: str = "", source: str = "web"
) -> DocumentVersion:
    """Add a new version; earlier versions stay as they were."""
    if not principal_of(actor).can_write_for(document.organisation_id):
        raise PermissionDenied()
    locked = Document.objects.select_for_update().get(pk=document.pk)
    return _store_version(locked, actor=actor, upload=upload, original_name=original_name, note=note, source=source)


def file_response(version: DocumentVersion) -> FileResponse:
    """Serve a stored version with its sniffed type and its original name."""
    return FileResponse(
        version.file.open("rb"),
        as_attachment=True,
        filename=version.original_name,
        content_type=MIME_TYPES[version.file_type],
    )
