"""Placeholders merged when their batch is imported; manual settlements survive re-imports."""

from __future__ import annotations

from typing import Any

import pytest

from citypilot.audit.models import AuditEntry
from citypilot.core.errors import PermissionDenied, ValidationFailed
from citypilot.notices.services import ImportReport, import_notice
from citypilot.pilots.models import Batch, ExtensionArea, ExtensionLine, Pilot
from citypilot.pilots.services import pilot_organisation_code, settle_resolution
from tests.pilots.conftest import SEED_BYTES, SEED_TEXT

pytestmark = pytest.mark.django_db

NOTICE_2012 = """2012年度国家智慧城市试点名单
一、地级市（2个）
湖北省
武汉市
江苏省
常州市
"""


def test_earlier_batch_imported_later_merges_its_placeholders(imported: ImportReport) -> None:
    wuhan = Pilot.objects.get(batch__year=2012, name="武汉市")
    assert wuhan.is_placeholder
    organisation_id = wuhan.organisation_id
    report = import_notice(NOTICE_2012.encode("utf-8"), filename="notice_2012.txt", actor=None)
    assert ("changed", "pilot", "武汉市") in {(d.action, d.model, d.key) for d in report.differences}
    merged = Pilot.objects.get(batch__year=2012, name="武汉市")
    assert merged.pk == wuhan.pk
    assert not merged.is_placeholder
    assert merged.section is not None and merged.section.ordinal == "一"
    assert merged.organisation_id == organisation_id
    assert merged.organisation.code == pilot_organisation_code(2012, "武汉市")
    assert ExtensionLine.objects.get(batch__year=2013, base_pilot__name="武汉市").base_pilot_id == wuhan.pk
    batch = Batch.objects.get(year=2012)
    assert batch.is_imported
    # Earlier pilots the 2012 text does not list stay placeholders; none is deleted.
    assert set(Pilot.objects.filter(batch=batch, is_placeholder=True).values_list("name", flat=True)) == {
        "沈阳市",
        "南京市",
        "长沙大河西先导区",
        "佛山市",
    }
    assert Pilot.objects.filter(batch=batch).count() == 6
    assert import_notice(NOTICE_2012.encode("utf-8"), filename="notice_2012.txt", actor=None).no_changes
    assert import_notice(SEED_BYTES, filename="notice_2013.txt", actor=None).no_changes


def test_earlier_batch_imported_first_needs_no_placeholder(world: Any) -> None:
    import_notice(NOTICE_2012.encode("utf-8"), filename="notice_2012.txt", actor=None)
    report = import_notice(SEED_BYTES, filename="notice_2013.txt", actor=None)
    assert "2012年 武汉市" not in report.placeholders
    assert "2012年 沈阳市" in report.placeholders
    line = ExtensionLine.objects.get(batch__year=2013, base_pilot__name="武汉市")
    assert not line.base_pilot.is_placeholder


def test_manual_settlement_survives_reimport(world: Any, imported: ImportReport) -> None:
    pilot = Pilot.objects.get(batch__year=2013, name="北京经济技术开发区")
    assert pilot.resolution == "unresolved"
    settled = settle_resolution(
        pilot,
        actor=world.users["ministry"],
        division_code="110115",
        kind="development_zone",
        note="北京经济技术开发区位于大兴区。",
    )
    assert (settled.resolution, settled.containing_code, settled.containing_name) == (
        "manual",
        "110115",
        "北京市大兴区",
    )
    assert settled.settled_by == world.users["ministry"]
    assert AuditEntry.objects.filter(action="pilot.settle_resolution", object_id=str(pilot.pk)).exists()
    assert import_notice(SEED_BYTES, filename="notice_2013.txt", actor=None).no_changes
    changed = SEED_TEXT.replace("\n北京经济技术开发区\n", "\n北京经济技术开发区、海淀区\n")
    report = import_notice(changed.encode("utf-8"), filename="changed.txt", actor=None)
    assert ("added", "pilot", "海淀区") in {(d.action, d.model, d.key) for d in report.differences}
    pilot.refresh_from_db()
    assert (pilot.resolution, pilot.containing_code, pilot.settlement_note) == (
        "manual",
        "110115",
        "北京经济技术开发区位于大兴区。",
    )
    assert report.pilot_resolutions["manual"] == 1


def test_settling_an_extension_area(world: Any, imported: ImportReport) -> None:
    area = ExtensionArea.objects.get(name="洋湖生态新城")
    settled = settle_resolution(
        area, actor=world.users["ministry"], division_code="430104", kind="new_area", note="位于岳麓区。"
    )
    assert (settled.resolution, settled.containing_code) == ("manual", "430104")
    assert import_notice(SEED_BYTES, filename="notice_2013.txt", actor=None).no_changes


def test_only_ministry_officers_settle(world: Any, imported: ImportReport) -> None:
    pilot = Pilot.objects.get(batch__year=2013, name="东莞市东城区")
    for who in ("own_province", "pilot", "observer", "expert"):
        with pytest.raises(PermissionDenied):
            settle_resolution(pilot, actor=world.users[who], division_code="441900", kind="subdistrict", note="x")
    pilot.refresh_from_db()
    assert pilot.resolution == "unresolved"


def test_settlement_needs_a_division_in_force_and_a_note(world: Any, imported: ImportReport) -> None:
    pilot = Pilot.objects.get(batch__year=2013, name="东莞市东城区")
    with pytest.raises(ValidationFailed):
        settle_resolution(pilot, actor=world.users["ministry"], division_code="140213", kind="district", note="x")
    with pytest.raises(ValidationFailed):
        settle_resolution(pilot, actor=world.users["ministry"], division_code="441900", kind="subdistrict", note=" ")
