"""Reads of the pilot registry: scoped querysets for views and the API, and the annex rebuilt from rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from citypilot.notices.parser import Entry, Extension, ExtensionForm, ProvinceGroup
from citypilot.notices.parser import Section as ParsedSection
from citypilot.notices.renderer import render_annex

from .choices import SectionKind
from .models import Batch, ExtensionArea, ExtensionLine, Pilot, Section

# Status filter of the registry: pilots listed in their batch's notice, or placeholders created by a later
# batch's extension line before their own batch was imported.
PILOT_STATUSES = ("listed", "placeholder")


def visible_batches(user: Any) -> QuerySet[Batch]:
    return Batch.objects.visible_to(user).order_by("year")


def visible_pilots(user: Any) -> QuerySet[Pilot]:
    return Pilot.objects.visible_to(user).select_related(
        "batch", "section", "supervising_authority", "organisation", "settled_by"
    )


def filter_pilots(
    pilots: Any,
    *,
    batch: int | None = None,
    section: str = "",
    province: str = "",
    kind: str = "",
    resolution: str = "",
    status: str = "",
    q: str = "",
) -> Any:
    """Apply the registry's filters; shared by the API and the HTML list."""
    if batch is not None:
        pilots = pilots.filter(batch__year=batch)
    if section:
        pilots = pilots.filter(section__ordinal=section)
    if province:
        pilots = pilots.filter(province_name=province)
    if kind:
        pilots = pilots.filter(kind=kind)
    if resolution:
        pilots = pilots.filter(resolution=resolution)
    if status in PILOT_STATUSES:
        pilots = pilots.filter(is_placeholder=status == "placeholder")
    if q:
        pilots = pilots.filter(Q(name_as_listed__icontains=q) | Q(division_name_at_batch__icontains=q))
    return pilots


def counts_by(pilots: QuerySet[Pilot], field: str) -> list[dict[str, Any]]:
    """How many of ``pilots`` per value of ``field``, counted in the database, largest first."""
    return list(pilots.values(field).annotate(n=Count("pk")).order_by("-n", field))


def visible_extension_lines(user: Any) -> QuerySet[ExtensionLine]:
    return (
        ExtensionLine.objects.visible_to(user)
        .select_related("batch", "section", "base_pilot", "base_pilot__batch")
        .prefetch_related(Prefetch("areas", queryset=ExtensionArea.objects.order_by("position")))
    )


@dataclass(frozen=True)
class AnnexView:
    """A batch's annex in the shape ``notices.renderer.render_annex`` reads."""

    year: int | None
    sections: Sequence[ParsedSection]


def annex_of(batch: Batch) -> AnnexView:
    """The batch's list, section by section, in the notice's order (placeholders excluded)."""
    sections = list(batch.sections.order_by("position"))
    pilots = list(batch.pilots.filter(section__isnull=False).order_by("section__position", "position"))
    lines = list(
        batch.extension_lines.select_related("base_pilot")
        .prefetch_related(Prefetch("areas", queryset=ExtensionArea.objects.order_by("position")))
        .order_by("section__position", "position")
    )
    result = []
    for section in sections:
        result.append(
            ParsedSection(
                ordinal=section.ordinal,
                heading=section.heading,
                kind=section.kind,
                declared_count=section.declared_count,
                line_number=0,
                provinces=_groups([p for p in pilots if p.section_id == section.pk]),
                extensions=tuple(_extension(line) for line in lines if line.section_id == section.pk)
                if section.kind == SectionKind.EXTENSION
                else (),
            )
        )
    return AnnexView(batch.year, tuple(result))


def _groups(pilots: list[Pilot]) -> tuple[ProvinceGroup, ...]:
    groups: list[tuple[str, list[Entry]]] = []
    for pilot in pilots:
        if not groups or groups[-1][0] != pilot.province_name:
            groups.append((pilot.province_name, []))
        groups[-1][1].append(Entry(pilot.name_as_listed, pilot.name, tuple(pilot.includes), 0, pilot.position))
    return tuple(ProvinceGroup(name, 0, tuple(entries)) for name, entries in groups)


def _extension(line: ExtensionLine) -> Extension:
    return Extension(
        line_number=0,
        text=line.text,
        base_name=line.base_pilot.name,
        added=tuple(area.name for area in line.areas.all()),
        earlier_year=line.earlier_year,
        earlier_included=tuple(line.earlier_included),
        form=ExtensionForm(**line.form) if line.form else ExtensionForm(),
        province=line.province_name or None,
    )


def render_batch_annex(batch: Batch) -> str:
    """The annex text of an imported batch, as ``render_annex`` prints it."""
    return render_annex(annex_of(batch))


def section_of(batch: Batch, ordinal: str) -> Section | None:
    return batch.sections.filter(ordinal=ordinal).first()
