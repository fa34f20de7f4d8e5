from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from citypilot.accounts.models import Organisation

from .choices import DocumentKind


class DocumentUploadForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("所属机构"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("文件类别"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("标题"), max_length=300)
    file = forms.FileField(label=_("文件"))
    is_public = forms.BooleanField(label=_("向公众公开"), required=False)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]


class VersionUploadForm(forms.Form):
    file = forms.FileField(label=_("新版本文件"))
    note = forms.CharField(label=_("修改说明"), max_length=500, required=False)
