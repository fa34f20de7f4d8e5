"""The registry map: pilot points and pilots per province, and filling coordinates of existing rows.

``map_data`` reads a (scoped, filtered) pilot queryset in two queries, whatever its size: one
``GROUP BY`` for the counts per province and of pilots without coordinates, one for the points.
Provinces are keyed by the ``name`` of the vendored GeoJSON (``static/vendor/china-geo``), found
through its ``id`` (a GB/T 2260 province code): the pilot's division code (or the division it lies
in) gives the first two digits; an unresolved pilot falls back to its province header.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from functools import cache
from importlib.resources import files
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf, Substr
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from citypilot.audit.services import record
from citypilot.divisions.centroids import as_stored, point_for
from citypilot.divisions.reference import load_reference

from .choices import AreaKind, Resolution
from .models import Batch, ExtensionArea, Pilot
from .services import XPCC_NAME

GEOJSON = "vendor/china-geo/china-provinces.json"
_URL_PROBE = 987654321
#: Where a point links to: the registry's pilot page once it exists, else the API's pilot record.
_URL_NAMES = (("pilots:detail", "pk"), ("api:get_pilot", "pilot_id"))


@cache
def geo_province_names() -> Mapping[str, str]:
    """``{"13": "河北", "15": "内蒙古", …}``: the GeoJSON's feature names by the first two digits of their id."""
    geo = json.loads(files("citypilot").joinpath("static", *GEOJSON.split("/")).read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for feature in geo["features"]:
        code = str(feature.get("id") or feature["properties"]["id"])
        names[code[:2]] = feature["properties"]["name"]
    return names


@cache
def _header_prefixes() -> Mapping[str, str]:
    """Province headers as printed in notices (``河北省``, ``新疆生产建设兵团``) → first two code digits."""
    prefixes = {r.name: r.code[:2] for r in load_reference().records if r.level == "province"}
    prefixes[XPCC_NAME] = "65"
    return prefixes


def province_key(prefix: str | None, header: str) -> str:
    """The GeoJSON province name for a division-code prefix, else for the province header; "" if none."""
    names = geo_province_names()
    if prefix and prefix in names:
        return names[prefix]
    return names.get(_header_prefixes().get(header, ""), "")


def _url_pattern() -> str:
    for name, kwarg in _URL_NAMES:
        try:
            return reverse(name, kwargs={kwarg: _URL_PROBE}).replace(str(_URL_PROBE), "{id}")
        except NoReverseMatch:
            continue
    return ""


def _prefix() -> Any:
    """The first two digits of the division code, else of the containing division's code, else NULL."""
    return Coalesce(
        NullIf(Substr("division_code_at_batch", 1, 2), Value("")),
        NullIf(Substr("containing_code", 1, 2), Value("")),
    )


def map_data(pilots: QuerySet[Pilot]) -> dict[str, Any]:
    """Points (pilots with coordinates), pilots per province and the count of pilots without coordinates.

    Two queries, whatever the number of pilots.
    """
    pilots = pilots.order_by()
    located = Q(lon__isnull=False, lat__isnull=False)
    groups = (
        pilots.annotate(prefix=_prefix())
        .values("prefix", "province_name")
        .annotate(n=Count("pk"), located=Count("pk", filter=located))
        .order_by()
    )
    provinces: Counter[str] = Counter()
    total = without = 0
    for group in groups:
        total += group["n"]
        without += group["n"] - group["located"]
        key = province_key(group["prefix"], group["province_name"])
        if key:
            provinces[key] += group["n"]
    url = _url_pattern()
    # Labels translated once per call, not once per point.
    kinds = {value: str(label) for value, label in AreaKind.choices}
    resolutions = {value: str(label) for value, label in Resolution.choices}
    rows = (
        pilots.filter(located)
        .annotate(prefix=_prefix())
        .order_by("batch__year", "section__position", "position", "pk")
        .values_list("pk", "name", "lon", "lat", "prefix", "province_name", "batch__year", "kind", "resolution")
    )
    points = [
        {
            "id": pk,
            "name": name,
            "lon": float(lon),
            "lat": float(lat),
            "province": province_key(prefix, header),
            "batch": year,
            "kind": kind,
            "kind_label": kinds.get(kind, kind),
            "resolution": resolution,
            "resolution_label": resolutions.get(resolution, resolution),
            "url": url.replace("{id}", str(pk)) if url else "",
        }
        for pk, name, lon, lat, prefix, header, year, kind, resolution in rows
        if lon is not None and lat is not None  # always, by the query; narrows the types
    ]
    return {
        "points": points,
        "provinces": dict(sorted(provinces.items(), key=lambda item: (-item[1], item[0]))),
        "total": total,
        "without_coordinates": without,
    }


@transaction.atomic
def fill_missing_coordinates(batch: Batch | int | None = None, *, actor: Any = None, source: str = "cli") -> int:
    """Give every pilot and added area that has a division code but no coordinates its centre point.

    ``batch`` (a batch or its year) limits the run to that batch's pilots and the areas its extension
    lines add. Rows whose division has no point stay empty. One summary audit entry
    (``pilots.fill_coordinates``) when anything was filled; returns the number of rows filled.
    """
    year = batch.year if isinstance(batch, Batch) else batch
    missing = Q(lon__isnull=True) | Q(lat__isnull=True)
    has_code = ~Q(division_code_at_batch="") | ~Q(containing_code="")
    # Lock only the rows being filled; order by key (the default ordering outer-joins section).
    pilots = (
        Pilot.objects.select_for_update(of=("self",)).filter(missing, has_code).select_related("batch").order_by("pk")
    )
    areas = (
        ExtensionArea.objects.select_for_update(of=("self",))
        .filter(missing, has_code)
        .select_related("line__batch")
        .order_by("pk")
    )
    if year is not None:
        pilots = pilots.filter(batch__year=year)
        areas = areas.filter(line__batch__year=year)
    filled: dict[str, int] = {}
    via: Counter[str] = Counter()
    now = timezone.now()
    queries: tuple[tuple[str, Any, Callable[[Any], int]], ...] = (
        ("pilots", pilots, lambda row: row.batch.year),
        ("extension_areas", areas, lambda row: row.line.batch.year),
    )
    for label, rows, year_of in queries:
        changed = []
        for row in rows:
            code = row.division_code_at_batch or row.containing_code
            point = point_for(code, year_of(row))
            if point is None:
                continue
            row.lon, row.lat, row.updated_at = as_stored(point[0]), as_stored(point[1]), now
            changed.append(row)
            via["own" if point[2] == code else "fallback"] += 1
        rows.model.objects.bulk_update(changed, ["lon", "lat", "updated_at"], batch_size=500)
        filled[label] = len(changed)
    count = sum(filled.values())
    if count:
        record(
            actor=actor,
            action="pilots.fill_coordinates",
            obj=Batch.objects.filter(year=year).first() if year is not None else None,
            after={"batch": year, **filled, "own_point": via["own"], "fallback_point": via["fallback"]},
            reason=_("补充试点坐标（区划中心点）"),
            source=source,
        )
    return count
