"""Errors raised by service functions; views and the API turn them into messages and statuses."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    """A refused action: ``code`` is stable for API clients, ``message`` is translated text."""

    code = "invalid"
    status = 400
    default_message: Any = _("操作无法完成。")

    def __init__(self, message: Any = None, *, details: dict[str, Any] | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.details = details or {}
        super().__init__(str(self.message))


class PermissionDenied(ServiceError):
    code = "permission_denied"
    status = 403
    default_message = _("您没有权限执行此操作。")


class NotFound(ServiceError):
    code = "not_found"
    status = 404
    default_message = _("记录不存在或您无权查看。")


class InvalidTransition(ServiceError):
    code = "invalid_transition"
    status = 409
    default_message = _("当前状态下不能执行此操作。")


class ConcurrentUpdate(ServiceError):
    code = "concurrent_update"
    status = 409
    default_message = _("记录已被他人修改，请刷新后重试。您的修改未保存。")


class ValidationFailed(ServiceError):
    code = "validation_error"
    status = 422
    default_message = _("提交的数据有误。")
