from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.test import Client

from citypilot.audit.models import AuditEntry
from citypilot.notices.services import import_notice
from citypilot.pilots.choices import Resolution
from citypilot.pilots.models import ExtensionArea, Pilot
from tests.conftest import World
from tests.pilots.conftest import SEED_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(world: World) -> None:
    import_notice(SEED_BYTES, filename="notice_2013.txt", actor=world.users["ministry"], publish=True)


def test_public_list_filters_counts_and_searches(published: None, client: Client) -> None:
    page = client.get("/registry/").content.decode()
    assert "共 103 个试点" in page  # placeholders are counted only under their own status
    assert "/api/pilots/map?status=listed" in page  # the map shows what the list shows
    page = client.get("/registry/?batch=2013&province=山西省").content.decode()
    assert "阳泉市" in page and "唐山市曹妃甸区" not in page
    assert 'data-testid="counts-by-province"' in page and "山西省</a></td><td>4<" in page
    page = client.get("/registry/?q=曹妃甸").content.decode()
    assert "共 1 个试点" in page and "130209" in page
    page = client.get("/registry/?status=placeholder").content.decode()
    assert "共 6 个试点" in page and "武汉市" in page


def test_pilot_page_shows_codes_then_and_now_and_extensions(published: None, client: Client) -> None:
    datong = Pilot.objects.get(name="大同市城区")
    page = client.get(f"/registry/pilots/{datong.pk}/").content.decode()
    assert "140202" in page and "140213" in page and "140214" in page
    wuhan = Pilot.objects.get(name="武汉市", is_placeholder=True)
    page = client.get(f"/registry/pilots/{wuhan.pk}/").content.decode()
    assert "蔡甸区" in page and 'data-testid="extensions"' in page


def test_notice_page_shows_the_count_disagreement_and_the_annex(published: None, client: Client) -> None:
    page = client.get("/registry/batches/2013/notice/").content.decode()
    assert page.count('data-testid="count-mismatch"') == 1
    assert "2013-09-01" in page and "宁波市（含海曙区、梅山保税港区、鄞州区咸祥镇）" in page


def test_unpublished_batch_is_hidden_from_the_public(world: World, client: Client) -> None:
    import_notice(SEED_BYTES, filename="notice_2013.txt", actor=world.users["ministry"])
    assert "共 0 个试点" in client.get("/registry/").content.decode()
    assert client.get("/registry/batches/2013/notice/").status_code == 404
    assert "共 103 个试点" in world.client("ministry").get("/registry/").content.decode()


def test_exports_from_the_ui(published: None, client: Client) -> None:
    rows = list(
        csv.DictReader(io.StringIO(b"".join(client.get("/registry/export.csv?batch=2013").streaming_content).decode()))
    )  # type: ignore[attr-defined]
    assert len(rows) == 103 + ExtensionArea.objects.count()
    response = client.get("/registry/export.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    assert workbook.active is not None and workbook.active.max_row == len(rows) + 1
    assert client.get("/registry/export.geojson").status_code == 200
    assert client.get("/registry/export.pdf").status_code == 404


def test_ministry_settles_an_unresolved_entry(published: None, world: World) -> None:
    client = world.client("ministry")
    page = client.get("/registry/unresolved/").content.decode()
    assert "北京经济技术开发区" in page and "洋湖生态新城" in page
    pilot = Pilot.objects.get(name="北京经济技术开发区")
    bad = client.post(
        f"/registry/settle/pilot/{pilot.pk}/", {"division_code": "12", "kind": "development_zone", "note": "x"}
    )
    assert bad.status_code == 422 and "六位数字" in bad.content.decode()
    response = client.post(
        f"/registry/settle/pilot/{pilot.pk}/",
        {"division_code": "110115", "kind": "development_zone", "note": "管委会位于大兴区"},
    )
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert (pilot.resolution, pilot.containing_code) == (Resolution.MANUAL, "110115")
    assert pilot.lon is not None and pilot.lat is not None  # placed at 大兴区 on the map
    entry = AuditEntry.objects.for_object(pilot).get(action="pilot.settle_resolution")
    assert (entry.reason, entry.actor_id) == ("管委会位于大兴区", world.users["ministry"].pk)
    assert "北京经济技术开发区" not in client.get("/registry/unresolved/").content.decode()


def test_only_the_ministry_settles(published: None, world: World) -> None:
    pilot = Pilot.objects.get(name="北京经济技术开发区")
    for who in ("own_province", "observer", "pilot"):
        client = world.client(who)
        assert client.get("/registry/unresolved/").status_code == 403
        response = client.post(
            f"/registry/settle/pilot/{pilot.pk}/", {"division_code": "110115", "kind": "development_zone", "note": "x"}
        )
        assert response.status_code == 403
    pilot.refresh_from_db()
    assert pilot.resolution == Resolution.UNRESOLVED
