"""Importing an official pilot-list notice into the registry.

``import_notice`` parses the notice (``parser.parse_notice``), resolves every entry and every added
area of an extension line against GB/T 2260 as of the end of the batch year
(``divisions.resolver.resolve_entry``), compares the result with what the database holds for that
batch and, when ``apply`` is true, writes the differences in one transaction, one audit entry per
created, changed or removed row plus one summary entry (``notice.import``).

Identity: a batch by its year; a section by its ordinal; a pilot by (batch, name); a deadline by
(date, description); an extension line by (section, earlier pilot); an added area by (line, name).
Re-importing the same text (whatever its encoding or format: the SHA-256 is taken over the decoded
text) finds no difference and writes nothing.

Kept across re-imports: manual settlements (``resolution=manual``) and publication. A pilot that a
changed notice no longer lists is deleted, unless a later batch's extension line refers to it; then
it becomes a placeholder again. An extension line naming a pilot of a batch not yet imported creates
a stub batch for that year and a placeholder pilot in it; importing that batch's notice later turns
the placeholder into the real pilot (same year and name), keeping its organisation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import docx
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citypilot.accounts.choices import OrganisationKind, Role
from citypilot.accounts.models import Organisation
from citypilot.accounts.principals import principal_of
from citypilot.accounts.services import create_organisation, ensure_reference_organisations
from citypilot.audit.services import record, snapshot
from citypilot.core.errors import PermissionDenied, ValidationFailed
from citypilot.divisions.centroids import stored_point
from citypilot.divisions.reference import DivisionIndex, load_reference
from citypilot.divisions.resolver import Resolution as AreaResolution
from citypilot.divisions.resolver import resolve_entry
from citypilot.divisions.services import ensure_divisions_loaded
from citypilot.pilots.choices import Resolution
from citypilot.pilots.models import Batch, BatchDeadline, ExtensionArea, ExtensionLine, Pilot, Section
from citypilot.pilots.services import organisation_name, pilot_organisation_code, supervising_authority_code

from .parser import Extension, NoticeParseError, ParsedNotice, parse_notice

AREA_FIELDS = (
    "kind",
    "resolution",
    "division_code_at_batch",
    "division_name_at_batch",
    "current_divisions",
    "containing_code",
    "containing_name",
    "resolution_reason",
    "lon",
    "lat",
)
BATCH_FIELDS = (
    "title",
    "doc_number",
    "issuer",
    "notice_date",
    "declared_total",
    "source_text",
    "source_sha256",
    "addressees",
    "referenced_documents",
    "body_paragraphs",
)
_ZIP_MAGIC = b"PK\x03\x04"


# --------------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class Difference:
    """One difference between the notice and the registry: ``action`` is added, removed or changed."""

    action: str
    model: str
    key: str
    changes: tuple[tuple[str, Any, Any], ...] = ()

    def describe(self) -> str:
        labels = {
            "batch": _("批次"),
            "section": _("章节"),
            "deadline": _("截止日期"),
            "pilot": _("试点"),
            "placeholder": _("占位试点"),
            "extension_line": _("扩大范围条目"),
            "extension_area": _("新增范围"),
        }
        what = labels.get(self.model, self.model)
        if self.action == "added":
            return _("新增%(what)s：%(key)s") % {"what": what, "key": self.key}
        if self.action == "removed":
            return _("删除%(what)s：%(key)s") % {"what": what, "key": self.key}
        changes = "；".join(
            _("%(field)s：%(old)s → %(new)s")
            % {"field": self.field_label(name), "old": _short(old), "new": _short(new)}
            for name, old, new in self.changes
        )
        return _("修改%(what)s %(key)s：%(changes)s") % {"what": what, "key": self.key, "changes": changes}

    def field_label(self, name: str) -> str:
        """The field's verbose name (translated), e.g. 声明数量 for ``declared_count``."""
        models_by_key: dict[str, type[models.Model]] = {
            "batch": Batch,
            "section": Section,
            "deadline": BatchDeadline,
            "pilot": Pilot,
            "placeholder": Pilot,
            "extension_line": ExtensionLine,
            "extension_area": ExtensionArea,
        }
        model = models_by_key.get(self.model)
        try:
            return str(getattr(model._meta.get_field(name), "verbose_name", name)) if model is not None else name
        except FieldDoesNotExist:
            return name


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


@dataclass(frozen=True)
class SectionSummary:
    ordinal: str
    heading: str
    kind: str
    declared_count: int | None
    counted: int

    @property
    def count_mismatch(self) -> bool:
        return self.declared_count is not None and self.declared_count != self.counted


@dataclass(frozen=True)
class UnresolvedItem:
    name: str
    province: str
    reason: str


@dataclass
class ImportReport:
    year: int
    title: str
    applied: bool
    differences: list[Difference] = field(default_factory=list)
    sections: list[SectionSummary] = field(default_factory=list)
    pilot_count: int = 0
    extension_line_count: int = 0
    extension_area_count: int = 0
    declared_total: int | None = None
    pilot_resolutions: dict[str, int] = field(default_factory=dict)
    area_resolutions: dict[str, int] = field(default_factory=dict)
    unresolved: list[UnresolvedItem] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    batch_id: int | None = None

    @property
    def no_changes(self) -> bool:
        return not self.differences

    def lines(self, *, with_differences: bool = True) -> list[str]:
        """The report as text lines (translated)."""
        out = [_("%(year)s年度：%(title)s") % {"year": self.year, "title": self.title}]
        for section in self.sections:
            note = _("（不一致）") if section.count_mismatch else ""
            declared = "—" if section.declared_count is None else str(section.declared_count)
            out.append(
                _("%(ordinal)s、%(heading)s：声明 %(declared)s，实列 %(counted)s%(note)s")
                % {
                    "ordinal": section.ordinal,
                    "heading": section.heading,
                    "declared": declared,
                    "counted": section.counted,
                    "note": note,
                }
            )
        out.append(
            _("试点 %(pilots)s 个（通知所称 %(total)s 个），扩大范围条目 %(lines)s 条，新增范围 %(areas)s 个")
            % {
                "pilots": self.pilot_count,
                "total": "—" if self.declared_total is None else self.declared_total,
                "lines": self.extension_line_count,
                "areas": self.extension_area_count,
            }
        )
        for label, counts in (
            (_("试点区划认定"), self.pilot_resolutions),
            (_("新增范围区划认定"), self.area_resolutions),
        ):
            out.append(
                _(
                    "%(label)s：名称一致 %(exact)s，位于区划境内 %(containing)s，"
                    "人工认定 %(manual)s，未能确定 %(unresolved)s"
                )
                % {"label": label, **{key: counts.get(key, 0) for key in Resolution.values}}
            )
        for item in self.unresolved:
            out.append(
                _("  未能确定：%(province)s %(name)s —— %(reason)s")
                % {"province": item.province, "name": item.name, "reason": item.reason}
            )
        for placeholder in self.placeholders:
            out.append(_("  占位试点（所属批次尚未导入）：%(name)s") % {"name": placeholder})
        if self.no_changes:
            out.append(_("与登记内容一致，没有变化。"))
        elif with_differences:
            heading = _("已写入以下变化：") if self.applied else _("以下变化尚未写入（试运行）：")
            out.append(heading)
            out.extend(f"  {difference.describe()}" for difference in self.differences)
        return out


# --------------------------------------------------------------------------------------------------
# The plan: what the registry should hold for the notice, as plain values keyed by natural keys


@dataclass
class _PlannedPilot:
    name: str
    values: dict[str, Any]  # section (ordinal), province_name, position, name_as_listed, includes,
    #                         is_placeholder, supervising_authority (code) and the AREA_FIELDS


@dataclass
class _PlannedArea:
    name: str
    values: dict[str, Any]  # position and the AREA_FIELDS


@dataclass
class _PlannedLine:
    section: str
    base_name: str
    base_year: int
    base: _PlannedPilot  # the placeholder to create when the earlier pilot is missing
    values: dict[str, Any]
    areas: list[_PlannedArea]
    line_number: int


@dataclass
class _Plan:
    year: int
    batch: dict[str, Any]
    sections: dict[str, dict[str, Any]]
    deadlines: dict[tuple[str, str], dict[str, Any]]
    pilots: dict[str, _PlannedPilot]
    lines: list[_PlannedLine]
    summaries: list[SectionSummary]
    declared_total: int | None


def _area_values(resolution: AreaResolution, year: int) -> dict[str, Any]:
    """The resolution fields of a pilot or added area; lon/lat from the centre point of its division
    (``divisions.centroids.point_for``: own point, successor, prefecture or province), else null."""
    containing = resolution.containing_division
    point = stored_point(resolution.division_code_at_batch or (containing[0] if containing else ""), year)
    return {
        "kind": resolution.kind,
        "resolution": resolution.method,
        "division_code_at_batch": resolution.division_code_at_batch or "",
        "division_name_at_batch": resolution.division_name_at_batch or "",
        "current_divisions": [[code, name] for code, name in resolution.current_divisions],
        "containing_code": containing[0] if containing else "",
        "containing_name": containing[1] if containing else "",
        "resolution_reason": resolution.reason,
        "lon": point[0] if point else None,
        "lat": point[1] if point else None,
    }


def _planned_pilot(
    *,
    name: str,
    name_as_listed: str,
    province: str,
    year: int,
    index: DivisionIndex,
    section: str | None,
    position: int,
    includes: Iterable[str],
    is_placeholder: bool,
    line_number: int,
) -> _PlannedPilot:
    resolution = resolve_entry(name_as_listed, province=province, year=year, index=index)
    area = _area_values(resolution, year)
    authority = supervising_authority_code(
        province_name=province,
        name=name,
        division_code=area["division_code_at_batch"] or area["containing_code"],
        year=year,
        index=index,
    )
    if authority is None:
        raise ValidationFailed(
            _("第%(line)s行：“%(province)s”不是省级行政区，无法确定“%(name)s”的省级主管部门。")
            % {"line": line_number, "province": province, "name": name},
            details={"line": line_number},
        )
    values = {
        "section": section,
        "province_name": province,
        "position": position,
        "name_as_listed": name_as_listed,
        "includes": list(includes),
        "is_placeholder": is_placeholder,
        "supervising_authority": authority,
        **area,
    }
    return _PlannedPilot(name, values)


def _province_of(name: str, year: int, index: DivisionIndex) -> str | None:
    """The one province holding every division whose name (or short form) starts ``name``.

    Used for extension lines printed without a province header: 长沙大河西先导区 starts with 长沙
    (长沙市 and 长沙县, both in 湖南省). ``None`` when no division or several provinces fit.
    """
    existing = Pilot.objects.filter(batch__year=year, name=name).values_list("province_name", flat=True).first()
    if existing:
        return existing
    provinces = set()
    for division in index.valid_in(year):
        if division.level == "province":
            continue
        short = division.name[:-1] if len(division.name) >= 3 and division.name[-1] in "市县区" else None
        if name.startswith(division.name) or (short and name.startswith(short)):
            provinces.add(division.province_name)
    return provinces.pop() if len(provinces) == 1 else None


def _area_text(area: str, base: _PlannedPilot) -> str:
    """An added area as a name the resolver can place: prefixed with the earlier pilot's division."""
    values = base.values
    parent = values["division_name_at_batch"] if values["resolution"] == "exact" else values["containing_name"]
    if not parent:
        return area
    stem = parent[:-1] if len(parent) >= 3 and parent.endswith("市") else parent
    return area if area.startswith(stem) else parent + area


def _plan_extension(
    extension: Extension, *, ordinal: str, position: int, year: int, index: DivisionIndex
) -> _PlannedLine:
    base_year = extension.earlier_year if extension.earlier_year is not None else year - 1
    province = extension.province or _province_of(extension.base_name, base_year, index)
    if province is None:
        raise ValidationFailed(
            _("第%(line)s行：无法确定“%(name)s”所在的省份（请在条目前加省份标题）。")
            % {"line": extension.line_number, "name": extension.base_name},
            details={"line": extension.line_number},
        )
    base = _planned_pilot(
        name=extension.base_name,
        name_as_listed=extension.base_name,
        province=province,
        year=base_year,
        index=index,
        section=None,
        position=0,
        includes=(),
        is_placeholder=True,
        line_number=extension.line_number,
    )
    areas = [
        _PlannedArea(
            area,
            {
                "position": number,
                **_area_values(resolve_entry(_area_text(area, base), province=province, year=year, index=index), year),
            },
        )
        for number, area in enumerate(extension.added, start=1)
    ]
    values = {
        "position": position,
        "province_name": extension.province or "",
        "text": extension.text,
        "form": asdict(extension.form),
        "earlier_year": extension.earlier_year,
        "earlier_included": list(extension.earlier_included),
    }
    return _PlannedLine(ordinal, extension.base_name, base_year, base, values, areas, extension.line_number)


def _plan(parsed: ParsedNotice, text: str, index: DivisionIndex) -> _Plan:
    year = parsed.year
    if year is None:
        raise ValidationFailed(_("通知中没有找到批次年度（如“2013年度”）。"), details={"line": 1})
    batch = {
        "title": parsed.title,
        "doc_number": parsed.doc_number or "",
        "issuer": parsed.issuer or "",
        "notice_date": parsed.date,
        "declared_total": parsed.declared_total,
        "source_text": text,
        "source_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "addressees": list(parsed.addressees),
        "referenced_documents": list(parsed.referenced_documents),
        "body_paragraphs": list(parsed.body_paragraphs),
    }
    sections: dict[str, dict[str, Any]] = {}
    pilots: dict[str, _PlannedPilot] = {}
    lines: list[_PlannedLine] = []
    for number, section in enumerate(parsed.sections, start=1):
        sections[section.ordinal] = {
            "heading": section.heading,
            "kind": section.kind,
            "declared_count": section.declared_count,
            "counted": section.counted,
            "position": number,
        }
        for group in section.provinces:
            for entry in group.entries:
                if entry.name in pilots:
                    raise ValidationFailed(
                        _("第%(line)s行：试点“%(name)s”在名单中重复出现。")
                        % {"line": entry.line_number, "name": entry.name},
                        details={"line": entry.line_number},
                    )
                pilots[entry.name] = _planned_pilot(
                    name=entry.name,
                    name_as_listed=entry.name_as_listed,
                    province=group.name,
                    year=year,
                    index=index,
                    section=section.ordinal,
                    position=entry.position,
                    includes=entry.includes,
                    is_placeholder=False,
                    line_number=entry.line_number,
                )
        for position, extension in enumerate(section.extensions, start=1):
            lines.append(_plan_extension(extension, ordinal=section.ordinal, position=position, year=year, index=index))
    deadlines = {
        (deadline.date.isoformat(), deadline.description): {"source_line": deadline.source_line}
        for deadline in parsed.deadlines
    }
    summaries = [SectionSummary(s.ordinal, s.heading, s.kind, s.declared_count, s.counted) for s in parsed.sections]
    return _Plan(year, batch, sections, deadlines, pilots, lines, summaries, parsed.declared_total)


# --------------------------------------------------------------------------------------------------
# Comparing the plan with the registry


def _pilot_values(pilot: Pilot) -> dict[str, Any]:
    return {
        "section": pilot.section.ordinal if pilot.section is not None else None,
        "province_name": pilot.province_name,
        "position": pilot.position,
        "name_as_listed": pilot.name_as_listed,
        "includes": pilot.includes,
        "is_placeholder": pilot.is_placeholder,
        "supervising_authority": pilot.supervising_authority.code,
        **{name: getattr(pilot, name) for name in AREA_FIELDS},
    }


def _changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[tuple[str, Any, Any], ...]:
    return tuple((name, old.get(name), value) for name, value in new.items() if old.get(name) != value)


def _keep_manual(existing: models.Model | None, values: dict[str, Any]) -> dict[str, Any]:
    """A manual settlement wins over the automatic resolution."""
    if existing is not None and getattr(existing, "resolution", None) == Resolution.MANUAL:
        return {**values, **{name: getattr(existing, name) for name in AREA_FIELDS}}
    return values


@dataclass
class _State:
    """The registry's rows for the batch (and the earlier pilots its extension lines name)."""

    batch: Batch | None
    sections: dict[str, Section]
    deadlines: dict[tuple[str, str], BatchDeadline]
    pilots: dict[str, Pilot]
    lines: dict[tuple[str, str], ExtensionLine]
    bases: dict[tuple[int, str], Pilot]
    referenced: set[int]  # pilots of this batch named by a later batch's extension line


def _load_state(plan: _Plan) -> _State:
    batch = Batch.objects.filter(year=plan.year).first()
    if batch is None:
        return _State(None, {}, {}, {}, {}, _load_bases(plan), set())
    sections = {s.ordinal: s for s in batch.sections.all()}
    deadlines = {(d.date.isoformat(), d.description): d for d in batch.deadlines.all()}
    pilots = {p.name: p for p in batch.pilots.select_related("section", "supervising_authority", "organisation")}
    lines = {
        (line.section.ordinal, line.base_pilot.name): line
        for line in batch.extension_lines.select_related("section", "base_pilot").prefetch_related("areas")
    }
    referenced = set(
        ExtensionLine.objects.filter(base_pilot__batch=batch)
        .exclude(batch=batch)
        .values_list("base_pilot_id", flat=True)
    )
    return _State(batch, sections, deadlines, pilots, lines, _load_bases(plan), referenced)


def _load_bases(plan: _Plan) -> dict[tuple[int, str], Pilot]:
    bases: dict[tuple[int, str], Pilot] = {}
    for line in plan.lines:
        pilot = (
            Pilot.objects.select_related("supervising_authority")
            .filter(batch__year=line.base_year, name=line.base_name)
            .first()
        )
        if pilot is not None:
            bases[(line.base_year, line.base_name)] = pilot
    return bases


def _diff(plan: _Plan, state: _State, *, publish: bool) -> list[Difference]:
    differences: list[Difference] = []
    year = str(plan.year)
    if state.batch is None:
        differences.append(Difference("added", "batch", year))
    else:
        old = {name: getattr(state.batch, name) for name in BATCH_FIELDS}
        changes = _changes(old, plan.batch)
        if changes:
            # The full text and its hash change with any edit; list them once, briefly.
            differences.append(Difference("changed", "batch", year, changes))
    if publish and state.batch is not None and not state.batch.is_published:
        differences.append(Difference("changed", "batch", year, (("is_published", False, True),)))
    for ordinal, values in plan.sections.items():
        section = state.sections.get(ordinal)
        if section is None:
            differences.append(Difference("added", "section", ordinal))
        else:
            changes = _changes({name: getattr(section, name) for name in values}, values)
            if changes:
                differences.append(Difference("changed", "section", ordinal, changes))
    differences.extend(Difference("removed", "section", o) for o in state.sections if o not in plan.sections)
    for key in plan.deadlines:
        if key not in state.deadlines:
            differences.append(Difference("added", "deadline", f"{key[0]} {key[1]}"))
        elif state.deadlines[key].source_line != plan.deadlines[key]["source_line"]:
            old_line = state.deadlines[key].source_line
            new_line = plan.deadlines[key]["source_line"]
            differences.append(
                Difference("changed", "deadline", f"{key[0]} {key[1]}", (("source_line", old_line, new_line),))
            )
    differences.extend(
        Difference("removed", "deadline", f"{key[0]} {key[1]}") for key in state.deadlines if key not in plan.deadlines
    )
    for name, planned in plan.pilots.items():
        pilot = state.pilots.get(name)
        planned.values = _keep_manual(pilot, planned.values)
        if pilot is None:
            differences.append(Difference("added", "pilot", name))
        else:
            changes = _changes(_pilot_values(pilot), planned.values)
            if changes:
                differences.append(Difference("changed", "pilot", name, changes))
    for name, pilot in state.pilots.items():
        if name not in plan.pilots and not pilot.is_placeholder:
            differences.append(Difference("removed", "pilot", name))
    planned_lines = {(line.section, line.base_name) for line in plan.lines}
    for line in plan.lines:
        base = state.bases.get((line.base_year, line.base_name))
        if base is None and (line.base_year, line.base_name) not in {(plan.year, n) for n in plan.pilots}:
            differences.append(Difference("added", "placeholder", _base_label(line)))
        existing = state.lines.get((line.section, line.base_name))
        key = line.values["text"]
        if existing is None:
            differences.append(Difference("added", "extension_line", key))
            differences.extend(Difference("added", "extension_area", f"{key}：{a.name}") for a in line.areas)
            continue
        changes = _changes({name: getattr(existing, name) for name in line.values}, line.values)
        if changes:
            differences.append(Difference("changed", "extension_line", key, changes))
        areas = {area.name: area for area in existing.areas.all()}
        for planned_area in line.areas:
            area = areas.get(planned_area.name)
            planned_area.values = _keep_manual(area, planned_area.values)
            if area is None:
                differences.append(Difference("added", "extension_area", f"{key}：{planned_area.name}"))
            else:
                old = {name: getattr(area, name) for name in planned_area.values}
                changes = _changes(old, planned_area.values)
                if changes:
                    differences.append(Difference("changed", "extension_area", f"{key}：{planned_area.name}", changes))
        names = {a.name for a in line.areas}
        differences.extend(
            Difference("removed", "extension_area", f"{key}：{name}") for name in areas if name not in names
        )
    differences.extend(
        Difference("removed", "extension_line", line.text)
        for (ordinal, base), line in state.lines.items()
        if (ordinal, base) not in planned_lines
    )
    return differences


def _base_label(line: _PlannedLine) -> str:
    return _("%(year)s年 %(name)s") % {"year": line.base_year, "name": line.base_name}


# --------------------------------------------------------------------------------------------------
# Writing


class _Writer:
    def __init__(self, *, actor: Any, source: str, reason: str) -> None:
        self.actor = actor
        self.source = source
        self.reason = reason
        self.organisations = {org.code: org for org in Organisation.objects.filter(kind=OrganisationKind.PROVINCE)}
        self.counts: Counter[str] = Counter()

    def audit(self, action: str, obj: models.Model, *, before: Any = None, after: Any = None, org: Any = None) -> None:
        record(
            actor=self.actor,
            action=action,
            obj=obj,
            organisation=org,
            before=before,
            after=after,
            reason=self.reason,
            source=self.source,
        )
        self.counts[action] += 1

    def create(self, model: type[models.Model], org: Any = None, **values: Any) -> Any:
        obj = model.objects.create(**values)  # type: ignore[attr-defined]
        self.audit(f"{model._meta.model_name}.create", obj, after=snapshot(obj), org=org)
        return obj

    def update(self, obj: models.Model, values: dict[str, Any], org: Any = None) -> bool:
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if not changed:
            return False
        fields = [obj._meta.get_field(name).name for name in changed]
        before = snapshot(obj, fields)
        for name in changed:
            setattr(obj, name, values[name])
        update_fields = list(fields)
        if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
            update_fields.append("updated_at")
        obj.save(update_fields=update_fields)
        self.audit(f"{obj._meta.model_name}.update", obj, before=before, after=snapshot(obj, fields), org=org)
        return True

    def delete(self, obj: models.Model, org: Any = None) -> None:
        self.audit(f"{obj._meta.model_name}.delete", obj, before=snapshot(obj), org=org)
        obj.delete()

    def authority(self, code: str) -> Organisation:
        org = self.organisations.get(code)
        if org is None:
            raise ValidationFailed(
                _("缺少省级主管部门机构 %(code)s，请先加载参考机构数据。") % {"code": code},
                details={"organisation": code},
            )
        return org

    def pilot_organisation(self, year: int, planned: _PlannedPilot, authority: Organisation) -> Organisation:
        code = pilot_organisation_code(year, planned.name)
        org = Organisation.objects.filter(code=code).first()
        if org is not None:
            return org
        return create_organisation(
            actor=self.actor,
            kind=OrganisationKind.PILOT,
            code=code,
            name=organisation_name(planned.name, planned.values["kind"]),
            parent=authority,
            division_code=planned.values["division_code_at_batch"] or planned.values["containing_code"],
            reason=self.reason,
            source=self.source,
        )

    def pilot_fields(self, planned: _PlannedPilot, sections: dict[str, Section]) -> dict[str, Any]:
        values = dict(planned.values)
        ordinal = values.pop("section")
        values["section"] = sections[ordinal] if ordinal is not None else None
        values["supervising_authority"] = self.authority(values["supervising_authority"])
        return values


def _stub_batch(writer: _Writer, year: int, *, publish: bool) -> Batch:
    batch = Batch.objects.filter(year=year).first()
    if batch is not None:
        return batch
    return writer.create(
        Batch,
        year=year,
        is_published=publish,
        published_at=timezone.now() if publish else None,
    )


def _apply(plan: _Plan, state: _State, writer: _Writer, *, publish: bool) -> Batch:
    now = timezone.now()
    if state.batch is None:
        batch = writer.create(
            Batch,
            year=plan.year,
            imported_at=now,
            is_published=publish,
            published_at=now if publish else None,
            **plan.batch,
        )
    else:
        batch = state.batch
        values = dict(plan.batch)
        if publish and not batch.is_published:
            values.update(is_published=True, published_at=now)
        if any(getattr(batch, name) != value for name, value in values.items()):
            values["imported_at"] = now
        writer.update(batch, values)
    sections = dict(state.sections)
    for ordinal, values in plan.sections.items():
        if ordinal in sections:
            writer.update(sections[ordinal], values)
        else:
            sections[ordinal] = writer.create(Section, batch=batch, ordinal=ordinal, **values)
    for key, values in plan.deadlines.items():
        if key in state.deadlines:
            writer.update(state.deadlines[key], values)
        else:
            writer.create(BatchDeadline, batch=batch, date=dt.date.fromisoformat(key[0]), description=key[1], **values)
    for key, deadline in state.deadlines.items():
        if key not in plan.deadlines:
            writer.delete(deadline)
    pilots = dict(state.pilots)
    for name, planned in plan.pilots.items():
        fields = writer.pilot_fields(planned, sections)
        pilot = pilots.get(name)
        if pilot is None:
            organisation = writer.pilot_organisation(plan.year, planned, fields["supervising_authority"])
            pilots[name] = writer.create(
                Pilot, org=organisation, batch=batch, name=name, organisation=organisation, **fields
            )
        else:
            writer.update(pilot, fields, org=pilot.organisation_id)
    kept_lines: set[int] = set()
    for line in plan.lines:
        base = state.bases.get((line.base_year, line.base_name))
        if base is None and line.base_year == plan.year:
            base = pilots.get(line.base_name)
        if base is None:
            stub = _stub_batch(writer, line.base_year, publish=publish)
            fields = writer.pilot_fields(line.base, sections={})
            organisation = writer.pilot_organisation(line.base_year, line.base, fields["supervising_authority"])
            base = writer.create(
                Pilot, org=organisation, batch=stub, name=line.base_name, organisation=organisation, **fields
            )
            state.bases[(line.base_year, line.base_name)] = base
        org = base.supervising_authority_id
        existing = state.lines.get((line.section, line.base_name))
        if existing is None:
            existing = writer.create(
                ExtensionLine, org=org, batch=batch, section=sections[line.section], base_pilot=base, **line.values
            )
            areas: dict[str, ExtensionArea] = {}
        else:
            writer.update(existing, line.values, org=org)
            areas = {area.name: area for area in existing.areas.all()}
        kept_lines.add(existing.pk)
        for planned_area in line.areas:
            area = areas.get(planned_area.name)
            if area is None:
                writer.create(ExtensionArea, org=org, line=existing, name=planned_area.name, **planned_area.values)
            else:
                writer.update(area, planned_area.values, org=org)
        names = {a.name for a in line.areas}
        for name, area in areas.items():
            if name not in names:
                writer.delete(area, org=org)
    for line_obj in state.lines.values():
        if line_obj.pk not in kept_lines:
            for area in line_obj.areas.all():
                writer.delete(area, org=line_obj.base_pilot.supervising_authority_id)
            writer.delete(line_obj, org=line_obj.base_pilot.supervising_authority_id)
    for name, pilot in state.pilots.items():
        if name in plan.pilots or pilot.is_placeholder:
            continue
        if pilot.pk in state.referenced:
            writer.update(pilot, {"is_placeholder": True, "section": None}, org=pilot.organisation_id)
        else:
            writer.delete(pilot, org=pilot.organisation_id)
    for ordinal, section in state.sections.items():
        if ordinal not in plan.sections:
            writer.delete(section)
    return batch


# --------------------------------------------------------------------------------------------------
# Entry point


def decode_notice_text(source: bytes) -> str:
    """The notice's text, as stored on the batch: decoded text, or a .docx's paragraphs, one a line."""
    if source.startswith(_ZIP_MAGIC):
        document = docx.Document(io.BytesIO(source))
        return "\n".join(paragraph.text for paragraph in document.paragraphs)
    try:
        return source.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return source.decode("gb18030")


def _report(plan: _Plan, differences: list[Difference], *, applied: bool, title: str) -> ImportReport:
    unresolved: list[UnresolvedItem] = []
    pilot_counts: Counter[str] = Counter()
    for planned in plan.pilots.values():
        pilot_counts[planned.values["resolution"]] += 1
        if planned.values["resolution"] == Resolution.UNRESOLVED:
            unresolved.append(
                UnresolvedItem(planned.name, planned.values["province_name"], planned.values["resolution_reason"])
            )
    area_counts: Counter[str] = Counter()
    for line in plan.lines:
        for area in line.areas:
            area_counts[area.values["resolution"]] += 1
            if area.values["resolution"] == Resolution.UNRESOLVED:
                unresolved.append(
                    UnresolvedItem(
                        _("%(base)s新增%(name)s") % {"base": line.base_name, "name": area.name},
                        line.base.values["province_name"],
                        area.values["resolution_reason"],
                    )
                )
    placeholders = sorted(
        {
            _base_label(line)
            for line in plan.lines
            if not Pilot.objects.filter(batch__year=line.base_year, name=line.base_name, is_placeholder=False).exists()
            and not (line.base_year == plan.year and line.base_name in plan.pilots)
        }
    )
    return ImportReport(
        year=plan.year,
        title=title,
        applied=applied,
        differences=differences,
        sections=plan.summaries,
        pilot_count=len(plan.pilots),
        extension_line_count=len(plan.lines),
        extension_area_count=sum(len(line.areas) for line in plan.lines),
        declared_total=plan.declared_total,
        pilot_resolutions=dict(pilot_counts),
        area_resolutions=dict(area_counts),
        unresolved=unresolved,
        placeholders=placeholders,
    )


def import_notice(
    source: bytes,
    *,
    filename: str = "",
    actor: Any = None,
    apply: bool = True,
    publish: bool = False,
    source_label: str = "web",
) -> ImportReport:
    """Import (``apply=True``) or compare (``apply=False``, nothing written) a pilot-list notice.

    ``actor`` must be a ministry officer; ``None`` is the system (command line, demo). ``publish``
    publishes the batch (an already published batch stays published either way). A notice that cannot
    be read raises ``ValidationFailed`` with the line number and reason in ``details``; nothing is
    written then.
    """
    if actor is not None and not principal_of(actor).has_role(Role.MINISTRY_OFFICER):
        raise PermissionDenied()
    try:
        parsed = parse_notice(source, filename=filename)
    except NoticeParseError as error:
        raise ValidationFailed(
            _("第%(line)s行：%(reason)s") % {"line": error.line_number, "reason": error.reason},
            details={"line": error.line_number, "reason": error.reason},
        ) from error
    index = load_reference()
    plan = _plan(parsed, decode_notice_text(source), index)
    if not apply:
        differences = _diff(plan, _load_state(plan), publish=publish)
        return _report(plan, differences, applied=False, title=parsed.title)
    with transaction.atomic():
        ensure_divisions_loaded()
        ensure_reference_organisations()
        state = _load_state(plan)
        differences = _diff(plan, state, publish=publish)
        report = _report(plan, differences, applied=True, title=parsed.title)
        if not differences:
            report.batch_id = state.batch.pk if state.batch is not None else None
            return report
        reason = _("导入通知：%(title)s") % {"title": parsed.title}
        writer = _Writer(actor=actor, source=source_label, reason=reason)
        batch = _apply(plan, state, writer, publish=publish)
        record(
            actor=actor,
            action="notice.import",
            obj=batch,
            after={
                "filename": filename,
                "sha256": plan.batch["source_sha256"],
                "pilots": report.pilot_count,
                "extension_lines": report.extension_line_count,
                "extension_areas": report.extension_area_count,
                "pilot_resolutions": report.pilot_resolutions,
                "area_resolutions": report.area_resolutions,
                "differences": len(differences),
                "writes": dict(writer.counts),
            },
            reason=reason,
            source=source_label,
        )
        report.batch_id = batch.pk
        return report
