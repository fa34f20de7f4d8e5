from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from citypilot.audit.models import AuditEntry
from citypilot.core.errors import PermissionDenied, ValidationFailed
from citypilot.documents import services
from citypilot.documents.choices import DocumentKind, FileType
from citypilot.documents.models import Document, DocumentVersion
from citypilot.documents.sniffing import sniff
from tests import files
from tests.conftest import World

pytestmark = pytest.mark.django_db


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (files.pdf(), FileType.PDF),
        (files.docx(), FileType.DOCX),
        (files.xlsx(), FileType.XLSX),
        (files.ofd(), FileType.OFD),
        (files.PNG, FileType.PNG),
        (files.JPEG, FileType.JPEG),
        (b"MZ\x90\x00 not a document", None),
        (b"PK\x03\x04 broken zip", None),
    ],
)
def test_sniffing_reads_content(data: bytes, expected: FileType | None) -> None:
    import io

    assert sniff(io.BytesIO(data)) == expected


def test_upload_keeps_size_hash_type_and_versions(world: World, settings: Any) -> None:
    actor = world.users["pilot"]
    document = services.upload_document(
        actor=actor,
        organisation=world.pilot_a,
        kind=DocumentKind.PLAN,
        title="实施方案",
        upload=upload("方案.pdf", files.pdf("v1")),
        original_name="方案.pdf",
    )
    first = document.current_version
    assert first is not None
    assert (first.number, first.file_type, first.size) == (1, FileType.PDF, len(files.pdf("v1")))
    import hashlib

    assert first.sha256 == hashlib.sha256(files.pdf("v1")).hexdigest()
    second = services.add_version(
        document, actor=actor, upload=upload("方案.docx", files.docx()), original_name="方案.docx"
    )
    assert second.number == 2
    document.refresh_from_db()
    assert document.current_version == second
    # Earlier versions are never overwritten: both files exist with their own content.
    assert DocumentVersion.objects.get(pk=first.pk).file.read() == files.pdf("v1")
    assert len(stored_files(settings)) == 2
    assert list(AuditEntry.objects.for_object(document).values_list("action", flat=True)) == [
        "document.create",
        "document.add_version",
        "document.add_version",
    ]


def test_mislabelled_upload_is_refused_and_leaves_nothing(world: World, settings: Any) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        services.upload_document(
            actor=world.users["pilot"],
            organisation=world.pilot_a,
            kind=DocumentKind.PLAN,
            title="方案",
            upload=upload("方案.pdf", files.PNG),
            original_name="方案.pdf",
        )
    assert excinfo.value.details["detected"] == FileType.PNG
    assert "PNG" in str(excinfo.value.message)
    assert Document.objects.count() == 0 and stored_files(settings) == []


def test_oversized_upload_is_refused(world: World, settings: Any) -> None:
    settings.DOCUMENT_MAX_BYTES = 100
    with pytest.raises(ValidationFailed, match="文件过大"):
        services.upload_document(
            actor=world.users["pilot"],
            organisation=world.pilot_a,
            kind=DocumentKind.PLAN,
            title="方案",
            upload=upload("a.pdf", files.pdf("x" * 200)),
            original_name="a.pdf",
        )
    assert Document.objects.count() == 0 and stored_files(settings) == []


def test_review_opinion_scans_accept_images(world: World) -> None:
    document = services.upload_document(
        actor=world.users["own_province"],
        organisation=world.pilot_a,
        kind=DocumentKind.REVIEW_OPINION,
        title="评审意见",
        upload=upload("scan.jpg", files.JPEG),
        original_name="scan.jpg",
    )
    assert document.current_version is not None and document.current_version.file_type == FileType.JPEG


def test_other_province_and_observer_cannot_upload(world: World) -> None:
    for who in ("other_province", "observer"):
        with pytest.raises(PermissionDenied):
            services.upload_document(
                actor=world.users[who],
                organisation=world.pilot_a,
                kind=DocumentKind.PLAN,
                title="方案",
                upload=upload("a.pdf", files.pdf()),
                original_name="a.pdf",
            )
    assert Document.objects.count() == 0


def test_failure_after_the_file_is_stored_removes_it(world: World, settings: Any, monkeypatch: Any) -> None:
    def broken_record(**kwargs: Any) -> None:
        if kwargs["action"] == "document.add_version":
            raise RuntimeError("database went away")

    monkeypatch.setattr("citypilot.documents.services.record", broken_record)
    with pytest.raises(RuntimeError):
        services.upload_document(
            actor=world.users["pilot"],
            organisation=world.pilot_a,
            kind=DocumentKind.PLAN,
            title="方案",
            upload=upload("a.pdf", files.pdf()),
            original_name="a.pdf",
        )
    assert Document.objects.count() == 0 and DocumentVersion.objects.count() == 0
    assert stored_files(settings) == []


def test_web_upload_shows_the_reason_in_the_users_language(world: World) -> None:
    client = world.client("pilot")
    response = client.post(
        "/documents/upload/",
        {
            "organisation": world.pilot_a.pk,
            "kind": DocumentKind.PLAN,
            "title": "方案",
            "file": upload("plan.pdf", b"GIF89a not a pdf"),
        },
    )
    assert response.status_code == 422
    assert "文件内容不是实施方案允许的格式" in response.content.decode()
    world.users["pilot"].language = "en"
    world.users["pilot"].save()
    client.force_login(world.users["pilot"])
    response = client.post(
        "/documents/upload/",
        {"organisation": world.pilot_a.pk, "kind": DocumentKind.PLAN, "title": "Plan", "file": upload("p.pdf", b"xx")},
    )
    assert response.status_code == 422
    assert "is not a format allowed" in response.content.decode()
    assert Document.objects.count() == 0
