"""The list notice drafted from a finalised call: the standard body and the annex, printed by the
registry's own renderer (``notices.renderer.render_annex``) so that the registry's import reads it back.

The notice is an official document in Chinese, read back by the Chinese notice parser: its wording is
document content, not interface text, and is therefore not translated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from citypilot.accounts.models import Organisation
from citypilot.divisions.reference import load_reference
from citypilot.notices.parser import Entry, ProvinceGroup
from citypilot.notices.parser import Section as ParsedSection
from citypilot.notices.renderer import render_annex
from citypilot.pilots.services import XPCC_AUTHORITY, XPCC_NAME

ANNEX_HEADING = "市、区、县、镇"
ADDRESSEES = "各省、自治区住房城乡建设厅，直辖市、计划单列市建委（建交委、建设局），新疆生产建设兵团建设局："


@dataclass(frozen=True)
class AnnexView:
    year: int | None
    sections: Sequence[ParsedSection]


def province_header(province: Organisation, year: int) -> str:
    """The province line an authority's pilots are listed under (a 计划单列市 is listed in its province)."""
    if province.code == XPCC_AUTHORITY:
        return XPCC_NAME
    if province.division_code:
        record = load_reference().record_at(province.division_code[:2] + "0000", year)
        if record is not None:
            return record.name
    return province.name


def split_includes(listed: str) -> tuple[str, tuple[str, ...]]:
    """``宁波市（含海曙区、鄞州区）`` → (``宁波市``, (``海曙区``, ``鄞州区``))."""
    for opening in ("（含", "(含"):
        if opening in listed and listed.endswith(("）", ")")):
            name, _sep, rest = listed.partition(opening)
            return name, tuple(part for part in rest[:-1].split("、") if part)
    return listed, ()


def annex_for(year: int, applications: Sequence[Any]) -> AnnexView:
    """One section listing the approved applications, grouped by province in division-code order."""
    groups: dict[str, list[Any]] = {}
    ordered = sorted(applications, key=lambda a: (a.province.division_code or "99", a.province.code, a.rank or 0, a.pk))
    for application in ordered:
        groups.setdefault(province_header(application.province, year), []).append(application)
    position = 0
    province_groups = []
    for header, members in groups.items():
        entries = []
        for application in members:
            position += 1
            name, includes = split_includes(application.area_name)
            entries.append(Entry(application.area_name, name, includes, 0, position))
        province_groups.append(ProvinceGroup(header, 0, tuple(entries)))
    section = ParsedSection("一", ANNEX_HEADING, "new", position, 0, tuple(province_groups))
    return AnnexView(year, (section,))


def draft_notice(call: Any, applications: Sequence[Any]) -> str:
    """The list notice for the ministry to edit: title, addressees, the standard body and the annex."""
    year = call.year
    annex = render_annex(annex_for(year, applications))
    first = split_includes(applications[0].area_name)[0] if applications else ""
    cited = f"（{call.doc_number}）" if call.doc_number else ""
    body = [
        f"　　根据《{call.title}》{cited}要求，各省级住房城乡建设主管部门开展了智慧城市试点申报的组织、"
        "初审和推荐工作。经国家智慧城市专家委员会综合评审，"
        f"确定{first}等{len(applications)}个城市（区、县、镇）为{year}年度国家智慧城市试点。"
        "现将有关事项通知如下：",
        "　　一、各地要针对本地区新型城镇化推进中的实际问题，制订智慧城市创建目标，做好顶层设计；"
        "制订创建任务和重点项目的时间节点；明确责任和考核制度，落实相关保障措施。",
        "　　二、省级住房城乡建设主管部门要统筹做好本地区试点的组织协调、全过程管理指导检查和监督，"
        f"组织列入{year}年度试点的城市（区、县、镇）修改完善试点实施方案，编制创建任务书并开展评审工作。",
        f"　　附件：{year}年度国家智慧城市试点名单",
    ]
    lines = [
        f"住房城乡建设部办公厅关于公布{year}年度",
        "国家智慧城市试点名单的通知",
        ADDRESSEES,
        "",
        *body,
        "",
        "附件",
        "",
        annex,
    ]
    return "\n".join(lines)
