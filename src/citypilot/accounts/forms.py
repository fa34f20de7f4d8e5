from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Organisation


class OrganisationForm(forms.ModelForm[Organisation]):
    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("修改原因"), widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = Organisation
        fields = ["name", "name_en", "division_code", "is_active"]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("用途"), max_length=100)
