from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import AreaKind


class SettlementForm(forms.Form):
    division_code = forms.RegexField(
        label=_("区划代码"),
        regex=r"^\d{6}$",
        help_text=_("GB/T 2260 六位代码：该区域本身的区划，或开发区、新区、乡镇所在的区划（以批次年度为准）。"),
        error_messages={"invalid": _("请输入六位数字的行政区划代码。")},
    )
    kind = forms.ChoiceField(label=_("区域类型"), choices=AreaKind.choices)
    note = forms.CharField(label=_("认定依据"), widget=forms.Textarea(attrs={"rows": 3}))
