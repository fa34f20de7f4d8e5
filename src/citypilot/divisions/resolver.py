"""Resolve a pilot entry, as printed in a MOHURD notice, to administrative divisions.

Nothing is guessed. The entry is read, within the notice's province, as a chain of division names
valid at the end of the batch year: an optional prefecture-level name (or the province-level
municipality), an optional county-level name under it, and a remainder. A prefecture-level name
may be written without its 市 suffix, and a county-level name without its 区/县/市 suffix (at least
two characters left); a short form fitting several divisions of the parent gives several readings,
so it resolves only when unique within its parent (苏州吴中太湖新城 → 苏州市吴中区 + 太湖新城).

- ``exact``: the whole text is the chain, naming one division.
- ``containing``: the remainder is a zone or a township, and the chain names at least a
  prefecture-level unit; the zone or township lies within the most specific division named (of
  such readings, those that matched the most text count).
- ``unresolved``: anything else, including several candidate divisions; ``reason`` says why.

Zone kinds: ``development_zone`` is a zone set up for industry, trade or
investment under special policy — 开发区 of every kind (高新技术产业开发区, 经济技术开发区), 高新区,
industrial and cooperation parks (工业园区, 生态园, 产业园, 科技园), bonded zones (保税区, 保税港区)
and 台商投资区. ``new_area`` is a comprehensive urban development area — 新区, 新城, 新城区, 先导区,
科技城, 生态城.

No township-level (9-digit, GB/T 10114) table with a clear source and licence is packaged, so
``township_code`` stays ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from citypilot.divisions.reference import DivisionIndex, DivisionRecord, load_reference

Kind = Literal[
    "prefecture_city",
    "county_city",
    "district",
    "county",
    "town",
    "subdistrict",
    "region",
    "development_zone",
    "new_area",
    "other",
]
Method = Literal["exact", "containing", "unresolved"]

_ZONE_SUFFIXES: tuple[tuple[str, Kind], ...] = (
    ("开发区", "development_zone"),
    ("高新区", "development_zone"),
    ("园区", "development_zone"),
    ("生态园", "development_zone"),
    ("产业园", "development_zone"),
    ("科技园", "development_zone"),
    ("保税区", "development_zone"),
    ("保税港区", "development_zone"),
    ("投资区", "development_zone"),
    ("新区", "new_area"),
    ("新城", "new_area"),
    ("新城区", "new_area"),
    ("先导区", "new_area"),
    ("科技城", "new_area"),
    ("生态城", "new_area"),
)
_TOWN_SUFFIXES: tuple[tuple[str, Kind], ...] = (
    ("镇", "town"),
    ("乡", "town"),
    ("街道", "subdistrict"),
    ("街道办事处", "subdistrict"),
)
_KIND_LABELS: dict[Kind, str] = {
    "development_zone": "开发区、园区类",
    "new_area": "新区、新城类",
    "town": "乡镇",
    "subdistrict": "街道",
}
_INCLUDED = re.compile(r"(?P<head>[^（(]+)[（(]含(?P<parts>[^）)]+)[）)]")
_TRIM = " \t　、，,。；;"


@dataclass(frozen=True, slots=True)
class Resolution:
    """How one pilot entry maps to administrative divisions."""

    entry: str
    kind: Kind
    method: Method
    division_code_at_batch: str | None
    division_name_at_batch: str | None
    current_divisions: tuple[tuple[str, str], ...]
    containing_division: tuple[str, str] | None
    reason: str
    township_code: str | None = None
    included: tuple[Resolution, ...] = ()


@dataclass(frozen=True, slots=True)
class _Match:
    """A division named at the start of some text, as ``written`` there."""

    record: DivisionRecord
    written: str

    @property
    def length(self) -> int:
        return len(self.written)

    @property
    def short(self) -> bool:
        return self.written != self.record.name


@dataclass(frozen=True, slots=True)
class _Reading:
    """One way to read the text: matched divisions (outermost first) and what is left."""

    matches: tuple[_Match, ...]
    remainder: str
    scope: DivisionRecord

    @property
    def consumed(self) -> int:
        return sum(m.length for m in self.matches)

    @property
    def target(self) -> DivisionRecord | None:
        """The most specific division named (the scope itself when it is below province level)."""
        if self.matches:
            return self.matches[-1].record
        return None if self.scope.level == "province" else self.scope


def resolve_entry(name: str, *, province: str, year: int, index: DivisionIndex | None = None) -> Resolution:
    """Resolve a pilot entry listed under ``province`` in the notice of batch ``year``."""
    if index is None:
        index = load_reference()
    text = name.strip(_TRIM)
    provinces = [r for r in index.find_by_name(province, year) if r.level == "province"]
    if len(provinces) != 1:
        return _unresolved(text, "other", f"{year}年末没有名为“{province}”的省级行政区。")
    scope = provinces[0]
    included = _INCLUDED.fullmatch(text)
    if included is None:
        return _resolve(text, scope, year, index)
    head = _resolve(included["head"], scope, year, index)
    head_record = (
        index.record_at(head.division_code_at_batch, year)
        if head.method == "exact" and head.division_code_at_batch
        else None
    )
    names = [part.strip(_TRIM) for part in included["parts"].split("、") if part.strip(_TRIM)]
    parts = tuple(_resolve(part, head_record or scope, year, index) for part in names)
    return Resolution(
        entry=text,
        kind=head.kind,
        method=head.method,
        division_code_at_batch=head.division_code_at_batch,
        division_name_at_batch=head.division_name_at_batch,
        current_divisions=head.current_divisions,
        containing_division=head.containing_division,
        reason=f"{head.reason}另含{len(parts)}个范围（{'、'.join(names)}），已逐项解析。",
        included=parts,
    )


def _resolve(text: str, scope: DivisionRecord, year: int, index: DivisionIndex) -> Resolution:
    readings = list(_readings(text, scope, year, index))
    exact = [r for r in readings if not r.remainder and r.target is not None]
    if exact:
        return _from_readings(text, exact, year, index, "exact")
    containing = [
        r
        for r in readings
        if _remainder_kind(r.remainder) is not None and r.target is not None and r.target.level != "province"
    ]
    if containing:
        longest = max(r.consumed for r in containing)
        best = [r for r in containing if r.consumed == longest]
        return _from_readings(text, best, year, index, "containing")
    return _failure(text, readings, year)


def _readings(text: str, scope: DivisionRecord, year: int, index: DivisionIndex) -> Iterator[_Reading]:
    """Every reading of ``text`` as [outer division][county-level division][remainder]."""
    outer_options: list[_Match | None]
    if scope.level != "province" or scope.name.endswith("市"):
        outer_options = [_Match(scope, ""), *_matches(text, [scope])]
    else:
        outer_options = [None, *_matches(text, index.within(scope, year, "prefecture"))]
    for outer in outer_options:
        start = outer.length if outer else 0
        parent = outer.record if outer else scope
        county_options: list[_Match | None] = [None, *_matches(text[start:], index.within(parent, year, "county"))]
        for county in county_options:
            matches = tuple(m for m in (outer, county) if m is not None and m.length)
            yield _Reading(
                matches=matches,
                remainder=text[start + (county.length if county else 0) :],
                scope=scope,
            )


def _matches(text: str, candidates: Sequence[DivisionRecord]) -> list[_Match]:
    """Candidates whose name, or else short form, starts ``text``.

    A short form shared by several candidates yields them all, so the entry is reported as ambiguous.
    """
    found = []
    for record in candidates:
        short = _short(record)
        if text.startswith(record.name):
            found.append(_Match(record, record.name))
        elif short and text.startswith(short):
            found.append(_Match(record, short))
    return found


def _short(record: DivisionRecord) -> str | None:
    """The name without its 市 (or, county-level, 区/县/市) suffix, if at least 2 characters."""
    suffixes = "区县市" if record.level == "county" else "市"
    if len(record.name) >= 3 and record.name[-1] in suffixes:
        return record.name[:-1]
    return None


def _remainder_kind(remainder: str) -> Kind | None:
    for suffix, kind in _ZONE_SUFFIXES + _TOWN_SUFFIXES:
        if remainder.endswith(suffix) and len(remainder) > len(suffix):
            return kind
    return None


def _reading_kind(remainder: str, target: DivisionRecord) -> Kind:
    return (_remainder_kind(remainder) or "other") if remainder else _division_kind(target)


def _division_kind(record: DivisionRecord) -> Kind:
    if record.level == "prefecture":
        return "region" if record.name.endswith(("地区", "盟", "行政区")) else "prefecture_city"
    if record.level == "county":
        if record.name.endswith("市"):
            return "county_city"
        if record.name.endswith("区"):
            return "district"
        if record.name.endswith(("县", "旗")):
            return "county"
    return "other"


def _from_readings(text: str, readings: list[_Reading], year: int, index: DivisionIndex, method: Method) -> Resolution:
    targets = {r.target.code: r.target for r in readings if r.target is not None}
    kinds = {_reading_kind(r.remainder, t) for r in readings if (t := r.target) is not None}
    kind = kinds.pop() if len(kinds) == 1 else "other"
    if len(targets) > 1:
        listed = "、".join(_label(t) for t in targets.values())
        return _unresolved(text, kind, f"“{text}”在{year}年末有多个候选：{listed}，无法唯一确定。")
    reading = readings[0]
    target = targets.popitem()[1]
    current = tuple((r.code, r.full_name) for r in index.successor_chain(target, year))
    shorts = "".join(f"按简称“{m.written}”匹配{m.record.full_name}；" for m in reading.matches if m.short)
    if method == "exact":
        reason = f"{shorts}名称与{year}年末的{_label(target)}一致。"
        containing = None
    else:
        reason = (
            f"{shorts}“{reading.remainder}”不是县级以上行政区划（{_KIND_LABELS[kind]}），"
            f"位于名称所指的{_label(target)}境内。"
        )
        if kind in ("town", "subdistrict"):
            reason += "未收录乡镇级代码，乡镇名称未核对。"
        if len(current) > 1:
            reason += "所在区划此后已拆分，现属哪一区划需人工确认。"
        containing = (target.code, target.full_name)
    if current != ((target.code, target.full_name),):
        reason += "现行区划：" + "、".join(f"{name}（{code}）" for code, name in current) + "。"
    return Resolution(
        entry=text,
        kind=kind,
        method=method,
        division_code_at_batch=target.code,
        division_name_at_batch=target.full_name,
        current_divisions=current,
        containing_division=containing,
        reason=reason,
    )


def _failure(text: str, readings: list[_Reading], year: int) -> Resolution:
    """Explain the failure of the reading that got furthest into the text."""
    reading = max(readings, key=lambda r: r.consumed)
    kind = _remainder_kind(reading.remainder)
    target = reading.target
    if kind is None and target is not None:
        reason = (
            f"{year}年末{_label(target)}下没有名为“{reading.remainder}”的行政区划，"
            "它也不是可识别的开发区、新区或乡镇名称。"
        )
    elif target is not None and target.level == "province":
        reason = f"名称中只有省级行政区{target.name}，未指明所在的区县，无法确定“{reading.remainder}”所在的行政区划。"
    elif kind is None:
        reason = (
            f"{year}年末{reading.scope.full_name}内没有名为“{text}”的行政区划，它也不是可识别的开发区、新区或乡镇名称。"
        )
    else:
        reason = f"名称中没有{year}年末可识别的地级或县级行政区划，无法确定“{text}”所在的行政区划。"
    return _unresolved(text, kind or "other", reason)


def _unresolved(text: str, kind: Kind, reason: str) -> Resolution:
    return Resolution(
        entry=text,
        kind=kind,
        method="unresolved",
        division_code_at_batch=None,
        division_name_at_batch=None,
        current_divisions=(),
        containing_division=None,
        reason=reason,
    )


def _label(record: DivisionRecord) -> str:
    return f"{record.full_name}（{record.code}）"
