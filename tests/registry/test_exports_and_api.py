from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client

from citypilot.notices.services import import_notice
from citypilot.pilots import exports
from citypilot.pilots.models import ExtensionArea, Pilot
from tests.conftest import World
from tests.pilots.conftest import SEED_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(world: World) -> None:
    import_notice(SEED_BYTES, filename="notice_2013.txt", actor=world.users["ministry"], publish=True)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_exactly_the_columns_and_one_row_per_entry_and_extension_area(published: None) -> None:
    text = exports.render(exports.export_rows(Pilot.objects.all(), ExtensionArea.objects.all()), "csv").decode()
    assert text.splitlines()[0] == ",".join(exports.COLUMNS)
    rows = csv_rows(text)
    entries = [r for r in rows if not r["extends_pilot"]]
    areas = [r for r in rows if r["extends_pilot"]]
    assert len(entries) == Pilot.objects.filter(is_placeholder=False).count() == 103
    assert len(areas) == ExtensionArea.objects.count()
    assert entries[0]["name_as_listed"] == "北京经济技术开发区" and entries[-1]["name_as_listed"] == "银川市永宁县"
    ningbo = next(r for r in rows if r["name_as_listed"].startswith("宁波市（含"))
    assert ningbo["includes"] == "海曙区;梅山保税港区;鄞州区咸祥镇"
    datong = next(r for r in rows if r["name_as_listed"] == "大同市城区")
    assert (datong["division_code_at_batch"], datong["current_division_code"]) == ("140202", "140213;140214")
    caidian = next(r for r in rows if r["name_as_listed"] == "蔡甸区")
    assert (caidian["extends_pilot"], caidian["batch_year"]) == ("武汉市", "2013")


def test_xlsx_and_geojson_carry_the_same_rows(published: None) -> None:
    rows = list(exports.export_rows(Pilot.objects.all(), ExtensionArea.objects.all()))
    sheet = openpyxl.load_workbook(io.BytesIO(exports.render(rows, "xlsx"))).active
    assert sheet is not None
    values = list(sheet.values)
    assert list(values[0]) == list(exports.COLUMNS) and len(values) == len(rows) + 1
    geo = json.loads(exports.render(rows, "geojson"))
    with_coordinates = [r for r in rows if r["lon"] and r["lat"]]
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == len(with_coordinates)


def test_export_command_writes_files(published: None, tmp_path: Path) -> None:
    target = tmp_path / "pilots.csv"
    call_command("export_pilots", "--format", "csv", "--batch", "2013", "-o", str(target))
    assert (
        len(csv_rows(target.read_text(encoding="utf-8")))
        == Pilot.objects.filter(is_placeholder=False).count() + ExtensionArea.objects.count()
    )
    call_command("export_pilots", "--format", "xlsx", "-o", str(tmp_path / "p.xlsx"))
    assert openpyxl.load_workbook(tmp_path / "p.xlsx").active.max_row > 100  # type: ignore[union-attr]


def test_unpublished_batch_is_not_exported_to_the_public(world: World, client: Client) -> None:
    import_notice(SEED_BYTES, filename="notice_2013.txt", actor=world.users["ministry"])
    assert len(csv_rows(b"".join(client.get("/api/pilots/export.csv").streaming_content).decode())) == 0  # type: ignore[attr-defined]
    ministry_csv = b"".join(world.client("ministry").get("/api/pilots/export.csv").streaming_content)  # type: ignore[attr-defined]
    assert len(csv_rows(ministry_csv.decode())) > 100
    province_csv = b"".join(world.client("own_province").get("/api/pilots/export.csv").streaming_content)  # type: ignore[attr-defined]
    assert {r["province"] for r in csv_rows(province_csv.decode())} == {"河北省"}


def test_api_list_filters_and_paginates(published: None, client: Client) -> None:
    body: dict[str, Any] = client.get("/api/pilots/?batch=2013&province=山西省&limit=2").json()
    assert body["count"] == Pilot.objects.filter(province_name="山西省", is_placeholder=False).count()
    assert len(body["items"]) == 2 and body["items"][0]["name_as_listed"] == "阳泉市"
    unresolved = client.get("/api/pilots/?resolution=unresolved&limit=500").json()
    assert all(item["resolution"] == "unresolved" for item in unresolved["items"]) and unresolved["count"] >= 1
    found = client.get("/api/pilots/?q=曹妃甸").json()
    assert [item["name_as_listed"] for item in found["items"]] == ["唐山市曹妃甸区"]
    detail = client.get(f"/api/pilots/{found['items'][0]['id']}").json()
    assert detail["division_code_at_batch"] == "130209" and detail["supervising_authority"] == "河北省住房和城乡建设厅"
