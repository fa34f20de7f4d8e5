"""Tests for citypilot.notices.parser, mostly against the 2013 notice (建办科[2013]22号)."""

from __future__ import annotations

import datetime as dt
import io
import pickle
import zipfile
from importlib.resources import files

import docx
import pytest

from citypilot.notices.parser import (
    PROVINCIAL_NAMES,
    Extension,
    ExtensionForm,
    NoticeParseError,
    ParsedNotice,
    Section,
    parse_notice,
)

SEED_BYTES = (files("citypilot.notices") / "fixtures" / "notice_2013.txt").read_bytes()
SEED_TEXT = SEED_BYTES.decode("utf-8")


@pytest.fixture(scope="module")
def seed() -> ParsedNotice:
    return parse_notice(SEED_BYTES, filename="notice_2013.txt")


def _section(notice: ParsedNotice, ordinal: str) -> Section:
    return next(section for section in notice.sections if section.ordinal == ordinal)


def _entry_names(section: Section) -> list[str]:
    return [entry.name_as_listed for group in section.provinces for entry in group.entries]


def _structure(notice: ParsedNotice) -> tuple[object, ...]:
    """Everything the parser reads, line numbers included."""
    return (
        notice.title,
        notice.doc_number,
        notice.issuer,
        notice.year,
        notice.date,
        notice.addressees,
        notice.referenced_documents,
        notice.body_paragraphs,
        notice.deadlines,
        notice.declared_total,
        notice.sections,
    )


# --- the 2013 seed: front matter ------------------------------------------------------------------


def test_seed_front_matter(seed: ParsedNotice) -> None:
    assert seed.title == "住房城乡建设部办公厅关于公布2013年度国家智慧城市试点名单的通知"
    assert seed.issuer == "住房城乡建设部办公厅"
    assert seed.year == 2013
    assert seed.doc_number is None  # the seed does not print 建办科[2013]22号
    assert seed.date is None
    assert seed.declared_total == 103
    assert seed.referenced_documents == ("建办科函[2013]275号",)


def test_seed_addressees_split_outside_brackets(seed: ParsedNotice) -> None:
    assert seed.addressees == (
        "各省",
        "自治区住房城乡建设厅",
        "直辖市",
        "计划单列市建委（建交委、建设局）",
        "新疆生产建设兵团建设局",
    )


def test_seed_body_paragraphs(seed: ParsedNotice) -> None:
    assert len(seed.body_paragraphs) == 5
    assert seed.body_paragraphs[0].startswith("为贯彻党的十八大精神")
    assert [paragraph[:2] for paragraph in seed.body_paragraphs[1:]] == ["一、", "二、", "三、", "四、"]
    assert not any(paragraph.startswith("附件") for paragraph in seed.body_paragraphs)


def test_seed_deadline(seed: ParsedNotice) -> None:
    (deadline,) = seed.deadlines
    assert deadline.date == dt.date(2013, 9, 1)
    assert deadline.source_line == 15
    assert deadline.description.startswith("评审意见扫描件")
    assert deadline.description.endswith("kyc@mail.cin.gov.cn。")


# --- the 2013 seed: annex ---------------------------------------------------------------------------


def test_seed_sections_keep_declared_and_counted_numbers(seed: ParsedNotice) -> None:
    summary = [
        (s.ordinal, s.heading, s.kind, s.declared_count, s.counted, s.count_mismatch, s.line_number)
        for s in seed.sections
    ]
    assert summary == [
        ("一", "市、区", "new", 83, 83, False, 21),
        ("二", "县、镇", "new", 20, 20, False, 165),
        ("三", "2012年试点扩大范围", "extension", 9, 6, True, 226),
    ]
    assert sum(section.counted for section in seed.sections[:2]) == seed.declared_total


def test_seed_first_and_last_entries(seed: ParsedNotice) -> None:
    first_section = _entry_names(_section(seed, "一"))
    second_section = _entry_names(_section(seed, "二"))
    assert (first_section[0], first_section[-1]) == ("北京经济技术开发区", "伊宁市")
    assert (second_section[0], second_section[-1]) == ("房山区长阳镇", "银川市永宁县")
    extensions = _section(seed, "三").extensions
    assert (extensions[0].base_name, extensions[-1].base_name) == ("常州市", "佛山市")


def test_seed_provinces_and_positions(seed: ParsedNotice) -> None:
    section = _section(seed, "一")
    assert [group.name for group in section.provinces][:4] == ["北京市", "天津市", "重庆市", "河北省"]
    assert section.provinces[-1].name == "新疆维吾尔自治区"
    assert len(section.provinces) == 28
    assert (section.provinces[3].line_number, section.provinces[3].entries[0].line_number) == (40, 43)
    positions = [entry.position for group in section.provinces for entry in group.entries]
    assert positions == list(range(1, 84))
    assert _section(seed, "二").provinces[0].name == "北京市"


def test_seed_includes(seed: ParsedNotice) -> None:
    entries = {entry.name: entry for section in seed.sections for group in section.provinces for entry in group.entries}
    ningbo = entries["宁波市"]
    assert ningbo.name_as_listed == "宁波市（含海曙区、梅山保税港区、鄞州区咸祥镇）"
    assert ningbo.includes == ("海曙区", "梅山保税港区", "鄞州区咸祥镇")
    assert ningbo.line_number == 88
    shizuishan = entries["石嘴山市"]
    assert shizuishan.name_as_listed == "石嘴山市（含大武口区）"
    assert shizuishan.includes == ("大武口区",)
    assert entries["遵义市"].includes == ("仁怀市", "湄潭县")
    assert entries["宁波市宁海县"].includes == ()


def test_seed_trailing_separator_gives_no_empty_entry(seed: ParsedNotice) -> None:
    guangxi = next(g for g in _section(seed, "一").provinces if g.name == "广西壮族自治区")
    assert [entry.name_as_listed for entry in guangxi.entries] == [
        "南宁市",
        "柳州市（含鱼峰区）",
        "桂林市",
        "贵港市",
    ]


CANONICAL = ExtensionForm()
COLON_APPROVED = ExtensionForm(lead="：新增", earlier_label="已批复")
SEED_EXTENSIONS = [
    (227, "常州市", ("新北区",), (), CANONICAL),
    (229, "武汉市", ("蔡甸区",), ("江岸区",), CANONICAL),
    (231, "沈阳市", ("沈河区", "铁西区", "沈北新区"), ("浑南新区",), COLON_APPROVED),
    (233, "南京市", ("高淳区", "麒麟科技创新园（生态科技城）"), ("河西新城区（建邺区）",), COLON_APPROVED),
    (
        235,
        "长沙大河西先导区",
        ("洋湖生态新城", "滨江商务新城"),
        ("梅溪湖区",),
        ExtensionForm(lead="：新增", earlier_label="试点含", and_before_last=True),
    ),
    (237, "佛山市", ("南海区",), ("顺德区", "顺德区乐从镇"), COLON_APPROVED),
]


@pytest.mark.parametrize(("index", "expected"), list(enumerate(SEED_EXTENSIONS)))
def test_seed_extensions(
    seed: ParsedNotice,
    index: int,
    expected: tuple[int, str, tuple[str, ...], tuple[str, ...], ExtensionForm],
) -> None:
    line_number, base_name, added, earlier_included, form = expected
    extension = _section(seed, "三").extensions[index]
    assert extension == Extension(
        line_number=line_number,
        text=SEED_TEXT.splitlines()[line_number - 1].strip(),
        base_name=base_name,
        added=added,
        earlier_year=2012,
        earlier_included=earlier_included,
        form=form,
        province=None,
    )


# --- encodings and formats -------------------------------------------------------------------------


def test_str_bytes_bom_and_gb18030_parse_identically(seed: ParsedNotice) -> None:
    expected = _structure(seed)
    assert _structure(parse_notice(SEED_TEXT)) == expected
    assert _structure(parse_notice(b"\xef\xbb\xbf" + SEED_BYTES)) == expected
    assert _structure(parse_notice(SEED_TEXT.encode("gb18030"))) == expected


def test_crlf_and_whitespace_variants_parse_identically(seed: ParsedNotice) -> None:
    noisy_lines = [
        line if "、" not in line or line.startswith("\u3000") else line.replace("、", "、\u3000 ")
        for line in SEED_TEXT.split("\n")
    ]
    noisy = "\r\n".join(f"{line} \u3000" if line else line for line in noisy_lines)
    assert _structure(parse_notice(noisy.encode("utf-8"))) == _structure(seed)


def _docx_bytes(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    # A new document starts with no paragraphs, so paragraph n is line n of the text.
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_parses_like_text(seed: ParsedNotice) -> None:
    data = _docx_bytes(SEED_TEXT.split("\n"))
    assert _structure(parse_notice(data, filename="notice.docx")) == _structure(seed)


def test_docx_line_break_inside_a_paragraph_keeps_paragraph_number() -> None:
    document = docx.Document()
    document.add_paragraph("附件")
    document.add_paragraph("一、市、区（3个）")
    paragraph = document.add_paragraph("河北省")
    paragraph.add_run().add_break()
    paragraph.add_run("唐山市、保定市")
    document.add_paragraph("山西省：阳泉市")
    buffer = io.BytesIO()
    document.save(buffer)
    (section,) = parse_notice(buffer.getvalue()).sections
    assert [(g.name, g.line_number, [e.line_number for e in g.entries]) for g in section.provinces] == [
        ("河北省", 3, [3, 3]),
        ("山西省", 4, [4]),
    ]


# --- layout variants --------------------------------------------------------------------------------


def test_annex_only_text_with_header_colons_and_spread_entries() -> None:
    text = (
        "2014年度国家智慧城市试点名单\n"
        "2014年度国家智慧城市试点名单\n"
        "一、市、区\n"
        "河北省：\n"
        "石家庄市、\n"
        "\n"
        "　 唐山市（含曹妃甸区，丰南区）、、 廊坊市\n"
        "山西省:晋中市，阳泉市；大同市\n"
    )
    notice = parse_notice(text)
    assert (notice.title, notice.year, notice.issuer) == ("2014年度国家智慧城市试点名单", 2014, None)
    (section,) = notice.sections
    assert section.declared_count is None and not section.count_mismatch
    hebei, shanxi = section.provinces
    assert [(e.name, e.includes, e.line_number, e.position) for e in hebei.entries] == [
        ("石家庄市", (), 5, 1),
        ("唐山市", ("曹妃甸区", "丰南区"), 7, 2),
        ("廊坊市", (), 7, 3),
    ]
    assert (shanxi.name, shanxi.line_number) == ("山西省", 8)
    assert [entry.name for entry in shanxi.entries] == ["晋中市", "阳泉市", "大同市"]


def test_full_document_with_doc_number_date_and_signature() -> None:
    text = (
        "建办科〔2013〕22号\n"
        "住房城乡建设部办公厅关于公布2013年度国家智慧城市试点名单的通知\n"
        "各省住房城乡建设厅:\n"
        "确定北京经济技术开发区等2个城市（区、县、镇）为2013年度国家智慧城市试点。\n"
        "请于2013年9月1日前报送方案；2013年12月31日以前报送自评价报告。\n"
        "附件：2013年度国家智慧城市试点名单\n"
        "住房城乡建设部办公厅\n"
        "2013年8月1日\n"
        "附件\n"
        "一、市、区（2个）\n"
        "北京市\n"
        "北京经济技术开发区、房山区\n"
    )
    notice = parse_notice(text)
    assert notice.doc_number == "建办科〔2013〕22号"
    assert notice.date == dt.date(2013, 8, 1)
    assert notice.addressees == ("各省住房城乡建设厅",)
    assert notice.declared_total == 2
    assert notice.body_paragraphs == (
        "确定北京经济技术开发区等2个城市（区、县、镇）为2013年度国家智慧城市试点。",
        "请于2013年9月1日前报送方案；2013年12月31日以前报送自评价报告。",
    )
    assert [(d.date, d.description, d.source_line) for d in notice.deadlines] == [
        (dt.date(2013, 9, 1), "请于2013年9月1日前报送方案；", 5),
        (dt.date(2013, 12, 31), "2013年12月31日以前报送自评价报告。", 5),
    ]
    assert notice.sections[0].counted == 2


def test_annex_without_marker_or_title_starts_at_its_first_list_heading() -> None:
    text = (
        "关于公布试点名单的通知\n一、各地要做好顶层设计。\n二、要高度重视信息整合\n一、市、区（1个）\n河北省\n唐山市\n"
    )
    notice = parse_notice(text)
    assert notice.body_paragraphs == ("一、各地要做好顶层设计。", "二、要高度重视信息整合")
    assert (notice.title, notice.issuer, notice.year) == ("关于公布试点名单的通知", None, None)
    assert [(s.ordinal, s.line_number, s.counted) for s in notice.sections] == [("一", 4, 1)]


def test_extension_forms_and_province_headers() -> None:
    text = (
        "2015年度国家智慧城市试点名单\n"
        "一、扩大范围试点（4个）\n"
        "江苏省\n"
        "常州市:新增新北区、武进区,已批复天宁区\n"
        "无锡市试点新增滨湖区，2013年已批复新吴区（高新区）\n"
        "湖北省：\n"
        "武汉市试点新增蔡甸区\n"
        "和平市试点新增和平区、平和县和河西区\n"
        "陇南市试点新增西和县\n"
    )
    (section,) = parse_notice(text).sections
    assert section.kind == "extension" and section.provinces == ()
    fields = [
        (e.province, e.base_name, e.added, e.earlier_year, e.earlier_included, e.form) for e in section.extensions
    ]
    assert fields == [
        ("江苏省", "常州市", ("新北区", "武进区"), 2014, ("天宁区",), COLON_APPROVED),
        ("江苏省", "无锡市", ("滨湖区",), 2013, ("新吴区（高新区）",), ExtensionForm(earlier_label="已批复")),
        ("湖北省", "武汉市", ("蔡甸区",), 2014, (), CANONICAL),
        ("湖北省", "和平市", ("和平区", "平和县", "河西区"), 2014, (), ExtensionForm(and_before_last=True)),
        ("湖北省", "陇南市", ("西和县",), 2014, (), CANONICAL),
    ]
    assert section.extensions[0].text == "常州市:新增新北区、武进区,已批复天宁区"


def test_provincial_names() -> None:
    assert len(PROVINCIAL_NAMES) == len(set(PROVINCIAL_NAMES)) == 35
    assert {"新疆维吾尔自治区", "香港特别行政区", "台湾省", "新疆生产建设兵团"} <= set(PROVINCIAL_NAMES)


# --- errors -----------------------------------------------------------------------------------------

HEAD = "2013年度国家智慧城市试点名单\n"


@pytest.mark.parametrize(
    ("source", "line_number", "reason_part"),
    [
        pytest.param("", 1, "文件为空", id="empty"),
        pytest.param(b"\r\n \xe3\x80\x80\n\n", 1, "文件为空", id="blank"),
        pytest.param(_docx_bytes([]), 1, "文件为空", id="empty-docx"),
        pytest.param("通知\n\n　　正文。\n\n", 3, "未找到附件名单", id="no-annex"),
        pytest.param("通知\n附件\n\n2013年度国家智慧城市试点名单\n", 2, "没有找到名单章节", id="no-sections"),
        pytest.param("通知\n\n附件1：\n", 3, "没有找到名单章节", id="no-annex-title"),
        pytest.param("附件\n河北省\n一、市、区\n河北省\n唐山市\n", 2, "之前出现了“河北省”", id="before-heading"),
        pytest.param(HEAD + "一、市、区（1个）\n\n唐山市\n", 4, "缺少省份标题", id="entry-before-province"),
        pytest.param(
            HEAD + "一、市、区（1个）\n河北省\n唐山市\n二、县、镇（2个）\n三、扩大范围\n",
            5,
            "没有可识别的名单",
            id="empty-section",
        ),
        pytest.param(HEAD + "一、市、区（1个）\n河北省\n山西省\n唐山市\n", 3, "河北省”下没有", id="empty-province"),
        pytest.param(HEAD + "一、市、区\n河北省\n唐山市（含曹妃甸区\n", 4, "括号不成对", id="brackets"),
        pytest.param(HEAD + "一、市、区\n河北省\n唐山市）、廊坊市\n", 4, "括号不成对", id="closing-bracket"),
        pytest.param(HEAD + "一、市、区\n河北省\n（含曹妃甸区）\n", 4, "缺少名称", id="nameless"),
        pytest.param(HEAD + "一、市、区\n河北省\n唐山市（含）\n", 4, "没有列出区域", id="empty-includes"),
        pytest.param(HEAD + "一、扩大范围\n常州市扩大到新北区\n", 3, "无法解析扩大范围条目", id="extension-form"),
        pytest.param(HEAD + "一、扩大范围\n\n常州市试点新增，\n", 4, "无法解析扩大范围条目", id="extension-empty"),
        pytest.param(
            HEAD + "一、扩大范围\n常州市试点新增新北区，2012年包括天宁区\n", 3, "无法解析", id="extension-earlier"
        ),
        pytest.param(HEAD + "一、扩大范围\n常州市：新增新北区，A，B\n", 3, "无法解析", id="extension-parts"),
        pytest.param(HEAD + "一、扩大范围\n常州市：新增新北区，已批复、\n", 3, "无法解析", id="extension-no-earlier"),
        pytest.param(
            "通知\n请于2013年2月30日前报送。\n" + HEAD + "一、市、区\n河北省\n唐山市\n",
            2,
            "日期“2013年2月30日前”无效",
            id="bad-deadline",
        ),
        pytest.param(b"line\nline\nbad \x80\x80 bytes\n", 3, "无法识别文件编码", id="undecodable"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), 1, ".doc", id="legacy-doc"),
        pytest.param(b"PK\x03\x04 not really a zip", 1, "ZIP", id="bad-zip"),
    ],
)
def test_malformed_notices_report_the_line(source: str | bytes, line_number: int, reason_part: str) -> None:
    with pytest.raises(NoticeParseError) as caught:
        parse_notice(source)
    assert caught.value.line_number == line_number
    assert reason_part in caught.value.reason
    assert str(caught.value) == f"第{line_number}行：{caught.value.reason}"


def test_zip_that_is_not_a_word_document() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<x/>")
    with pytest.raises(NoticeParseError, match=r"word/document\.xml"):
        parse_notice(buffer.getvalue())


def test_damaged_word_document() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "not xml")
    with pytest.raises(NoticeParseError, match="Word 文档已损坏") as caught:
        parse_notice(buffer.getvalue())
    assert caught.value.line_number == 1


def test_text_named_docx_is_rejected() -> None:
    with pytest.raises(NoticeParseError, match=r"扩展名是 \.docx"):
        parse_notice(SEED_BYTES, filename="名单.DOCX")


def test_error_is_a_value_error_and_pickles() -> None:
    error = NoticeParseError(7, "原因")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert isinstance(error, ValueError)
    assert isinstance(copy, NoticeParseError)
    assert (copy.line_number, copy.reason, str(copy)) == (7, "原因", "第7行：原因")
