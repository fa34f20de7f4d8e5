"""Error pages in the user's language with statuses that fit."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"status": status, "title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 400, _("请求有误"), _("提交的内容无法处理，请检查后重试。"))


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 403, _("无权访问"), _("您没有权限查看此页面。如需访问，请联系您所在机构的管理员。"))


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 404, _("页面不存在"), _("您要找的页面不存在，或您无权查看。"))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, _("系统错误"), _("系统出现错误，已记录。请稍后重试。"))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, 403, _("页面已过期"), _("页面已过期或登录已失效，请刷新页面后重试。"))
