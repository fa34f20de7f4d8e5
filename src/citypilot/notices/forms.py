from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_NOTICE_BYTES = 2 * 1024 * 1024


class NoticeUploadForm(forms.Form):
    file = forms.FileField(
        label=_("通知文件"), help_text=_("纯文本（UTF-8 或 GB18030）或 Word（.docx），不超过 2 MB。")
    )
    publish = forms.BooleanField(label=_("导入后公布（向公众公开）"), required=False)

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_NOTICE_BYTES:
            raise forms.ValidationError(_("文件过大：通知文件不超过 2 MB。"))
        return bytes(upload.read())
