"""Importing the 2013 notice: counts, resolutions, authorities, idempotence, dry runs, errors."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import docx
import pytest

from citypilot.accounts.choices import OrganisationKind
from citypilot.audit.models import AuditEntry
from citypilot.audit.services import verify_chain
from citypilot.core.errors import PermissionDenied, ValidationFailed
from citypilot.notices.services import ImportReport, import_notice
from citypilot.pilots.models import Batch, BatchDeadline, ExtensionArea, ExtensionLine, Pilot, Section
from tests.pilots.conftest import SEED_BYTES, SEED_TEXT
from tests.test_permission_matrix import state

pytestmark = pytest.mark.django_db

MODIFIED_TEXT = (
    SEED_TEXT.replace("阳泉市、大同市城区、晋城市", "大同市城区、晋城市、长治市")
    .replace("一、市、区（83个）", "一、市、区（84个）")
    .replace("六安市霍山县", "六安市霍山县、六安市金寨县")
)


def _docx(text: str) -> bytes:
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_import_2013_counts_sections_and_resolutions(imported: ImportReport, batch_2013: Batch) -> None:
    assert [(s.ordinal, s.declared_count, s.counted, s.count_mismatch) for s in imported.sections] == [
        ("一", 83, 83, False),
        ("二", 20, 20, False),
        ("三", 9, 6, True),
    ]
    assert (imported.pilot_count, imported.extension_line_count, imported.extension_area_count) == (103, 6, 10)
    assert imported.pilot_resolutions == {"exact": 86, "containing": 15, "unresolved": 2}
    assert imported.area_resolutions == {"exact": 7, "unresolved": 3}
    assert {item.name for item in imported.unresolved} == {
        "北京经济技术开发区",
        "东莞市东城区",
        "南京市新增麒麟科技创新园（生态科技城）",
        "长沙大河西先导区新增洋湖生态新城",
        "长沙大河西先导区新增滨江商务新城",
    }
    assert all(item.reason for item in imported.unresolved)
    # The disagreement is recorded on the section, never corrected.
    extension_section = Section.objects.get(batch=batch_2013, ordinal="三")
    assert (extension_section.declared_count, extension_section.counted, extension_section.count_mismatch) == (
        9,
        6,
        True,
    )
    assert batch_2013.pilots.filter(is_placeholder=False).count() == 103
    assert batch_2013.declared_total == 103
    assert batch_2013.source_text == SEED_TEXT
    assert batch_2013.referenced_documents == ["建办科函[2013]275号"]
    assert not batch_2013.is_published
    assert list(BatchDeadline.objects.values_list("date", flat=True)) == [dt.date(2013, 9, 1)]
    assert ExtensionLine.objects.filter(batch=batch_2013).count() == 6
    assert ExtensionArea.objects.count() == 10
    assert verify_chain().ok
    summary = AuditEntry.objects.get(action="notice.import")
    assert summary.after["pilots"] == 103


def test_division_history_and_zones(batch_2013: Batch) -> None:
    linzhi = Pilot.objects.get(batch=batch_2013, name="林芝地区")
    assert (linzhi.division_code_at_batch, linzhi.current_divisions) == ("542600", [["540400", "林芝市"]])
    datong = Pilot.objects.get(batch=batch_2013, name="大同市城区")
    assert datong.current_divisions == [["140213", "大同市平城区"], ["140214", "大同市云冈区"]]
    zone = Pilot.objects.get(batch=batch_2013, name="青岛中德生态园")
    assert (zone.kind, zone.resolution, zone.containing_code) == ("development_zone", "containing", "370200")
    ningbo = Pilot.objects.get(batch=batch_2013, name="宁波市")
    assert ningbo.name_as_listed == "宁波市（含海曙区、梅山保税港区、鄞州区咸祥镇）"
    assert ningbo.includes == ["海曙区", "梅山保税港区", "鄞州区咸祥镇"]


AUTHORITIES = {
    "大连市普湾新区": "city-210200",
    "庄河市": "city-210200",
    "宁波市": "city-330200",
    "宁波市宁海县": "city-330200",
    "青岛市崂山区": "city-370200",
    "青岛高新技术产业开发区": "city-370200",
    "青岛中德生态园": "city-370200",
    "平度市明村镇": "city-370200",
    "唐山市曹妃甸区": "prov-130000",
    "烟台市": "prov-370000",
    "北京经济技术开发区": "prov-110000",
    "林芝地区": "prov-540000",
}


def test_supervising_authority(batch_2013: Batch) -> None:
    """计划单列市 commissions supervise the pilots within their city; provinces the others."""
    pilots = Pilot.objects.select_related("supervising_authority", "organisation").filter(batch=batch_2013)
    found = {p.name: p.supervising_authority.code for p in pilots if p.name in AUTHORITIES}
    assert found == AUTHORITIES
    for pilot in pilots:
        assert pilot.organisation.kind == OrganisationKind.PILOT
        assert pilot.organisation.parent_id == pilot.supervising_authority_id
    assert pilots.get(name="林芝地区").organisation.name == "林芝地区行政公署"
    assert pilots.get(name="青岛中德生态园").organisation.name == "青岛中德生态园管理委员会"


def test_extension_lines_create_placeholders_in_a_stub_batch(batch_2013: Batch) -> None:
    stub = Batch.objects.get(year=2012)
    assert not stub.is_imported
    placeholders = set(Pilot.objects.filter(batch=stub, is_placeholder=True).values_list("name", "province_name"))
    assert placeholders == {
        ("常州市", "江苏省"),
        ("武汉市", "湖北省"),
        ("沈阳市", "辽宁省"),
        ("南京市", "江苏省"),
        ("长沙大河西先导区", "湖南省"),
        ("佛山市", "广东省"),
    }
    wuhan = ExtensionLine.objects.get(batch=batch_2013, base_pilot__name="武汉市")
    assert wuhan.earlier_year == 2012
    assert wuhan.earlier_included == ["江岸区"]
    assert [(a.name, a.division_code_at_batch) for a in wuhan.areas.order_by("position")] == [("蔡甸区", "420114")]
    changsha = ExtensionLine.objects.get(batch=batch_2013, base_pilot__name="长沙大河西先导区")
    assert changsha.form == {"lead": "：新增", "earlier_label": "试点含", "and_before_last": True}


def test_reimport_of_identical_text_changes_nothing(imported: ImportReport) -> None:
    before, audit_count = state(), AuditEntry.objects.count()
    for data in (SEED_BYTES, SEED_TEXT.encode("gb18030"), ("\ufeff" + SEED_TEXT).encode("utf-8")):
        report = import_notice(data, filename="notice_2013.txt", actor=None)
        assert report.no_changes
        assert "没有变化" in "\n".join(report.lines())
    assert AuditEntry.objects.count() == audit_count
    assert state() == before


def test_dry_run_of_changed_notice_lists_differences_and_writes_nothing(imported: ImportReport) -> None:
    before, audit_count = state(), AuditEntry.objects.count()
    report = import_notice(MODIFIED_TEXT.encode("utf-8"), filename="changed.txt", actor=None, apply=False)
    assert not report.applied
    found = {(d.action, d.model, d.key) for d in report.differences}
    assert ("added", "pilot", "长治市") in found
    assert ("added", "pilot", "六安市金寨县") in found
    assert ("removed", "pilot", "阳泉市") in found
    section = next(d for d in report.differences if d.model == "section" and d.key == "一")
    assert ("declared_count", 83, 84) in section.changes
    assert any("长治市" in line for line in report.lines())
    assert AuditEntry.objects.count() == audit_count
    assert state() == before


def test_applying_a_changed_notice_writes_the_differences(imported: ImportReport, batch_2013: Batch) -> None:
    report = import_notice(MODIFIED_TEXT.encode("utf-8"), filename="changed.txt", actor=None)
    assert report.applied and not report.no_changes
    assert not Pilot.objects.filter(batch=batch_2013, name="阳泉市").exists()
    changzhi = Pilot.objects.get(batch=batch_2013, name="长治市")
    assert changzhi.supervising_authority.code == "prov-140000"
    assert Section.objects.get(batch=batch_2013, ordinal="一").declared_count == 84
    datong = Pilot.objects.get(batch=batch_2013, name="大同市城区")
    assert datong.position == 7  # was 8: 阳泉市 before it is gone
    assert AuditEntry.objects.filter(action="pilot.delete", object_repr="阳泉市").exists()
    assert import_notice(MODIFIED_TEXT.encode("utf-8"), filename="changed.txt", actor=None).no_changes
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (SEED_TEXT.replace("柳州市（含鱼峰区）", "柳州市（含鱼峰区"), 123),
        (SEED_TEXT.replace("武汉市试点新增蔡甸区，2012年试点含江岸区", "武汉市扩大到蔡甸区"), 229),
    ],
)
def test_malformed_notice_writes_nothing_and_names_the_line(world: Any, text: str, line: int) -> None:
    before, audit_count = state(), AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        import_notice(text.encode("utf-8"), filename="bad.txt", actor=None)
    assert caught.value.details["line"] == line
    assert str(caught.value.message).startswith(f"第{line}行：")
    assert AuditEntry.objects.count() == audit_count
    assert state() == before
    assert not Batch.objects.exists()


def test_gb18030_and_docx_notices_import_like_utf8(world: Any) -> None:
    report = import_notice(SEED_TEXT.encode("gb18030"), filename="notice.txt", actor=None)
    assert report.pilot_count == 103
    assert Pilot.objects.filter(batch__year=2013, is_placeholder=False).count() == 103
    # The .docx of the same text is the same notice: nothing to change.
    again = import_notice(_docx(SEED_TEXT), filename="notice.docx", actor=None)
    assert again.no_changes


def test_docx_into_an_empty_registry(world: Any) -> None:
    report = import_notice(_docx(SEED_TEXT), filename="notice.docx", actor=None)
    assert (report.pilot_count, report.pilot_resolutions["exact"]) == (103, 86)


def test_only_ministry_officers_import(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        import_notice(SEED_BYTES, filename="n.txt", actor=world.users["own_province"])
    assert not Batch.objects.exists()


def test_publish_flag_publishes_and_survives_reimport(imported: ImportReport, batch_2013: Batch) -> None:
    report = import_notice(SEED_BYTES, filename="n.txt", actor=None, publish=True)
    assert [(d.action, d.key) for d in report.differences] == [("changed", "2013")]
    batch_2013.refresh_from_db()
    assert batch_2013.is_published and batch_2013.published_at is not None
    assert import_notice(SEED_BYTES, filename="n.txt", actor=None).no_changes
    batch_2013.refresh_from_db()
    assert batch_2013.is_published
