from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from citypilot.accounts.models import Organisation
from citypilot.audit.api import AuditEntryOut, history_of
from citypilot.core.api import ERRORS, get_scoped, require_login, scoped

from . import services
from .choices import DocumentKind
from .models import Document, DocumentVersion

router = Router(tags=["documents"])


class VersionOut(Schema):
    id: int
    number: int
    original_name: str
    file_type: str
    size: int
    sha256: str
    note: str
    uploaded_at: datetime


class DocumentOut(Schema):
    id: int
    kind: str
    title: str
    organisation_id: int
    is_public: bool
    created_at: datetime
    current_version: VersionOut | None


class DocumentIn(Schema):
    organisation_id: int
    kind: DocumentKind
    title: str
    is_public: bool = False
    note: str = ""


class VersionIn(Schema):
    note: str = ""


@router.get("/", response={200: list[DocumentOut], **ERRORS})
@paginate
def list_documents(request: HttpRequest, kind: str = "", organisation_id: int | None = None) -> Any:
    """Documents the caller may see (the public sees published ones)."""
    documents = scoped(request, Document).select_related("current_version").order_by("-created_at", "-pk")
    if kind:
        documents = documents.filter(kind=kind)
    if organisation_id is not None:
        documents = documents.filter(organisation_id=organisation_id)
    return documents


@router.post("/", response={201: DocumentOut, **ERRORS})
def create_document(request: HttpRequest, payload: Form[DocumentIn], file: File[UploadedFile]) -> Any:
    """Upload a document: its type is judged by content against the kind's allow-list."""
    user = require_login(request)
    organisation = get_scoped(request, Organisation, payload.organisation_id)
    document = services.upload_document(
        actor=user,
        organisation=organisation,
        kind=payload.kind,
        title=payload.title,
        upload=file,
        original_name=file.name or "upload",
        is_public=payload.is_public,
        note=payload.note,
        source="api",
    )
    return 201, document


@router.get("/{document_id}", response={200: DocumentOut, **ERRORS})
def get_document(request: HttpRequest, document_id: int) -> Any:
    return get_scoped(request, Document, document_id, "current_version")


@router.get("/{document_id}/versions", response={200: list[VersionOut], **ERRORS})
@paginate
def list_versions(request: HttpRequest, document_id: int) -> Any:
    document = get_scoped(request, Document, document_id)
    return document.versions.order_by("-number")


@router.post("/{document_id}/versions", response={201: VersionOut, **ERRORS})
def add_version(request: HttpRequest, document_id: int, payload: Form[VersionIn], file: File[UploadedFile]) -> Any:
    """Add a new version; earlier versions are kept unchanged."""
    user = require_login(request)
    document = get_scoped(request, Document, document_id)
    version = services.add_version(
        document, actor=user, upload=file, original_name=file.name or "upload", note=payload.note, source="api"
    )
    return 201, version


@router.get("/{document_id}/versions/{number}/file", response={200: None, **ERRORS})
def download_version(request: HttpRequest, document_id: int, number: int) -> FileResponse:
    document = get_scoped(request, Document, document_id)
    version = get_object_or_404(DocumentVersion, document=document, number=number)
    return services.file_response(version)


@router.get("/{document_id}/history", response={200: list[AuditEntryOut], **ERRORS})
@paginate
def document_history(request: HttpRequest, document_id: int) -> Any:
    return history_of(request, Document, document_id)
