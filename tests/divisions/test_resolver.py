"""Resolving the pilot entries of the 2013 notice (建办科[2013]22号) to divisions."""

import pytest

from citypilot.divisions.reference import load_reference
from citypilot.divisions.resolver import Resolution, resolve_entry

# 一、市、区（83个）, by the notice's province headers, as printed.
CITIES_AND_DISTRICTS = {
    "北京市": ["北京经济技术开发区"],
    "天津市": ["武清区", "河西区"],
    "重庆市": ["永川区", "江北区"],
    "河北省": ["唐山市曹妃甸区"],
    "山西省": ["阳泉市", "大同市城区", "晋城市"],
    "内蒙古自治区": ["呼伦贝尔市", "鄂尔多斯市", "包头市石拐区"],
    "黑龙江省": ["齐齐哈尔市", "牡丹江市", "安达市"],
    "吉林省": ["四平市", "榆树市", "长春高新技术产业开发区"],
    "辽宁省": ["营口市", "庄河市", "大连市普湾新区"],
    "山东省": [
        "烟台市",
        "曲阜市",
        "济宁市任城区",
        "青岛市崂山区",
        "青岛高新技术产业开发区",
        "青岛中德生态园",
    ],
    "江苏省": ["南通市", "丹阳市", "苏州吴中太湖新城", "宿迁市洋河新城", "昆山市"],
    "安徽省": [
        "阜阳市",
        "黄山市",
        "淮北市",
        "合肥高新技术产业开发区",
        "宁国港口生态工业园区",
    ],
    "浙江省": [
        "杭州市拱墅区",
        "杭州市萧山区",
        "宁波市（含海曙区、梅山保税港区、鄞州区咸祥镇）",
    ],
    "福建省": ["莆田市", "泉州台商投资区"],
    "江西省": ["新余市", "樟树市", "共青城市"],
    "河南省": ["许昌市", "舞钢市", "灵宝市"],
    "湖北省": ["黄冈市", "咸宁市", "宜昌市", "襄阳市"],
    "湖南省": ["岳阳市岳阳楼区"],
    "广东省": ["肇庆市端州区", "东莞市东城区", "中山翠亨新区"],
    "广西壮族自治区": ["南宁市", "柳州市（含鱼峰区）", "桂林市", "贵港市"],
    "云南省": ["红河哈尼族彝族自治州蒙自市", "红河哈尼族彝族自治州弥勒市"],
    "贵州省": ["贵阳市", "遵义市（含仁怀市、湄潭县）", "毕节市", "凯里市"],
    "甘肃省": ["兰州市", "金昌市", "白银市", "陇南市", "敦煌市"],
    "四川省": ["绵阳市", "遂宁市", "崇州市"],
    "西藏自治区": ["林芝地区"],
    "陕西省": ["宝鸡市", "渭南市", "延安市"],
    "宁夏回族自治区": ["银川市", "石嘴山市（含大武口区）"],
    "新疆维吾尔自治区": ["乌鲁木齐市", "克拉玛依市", "伊宁市"],
}
# 二、县、镇（20个）
COUNTIES_AND_TOWNS = {
    "北京市": ["房山区长阳镇"],
    "河北省": ["唐山市滦南县", "保定市博野县"],
    "山西省": ["朔州市怀仁县"],
    "吉林省": ["白山市抚松县", "吉林市船营区搜登站镇"],
    "山东省": ["潍坊市昌乐县", "平度市明村镇"],
    "江苏省": ["徐州市丰县", "连云港市东海县"],
    "安徽省": ["六安市霍山县"],
    "浙江省": ["宁波市宁海县", "临安市昌化镇"],
    "江西省": ["上饶市婺源县"],
    "湖南省": ["长沙市长沙县", "郴州市永兴县", "郴州市嘉禾县", "常德市桃源县漳江镇"],
    "贵州省": ["六盘水市盘县"],
    "宁夏回族自治区": ["银川市永宁县"],
}

ENTRIES = [
    (province, entry)
    for section in (CITIES_AND_DISTRICTS, COUNTIES_AND_TOWNS)
    for province, entries in section.items()
    for entry in entries
]


def resolve(entry: str, province: str, year: int = 2013) -> Resolution:
    return resolve_entry(entry, province=province, year=year)


def test_the_notice_lists_103_pilots() -> None:
    assert sum(map(len, CITIES_AND_DISTRICTS.values())) == 83
    assert sum(map(len, COUNTIES_AND_TOWNS.values())) == 20


@pytest.mark.parametrize(("province", "entry"), ENTRIES)
def test_every_2013_entry_resolves_to_a_result(province: str, entry: str) -> None:
    result = resolve(entry, province)
    assert result.entry == entry
    assert result.reason
    if result.method == "unresolved":
        assert result.division_code_at_batch is None
        assert result.current_divisions == ()
    else:
        assert result.division_code_at_batch is not None
        assert result.current_divisions
    assert result.township_code is None


@pytest.mark.parametrize(
    ("province", "entry", "kind", "code", "current"),
    [
        ("河北省", "唐山市曹妃甸区", "district", "130209", ["130209"]),
        ("山西省", "阳泉市", "prefecture_city", "140300", ["140300"]),
        ("山西省", "大同市城区", "district", "140202", ["140213", "140214"]),
        ("西藏自治区", "林芝地区", "region", "542600", ["540400"]),
        ("贵州省", "六盘水市盘县", "county", "520222", ["520281"]),
        ("云南省", "红河哈尼族彝族自治州蒙自市", "county_city", "532503", ["532503"]),
        ("山西省", "朔州市怀仁县", "county", "140624", ["140681"]),
        ("天津市", "武清区", "district", "120114", ["120114"]),
        ("黑龙江省", "安达市", "county_city", "231281", ["231281"]),
    ],
)
def test_exact_matches(province: str, entry: str, kind: str, code: str, current: list[str]) -> None:
    result = resolve(entry, province)
    assert (result.method, result.kind, result.division_code_at_batch) == ("exact", kind, code)
    assert [c for c, _ in result.current_divisions] == current
    assert result.containing_division is None


def test_exact_match_names_and_reason() -> None:
    result = resolve("朔州市怀仁县", "山西省")
    assert result.division_name_at_batch == "朔州市怀仁县"
    assert result.current_divisions == (("140681", "朔州市怀仁市"),)
    assert "现行区划：朔州市怀仁市（140681）" in result.reason
    assert resolve("林芝地区", "西藏自治区").current_divisions == (("540400", "林芝市"),)


@pytest.mark.parametrize(
    ("province", "entry", "kind", "containing"),
    [
        ("山东省", "平度市明村镇", "town", ("370283", "青岛市平度市")),
        ("北京市", "房山区长阳镇", "town", ("110111", "北京市房山区")),
        ("吉林省", "吉林市船营区搜登站镇", "town", ("220204", "吉林市船营区")),
        ("湖南省", "常德市桃源县漳江镇", "town", ("430725", "常德市桃源县")),
        ("广东省", "中山翠亨新区", "new_area", ("442000", "中山市")),
        ("江苏省", "苏州吴中太湖新城", "new_area", ("320506", "苏州市吴中区")),
        ("辽宁省", "大连市普湾新区", "new_area", ("210200", "大连市")),
        ("吉林省", "长春高新技术产业开发区", "development_zone", ("220100", "长春市")),
        ("安徽省", "宁国港口生态工业园区", "development_zone", ("341881", "宣城市宁国市")),
        ("福建省", "泉州台商投资区", "development_zone", ("350500", "泉州市")),
        ("山东省", "青岛中德生态园", "development_zone", ("370200", "青岛市")),
    ],
)
def test_containing_divisions(province: str, entry: str, kind: str, containing: tuple[str, str]) -> None:
    result = resolve(entry, province)
    assert (result.method, result.kind, result.containing_division) == (
        "containing",
        kind,
        containing,
    )
    assert result.division_code_at_batch == containing[0]


def test_town_in_a_division_changed_since() -> None:
    result = resolve("临安市昌化镇", "浙江省")
    assert (result.method, result.kind) == ("containing", "town")
    assert result.containing_division == ("330185", "杭州市临安市")
    assert result.current_divisions == (("330112", "杭州市临安区"),)
    assert "“昌化镇”不是县级以上行政区划（乡镇）" in result.reason
    assert "未收录乡镇级代码，乡镇名称未核对" in result.reason


def test_short_names_only_when_unique_within_their_parent() -> None:
    assert "按简称“吴中”匹配苏州市吴中区" in resolve("苏州吴中太湖新城", "江苏省").reason
    # 南京市鼓楼区 and 徐州市鼓楼区: "鼓楼" is unique only under a named prefecture.
    province_wide = resolve("鼓楼滨江新城", "江苏省")
    assert (province_wide.method, province_wide.kind) == ("unresolved", "new_area")
    assert "多个候选：南京市鼓楼区（320106）、徐州市鼓楼区（320302）" in province_wide.reason
    nanjing = resolve("南京鼓楼滨江新城", "江苏省")
    assert nanjing.containing_division == ("320106", "南京市鼓楼区")


def test_zone_naming_only_the_municipality_is_unresolved() -> None:
    result = resolve("北京经济技术开发区", "北京市")
    assert (result.method, result.kind) == ("unresolved", "development_zone")
    assert result.containing_division is None
    assert "只有省级行政区北京市，未指明所在的区县" in result.reason


def test_ambiguous_name_lists_the_candidates() -> None:
    result = resolve("鼓楼区", "江苏省")
    assert (result.method, result.kind) == ("unresolved", "district")
    assert "南京市鼓楼区（320106）" in result.reason
    assert "徐州市鼓楼区（320302）" in result.reason
    assert "多个候选" in result.reason


def test_unknown_remainder_is_not_guessed() -> None:
    result = resolve("东莞市东城区", "广东省")
    assert result.method == "unresolved"
    assert "东莞市（441900）下没有名为“东城区”的行政区划" in result.reason


def test_names_are_read_as_of_the_batch_year() -> None:
    assert resolve("林芝地区", "西藏自治区", 2016).method == "unresolved"
    later = resolve_entry("六盘水市盘州市", province="贵州省", year=2017, index=load_reference())
    assert (later.method, later.division_code_at_batch) == ("exact", "520281")
    early = resolve("盘州市", "贵州省")
    assert (early.method, early.kind) == ("unresolved", "other")
    assert "2013年末贵州省内没有名为“盘州市”的行政区划" in early.reason


def test_zone_without_any_known_division() -> None:
    result = resolve("雄安新区", "河北省")
    assert (result.method, result.kind) == ("unresolved", "new_area")
    assert "名称中没有2013年末可识别的地级或县级行政区划" in result.reason


def test_town_in_a_division_split_since() -> None:
    result = resolve("大同市城区新旺乡", "山西省")
    assert (result.method, result.kind, result.division_code_at_batch) == ("containing", "town", "140202")
    assert [code for code, _ in result.current_divisions] == ["140213", "140214"]
    assert "此后已拆分" in result.reason


@pytest.mark.parametrize(
    ("province", "entry", "year", "method", "kind"),
    [
        ("内蒙古自治区", "鄂尔多斯市达拉特旗", 2013, "exact", "county"),
        ("贵州省", "六盘水市六枝特区", 2013, "exact", "district"),
        ("北京市", "北京市", 2013, "exact", "other"),
        ("海南省", "西沙群岛", 2010, "exact", "other"),
        ("北京市", "东城区东华门街道", 2013, "containing", "subdistrict"),
        ("广东省", "海南行政区", 1985, "exact", "region"),
    ],
)
def test_kinds(province: str, entry: str, year: int, method: str, kind: str) -> None:
    result = resolve(entry, province, year)
    assert (result.method, result.kind) == (method, kind)


def test_included_areas_are_resolved_within_the_entry() -> None:
    result = resolve("宁波市（含海曙区、梅山保税港区、鄞州区咸祥镇）", "浙江省")
    assert (result.method, result.division_code_at_batch) == ("exact", "330200")
    assert [(p.entry, p.method, p.kind, p.division_code_at_batch) for p in result.included] == [
        ("海曙区", "exact", "district", "330203"),
        ("梅山保税港区", "containing", "development_zone", "330200"),
        ("鄞州区咸祥镇", "containing", "town", "330212"),
    ]


def test_included_town_of_a_county_level_entry() -> None:
    result = resolve("崇州市（含街子镇）", "四川省")
    (town,) = result.included
    assert (town.method, town.kind, town.containing_division) == ("containing", "town", ("510184", "成都市崇州市"))


def test_printed_punctuation_and_unknown_province() -> None:
    assert resolve("贵港市、", "广西壮族自治区").division_code_at_batch == "450800"
    unknown = resolve("阳泉市", "新疆生产建设兵团")
    assert unknown.method == "unresolved"
    assert "新疆生产建设兵团" in unknown.reason
