from __future__ import annotations

from typing import Any

from django.db.models import F
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Router, Schema
from ninja.pagination import paginate
from pydantic import BaseModel

from citypilot.audit.api import AuditEntryOut, history_of
from citypilot.core.api import ERRORS, get_scoped

from . import exports
from .map import map_data
from .models import ExtensionArea, Pilot
from .selectors import filter_pilots, visible_pilots

router = Router(tags=["pilots"])


class PilotOut(Schema):
    id: int
    batch_year: int
    section: str | None
    province: str
    position: int
    name_as_listed: str
    name: str
    includes: list[str]
    kind: str
    resolution: str
    division_code_at_batch: str
    division_name_at_batch: str
    current_divisions: list[list[str]]
    containing_code: str
    containing_name: str
    resolution_reason: str
    supervising_authority: str
    lon: float | None
    lat: float | None
    is_placeholder: bool

    # The list reads rows as dicts (``PILOT_ROW``); the detail reads a model instance.

    @staticmethod
    def resolve_batch_year(obj: Pilot | dict[str, Any]) -> int:
        return obj["batch_year"] if isinstance(obj, dict) else obj.batch.year

    @staticmethod
    def resolve_section(obj: Pilot | dict[str, Any]) -> str | None:
        if isinstance(obj, dict):
            return obj["section_heading"]
        return obj.section.heading if obj.section else None

    @staticmethod
    def resolve_province(obj: Pilot | dict[str, Any]) -> str:
        return obj["province_name"] if isinstance(obj, dict) else obj.province_name

    @staticmethod
    def resolve_supervising_authority(obj: Pilot | dict[str, Any]) -> str:
        return obj["supervising_authority_name"] if isinstance(obj, dict) else obj.supervising_authority.name


#: The columns ``PilotOut`` needs, as one ``values()`` row: no model instances, and only the joins it
#: uses (batch, section, supervising authority).
PILOT_ROW_FIELDS = (
    "id",
    "position",
    "name_as_listed",
    "name",
    "includes",
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
    "is_placeholder",
    "province_name",
)
PILOT_ROW_EXPRESSIONS = {
    "batch_year": F("batch__year"),
    "section_heading": F("section__heading"),
    "supervising_authority_name": F("supervising_authority__name"),
}


@router.get("/", response={200: list[PilotOut], **ERRORS})
@paginate
def list_pilots(
    request: HttpRequest,
    batch: int | None = None,
    section: str = "",
    province: str = "",
    kind: str = "",
    resolution: str = "",
    status: str = "",
    q: str = "",
) -> Any:
    """Pilots the caller may see (the public: published batches), in notice order, filterable."""
    pilots = filter_pilots(
        visible_pilots(request.user),
        batch=batch,
        section=section,
        province=province,
        kind=kind,
        resolution=resolution,
        status=status,
        q=q,
    )
    ordered = pilots.order_by("batch__year", "section__position", "position")
    return ordered.values(*PILOT_ROW_FIELDS, **PILOT_ROW_EXPRESSIONS)


@router.get("/export.csv", response={200: None, **ERRORS})
def export_csv(request: HttpRequest, batch: int | None = None) -> StreamingHttpResponse:
    """The registry as CSV (UTF-8, one row per entry and per extension area), streamed."""
    rows = exports.export_rows(
        visible_pilots(request.user), ExtensionArea.objects.visible_to(request.user), batch_year=batch
    )
    response = StreamingHttpResponse(exports.csv_chunks(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="pilots.csv"'
    return response


# A plain pydantic model, validated in pydantic-core: a map has thousands of points, and ninja.Schema's
# per-attribute getter (made for model instances) was most of the response time.
class MapPointOut(BaseModel):
    id: int
    name: str
    lon: float
    lat: float
    province: str
    batch: int
    kind: str
    kind_label: str
    resolution: str
    resolution_label: str
    url: str


class MapDataOut(Schema):
    points: list[MapPointOut]
    provinces: dict[str, int]
    total: int
    without_coordinates: int


@router.get("/map", response={200: MapDataOut, **ERRORS})
def pilots_map(
    request: HttpRequest,
    batch: int | None = None,
    section: str = "",
    province: str = "",
    kind: str = "",
    resolution: str = "",
    status: str = "",
    q: str = "",
) -> Any:
    """The registry map of the pilots the caller may see, with the list's filters: points where
    coordinates are known, pilots per province (keyed by the map's province names) and the count
    of pilots without coordinates. Declared before ``/{pilot_id}``: Ninja would otherwise route ``map``
    there and refuse it as a non-integer id (422)."""
    pilots = filter_pilots(
        visible_pilots(request.user),
        batch=batch,
        section=section,
        province=province,
        kind=kind,
        resolution=resolution,
        status=status,
        q=q,
    )
    return map_data(pilots)


@router.get("/{pilot_id}", response={200: PilotOut, **ERRORS})
def get_pilot(request: HttpRequest, pilot_id: int) -> Any:
    return get_scoped(request, Pilot, pilot_id, "batch", "section", "supervising_authority")


@router.get("/{pilot_id}/history", response={200: list[AuditEntryOut], **ERRORS})
@paginate
def pilot_history(request: HttpRequest, pilot_id: int) -> Any:
    return history_of(request, Pilot, pilot_id)
