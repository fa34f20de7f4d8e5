"""Centre points of divisions: own point, successors, other names, sole predecessors, prefecture, province."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pytest

from citypilot.divisions import centroids
from citypilot.divisions.centroids import CentrePoint, load_centroids, point_for
from citypilot.divisions.reference import load_reference


def without(*codes: str) -> Mapping[str, tuple[CentrePoint, ...]]:
    """The packaged points minus those of ``codes``."""
    return MappingProxyType({code: points for code, points in load_centroids().items() if code not in codes})


def test_points_load_once_and_every_point_lies_in_china() -> None:
    points = load_centroids()
    assert load_centroids() is points
    assert sum(len(group) for group in points.values()) == 3220
    known = {r.code for r in load_reference().records}
    for code, group in points.items():
        assert code in known
        for point in group:
            assert 73 < point.lon < 136 and 3 < point.lat < 54, point


def test_own_point_of_a_division_in_use() -> None:
    assert point_for("130209", 2013) == (118.460379, 39.27307, "130209")  # 唐山市曹妃甸区
    assert point_for("130209") == point_for("130209", 2013)


def test_retired_division_with_its_own_point_keeps_it() -> None:
    # 林芝地区 (retired 2015) has a point of its own (ECharts 4.9.0), 大同市城区 (retired 2018) one from cpca 0.5.5.
    assert point_for("542600", 2013) == (94.362348, 29.654693, "542600")
    assert point_for("140202", 2013) == (113.298026, 40.075666, "140202")


def test_without_its_own_point_a_division_takes_todays_successor(monkeypatch: pytest.MonkeyPatch) -> None:
    assert point_for("110228", 2013) == (116.843047, 40.376894, "110118")  # 密云县 → 密云区
    assert point_for("130603", 2013) == (115.497097, 38.883582, "130606")  # 保定市北市区 → 莲池区
    monkeypatch.setattr(centroids, "load_centroids", lambda: without("542600"))
    assert point_for("542600", 2013) == (94.36149, 29.649128, "540400")  # 林芝地区 → 林芝市


def test_successors_without_points_fall_back_to_the_prefecture(monkeypatch: pytest.MonkeyPatch) -> None:
    # 大同市城区 went to 平城区 140213 and 云冈区 140214 (2018); neither has a point.
    monkeypatch.setattr(centroids, "load_centroids", lambda: without("140202"))
    assert point_for("140202", 2013) == (113.300129, 40.076763, "140200")
    assert point_for("140213") == (113.300129, 40.076763, "140200")


def test_county_without_a_point_falls_back_to_its_prefecture_then_its_province(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert point_for("542232", 2013) == (91.766529, 29.236023, "542200")  # 山南地区错那县 → 山南地区
    assert point_for("659009") == (87.627704, 43.793026, "650000")  # 昆玉市: no prefecture → 新疆维吾尔自治区
    monkeypatch.setattr(centroids, "load_centroids", lambda: without("542232", "542200", "540500"))
    assert point_for("542232", 2013) == (91.117525, 29.647535, "540000")


def test_renamed_code_and_new_code_of_the_same_area() -> None:
    # 保定市新市区 was renamed 竞秀区 under the same code; only the new name has a point.
    assert point_for("130602", 2013) == (115.45877, 38.877449, "130602")
    # 那曲市 (2017) has no point; 那曲地区 542400 had no other successor.
    assert point_for("540600") == (92.052064, 31.476479, "542400")


def test_unknown_or_empty_code_has_no_point() -> None:
    assert point_for("") is None
    assert point_for("999999") is None
    assert point_for("130209", 1990) == point_for("130209")  # not yet in force in 1990: its latest record
