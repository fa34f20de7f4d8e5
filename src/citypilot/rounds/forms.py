from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from citypilot.pilots.models import Batch


class VersionedForm(forms.Form):
    """Every action carries the version of the record the user saw, so a stale click changes nothing."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput)


class UploadForm(VersionedForm):
    file = forms.FileField(label=_("文件"))
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class NoteForm(VersionedForm):
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class ReturnForm(VersionedForm):
    reason = forms.CharField(label=_("退回原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


def _days(value: str) -> list[int]:
    try:
        return [int(part) for part in value.replace("，", ",").split(",") if part.strip()]
    except ValueError as error:
        raise forms.ValidationError(_("请填写以逗号分隔的天数，如 14,7,3,1。")) from error


class OpenRoundForm(forms.Form):
    batch = forms.ModelChoiceField(label=_("批次"), queryset=Batch.objects.none())
    title = forms.CharField(label=_("名称"), max_length=200)
    deadline = forms.DateTimeField(
        label=_("截止时间（北京时间）"),
        required=False,
        help_text=_("留空则取批次通知中的截止日期（当日 23:59:59）。"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reminder_days = forms.CharField(label=_("截止前提醒（天）"), initial="14,7,3,1")
    overdue_reminder_days = forms.CharField(label=_("逾期后提醒（天）"), initial="1,7,30")

    def __init__(self, *args: Any, batches: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = batches  # type: ignore[attr-defined]

    def clean_reminder_days(self) -> list[int]:
        return _days(self.cleaned_data["reminder_days"])

    def clean_overdue_reminder_days(self) -> list[int]:
        return _days(self.cleaned_data["overdue_reminder_days"])
