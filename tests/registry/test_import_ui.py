from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from citypilot.audit.models import AuditEntry
from citypilot.pilots.models import Batch, Pilot
from tests.conftest import World
from tests.pilots.conftest import SEED_BYTES

pytestmark = pytest.mark.django_db


def notice(data: bytes = SEED_BYTES, name: str = "notice_2013.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/plain")


def test_preview_then_apply_then_nothing_to_do(world: World) -> None:
    client = world.client("ministry")
    preview = client.post("/registry/notices/import/", {"file": notice(), "publish": "on"})
    page = preview.content.decode()
    assert preview.status_code == 200 and 'data-testid="differences"' in page
    assert "声明 9，实列 6（不一致）" in page
    assert not Batch.objects.filter(year=2013).exists()  # the preview writes nothing
    sha = preview.context["sha256"]
    applied = client.post("/registry/notices/import/apply/", {"sha256": sha})
    assert applied.status_code == 302 and applied["Location"] == "/registry/batches/2013/notice/"
    assert Pilot.objects.filter(batch__year=2013, is_placeholder=False).count() == 103
    assert Batch.objects.get(year=2013).is_published
    entries = AuditEntry.objects.count()
    again = client.post("/registry/notices/import/", {"file": notice()})
    assert 'data-testid="no-changes"' in again.content.decode()
    assert AuditEntry.objects.count() == entries


def test_malformed_notice_names_the_line_and_writes_nothing(world: World) -> None:
    broken = "\n".join(
        [
            "住房城乡建设部办公厅关于公布2013年度国家智慧城市试点名单的通知",
            "附件",
            "一、市、区（2个）",
            "唐山市曹妃甸区",
            "",
        ]
    ).encode()
    response = world.client("ministry").post("/registry/notices/import/", {"file": notice(broken)})
    assert response.status_code == 422
    assert "第4行" in response.content.decode()
    assert not Batch.objects.exists()


def test_a_stale_or_foreign_confirmation_is_refused(world: World) -> None:
    client = world.client("ministry")
    client.post("/registry/notices/import/", {"file": notice()})
    response = client.post("/registry/notices/import/apply/", {"sha256": "0" * 64}, follow=True)
    assert "预览已过期" in response.content.decode()
    assert not Batch.objects.filter(year=2013).exists()


def test_only_ministry_officers_import(world: World) -> None:
    for who in ("own_province", "observer", "pilot"):
        assert world.client(who).post("/registry/notices/import/", {"file": notice()}).status_code == 403
    assert world.client("anonymous").get("/registry/notices/import/").status_code == 302
    assert not Batch.objects.exists()
