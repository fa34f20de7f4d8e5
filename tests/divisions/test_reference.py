"""The GB/T 2260 reference index: records over time, parents and successor chains."""

import dataclasses

import pytest

from citypilot.divisions.reference import (
    DivisionIndex,
    DivisionRecord,
    Successor,
    load_reference,
    parse_successors,
    read_records,
)

HEADER = "代码,一级行政区,二级行政区,名称,级别,状态,启用时间,变更/弃用时间,新代码"


@pytest.fixture(scope="module")
def index() -> DivisionIndex:
    return load_reference()


def codes(records: tuple[DivisionRecord, ...]) -> list[str]:
    return [r.code for r in records]


def test_load_is_cached_and_complete(index: DivisionIndex) -> None:
    assert load_reference() is index
    assert len(index) == 6823
    assert codes(index.current("110000")) == ["110000"]
    assert index.current("999999") == ()
    assert index.records_for("999999") == ()


def test_records_are_immutable(index: DivisionIndex) -> None:
    record = index.records_for("140202")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.name = "平城区"  # type: ignore[misc]


def test_linzhi_prefecture_in_2013_and_today(index: DivisionIndex) -> None:
    record = index.record_at("542600", 2013)
    assert record is not None
    assert (record.name, record.level, record.valid_to_year) == ("林芝地区", "prefecture", 2015)
    assert index.find_by_name("林芝地区", 2013) == (record,)
    assert index.find_by_name("林芝地区", 2015) == ()
    assert codes(index.successor_chain(record, 2013)) == ["540400"]
    assert [r.name for r in index.current("542600")] == ["林芝市"]


def test_pan_county_became_panzhou_city_in_2017(index: DivisionIndex) -> None:
    (pan,) = index.records_for("520222")
    assert (pan.name, pan.status, pan.valid_to_year) == ("盘县", "弃用", 2017)
    assert pan.successors == (Successor("520281", 2017),)
    assert index.record_at("520222", 2016) == pan
    assert index.record_at("520222", 2017) is None
    assert [(r.code, r.full_name) for r in index.successor_chain("520222", 2013)] == [("520281", "六盘水市盘州市")]


def test_datong_chengqu_leads_to_both_successors(index: DivisionIndex) -> None:
    chain = index.successor_chain("140202", 2013)
    assert [(r.code, r.name) for r in chain] == [("140213", "平城区"), ("140214", "云冈区")]
    assert all(r.in_use for r in chain)


def test_linan_city_became_linan_district(index: DivisionIndex) -> None:
    assert [(r.code, r.full_name) for r in index.current("330185")] == [("330112", "杭州市临安区")]


def test_huairen_county_in_force_in_2013(index: DivisionIndex) -> None:
    in_2013 = index.valid_in(2013)
    names = {(r.code, r.name) for r in in_2013}
    assert ("140624", "怀仁县") in names
    assert ("140681", "怀仁市") not in names
    assert codes(index.current("140624")) == ["140681"]


def test_code_reused_with_other_names(index: DivisionIndex) -> None:
    records = index.records_for("330402")
    assert [(r.name, r.valid_from_year, r.valid_to_year) for r in records] == [
        ("城区", 1983, 1993),
        ("秀城区", 1993, 2005),
        ("南湖区", 2005, None),
    ]
    assert index.record_at("330402", 1992) == records[0]
    assert index.record_at("330402", 1993) == records[1]
    assert index.record_at("330402", 2013) == records[2]


def test_successor_taking_effect_in_another_year(index: DivisionIndex) -> None:
    assert parse_successors("130108[2001];130111", 2014) == (
        Successor("130108", 2001),
        Successor("130111", 2014),
    )
    (yanggao,) = index.records_for("140221")
    assert yanggao.in_use
    assert yanggao.successors == (Successor("140222", 2018),)
    assert codes(index.successor_chain(yanggao, 2013)) == ["140221"]
    # 栾城县 ceded part of its area to 130108 in 2001 and became 栾城区 in 2014.
    assert codes(index.successor_chain("130124", 2000)) == ["130108", "130111"]
    assert codes(index.successor_chain("130124", 2013)) == ["130111"]


@pytest.mark.parametrize(
    ("text", "year"), [("140213;x", 2018), ("14021", 2018), ("140213[18]", 2018), ("140213", None)]
)
def test_malformed_successors_are_rejected(text: str, year: int | None) -> None:
    with pytest.raises(ValueError):
        parse_successors(text, year)


def test_parents_by_code_prefix(index: DivisionIndex) -> None:
    def parent(code: str, year: int) -> str | None:
        record = index.record_at(code, year)
        assert record is not None
        found = index.parent_of(record, year)
        return found.name if found else None

    assert parent("140202", 2013) == "大同市"
    assert parent("542621", 2013) == "林芝地区"
    assert parent("540402", 2020) == "林芝市"
    assert parent("110111", 2013) == "北京市"
    assert parent("429004", 2013) == "湖北省"
    assert parent("540400", 2020) == "西藏自治区"
    assert parent("540000", 2020) is None


def test_find_by_name_within_parents(index: DivisionIndex) -> None:
    assert len(index.find_by_name("城区", 2013)) == 5
    assert codes(index.find_by_name("城区", 2013, prefecture="大同市")) == ["140202"]
    assert codes(index.find_by_name("鼓楼区", 2013, province="江苏省")) == ["320106", "320302"]


def test_prefecture_successors_are_derived_from_their_counties(index: DivisionIndex) -> None:
    (chaohu,) = index.records_for("341400")
    assert chaohu.successors == ()
    assert index.successors_of(chaohu) == (
        Successor("340100", 2011),
        Successor("340200", 2011),
        Successor("340500", 2011),
    )
    # 荆州地区: counties went to 荆沙市 and, directly under the province, to 仙桃市 and others.
    assert codes(index.successor_chain("422400", 1990)) == [
        "420800",
        "421000",
        "429004",
        "429005",
        "429006",
    ]
    # A rename keeping the code: 恩施地区 → 鄂西土家族苗族自治州 → 恩施土家族苗族自治州.
    assert [r.name for r in index.successor_chain("422800", 1982)] == ["恩施土家族苗族自治州"]


def test_every_retired_record_leads_to_records_in_use(index: DivisionIndex) -> None:
    for record in index.records:
        if record.valid_to_year is not None:
            chain = index.successor_chain(record, record.valid_to_year - 1)
            assert chain and all(r.in_use for r in chain), record


def test_chain_is_cycle_safe_and_checks_its_start() -> None:
    lines = [
        HEADER,
        "100000,甲省,,甲省,省级,在用,1990,,",
        "100101,甲省,直辖,一区,县级,弃用,1990,2010,100102[2000]",
        "100102,甲省,直辖,二区,县级,弃用,1990,2010,100101[2001]",
    ]
    index = DivisionIndex(read_records(lines))
    assert codes(index.successor_chain("100101", 1995)) == ["100101"]
    with pytest.raises(LookupError):
        index.successor_chain("100101", 2010)
    with pytest.raises(ValueError):
        index.successor_chain(index.records_for("100101")[0], 2010)


def test_successor_without_a_record_is_rejected_at_load() -> None:
    lines = [HEADER, "100101,甲省,直辖,一区,县级,弃用,1990,2010,100199"]
    with pytest.raises(ValueError, match="100199"):
        DivisionIndex(read_records(lines))
