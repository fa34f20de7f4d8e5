"""Centre points of GB/T 2260 divisions, for placing pilots on the map.

The points are ``data/centroids.csv`` (see ``data/README.md`` for sources and licences): one row per
(code, name) pair, as the sources give them (seat of government or label point, not polygon centroids).
Many divisions retired or created since about 2018 have no point of their own; ``point_for`` then
falls back, in this order:

1. the code's own point (the name in force at the end of ``year`` preferred, when the code was renamed);
2. the successor chain (``reference.DivisionIndex``) to today's divisions: the first, by code, with a point;
3. the code's point under another of its names (renamed under the same code, 新市区 → 竞秀区);
4. for a code created after the sources were made, the point of a retired record whose only successor
   it is (那曲地区 542400 → 那曲市 540600): the same area under a new code;
5. for a county-level code, its prefecture (first 4 digits + ``00``), then its province (first 2 + ``0000``),
   each again by steps 1-4.

The result names the code whose point was used, so a caller can say how a point was found.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib.resources import files
from types import MappingProxyType

from .reference import DivisionIndex, DivisionRecord, load_reference


@dataclass(frozen=True, slots=True)
class CentrePoint:
    code: str
    name: str
    lon: float
    lat: float
    source: str


@cache
def load_centroids() -> Mapping[str, tuple[CentrePoint, ...]]:
    """Every point of ``data/centroids.csv`` by code (read once)."""
    path = files("citypilot.divisions").joinpath("data", "centroids.csv")
    by_code: defaultdict[str, list[CentrePoint]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")):
        by_code[row["code"]].append(
            CentrePoint(row["code"], row["name"], float(row["lon"]), float(row["lat"]), row["source"])
        )
    return MappingProxyType({code: tuple(points) for code, points in by_code.items()})


def _own_point(code: str, name: str | None) -> CentrePoint | None:
    """The point of ``code`` under ``name`` if there is one, else under any of its names."""
    points = load_centroids().get(code, ())
    if not points:
        return None
    return next((p for p in points if p.name == name), points[0])


def _record(index: DivisionIndex, code: str, year: int | None) -> DivisionRecord | None:
    """The record of ``code`` in force at the end of ``year``, else its latest one."""
    if year is not None:
        found = index.record_at(code, year)
        if found is not None:
            return found
    records = index.records_for(code)
    return records[-1] if records else None


def _today(index: DivisionIndex, record: DivisionRecord, year: int | None) -> tuple[DivisionRecord, ...]:
    """Today's divisions for ``record``, following successors from ``year`` (or from its last year)."""
    if record.in_use:
        return ()
    if year is not None and record.valid_in(year):
        return index.successor_chain(record, year)
    return index.current(record.code)


def _direct(index: DivisionIndex, code: str, year: int | None) -> CentrePoint | None:
    """Steps 1-4 of the module docstring for one code."""
    record = _record(index, code, year)
    points = load_centroids().get(code, ())
    if record is None:
        return points[0] if points else None
    named = next((p for p in points if p.name == record.name), None)
    if named is not None:
        return named
    for successor in _today(index, record, year):
        if successor.code != code:
            point = _own_point(successor.code, successor.name)
            if point is not None:
                return point
    # Renamed under the same code (桥东区 → 襄都区): the point under the other name is the same place.
    if points:
        return points[0]
    # Created since the sources were made (那曲地区 542400 → 那曲市 540600): the sole predecessor's point.
    for predecessor in _sole_predecessors(index).get(code, ()):
        point = _own_point(predecessor.code, predecessor.name)
        if point is not None:
            return point
    return None


@cache
def _sole_predecessors(index: DivisionIndex) -> Mapping[str, tuple[DivisionRecord, ...]]:
    """Retired records whose only successor is the code: the same area under a new code."""
    found: defaultdict[str, list[DivisionRecord]] = defaultdict(list)
    for record in index.records:
        successors = index.successors_of(record)
        if not record.in_use and len(successors) == 1 and successors[0].code != record.code:
            found[successors[0].code].append(record)
    return MappingProxyType({code: tuple(records) for code, records in found.items()})


def point_for(code: str, year: int | None = None) -> tuple[float, float, str] | None:
    """``(lon, lat, code used)`` for a division ``code`` (as in force at the end of ``year``), or ``None``.

    The code used is ``code`` itself, a successor of it, its prefecture or its province (see the module
    docstring for the order).
    """
    if not code:
        return None
    index = load_reference()
    candidates = [code]
    if len(code) == 6 and not code.endswith("00"):
        candidates.append(code[:4] + "00")
    if len(code) == 6 and not code.endswith("0000"):
        candidates.append(code[:2] + "0000")
    for candidate in candidates:
        point = _direct(index, candidate, year)
        if point is not None:
            return point.lon, point.lat, point.code
    return None


def as_stored(value: float) -> Decimal:
    """A coordinate as the registry stores it: a decimal with six places (about 0.1 m)."""
    return Decimal(f"{value:.6f}")


def stored_point(code: str, year: int | None = None) -> tuple[Decimal, Decimal] | None:
    """``point_for`` rounded as the registry stores lon/lat, or ``None``."""
    point = point_for(code, year) if code else None
    return (as_stored(point[0]), as_stored(point[1])) if point else None
