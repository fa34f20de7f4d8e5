"""Importing a notice from the browser: upload, see what would change, then apply."""

from __future__ import annotations

import base64
import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citypilot.accounts.choices import Role
from citypilot.accounts.principals import principal_of
from citypilot.core.errors import ServiceError

from .forms import NoticeUploadForm
from .services import import_notice

SESSION_KEY = "citypilot_notice_upload"


def _require_ministry(request: HttpRequest) -> None:
    if not principal_of(request.user).has_role(Role.MINISTRY_OFFICER):
        raise DjangoPermissionDenied


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a notice; nothing is written, the page shows what the import would change."""
    _require_ministry(request)
    form = NoticeUploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return render(request, "notices/upload.html", {"form": form})
    if not form.is_valid():
        return render(request, "notices/upload.html", {"form": form}, status=422)
    data: bytes = form.cleaned_data["file"]
    filename = getattr(request.FILES.get("file"), "name", "") or "notice.txt"
    publish = form.cleaned_data["publish"]
    try:
        report = import_notice(data, filename=filename, actor=request.user, apply=False, publish=publish)
    except ServiceError as error:
        form.add_error("file", str(error.message))
        return render(request, "notices/upload.html", {"form": form}, status=error.status)
    digest = hashlib.sha256(data).hexdigest()
    request.session[SESSION_KEY] = {
        "data": base64.b64encode(data).decode(),
        "filename": filename,
        "sha256": digest,
        "publish": publish,
    }
    return render(request, "notices/preview.html", {"report": report, "sha256": digest, "filename": filename})


@login_required
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    """Step 2: apply the previewed notice in one transaction."""
    _require_ministry(request)
    pending = request.session.get(SESSION_KEY)
    if not pending or pending["sha256"] != request.POST.get("sha256"):
        messages.error(request, _("预览已过期，请重新上传通知。"))
        return redirect("notices:upload")
    data = base64.b64decode(pending["data"])
    try:
        report = import_notice(
            data, filename=pending["filename"], actor=request.user, apply=True, publish=pending["publish"]
        )
    except ServiceError as error:
        messages.error(request, str(error.message))
        return redirect("notices:upload")
    del request.session[SESSION_KEY]
    if report.no_changes:
        messages.info(request, _("通知与名单一致，没有需要写入的变化。"))
    else:
        messages.success(request, _("已导入：%(n)d 处变化已写入并记入审计日志。") % {"n": len(report.differences)})
    return redirect("pilots:notice", year=report.year)
