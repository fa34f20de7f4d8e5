"""Print a pilot list annex back in the notice's own form.

``render_annex`` takes anything shaped like a parsed notice: the Protocols below list the only
attributes it reads, and ``citypilot.notices.parser``'s dataclasses satisfy them. To render from
database rows, the caller maps its rows to small objects with these attributes (plain dataclasses or
the parser's own ``Section``/``ProvinceGroup``/``Entry``/``Extension``); related-object managers are
not sequences, so the mapping is the caller's job. This module has no Django dependency.

Output, one item per line::

    2013年度国家智慧城市试点名单
    一、市、区（83个）
    北京市
    北京经济技术开发区
    …
    三、2012年试点扩大范围（9个）
    武汉市试点新增蔡甸区，2012年试点含江岸区

Extension lines are rebuilt from their structured fields in the wording recorded by their
``ExtensionForm``; without one, in the canonical form ``{base}试点新增{A、B}，{year}年试点含{C、D}``.
Parsing the output gives back the same sections, provinces, entries, includes and extensions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from citypilot.notices.parser import ExtensionForm

__all__ = [
    "EntryLike",
    "ExtensionLike",
    "NoticeLike",
    "ProvinceGroupLike",
    "SectionLike",
    "render_annex",
    "render_extension",
]

_CANONICAL_FORM = ExtensionForm()


class EntryLike(Protocol):
    @property
    def name_as_listed(self) -> str: ...  # e.g. 宁波市（含海曙区、梅山保税港区、鄞州区咸祥镇）


class ProvinceGroupLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def entries(self) -> Sequence[EntryLike]: ...


class ExtensionLike(Protocol):
    @property
    def base_name(self) -> str: ...

    @property
    def added(self) -> Sequence[str]: ...

    @property
    def earlier_year(self) -> int | None: ...

    @property
    def earlier_included(self) -> Sequence[str]: ...

    @property
    def form(self) -> ExtensionForm | None: ...  # None: the canonical form

    @property
    def province(self) -> str | None:
        """Printed as a header line when it changes; None only before any header in its section."""
        ...


class SectionLike(Protocol):
    @property
    def ordinal(self) -> str: ...  # 一, 二, 三…

    @property
    def heading(self) -> str: ...

    @property
    def kind(self) -> str: ...  # "new" or "extension"

    @property
    def declared_count(self) -> int | None: ...

    @property
    def provinces(self) -> Sequence[ProvinceGroupLike]: ...  # read for "new" sections

    @property
    def extensions(self) -> Sequence[ExtensionLike]: ...  # read for "extension" sections


class NoticeLike(Protocol):
    @property
    def year(self) -> int | None: ...

    @property
    def sections(self) -> Sequence[SectionLike]: ...


def render_annex(notice: NoticeLike) -> str:
    """The annex list as text, one item per line, ending with a newline."""
    year = f"{notice.year}年度" if notice.year is not None else ""
    lines = [f"{year}国家智慧城市试点名单"]
    for section in notice.sections:
        count = f"（{section.declared_count}个）" if section.declared_count is not None else ""
        lines.append(f"{section.ordinal}、{section.heading}{count}")
        if section.kind == "extension":
            lines.extend(_extension_lines(section.extensions))
        else:
            for group in section.provinces:
                lines.append(group.name)
                lines.append("、".join(entry.name_as_listed for entry in group.entries))
    return "\n".join(lines) + "\n"


def render_extension(extension: ExtensionLike) -> str:
    """One extension line, e.g. ``沈阳市：新增沈河区、铁西区、沈北新区，2012年已批复浑南新区``."""
    form = extension.form or _CANONICAL_FORM
    added = list(extension.added)
    if form.and_before_last and len(added) >= 2:
        added[-2:] = [f"{added[-2]}和{added[-1]}"]
    text = f"{extension.base_name}{form.lead}{'、'.join(added)}"
    if extension.earlier_included:
        year = f"{extension.earlier_year}年" if extension.earlier_year is not None else ""
        text += f"，{year}{form.earlier_label}{'、'.join(extension.earlier_included)}"
    return text


def _extension_lines(extensions: Sequence[ExtensionLike]) -> list[str]:
    lines: list[str] = []
    province: str | None = None
    for extension in extensions:
        if extension.province is not None and extension.province != province:
            lines.append(extension.province)
        province = extension.province
        lines.append(render_extension(extension))
    return lines
