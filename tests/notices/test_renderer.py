"""Tests for citypilot.notices.renderer, and parse/render round trips, including generated notices."""

from __future__ import annotations

import random
from dataclasses import dataclass
from importlib.resources import files

from hypothesis import given, settings
from hypothesis import strategies as st

from citypilot.notices.parser import PROVINCIAL_NAMES, ExtensionForm, ParsedNotice, parse_notice
from citypilot.notices.renderer import render_annex, render_extension

SEED_TEXT = (files("citypilot.notices") / "fixtures" / "notice_2013.txt").read_text("utf-8")
SEED_LINES = SEED_TEXT.split("\n")
ORDINALS = "一二三四五六七八九十"


def shape(notice: ParsedNotice) -> tuple[object, ...]:
    """The annex without line numbers and printed text: what a round trip must keep."""
    return tuple(
        (
            section.ordinal,
            section.heading,
            section.kind,
            section.declared_count,
            tuple(
                (
                    group.name,
                    tuple((e.name_as_listed, e.name, e.includes, e.position) for e in group.entries),
                )
                for group in section.provinces
            ),
            tuple(
                (x.province, x.base_name, x.added, x.earlier_year, x.earlier_included, x.form)
                for x in section.extensions
            ),
        )
        for section in notice.sections
    )


# --- the 2013 seed --------------------------------------------------------------------------------


def test_render_seed_annex() -> None:
    lines = render_annex(parse_notice(SEED_TEXT)).split("\n")
    assert lines[-1] == ""  # ends with a newline
    lines.pop()
    assert lines[:4] == ["2013年度国家智慧城市试点名单", "一、市、区（83个）", "北京市", "北京经济技术开发区"]
    assert [line for line in lines if line[:2] in ("一、", "二、", "三、")] == [
        "一、市、区（83个）",
        "二、县、镇（20个）",
        "三、2012年试点扩大范围（9个）",
    ]
    assert lines[lines.index("广西壮族自治区") + 1] == "南宁市、柳州市（含鱼峰区）、桂林市、贵港市"
    assert lines[lines.index("浙江省") + 1] == (
        "杭州市拱墅区、杭州市萧山区、宁波市（含海曙区、梅山保税港区、鄞州区咸祥镇）"
    )
    # 1 title + 3 headings + (28 + 12) provinces with one entry line each + 6 extensions
    assert len(lines) == 1 + 3 + 2 * (28 + 12) + 6
    # Every extension comes back in the seed's own wording.
    assert lines[-6:] == [SEED_LINES[number - 1] for number in (227, 229, 231, 233, 235, 237)]


def test_seed_round_trip() -> None:
    seed = parse_notice(SEED_TEXT)
    rendered = render_annex(seed)
    reparsed = parse_notice(rendered)
    assert shape(reparsed) == shape(seed)
    assert reparsed.year == seed.year
    assert render_annex(reparsed) == rendered


# --- rendering from the caller's own rows -----------------------------------------------------------


@dataclass(frozen=True)
class EntryRow:
    name_as_listed: str


@dataclass(frozen=True)
class GroupRow:
    name: str
    entries: list[EntryRow]


@dataclass(frozen=True)
class ExtensionRow:
    base_name: str
    added: list[str]
    earlier_year: int | None
    earlier_included: list[str]
    form: ExtensionForm | None = None
    province: str | None = None


@dataclass(frozen=True)
class SectionRow:
    ordinal: str
    heading: str
    kind: str
    declared_count: int | None
    provinces: list[GroupRow]
    extensions: list[ExtensionRow]


@dataclass(frozen=True)
class NoticeRow:
    year: int | None
    sections: list[SectionRow]


def test_render_from_plain_rows_uses_canonical_form_and_omits_unknowns() -> None:
    notice = NoticeRow(
        year=None,
        sections=[
            SectionRow(
                "一",
                "城市",
                "new",
                None,
                [GroupRow("河北省", [EntryRow("唐山市"), EntryRow("廊坊市（含广阳区）")])],
                [],
            ),
            SectionRow(
                "二",
                "扩大范围",
                "extension",
                3,
                [],
                [
                    ExtensionRow("常州市", ["新北区", "武进区"], 2012, ["天宁区"], province="江苏省"),
                    ExtensionRow("无锡市", ["滨湖区"], None, [], province="江苏省"),
                    ExtensionRow("武汉市", ["蔡甸区"], None, ["江岸区"], province="湖北省"),
                ],
            ),
        ],
    )
    assert render_annex(notice) == (
        "国家智慧城市试点名单\n"
        "一、城市\n"
        "河北省\n"
        "唐山市、廊坊市（含广阳区）\n"
        "二、扩大范围（3个）\n"
        "江苏省\n"
        "常州市试点新增新北区、武进区，2012年试点含天宁区\n"
        "无锡市试点新增滨湖区\n"
        "湖北省\n"
        "武汉市试点新增蔡甸区，试点含江岸区\n"
    )


def test_render_extension_keeps_the_recorded_wording() -> None:
    extension = ExtensionRow(
        "长沙大河西先导区",
        ["洋湖生态新城", "滨江商务新城", "坪浦新城"],
        2012,
        ["梅溪湖区", "岳麓区"],
        ExtensionForm(lead="：新增", earlier_label="已批复", and_before_last=True),
    )
    assert render_extension(extension) == (
        "长沙大河西先导区：新增洋湖生态新城、滨江商务新城和坪浦新城，2012年已批复梅溪湖区、岳麓区"
    )


# --- generated notices --------------------------------------------------------------------------------
# A test-side writer prints a generated notice with layout noise (blank lines, full-width and ASCII
# spaces, header colons, entries spread over lines, trailing 、, CRLF, GB18030); the parse must give
# back the generated structure, and render → parse must keep it.

NAME_CHARS = "东南西北中华山水江湖海金银龙凤安康平宁长乐丰泰兴隆德阳春秋林松竹梅兰桥岭峰川泉溪"
area_names = st.builds(str.__add__, st.text(NAME_CHARS, min_size=1, max_size=4), st.sampled_from("市区县镇"))


@dataclass(frozen=True)
class SpecEntry:
    name: str
    includes: tuple[str, ...]
    include_separator: str

    @property
    def listed(self) -> str:
        if not self.includes:
            return self.name
        return f"{self.name}（含{self.include_separator.join(self.includes)}）"


@dataclass(frozen=True)
class SpecGroup:
    province: str
    entries: tuple[SpecEntry, ...]


@dataclass(frozen=True)
class SpecExtension:
    province: str | None
    base: str
    added: tuple[str, ...]
    earlier_year: int  # as the parser must report it
    earlier: tuple[str, ...]
    form: ExtensionForm


@dataclass(frozen=True)
class SpecSection:
    heading: str
    declared_count: int | None
    groups: tuple[SpecGroup, ...]  # new sections
    extensions: tuple[SpecExtension, ...]  # extension sections


@dataclass(frozen=True)
class SpecNotice:
    year: int
    with_front_matter: bool
    sections: tuple[SpecSection, ...]


entries = st.builds(
    SpecEntry,
    area_names,
    st.lists(area_names, max_size=3).map(tuple),
    st.sampled_from(["、", "，"]),
)


@st.composite
def new_sections(draw: st.DrawFn) -> SpecSection:
    provinces = draw(st.lists(st.sampled_from(PROVINCIAL_NAMES), min_size=1, max_size=4, unique=True))
    groups = tuple(
        SpecGroup(province, tuple(draw(st.lists(entries, min_size=1, max_size=5)))) for province in provinces
    )
    heading = draw(st.sampled_from(["市、区", "县、镇", "城市（区）", "试点城市"]))
    return SpecSection(heading, draw(st.none() | st.integers(0, 200)), groups, ())


@st.composite
def extensions(draw: st.DrawFn, province: str | None, default_year: int, batch_year: int) -> SpecExtension:
    added = tuple(draw(st.lists(area_names, min_size=1, max_size=3)))
    earlier = tuple(draw(st.lists(area_names, max_size=2)))
    form = ExtensionForm(
        lead=draw(st.sampled_from(["试点新增", "：新增"])),
        earlier_label=draw(st.sampled_from(["试点含", "已批复"])) if earlier else "试点含",
        and_before_last=len(added) >= 2 and draw(st.booleans()),
    )
    earlier_year = draw(st.integers(2008, batch_year - 1)) if earlier else default_year
    return SpecExtension(province, draw(area_names), added, earlier_year, earlier, form)


@st.composite
def extension_sections(draw: st.DrawFn, batch_year: int) -> SpecSection:
    heading_year = draw(st.none() | st.integers(2008, batch_year - 1))
    if heading_year is None:
        heading = draw(st.sampled_from(["扩大范围试点", "新增试点范围"]))
    else:
        heading = f"{heading_year}年试点扩大范围"
    default_year = heading_year or batch_year - 1
    provinces = draw(
        st.lists(st.none(), min_size=1, max_size=4)
        | st.lists(st.sampled_from(PROVINCIAL_NAMES), min_size=1, max_size=4)
    )
    items = tuple(draw(extensions(province, default_year, batch_year)) for province in provinces)
    return SpecSection(heading, draw(st.none() | st.integers(0, 20)), (), items)


@st.composite
def notices(draw: st.DrawFn) -> SpecNotice:
    year = draw(st.integers(2012, 2016))
    sections = draw(st.lists(new_sections() | extension_sections(year), min_size=1, max_size=3))
    return SpecNotice(year, draw(st.booleans()), tuple(sections))


def write_notice(spec: SpecNotice, noise: random.Random) -> str:
    """Print a generated notice the way real copies vary."""
    lines: list[str] = []

    def add(text: str) -> None:
        lines.extend([""] * noise.choice([0, 0, 1, 2]))
        lines.append(noise.choice(["", " ", "\u3000", "\u3000\u3000"]) + text + noise.choice(["", " ", "\u3000"]))

    def joined(items: list[str]) -> str:
        return noise.choice(["、", "、 ", "、\u3000"]).join(items) + noise.choice(["", "", "、"])

    annex_title = f"{spec.year}年度国家智慧城市试点名单"
    if spec.with_front_matter:
        lines += [
            f"住房城乡建设部办公厅关于公布{spec.year}年度",
            "国家智慧城市试点名单的通知",
            "各省、自治区住房城乡建设厅：",
            f"\u3000\u3000请于{spec.year}年9月1日前报送。",
            f"\u3000\u3000附件：{annex_title}",
            "附件",
        ]
    for _ in range(noise.choice([1, 1, 2])):
        add(annex_title)
    for ordinal, section in zip(ORDINALS, spec.sections, strict=False):
        count = f"（{section.declared_count}个）" if section.declared_count is not None else ""
        add(f"{ordinal}、{section.heading}{count}")
        for group in section.groups:
            listed = [entry.listed for entry in group.entries]
            cuts = sorted(noise.sample(range(1, len(listed)), noise.randint(0, len(listed) - 1)))
            chunks = [listed[start:end] for start, end in zip([0, *cuts], [*cuts, len(listed)], strict=True)]
            if noise.random() < 0.3:
                add(f"{group.province}{noise.choice(['：', ':'])}{joined(chunks.pop(0))}")
            else:
                add(group.province + noise.choice(["", "：", ":"]))
            for chunk in chunks:
                add(joined(chunk))
        province: str | None = None
        for extension in section.extensions:
            if extension.province is not None and extension.province != province:
                add(extension.province + noise.choice(["", "："]))
            province = extension.province
            add(_write_extension(extension, noise))
    newline = noise.choice(["\n", "\r\n"])
    return newline.join(lines) + newline


def _write_extension(extension: SpecExtension, noise: random.Random) -> str:
    added = list(extension.added)
    if extension.form.and_before_last:
        added[-2:] = [f"{added[-2]}和{added[-1]}"]
    lead = extension.form.lead.replace("：", noise.choice(["：", ":"]))
    text = extension.base + lead + "、".join(added)
    if extension.earlier:
        text += noise.choice(["，", ","]) + f"{extension.earlier_year}年{extension.form.earlier_label}"
        text += "、".join(extension.earlier)
    return text


def expected_shape(spec: SpecNotice) -> tuple[object, ...]:
    result: list[object] = []
    for ordinal, section in zip(ORDINALS, spec.sections, strict=False):
        positions = iter(range(1, 1000))
        groups = tuple(
            (
                group.province,
                tuple((e.listed, e.name, e.includes, next(positions)) for e in group.entries),
            )
            for group in section.groups
        )
        items = tuple((x.province, x.base, x.added, x.earlier_year, x.earlier, x.form) for x in section.extensions)
        kind = "extension" if section.extensions else "new"
        result.append((ordinal, section.heading, kind, section.declared_count, groups, items))
    return tuple(result)


@settings(max_examples=150, deadline=None)
@given(spec=notices(), noise=st.randoms(use_true_random=False))
def test_generated_notices_parse_and_survive_render_round_trip(spec: SpecNotice, noise: random.Random) -> None:
    text = write_notice(spec, noise)
    parsed = parse_notice(text.encode(noise.choice(["utf-8", "utf-8-sig", "gb18030"])))
    assert shape(parsed) == expected_shape(spec)
    assert parsed.year == spec.year
    assert [d.date.year for d in parsed.deadlines] == ([spec.year] if spec.with_front_matter else [])
    assert shape(parse_notice(render_annex(parsed))) == shape(parsed)
