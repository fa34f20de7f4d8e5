"""Parse a MOHURD smart-city pilot list notice (国家智慧城市试点名单的通知).

``parse_notice`` reads plain text (UTF-8 with or without BOM, or GB18030) or a .docx file and returns
frozen dataclasses: the front matter (title, issuer, addressees, body, deadlines, cited documents) and
the annex list, section by section and province by province.

The parser records what the notice prints and never corrects it: a section whose declared count
(``（83个）``) differs from the entries it lists is returned as is, with ``Section.count_mismatch``
set, so that the caller can record the disagreement.

The layout it reads, taking the 2013 notice (建办科[2013]22号) as the reference:

- the title, over one or more lines (住房城乡建设部办公厅关于公布2013年度 / 国家智慧城市试点名单的通知);
- the addressees, the line ending with a colon (各省、自治区住房城乡建设厅，……：);
- body paragraphs (为贯彻……, 一、各地要……); the annex reference 附件：2013年度国家智慧城市试点名单 is skipped;
- the annex: a 附件 line and the annex title (2013年度国家智慧城市试点名单, possibly repeated), then sections
  headed like 一、市、区（83个） (the declared count is optional). A new section lists province headers
  (北京市, a trailing colon accepted) each followed by entries separated by 、 over one or more lines; an
  extension section (heading containing 扩大范围 or 新增) lists one extension per line
  (武汉市试点新增蔡甸区，2012年试点含江岸区 or 沈阳市：新增沈河区，2012年已批复浑南新区).

Lines that hold only a date (``2013年8月1日``) or only a document number (``建办科〔2013〕22号``)
are read as the notice's date and number wherever they stand. Whitespace (ASCII or U+3000) inside
annex lines is ignored, so names come back without it.

Line numbers are 1-based in the decoded text; for a .docx they are paragraph numbers. Sequences in
the result are tuples, so every result object is immutable and hashable.

This module has no Django dependency.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import docx

__all__ = [
    "PROVINCIAL_NAMES",
    "Deadline",
    "Entry",
    "Extension",
    "ExtensionForm",
    "NoticeParseError",
    "ParsedNotice",
    "ProvinceGroup",
    "Section",
    "parse_notice",
]

#: The 34 provincial-level divisions, plus 新疆生产建设兵团, which MOHURD notices list like a province.
PROVINCIAL_NAMES: tuple[str, ...] = (
    "北京市",
    "天津市",
    "上海市",
    "重庆市",
    "河北省",
    "山西省",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "海南省",
    "四川省",
    "贵州省",
    "云南省",
    "陕西省",
    "甘肃省",
    "青海省",
    "台湾省",
    "内蒙古自治区",
    "广西壮族自治区",
    "西藏自治区",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "香港特别行政区",
    "澳门特别行政区",
    "新疆生产建设兵团",
)
_PROVINCIAL_NAME_SET = frozenset(PROVINCIAL_NAMES)

SectionKind = Literal["new", "extension"]
#: How an extension line introduces the added areas: ``X试点新增A`` or ``X：新增A``.
ExtensionLead = Literal["试点新增", "：新增"]
#: How an extension line introduces the earlier pilot's areas: ``2012年试点含C`` or ``2012年已批复C``.
EarlierLabel = Literal["试点含", "已批复"]


class NoticeParseError(ValueError):
    """The notice cannot be read; ``line_number`` is 1-based, ``reason`` is shown to users."""

    def __init__(self, line_number: int, reason: str) -> None:
        super().__init__(f"第{line_number}行：{reason}")
        self.line_number = line_number
        self.reason = reason

    def __reduce__(self) -> tuple[type[NoticeParseError], tuple[int, str]]:
        # Keeps the error picklable (task queues) despite the two-argument constructor.
        return type(self), (self.line_number, self.reason)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A dated deadline stated in the body, e.g. ``2013年9月1日前``."""

    date: dt.date
    description: str  # the sentence stating the deadline
    source_line: int  # line number of the paragraph holding it


@dataclass(frozen=True, slots=True)
class Entry:
    """One pilot of a new section, e.g. ``宁波市（含海曙区、梅山保税港区、鄞州区咸祥镇）``."""

    name_as_listed: str  # as printed, including the （含…） part
    name: str  # without the （含…） part
    includes: tuple[str, ...]  # the areas listed in （含…）
    line_number: int
    position: int  # 1-based order within the section


@dataclass(frozen=True, slots=True)
class ProvinceGroup:
    """A province header and the entries listed under it."""

    name: str
    line_number: int
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class ExtensionForm:
    """The wording of an extension line, so that it can be printed back as it was.

    The default is the canonical form ``{base}试点新增{A、B}，{year}年试点含{C、D}``.
    """

    lead: ExtensionLead = "试点新增"
    earlier_label: EarlierLabel = "试点含"
    and_before_last: bool = False  # the last two added areas are joined by 和 (``A和B``)


@dataclass(frozen=True, slots=True)
class Extension:
    """An extension of an earlier pilot, e.g. ``武汉市试点新增蔡甸区，2012年试点含江岸区``."""

    line_number: int
    text: str  # the line as printed, without whitespace
    base_name: str  # the earlier pilot
    added: tuple[str, ...]
    earlier_year: int | None  # year of the earlier pilot; None when the batch year is unknown
    earlier_included: tuple[str, ...]  # the areas the earlier pilot already covered
    form: ExtensionForm = ExtensionForm()
    province: str | None = None  # set when the section groups extensions under province headers


@dataclass(frozen=True, slots=True)
class Section:
    """A numbered section of the annex list, e.g. ``一、市、区（83个）``."""

    ordinal: str  # as printed: 一, 二, 三…
    heading: str  # as printed, without the ordinal and the count
    kind: SectionKind
    declared_count: int | None  # the printed （N个）, if any
    line_number: int
    provinces: tuple[ProvinceGroup, ...] = ()  # new sections
    extensions: tuple[Extension, ...] = ()  # extension sections

    @property
    def counted(self) -> int:
        """Entries listed (new section) or extension lines listed (extension section)."""
        if self.kind == "extension":
            return len(self.extensions)
        return sum(len(group.entries) for group in self.provinces)

    @property
    def count_mismatch(self) -> bool:
        """The declared count differs from what the section lists."""
        return self.declared_count is not None and self.declared_count != self.counted


@dataclass(frozen=True, slots=True)
class ParsedNotice:
    """Everything read from a notice."""

    title: str  # the document title, or the annex title when the text is only the annex
    doc_number: str | None  # e.g. 建办科[2013]22号, as printed
    issuer: str | None  # the title's text before 关于
    year: int | None  # the batch year (``2013年度``)
    date: dt.date | None  # the date line, if any
    addressees: tuple[str, ...]
    referenced_documents: tuple[str, ...]  # document numbers cited in the body
    body_paragraphs: tuple[str, ...]
    deadlines: tuple[Deadline, ...]
    declared_total: int | None  # ``确定……等103个城市``
    sections: tuple[Section, ...]


# --------------------------------------------------------------------------------------------------
# Patterns. They run on "compact" text (all whitespace removed) unless noted. \d also matches
# full-width digits, which int() accepts.

_OPENING_BRACKETS = "（("
_CLOSING_BRACKETS = "）)"
_COLONS = "：:"
_LIST_SEPARATORS = "、，,"
_ENTRY_SEPARATORS = "、，,；;"
_SENTENCE_ENDINGS = "。；;"
# Characters a place name ends with: 和 right after one of them separates two names (``A新城和B新城``).
_NAME_ENDINGS = frozenset("市区县镇乡城园岛港湾州旗盟村道谷）)")

_WHITESPACE = re.compile(r"\s+")
_SECTION_HEADING = re.compile(
    r"(?P<ordinal>[一二三四五六七八九十]+)[、.．](?P<heading>.+?)(?:[（(](?P<count>\d+)个[）)])?"
)
_ANNEX_MARKER = re.compile(r"附件\d*[：:]?")
_ANNEX_REFERENCE = re.compile(r"附件\d*[：:].+")
_ANNEX_TITLE = re.compile(r"[^、，,：:]*名单")
_DATE_LINE = re.compile(r"(?P<year>\d{4})年(?P<month>\d{1,2})月(?P<day>\d{1,2})日")
_DEADLINE = re.compile(r"(?P<year>\d{4})年(?P<month>\d{1,2})月(?P<day>\d{1,2})日(?:之|以)?前")
_SENTENCE = re.compile(r"[^。；！？]+[。；！？]?")  # runs on the stripped text
_DOC_NUMBER = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff]{1,10}[\[〔［【]\d{4}[\]〕］】]\d+号")
_DECLARED_TOTAL = re.compile(r"等(?P<total>\d+)个(?:城市|试点)")
_BATCH_YEAR = re.compile(r"(?P<year>\d{4})年度")
_YEAR = re.compile(r"(?P<year>\d{4})年")
_PROVINCE_WITH_ENTRIES = re.compile(r"(?P<name>[^：:]+)[：:](?P<rest>.*)")
_INCLUDES = re.compile(r"(?P<name>.+?)[（(]含(?P<includes>.*)[）)]")
_EXTENSION = re.compile(r"(?P<base>.+?)(?P<lead>试点新增|[：:]新增)(?P<rest>.+)")
_EARLIER = re.compile(r"(?:(?P<year>\d{4})年)?(?P<label>试点含|已批复)(?P<areas>.+)")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc
_EXTENSION_FORMS_HINT = "应为“某市试点新增某区，2012年试点含某区”或“某市：新增某区，2012年已批复某区”"


# --------------------------------------------------------------------------------------------------
# Entry point


def parse_notice(source: bytes | str, *, filename: str = "") -> ParsedNotice:
    """Parse a notice from text or from the bytes of a text or .docx file.

    ``filename`` is only used to explain errors. Raises ``NoticeParseError`` when the notice cannot be
    read.
    """
    lines = _read_lines(source, filename)
    non_blank = [line for line in lines if line.compact]
    if not non_blank:
        raise NoticeParseError(1, "文件为空，没有可读取的内容")
    content, doc_number, signed_on = _separate_metadata(non_blank)
    annex_start = _find_annex_start(content)
    if annex_start is None:
        raise NoticeParseError(
            non_blank[-1].number,
            "未找到附件名单：应有“附件”行、名单标题（如“2013年度国家智慧城市试点名单”）"
            "或章节标题（如“一、市、区（83个）”）",
        )
    front = _read_front_matter(content[:annex_start])
    annex_lines = content[annex_start:]
    annex_title = _find_annex_title(annex_lines)
    title = front.title or annex_title or ""
    year = _batch_year(title)
    if year is None and annex_title is not None:
        year = _batch_year(annex_title)
    before_about, about, _ = title.partition("关于")
    issuer = before_about if about and before_about else None
    if doc_number is None:
        found = _DOC_NUMBER.search(title)
        doc_number = found.group() if found else None
    body = [line for line in front.body if line.compact != issuer]  # drop the signature line
    return ParsedNotice(
        title=title,
        doc_number=doc_number,
        issuer=issuer,
        year=year,
        date=signed_on,
        addressees=front.addressees,
        referenced_documents=_referenced_documents(body, doc_number),
        body_paragraphs=tuple(line.text for line in body),
        deadlines=_deadlines(body),
        declared_total=_declared_total(body),
        sections=_read_annex(annex_lines, year),
    )


# --------------------------------------------------------------------------------------------------
# Reading lines


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    text: str  # stripped
    compact: str  # all whitespace removed
    indented: bool  # starts with whitespace: a body paragraph in plain text

    @classmethod
    def of(cls, number: int, raw: str) -> _Line:
        return cls(number, raw.strip(), _WHITESPACE.sub("", raw), raw[:1].isspace())


def _read_lines(source: bytes | str, filename: str) -> list[_Line]:
    if isinstance(source, str):
        return _split_text(source)
    if source.startswith(_ZIP_MAGIC):
        return _read_docx(source)
    if source.startswith(_OLE_MAGIC):
        raise NoticeParseError(1, "不支持旧版 Word（.doc）文件，请另存为 .docx 或纯文本后再上传")
    if filename.lower().endswith(".docx"):
        raise NoticeParseError(1, f"文件“{filename}”的扩展名是 .docx，但内容不是 Word 文档")
    return _split_text(_decode(source))


def _split_text(text: str) -> list[_Line]:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [_Line.of(number, raw) for number, raw in enumerate(text.split("\n"), start=1)]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as gb18030_error:
            # The encoding that read further is the likelier one: report where it stopped.
            position = max(utf8_error.start, gb18030_error.start)
            raise NoticeParseError(
                data.count(b"\n", 0, position) + 1,
                "无法识别文件编码（既不是 UTF-8 也不是 GB18030），请另存为 UTF-8 文本",
            ) from None


def _read_docx(data: bytes) -> list[_Line]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            is_word = "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        raise NoticeParseError(1, "文件已损坏，无法读取 ZIP 结构") from None
    if not is_word:
        raise NoticeParseError(1, "ZIP 文件不是 Word 文档（缺少 word/document.xml）")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many unrelated types on a damaged package
        raise NoticeParseError(1, "Word 文档已损坏，无法读取") from error
    # A paragraph holding manual line breaks gives several lines, all numbered as the paragraph.
    return [
        _Line.of(number, raw)
        for number, paragraph in enumerate(document.paragraphs, start=1)
        for raw in paragraph.text.split("\n")
    ]


def _separate_metadata(
    lines: Sequence[_Line],
) -> tuple[list[_Line], str | None, dt.date | None]:
    """Split off the lines holding only a date or a document number; return the rest, number, date."""
    content: list[_Line] = []
    doc_number: str | None = None
    signed_on: dt.date | None = None
    for line in lines:
        date_match = _DATE_LINE.fullmatch(line.compact)
        number_match = _DOC_NUMBER.fullmatch(line.compact.strip("（）()"))
        if date_match:
            signed_on = signed_on or _make_date(date_match, line.number)
        elif number_match:
            doc_number = doc_number or number_match.group()
        else:
            content.append(line)
    return content, doc_number, signed_on


def _make_date(match: re.Match[str], line_number: int) -> dt.date:
    try:
        return dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise NoticeParseError(line_number, f"日期“{match.group()}”无效") from None


# --------------------------------------------------------------------------------------------------
# Front matter: title, addressees, body


@dataclass(frozen=True, slots=True)
class _FrontMatter:
    title: str
    addressees: tuple[str, ...]
    body: tuple[_Line, ...]


def _find_annex_start(lines: Sequence[_Line]) -> int | None:
    """Index of the first annex line: a bare 附件 line, the annex title, or the first section heading."""
    for index, line in enumerate(lines):
        following = lines[index + 1].compact if index + 1 < len(lines) else ""
        if _ANNEX_MARKER.fullmatch(line.compact):
            return index
        if _ANNEX_TITLE.fullmatch(line.compact) and (
            _SECTION_HEADING.fullmatch(following) or _ANNEX_TITLE.fullmatch(following)
        ):
            return index
        if _is_section_heading(line.compact) and (_province_header(following) or _EXTENSION.fullmatch(following)):
            return index
    return None


def _is_section_heading(compact: str) -> bool:
    """A section heading that cannot be a numbered body paragraph (those are sentences)."""
    heading = _SECTION_HEADING.fullmatch(compact)
    return heading is not None and not any(mark in heading["heading"] for mark in "。；，：,:;")


def _read_front_matter(lines: Sequence[_Line]) -> _FrontMatter:
    title_lines: list[str] = []
    addressees: tuple[str, ...] = ()
    body: list[_Line] = []
    in_title = True
    for line in lines:
        if in_title:
            if line.compact[-1] in _COLONS and not line.indented:
                addressees = _split_list(line.compact[:-1], _LIST_SEPARATORS, line.number)
                in_title = False
                continue
            if line.indented or line.compact[-1] in _SENTENCE_ENDINGS:
                in_title = False
            else:
                title_lines.append(line.compact)
                continue
        if not _ANNEX_REFERENCE.fullmatch(line.compact):
            body.append(line)
    return _FrontMatter("".join(title_lines), addressees, tuple(body))


def _batch_year(title: str) -> int | None:
    found = _BATCH_YEAR.search(title)
    return int(found["year"]) if found else None


def _referenced_documents(body: Sequence[_Line], doc_number: str | None) -> tuple[str, ...]:
    found = [match.group() for line in body for match in _DOC_NUMBER.finditer(line.compact)]
    return tuple(number for number in dict.fromkeys(found) if number != doc_number)


def _deadlines(body: Sequence[_Line]) -> tuple[Deadline, ...]:
    return tuple(
        Deadline(_make_date(match, line.number), sentence.strip(), line.number)
        for line in body
        for sentence in _SENTENCE.findall(line.text)
        for match in _DEADLINE.finditer(sentence)
    )


def _declared_total(body: Sequence[_Line]) -> int | None:
    for line in body:
        found = _DECLARED_TOTAL.search(line.compact)
        if found:
            return int(found["total"])
    return None


# --------------------------------------------------------------------------------------------------
# Annex: sections, provinces, entries, extensions


def _find_annex_title(lines: Sequence[_Line]) -> str | None:
    for line in lines:
        if _SECTION_HEADING.fullmatch(line.compact):
            return None
        if _ANNEX_TITLE.fullmatch(line.compact):
            return line.compact
    return None


def _read_annex(lines: Sequence[_Line], batch_year: int | None) -> tuple[Section, ...]:
    sections: list[Section] = []
    draft: _SectionDraft | None = None
    for line in lines:
        compact = line.compact
        if _ANNEX_MARKER.fullmatch(compact) or _ANNEX_REFERENCE.fullmatch(compact) or _ANNEX_TITLE.fullmatch(compact):
            continue
        heading = _SECTION_HEADING.fullmatch(compact)
        if heading:
            if draft is not None:
                sections.append(draft.finish())
            draft = _SectionDraft.start(heading, line.number, batch_year)
        elif draft is None:
            raise NoticeParseError(
                line.number, f"附件名单的第一个章节标题（如“一、市、区（83个）”）之前出现了“{line.text}”"
            )
        else:
            draft.add(line)
    if draft is None:
        raise NoticeParseError(lines[0].number, "附件中没有找到名单章节（如“一、市、区（83个）”）")
    sections.append(draft.finish())
    return tuple(sections)


@dataclass(slots=True)
class _GroupDraft:
    name: str
    line_number: int
    entries: list[Entry] = field(default_factory=list)
    item_count: int = 0  # entries or extension lines listed under the header


@dataclass(slots=True)
class _SectionDraft:
    ordinal: str
    heading: str
    kind: SectionKind
    declared_count: int | None
    line_number: int
    default_earlier_year: int | None  # for extension lines that do not name the earlier year
    groups: list[_GroupDraft] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    entry_count: int = 0

    @classmethod
    def start(cls, heading: re.Match[str], line_number: int, batch_year: int | None) -> _SectionDraft:
        text = heading["heading"]
        kind: SectionKind = "extension" if "扩大范围" in text or "新增" in text else "new"
        year_in_heading = _YEAR.search(text)
        if year_in_heading:
            default_earlier_year: int | None = int(year_in_heading["year"])
        else:
            default_earlier_year = batch_year - 1 if batch_year is not None else None
        count = int(heading["count"]) if heading["count"] else None
        return cls(heading["ordinal"], text, kind, count, line_number, default_earlier_year)

    def add(self, line: _Line) -> None:
        header = _province_header(line.compact)
        rest = line.compact
        # In extension sections ``北京市：新增…`` is an extension line, not a header with entries.
        if header is not None and (self.kind == "new" or not header[1]):
            self._close_group()
            self.groups.append(_GroupDraft(header[0], line.number))
            rest = header[1]
            if not rest:
                return
        group = self.groups[-1] if self.groups else None
        if self.kind == "extension":
            province = group.name if group else None
            self.extensions.append(_parse_extension(line, province, self.default_earlier_year))
            if group:
                group.item_count += 1
            return
        if group is None:
            raise NoticeParseError(line.number, f"条目“{line.text}”之前缺少省份标题（如“河北省”）")
        for item in _split_list(rest, _ENTRY_SEPARATORS, line.number):
            self.entry_count += 1
            group.entries.append(_parse_entry(item, line.number, self.entry_count))
            group.item_count += 1

    def finish(self) -> Section:
        self._close_group()
        if not self.extensions and not self.entry_count:
            raise NoticeParseError(self.line_number, f"章节“{self.ordinal}、{self.heading}”下没有可识别的名单")
        provinces = tuple(
            ProvinceGroup(group.name, group.line_number, tuple(group.entries))
            for group in self.groups
            if self.kind == "new"
        )
        return Section(
            ordinal=self.ordinal,
            heading=self.heading,
            kind=self.kind,
            declared_count=self.declared_count,
            line_number=self.line_number,
            provinces=provinces,
            extensions=tuple(self.extensions),
        )

    def _close_group(self) -> None:
        if self.groups and not self.groups[-1].item_count:
            group = self.groups[-1]
            raise NoticeParseError(group.line_number, f"省份“{group.name}”下没有列出任何试点")


def _province_header(compact: str) -> tuple[str, str] | None:
    """``(province, rest)`` for ``河北省``, ``河北省：`` or ``河北省：唐山市曹妃甸区``; else None."""
    name = compact.rstrip(_COLONS)
    if name in _PROVINCIAL_NAME_SET:
        return name, ""
    inline = _PROVINCE_WITH_ENTRIES.fullmatch(compact)
    if inline and inline["name"] in _PROVINCIAL_NAME_SET:
        return inline["name"], inline["rest"]
    return None


def _parse_entry(item: str, line_number: int, position: int) -> Entry:
    if item[0] in _OPENING_BRACKETS:
        raise NoticeParseError(line_number, f"条目“{item}”缺少名称")
    listed = _INCLUDES.fullmatch(item)
    if listed is None:
        return Entry(item, item, (), line_number, position)
    includes = _split_list(listed["includes"], _LIST_SEPARATORS, line_number)
    if not includes:
        raise NoticeParseError(line_number, f"条目“{item}”的“含”后没有列出区域")
    return Entry(item, listed["name"], includes, line_number, position)


def _parse_extension(line: _Line, province: str | None, default_earlier_year: int | None) -> Extension:
    def unparseable() -> NoticeParseError:
        return NoticeParseError(line.number, f"无法解析扩大范围条目“{line.text}”（{_EXTENSION_FORMS_HINT}）")

    match = _EXTENSION.fullmatch(line.compact)
    if match is None:
        raise unparseable()
    parts = _split_list(match["rest"], "，,", line.number, keep_empty=True)
    if len(parts) > 2 or not all(parts):
        raise unparseable()
    added, and_before_last = _split_added(parts[0], line.number)
    earlier_year = default_earlier_year
    earlier_label: EarlierLabel = "试点含"
    earlier_included: tuple[str, ...] = ()
    if len(parts) == 2:
        earlier = _EARLIER.fullmatch(parts[1])
        if earlier is None:
            raise unparseable()
        if earlier["year"]:
            earlier_year = int(earlier["year"])
        earlier_label = "已批复" if earlier["label"] == "已批复" else "试点含"
        earlier_included = _split_list(earlier["areas"], "、", line.number)
    if not added or (len(parts) == 2 and not earlier_included):
        raise unparseable()
    lead: ExtensionLead = "试点新增" if match["lead"] == "试点新增" else "：新增"
    return Extension(
        line_number=line.number,
        text=line.compact,
        base_name=match["base"],
        added=added,
        earlier_year=earlier_year,
        earlier_included=earlier_included,
        form=ExtensionForm(lead, earlier_label, and_before_last),
        province=province,
    )


def _split_added(text: str, line_number: int) -> tuple[tuple[str, ...], bool]:
    """Split the added areas on 、 and on a 和 joining the last two (``洋湖生态新城和滨江商务新城``)."""
    items = _split_list(text, "、", line_number)
    cut = _and_separator(items[-1]) if items else None
    if cut is None:
        return items, False
    last = items[-1]
    return (*items[:-1], last[:cut], last[cut + 1 :]), True


def _and_separator(name: str) -> int | None:
    """Index of the last top-level 和 that follows a place-name ending and is followed by a name."""
    found: int | None = None
    depth = 0
    for index, char in enumerate(name):
        if char in _OPENING_BRACKETS:
            depth += 1
        elif char in _CLOSING_BRACKETS:
            depth -= 1
        elif char == "和" and depth == 0 and 0 < index < len(name) - 1 and name[index - 1] in _NAME_ENDINGS:
            found = index
    return found


def _split_list(text: str, separators: str, line_number: int, *, keep_empty: bool = False) -> tuple[str, ...]:
    """Split on separators outside brackets: ``A（含B、C）、D`` gives ``A（含B、C）`` and ``D``.

    Empty items (a trailing or doubled separator) are dropped unless ``keep_empty``.
    """
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in separators and depth == 0:
            items.append("".join(current))
            current = []
            continue
        if char in _OPENING_BRACKETS:
            depth += 1
        elif char in _CLOSING_BRACKETS:
            depth -= 1
            if depth < 0:
                break
        current.append(char)
    if depth != 0:
        raise NoticeParseError(line_number, f"括号不成对：“{text}”")
    items.append("".join(current))
    return tuple(item for item in items if keep_empty or item)
