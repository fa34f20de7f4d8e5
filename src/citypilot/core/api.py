"""The one base for the JSON API: authentication, scoping and a single error shape.

Errors always look like ``{"code": "...", "message": "...", "details": {...}}`` with a stable ``code``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema, pagination
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security.base import AuthBase
from ninja.utils import check_csrf
from pydantic import Field

from .errors import NotFound, ServiceError


class ErrorOut(Schema):
    code: str
    message: str
    details: dict[str, Any] = {}


class CityPilotAuth(AuthBase):
    """Bearer token (``Authorization: Bearer cp_…``), else the browser session, else anonymous.

    A bad token is refused outright rather than downgraded to anonymous. Session-authenticated
    writes must carry the CSRF token, as in the HTML views.
    """

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Any:
        from citypilot.accounts.services import authenticate_token

        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sep, key = header.partition(" ")
            user = authenticate_token(key.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                raise AuthenticationError()
            request.user = user
            return user
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
                error = check_csrf(request)
                if error:
                    raise HttpError(403, _("缺少或无效的 CSRF 令牌。"))
            return user
        request.user = AnonymousUser()
        return request.user


# Offsets past 2**31 - 1 are refused (422) rather than passed to the database, which cannot hold them.
MAX_OFFSET = 2**31 - 1


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """Ninja's limit/offset pagination with a bounded offset (the project's NINJA_PAGINATION_CLASS)."""

    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


def scoped(request: HttpRequest, model: type[models.Model]) -> Any:
    """The rows of ``model`` that the caller may see: the only way API endpoints read data."""
    return model.objects.visible_to(request.user)  # type: ignore[attr-defined]


def get_scoped(request: HttpRequest, model: type[models.Model], pk: Any, *related: str) -> Any:
    queryset = scoped(request, model)
    if related:
        queryset = queryset.select_related(*related)
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    return obj


def require_login(request: HttpRequest) -> Any:
    if not request.user.is_authenticated:
        raise AuthenticationError()
    return request.user


def _error(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "details": details or {}}, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ServiceError)
    def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        return _error(api, request, exc.status, exc.code, str(exc.message), exc.details)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {"loc": [str(part) for part in error.get("loc", [])], "msg": str(error.get("msg", ""))}
            for error in exc.errors
        ]
        return _error(api, request, 422, "validation_error", _("提交的数据有误。"), {"errors": errors})

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _error(api, request, 401, "not_authenticated", _("请先登录，或提供有效的 API 令牌。"))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _error(api, request, 404, "not_found", _("记录不存在或您无权查看。"))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {400: "bad_request", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed"}
        return _error(api, request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        import logging

        logging.getLogger("citypilot.api").exception("Unhandled API error")
        return _error(api, request, 500, "server_error", _("系统出现错误，已记录。请稍后重试。"))


ERRORS: dict[int | frozenset[int], type[Schema]] = {frozenset({400, 401, 403, 404, 409, 422}): ErrorOut}
