"""Writes to the pilot registry outside the notice import: settling a resolution, publishing a batch.

The import of a notice (which creates batches, sections, pilots and extensions) lives in
``citypilot.notices.services.import_notice``; the rules it shares with this module (which authority
supervises a pilot, how a pilot government's organisation code is made) are defined here.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citypilot.accounts.choices import Role
from citypilot.accounts.principals import principal_of
from citypilot.audit.services import record, snapshot
from citypilot.core.errors import PermissionDenied, ValidationFailed
from citypilot.divisions.centroids import stored_point
from citypilot.divisions.reference import DivisionIndex, load_reference

from .choices import NON_DIVISION_KINDS, AreaKind, Resolution
from .models import Batch, ExtensionArea, Pilot

#: 计划单列市: their construction commissions supervise the pilots within their jurisdiction
#: (division code prefix) directly, like a provincial authority.
PLAN_CITY_AUTHORITIES: dict[str, str] = {
    "2102": "city-210200",  # 大连
    "3702": "city-370200",  # 青岛
    "3302": "city-330200",  # 宁波
    "3502": "city-350200",  # 厦门
    "4403": "city-440300",  # 深圳
}
PLAN_CITY_NAMES: dict[str, str] = {
    "大连": "city-210200",
    "青岛": "city-370200",
    "宁波": "city-330200",
    "厦门": "city-350200",
    "深圳": "city-440300",
}
XPCC_NAME = "新疆生产建设兵团"
XPCC_AUTHORITY = "xpcc"


def pilot_organisation_code(year: int, name: str) -> str:
    """The code of the organisation created for the pilot ``name`` of batch ``year``.

    ``pilot-{year}-{first 10 hex digits of SHA-256(name)}``: derived from the pilot's identity
    (batch, name), so it survives reordering of the notice, and a placeholder created from a later
    notice's extension line gets the same organisation as the pilot imported later.
    """
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    return f"pilot-{year}-{digest}"


def province_code(province_name: str, year: int, index: DivisionIndex | None = None) -> str | None:
    index = index or load_reference()
    found = [r for r in index.find_by_name(province_name, year) if r.level == "province"]
    return found[0].code if len(found) == 1 else None


def supervising_authority_code(
    *, province_name: str, name: str, division_code: str, year: int, index: DivisionIndex | None = None
) -> str | None:
    """The organisation code of the authority supervising a pilot.

    新疆生产建设兵团 → ``xpcc``; a pilot within a 计划单列市 (by its division code, or by its name
    when it could not be resolved) → that city's commission; otherwise the provincial authority
    ``prov-XXXXXX`` of the province header. ``None`` when the header is not a province.
    """
    if province_name == XPCC_NAME:
        return XPCC_AUTHORITY
    if division_code and division_code[:4] in PLAN_CITY_AUTHORITIES:
        return PLAN_CITY_AUTHORITIES[division_code[:4]]
    if not division_code:
        for prefix, code in PLAN_CITY_NAMES.items():
            if name.startswith(prefix):
                return code
    found = province_code(province_name, year, index)
    return f"prov-{found}" if found else None


def organisation_name(name: str, kind: str) -> str:
    """The pilot government's name: a zone's 管理委员会, a 地区's 行政公署, else the 人民政府."""
    if kind in (AreaKind.DEVELOPMENT_ZONE, AreaKind.NEW_AREA):
        return f"{name}管理委员会"
    if kind == AreaKind.REGION and name.endswith("地区"):
        return f"{name}行政公署"
    return f"{name}人民政府"


def _require_ministry(actor: Any) -> None:
    if not principal_of(actor).has_role(Role.MINISTRY_OFFICER):
        raise PermissionDenied()


def _batch_year(area: Pilot | ExtensionArea) -> int:
    if isinstance(area, Pilot):
        return area.batch.year
    return area.line.batch.year


def _audit_organisation(area: Pilot | ExtensionArea) -> Any:
    if isinstance(area, Pilot):
        return area.organisation_id
    return area.line.base_pilot.organisation_id


SETTLEMENT_FIELDS = (
    "kind",
    "resolution",
    "division_code_at_batch",
    "division_name_at_batch",
    "current_divisions",
    "containing_code",
    "containing_name",
    "lon",
    "lat",
    "settled_by",
    "settled_at",
    "settlement_note",
)


@transaction.atomic
def settle_resolution(
    area: Pilot | ExtensionArea,
    *,
    actor: Any,
    division_code: str,
    kind: str,
    note: str,
    source: str = "web",
) -> Pilot | ExtensionArea:
    """A ministry officer states which division an area is (or lies in); kept across re-imports.

    For a zone, town or other non-division ``kind`` the code names the containing division; for a
    division kind it names the division itself. The code must be in force at the end of the batch year.
    """
    _require_ministry(actor)
    if kind not in AreaKind.values:
        raise ValidationFailed(_("不支持的区域类型。"), details={"field": "kind"})
    if not note.strip():
        raise ValidationFailed(_("请填写认定依据。"), details={"field": "note"})
    year = _batch_year(area)
    index = load_reference()
    division = index.record_at(division_code, year)
    if division is None:
        raise ValidationFailed(
            _("%(year)s年末没有代码为 %(code)s 的行政区划。") % {"year": year, "code": division_code},
            details={"field": "division_code"},
        )
    model = type(area)
    current = model.objects.select_for_update().get(pk=area.pk)
    before = snapshot(current, SETTLEMENT_FIELDS)
    current.kind = kind
    current.resolution = Resolution.MANUAL
    current.division_code_at_batch = division.code
    current.division_name_at_batch = division.full_name
    current.current_divisions = [[r.code, r.full_name] for r in index.successor_chain(division, year)]
    if kind in NON_DIVISION_KINDS:
        current.containing_code, current.containing_name = division.code, division.full_name
    else:
        current.containing_code, current.containing_name = "", ""
    current.lon, current.lat = stored_point(division.code, year) or (None, None)
    current.settled_by = actor
    current.settled_at = timezone.now()
    current.settlement_note = note.strip()
    current.save()
    record(
        actor=actor,
        action=f"{model._meta.model_name}.settle_resolution",
        obj=current,
        organisation=_audit_organisation(current),
        before=before,
        after=snapshot(current, SETTLEMENT_FIELDS),
        reason=note.strip(),
        source=source,
    )
    return current


@transaction.atomic
def set_batch_published(batch: Batch, *, actor: Any, published: bool, reason: str = "", source: str = "web") -> Batch:
    """Publish (or withdraw) a batch: published batches and their pilots are public."""
    _require_ministry(actor)
    current = Batch.objects.select_for_update().get(pk=batch.pk)
    if current.is_published == published:
        return current
    before = snapshot(current, ["is_published", "published_at"])
    current.is_published = published
    current.published_at = timezone.now() if published else None
    current.save(update_fields=["is_published", "published_at", "updated_at"])
    record(
        actor=actor,
        action="batch.publish" if published else "batch.unpublish",
        obj=current,
        before=before,
        after=snapshot(current, ["is_published", "published_at"]),
        reason=reason,
        source=source,
    )
    return current
