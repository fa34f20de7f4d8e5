"""The registry map: coordinates on import, filling existing rows, map_data and GET /api/pilots/map."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client
from django.urls import resolve

from citypilot.audit.models import AuditEntry
from citypilot.divisions.centroids import point_for
from citypilot.notices.services import import_notice
from citypilot.pilots.map import fill_missing_coordinates, geo_province_names, map_data, province_key
from citypilot.pilots.models import ExtensionArea, Pilot
from citypilot.pilots.services import settle_resolution
from tests.conftest import World
from tests.pilots.conftest import SEED_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(world: World) -> None:
    import_notice(SEED_BYTES, filename="notice_2013.txt", actor=world.users["ministry"], publish=True)


def listed() -> Any:
    return Pilot.objects.filter(batch__year=2013, is_placeholder=False)


def placed(rows: Any) -> Any:
    return rows.filter(lon__isnull=False, lat__isnull=False)


# --------------------------------------------------------------------------------------------------
# Coordinates on import


def test_import_places_every_resolved_pilot_and_area_at_its_division(published: None) -> None:
    assert listed().count() == 103 and placed(listed()).count() == 101
    assert set(listed().filter(lon__isnull=True).values_list("name", flat=True)) == {
        "北京经济技术开发区",
        "东莞市东城区",
    }
    assert not listed().filter(lon__isnull=True).exclude(resolution="unresolved").exists()
    caofeidian = Pilot.objects.get(name="唐山市曹妃甸区")
    assert (caofeidian.lon, caofeidian.lat) == (Decimal("118.460379"), Decimal("39.273070"))
    for pilot in placed(listed()):
        lon, lat, _code = point_for(pilot.division_code_at_batch or pilot.containing_code, 2013) or (0, 0, "")
        assert (pilot.lon, pilot.lat) == (Decimal(f"{lon:.6f}"), Decimal(f"{lat:.6f}")), pilot.name
    areas = ExtensionArea.objects.filter(line__batch__year=2013)
    assert areas.count() == 10 and placed(areas).count() == 7
    assert not areas.filter(lon__isnull=True).exclude(resolution="unresolved").exists()
    caidian = areas.get(name="蔡甸区")
    assert (caidian.division_code_at_batch, caidian.lon, caidian.lat) == (
        "420114",
        Decimal("114.087285"),
        Decimal("30.536454"),
    )


def test_reimport_changes_nothing_but_fills_rows_imported_without_coordinates(published: None) -> None:
    entries = AuditEntry.objects.count()
    again = import_notice(SEED_BYTES, filename="notice_2013.txt", actor=None)
    assert again.no_changes and AuditEntry.objects.count() == entries
    # A batch imported before coordinates existed: the re-import fills them, as changes of lon and lat.
    Pilot.objects.filter(name="唐山市曹妃甸区").update(lon=None, lat=None)
    dry = import_notice(SEED_BYTES, filename="notice_2013.txt", actor=None, apply=False)
    assert [(d.action, d.key, [c[0] for c in d.changes]) for d in dry.differences] == [
        ("changed", "唐山市曹妃甸区", ["lon", "lat"])
    ]
    import_notice(SEED_BYTES, filename="notice_2013.txt", actor=None)
    assert Pilot.objects.get(name="唐山市曹妃甸区").lon == Decimal("118.460379")
    assert import_notice(SEED_BYTES, filename="notice_2013.txt", actor=None).no_changes


def test_manual_settlement_keeps_its_coordinates_on_reimport(world: World, published: None) -> None:
    pilot = Pilot.objects.get(name="北京经济技术开发区")
    settle_resolution(
        pilot, actor=world.users["ministry"], division_code="110115", kind="development_zone", note="亦庄"
    )
    fill_missing_coordinates(2013)
    settled = Pilot.objects.get(pk=pilot.pk)
    assert (settled.lon, settled.lat) == (Decimal("116.341483"), Decimal("39.726917"))  # 大兴区
    assert import_notice(SEED_BYTES, filename="notice_2013.txt", actor=None).no_changes
    assert Pilot.objects.get(pk=pilot.pk).lon == settled.lon


# --------------------------------------------------------------------------------------------------
# Filling existing rows


def test_fill_missing_coordinates_fills_once_with_one_audit_entry(published: None) -> None:
    expected_pilots = placed(Pilot.objects.all()).count()
    expected_areas = placed(ExtensionArea.objects.all()).count()
    Pilot.objects.update(lon=None, lat=None)
    ExtensionArea.objects.update(lon=None, lat=None)
    entries = AuditEntry.objects.count()
    assert fill_missing_coordinates(2013) == 101 + 7  # only the 2013 pilots and the areas of 2013 lines
    assert AuditEntry.objects.count() == entries + 1
    summary = AuditEntry.objects.order_by("-seq").first()
    assert summary is not None and summary.action == "pilots.fill_coordinates"
    assert summary.after["pilots"] == 101 and summary.after["extension_areas"] == 7 and summary.after["batch"] == 2013
    assert fill_missing_coordinates() == expected_pilots - 101  # the 2012 placeholders
    assert placed(Pilot.objects.all()).count() == expected_pilots
    assert placed(ExtensionArea.objects.all()).count() == expected_areas
    entries = AuditEntry.objects.count()
    assert fill_missing_coordinates() == 0 and AuditEntry.objects.count() == entries  # nothing left: no entry


def test_fill_coordinates_command(published: None, capsys: pytest.CaptureFixture[str]) -> None:
    Pilot.objects.filter(name="唐山市曹妃甸区").update(lon=None, lat=None)
    call_command("fill_coordinates", "--batch", "2013")
    assert "1" in capsys.readouterr().out
    assert Pilot.objects.get(name="唐山市曹妃甸区").lat == Decimal("39.273070")


# --------------------------------------------------------------------------------------------------
# map_data


def test_province_keys_come_from_the_geojson_ids() -> None:
    names = geo_province_names()
    assert len(names) == 34 and names["13"] == "河北" and names["15"] == "内蒙古" and names["45"] == "广西"
    assert province_key("65", "新疆维吾尔自治区") == "新疆"
    assert province_key(None, "宁夏回族自治区") == "宁夏"  # unresolved: by the province header
    assert province_key(None, "西藏自治区") == "西藏" and province_key(None, "北京市") == "北京"
    assert province_key(None, "新疆生产建设兵团") == "新疆"
    assert province_key("21", "大连市") == "辽宁"
    assert province_key(None, "不是省份") == ""


def test_map_data_counts_in_a_fixed_number_of_queries(
    published: None, django_assert_num_queries: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    with django_assert_num_queries(2):
        data = map_data(listed())
    assert data["total"] == 103 and data["without_coordinates"] == 2 and len(data["points"]) == 101
    assert sum(data["provinces"].values()) == 103
    assert data["provinces"]["北京"] == Pilot.objects.filter(batch__year=2013, province_name="北京市").count() >= 1
    assert set(data["provinces"]) <= set(geo_province_names().values())
    point = next(p for p in data["points"] if p["name"] == "唐山市曹妃甸区")
    assert point == {
        "id": Pilot.objects.get(name="唐山市曹妃甸区").pk,
        "name": "唐山市曹妃甸区",
        "lon": 118.460379,
        "lat": 39.27307,
        "province": "河北",
        "batch": 2013,
        "kind": "district",
        "kind_label": "市辖区",
        "resolution": "exact",
        "resolution_label": "名称一致",
        "url": point["url"],
    }
    # The registry's pilot page (or, before it exists, the API record) of that pilot.
    assert resolve(point["url"]).kwargs in ({"pk": point["id"]}, {"pilot_id": point["id"]})
    with django_assert_num_queries(2):
        empty = map_data(listed().filter(name="没有这个试点"))
    assert empty == {"points": [], "provinces": {}, "total": 0, "without_coordinates": 0}


# --------------------------------------------------------------------------------------------------
# The API


def test_api_map_is_scoped_and_filtered(world: World, client: Client) -> None:
    import_notice(SEED_BYTES, filename="notice_2013.txt", actor=world.users["ministry"])
    assert client.get("/api/pilots/map").json() == {
        "points": [],
        "provinces": {},
        "total": 0,
        "without_coordinates": 0,
    }
    everything = world.client("ministry").get("/api/pilots/map?batch=2013").json()
    assert everything["total"] == Pilot.objects.filter(batch__year=2013).count()
    hebei = world.client("own_province").get("/api/pilots/map").json()
    assert set(hebei["provinces"]) == {"河北"} and {p["province"] for p in hebei["points"]} == {"河北"}
    shanxi = world.client("ministry").get("/api/pilots/map", {"province": "山西省", "kind": "prefecture_city"}).json()
    assert shanxi["total"] == Pilot.objects.filter(province_name="山西省", kind="prefecture_city").count() > 0
    assert all(p["kind"] == "prefecture_city" for p in shanxi["points"])
    found = world.client("ministry").get("/api/pilots/map", {"q": "曹妃甸", "resolution": "exact"}).json()
    assert [p["name"] for p in found["points"]] == ["唐山市曹妃甸区"]


def test_api_map_route_is_not_taken_for_a_pilot_id(published: None, client: Client) -> None:
    body = client.get("/api/pilots/map").json()
    assert set(body) == {"points", "provinces", "total", "without_coordinates"}
    pilot = Pilot.objects.get(name="唐山市曹妃甸区")
    assert client.get(f"/api/pilots/{pilot.pk}").json()["name"] == "唐山市曹妃甸区"
    error = client.get("/api/pilots/map?batch=abc")
    assert error.status_code == 422 and error.json()["code"] == "validation_error"


def test_fragment_renders_the_urls_and_the_assets() -> None:
    html = render_to_string("pilots/_map.html", {"map_url": "/api/pilots/map?batch=2013"})
    assert 'data-map-url="/api/pilots/map?batch=2013"' in html
    assert 'data-geo-url="/static/vendor/china-geo/china-provinces.json"' in html
    assert "vendor/echarts/echarts.min.js" in html and "citypilot/registry-map.js" in html
    assert "height:560px" in html and "http" not in html
