"""Exports of the registry: one row per listed entry and per extension area, streamed.

CSV (UTF-8, header), XLSX (openpyxl write-only) and GeoJSON (points where coordinates are known).
Rows are read with ``iterator()`` so memory does not grow with the registry.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any, Protocol

from openpyxl import Workbook

from .models import ExtensionArea, Pilot

COLUMNS = (
    "batch_year",
    "section",
    "province",
    "name_as_listed",
    "kind",
    "division_code_at_batch",
    "division_name_at_batch",
    "current_division_code",
    "current_division_name",
    "containing_division_code",
    "includes",
    "extends_pilot",
    "resolution",
    "lon",
    "lat",
)


class TextSink(Protocol):
    def write(self, text: str, /) -> Any: ...


def _current(area: Pilot | ExtensionArea, index: int) -> str:
    return ";".join(str(item[index]) for item in area.current_divisions)


def _coordinate(value: Any) -> str:
    return "" if value is None else f"{value:.6f}"


def _row(area: Pilot | ExtensionArea, **specific: str) -> dict[str, str]:
    return {
        "kind": area.kind,
        "division_code_at_batch": area.division_code_at_batch,
        "division_name_at_batch": area.division_name_at_batch,
        "current_division_code": _current(area, 0),
        "current_division_name": _current(area, 1),
        "containing_division_code": area.containing_code,
        "resolution": area.resolution,
        "lon": _coordinate(area.lon),
        "lat": _coordinate(area.lat),
        **specific,
    }


def export_rows(pilots: Any, extension_areas: Any, *, batch_year: int | None = None) -> Iterator[dict[str, str]]:
    """Rows in notice order: each batch's listed entries, then its extension areas."""
    pilots = pilots.filter(is_placeholder=False, section__isnull=False)
    extension_areas = extension_areas.select_related("line__batch", "line__section", "line__base_pilot")
    if batch_year is not None:
        pilots = pilots.filter(batch__year=batch_year)
        extension_areas = extension_areas.filter(line__batch__year=batch_year)
    years = sorted(
        set(pilots.values_list("batch__year", flat=True))
        | set(extension_areas.values_list("line__batch__year", flat=True))
    )
    for year in years:
        for pilot in pilots.filter(batch__year=year).order_by("section__position", "position").iterator(2000):
            yield _row(
                pilot,
                batch_year=str(year),
                section=pilot.section.heading if pilot.section else "",
                province=pilot.province_name,
                name_as_listed=pilot.name_as_listed,
                includes=";".join(pilot.includes),
                extends_pilot="",
            )
        areas = extension_areas.filter(line__batch__year=year).order_by(
            "line__section__position", "line__position", "position"
        )
        for area in areas.iterator(2000):
            line = area.line
            yield _row(
                area,
                batch_year=str(year),
                section=line.section.heading if line.section else "",
                province=line.province_name or line.base_pilot.province_name,
                name_as_listed=area.name,
                includes="",
                extends_pilot=line.base_pilot.name,
            )


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[dict[str, str]]) -> Iterator[str]:
    writer = csv.DictWriter(_Echo(), fieldnames=COLUMNS)
    yield writer.writeheader()
    for row in rows:
        yield writer.writerow(row)


def write_csv(rows: Iterable[dict[str, str]], out: TextSink) -> None:
    for chunk in csv_chunks(rows):
        out.write(chunk)


def write_xlsx(rows: Iterable[dict[str, str]], out: IO[bytes]) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("pilots")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[column] for column in COLUMNS])
    workbook.save(out)


def xlsx_file(rows: Iterable[dict[str, str]]) -> IO[bytes]:
    """The workbook in a temporary file (spooled to disk past 8 MiB), positioned at the start."""
    handle: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned open
    write_xlsx(rows, handle)
    handle.seek(0)
    return handle


def geojson_chunks(rows: Iterable[dict[str, str]]) -> Iterator[str]:
    """A FeatureCollection of the rows that have coordinates, one feature per row."""
    yield '{"type":"FeatureCollection","features":['
    first = True
    for row in rows:
        if not row["lon"] or not row["lat"]:
            continue
        properties = {key: value for key, value in row.items() if key not in ("lon", "lat")}
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(row["lon"]), float(row["lat"])]},
            "properties": properties,
        }
        yield ("" if first else ",") + json.dumps(feature, ensure_ascii=False)
        first = False
    yield "]}"


def write_geojson(rows: Iterable[dict[str, str]], out: TextSink) -> None:
    for chunk in geojson_chunks(rows):
        out.write(chunk)


def render(rows: Iterable[dict[str, str]], fmt: str) -> bytes:
    """The whole export in memory; for tests and small batches."""
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(rows, buffer)
        return buffer.getvalue()
    text = io.StringIO()
    (write_csv if fmt == "csv" else write_geojson)(rows, text)
    return text.getvalue().encode()
