"""GB/T 2260 administrative divisions (county level and above) with their history.

The reference table is ``data/areacodes.csv`` (yescallop/areacodes ``result.csv``, CC0 1.0; see
``data/README.md``). Each row is one *record*: a code with one name over a span of years. A code
can have several records when it was reused or renamed (``330402`` was 城区, then 秀城区, now 南湖区).

Years follow the source: each year's table is the state as of 31 December, so a record is in force
at the end of ``year`` when ``valid_from_year <= year < valid_to_year`` (``valid_to_year`` is the
year it changed or was retired, exclusive; ``None`` while in use).

``新代码`` lists the codes whose areas took over part of the record's area. ``140213;140214`` means
both took effect in the year the record ended; ``140222[2018]`` marks a transfer in another year (an
in-use record such as 阳高县 listing it ceded part of its area to 天镇县 in 2018).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Literal

Level = Literal["province", "prefecture", "county"]

IN_USE = "在用"
_LEVELS: Mapping[str, Level] = {"省级": "province", "地级": "prefecture", "县级": "county"}
_SUCCESSOR = re.compile(r"(?P<code>\d{6})(?:\[(?P<year>\d{4})\])?")
_DIRECT = "直辖"


@dataclass(frozen=True, slots=True)
class Successor:
    """A code that took over (part of) a record's area at the end of ``year``."""

    code: str
    year: int


@dataclass(frozen=True, slots=True)
class DivisionRecord:
    """One row of the reference table: a code with one name over a span of years."""

    code: str
    name: str
    level: Level
    province_name: str
    prefecture_name: str | None
    status: str
    valid_from_year: int
    valid_to_year: int | None
    successors: tuple[Successor, ...]

    @property
    def in_use(self) -> bool:
        return self.status == IN_USE

    @property
    def full_name(self) -> str:
        """The name with its parent's in front for county-level units, e.g. 杭州市临安区."""
        if self.level != "county":
            return self.name
        return (self.prefecture_name or self.province_name) + self.name

    def valid_in(self, year: int) -> bool:
        """Whether the record is in force at the end of ``year``."""
        return self.valid_from_year <= year and (self.valid_to_year is None or year < self.valid_to_year)


def parse_successors(text: str, default_year: int | None) -> tuple[Successor, ...]:
    """Parse a ``新代码`` cell: ``140213;140214`` or ``130108[2001];130111``.

    A code without ``[YYYY]`` took effect in ``default_year``, the year the record ended.
    """
    successors = []
    for part in filter(None, text.split(";")):
        match = _SUCCESSOR.fullmatch(part)
        if match is None:
            raise ValueError(f"malformed successor {part!r} in {text!r}")
        if match["year"] is not None:
            year = int(match["year"])
        elif default_year is not None:
            year = default_year
        else:
            raise ValueError(f"successor {part!r} needs a year: the record is still in use")
        successors.append(Successor(match["code"], year))
    return tuple(successors)


def _parse_row(row: Mapping[str, str]) -> DivisionRecord:
    valid_to = int(row["变更/弃用时间"]) if row["变更/弃用时间"] else None
    prefecture = row["二级行政区"]
    return DivisionRecord(
        code=row["代码"],
        name=row["名称"],
        level=_LEVELS[row["级别"]],
        province_name=row["一级行政区"],
        prefecture_name=None if prefecture in ("", _DIRECT) else prefecture,
        status=row["状态"],
        valid_from_year=int(row["启用时间"]),
        valid_to_year=valid_to,
        successors=parse_successors(row["新代码"], valid_to),
    )


def read_records(lines: Iterable[str]) -> Iterator[DivisionRecord]:
    """Read records from the CSV text (header 代码,一级行政区,…,新代码; any BOM already removed)."""
    for row in csv.DictReader(lines):
        yield _parse_row(row)


def _prefix(record: DivisionRecord) -> str:
    """The code digits that every unit under ``record`` shares."""
    return {"province": record.code[:2], "prefecture": record.code[:4]}.get(record.level, record.code)


class DivisionIndex:
    """An immutable in-memory index of division records."""

    def __init__(self, records: Iterable[DivisionRecord]) -> None:
        by_code: defaultdict[str, list[DivisionRecord]] = defaultdict(list)
        by_name: defaultdict[str, list[DivisionRecord]] = defaultdict(list)
        by_province: defaultdict[str, list[DivisionRecord]] = defaultdict(list)
        all_records = tuple(records)
        for record in all_records:
            by_code[record.code].append(record)
            by_name[record.name].append(record)
            by_province[record.code[:2]].append(record)
        self._records = all_records
        self._by_code: Mapping[str, tuple[DivisionRecord, ...]] = MappingProxyType(
            {code: tuple(sorted(group, key=lambda r: r.valid_from_year)) for code, group in by_code.items()}
        )
        self._by_name = MappingProxyType({k: tuple(v) for k, v in by_name.items()})
        self._by_province = MappingProxyType({k: tuple(v) for k, v in by_province.items()})
        targets = {s: self._target(record, s) for record in all_records for s in record.successors}
        derived: dict[DivisionRecord, tuple[Successor, ...]] = {}
        for record in all_records:
            end = record.valid_to_year
            if record.level == "prefecture" and end is not None and all(s.year != end for s in record.successors):
                heirs = self._heirs(record, end, targets)
                derived[record] = tuple(Successor(heir.code, end) for heir in heirs)
                targets.update((Successor(heir.code, end), heir) for heir in heirs)
        self._derived = MappingProxyType(derived)
        self._targets = MappingProxyType(targets)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def records(self) -> tuple[DivisionRecord, ...]:
        return self._records

    def records_for(self, code: str) -> tuple[DivisionRecord, ...]:
        """All records of ``code``, oldest first."""
        return self._by_code.get(code, ())

    def record_at(self, code: str, year: int) -> DivisionRecord | None:
        """The record of ``code`` in force at the end of ``year``."""
        return next((r for r in self.records_for(code) if r.valid_in(year)), None)

    def valid_in(self, year: int) -> tuple[DivisionRecord, ...]:
        """Every record in force at the end of ``year``."""
        return tuple(r for r in self._records if r.valid_in(year))

    def find_by_name(
        self,
        name: str,
        year: int,
        *,
        province: str | None = None,
        prefecture: str | None = None,
    ) -> tuple[DivisionRecord, ...]:
        """Records named ``name`` in force at the end of ``year``, optionally within a parent."""
        return tuple(
            r
            for r in self._by_name.get(name, ())
            if r.valid_in(year)
            and (province is None or r.province_name == province)
            and (prefecture is None or r.prefecture_name == prefecture)
        )

    def parent_of(self, record: DivisionRecord, year: int) -> DivisionRecord | None:
        """The prefecture-level unit over ``record`` at the end of ``year``, else its province."""
        if record.level == "province":
            return None
        if record.level == "county":
            prefecture = self.record_at(record.code[:4] + "00", year)
            if prefecture is not None:
                return prefecture
        return self.record_at(record.code[:2] + "0000", year)

    def within(self, record: DivisionRecord, year: int, level: Level) -> tuple[DivisionRecord, ...]:
        """Records of ``level`` under ``record`` (by code prefix) in force at the end of ``year``."""
        prefix = _prefix(record)
        return tuple(
            r
            for r in self._by_province.get(record.code[:2], ())
            if r.level == level and r.code.startswith(prefix) and r.valid_in(year)
        )

    def successors_of(self, record: DivisionRecord) -> tuple[Successor, ...]:
        """The record's successors, completed for retired prefecture-level records.

        The source mostly gives no ``新代码`` for the end of a prefecture-level unit (林芝地区 →
        林芝市). When it gives none taking effect in the year the unit ended, the successors of
        that year are derived: the prefecture-level units that took over its county-level units
        then (or those county-level units themselves where the province took them over directly,
        as 仙桃市 from 荆州地区).
        """
        return record.successors + self._derived.get(record, ())

    def successor_chain(self, record_or_code: DivisionRecord | str, from_year: int) -> tuple[DivisionRecord, ...]:
        """Today's records for a record in force at the end of ``from_year``.

        Follows successors taking effect after ``from_year`` and stops at records in use; returns
        every leaf (大同市城区 140202 → 平城区 140213 and 云冈区 140214). A retired record
        without a later successor is returned as it is. Each step moves strictly forward in time,
        and visited steps are skipped, so the walk always ends.
        """
        start = self._start(record_or_code, from_year)
        leaves: set[DivisionRecord] = set()
        seen: set[tuple[DivisionRecord, int]] = set()
        pending = [(start, from_year)]
        while pending:
            record, year = pending.pop()
            if (record, year) in seen:
                continue
            seen.add((record, year))
            later = () if record.in_use else tuple(s for s in self.successors_of(record) if s.year > year)
            if not later:
                leaves.add(record)
            pending.extend((self._targets[s], s.year) for s in later)
        return tuple(sorted(leaves, key=lambda r: (r.code, r.valid_from_year)))

    def current(self, code: str) -> tuple[DivisionRecord, ...]:
        """Today's records for ``code``: its record in use, or the successor chain of its last
        record from the last year that record was in force."""
        records = self.records_for(code)
        if not records:
            return ()
        last = records[-1]
        if last.valid_to_year is None:
            return (last,)
        return self.successor_chain(last, last.valid_to_year - 1)

    def _start(self, record_or_code: DivisionRecord | str, from_year: int) -> DivisionRecord:
        if isinstance(record_or_code, DivisionRecord):
            if not record_or_code.valid_in(from_year):
                raise ValueError(f"{record_or_code.code} is not in force at the end of {from_year}")
            return record_or_code
        record = self.record_at(record_or_code, from_year)
        if record is None:
            raise LookupError(f"no record of {record_or_code} at the end of {from_year}")
        return record

    def _target(self, record: DivisionRecord, successor: Successor) -> DivisionRecord:
        target = self.record_at(successor.code, successor.year)
        if target is None:
            raise ValueError(
                f"{record.code} {record.name}: successor {successor.code} has no record at the end of {successor.year}"
            )
        return target

    def _heirs(
        self, record: DivisionRecord, end: int, targets: Mapping[Successor, DivisionRecord]
    ) -> tuple[DivisionRecord, ...]:
        """Where the county-level units of a prefecture-level unit went in the year it ended."""
        heirs: dict[str, DivisionRecord] = {}
        for county in self.within(record, end - 1, "county"):
            if county.valid_to_year == end:
                for successor in county.successors:
                    if successor.year == end:
                        target = targets[successor]
                        parent = self.parent_of(target, end)
                        heir = parent if parent is not None and parent.level == "prefecture" else target
                        heirs.setdefault(heir.code, heir)
        return tuple(heirs.values())


@cache
def load_reference() -> DivisionIndex:
    """The division index built from the packaged reference table (built once)."""
    path = files("citypilot.divisions").joinpath("data", "areacodes.csv")
    return DivisionIndex(read_records(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
