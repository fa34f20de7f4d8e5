from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from citypilot.core.api import ERRORS, require_login, scoped

from . import services
from .models import Notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    text: str
    url: str
    created_at: datetime
    read_at: datetime | None


@router.get("/", response={200: list[NotificationOut], **ERRORS})
@paginate
def list_notifications(request: HttpRequest, unread: bool = False) -> Any:
    """The caller's own notifications, newest first."""
    require_login(request)
    notifications = scoped(request, Notification)
    return notifications.unread() if unread else notifications


@router.post("/{notification_id}/read", response={200: NotificationOut, **ERRORS})
def read_notification(request: HttpRequest, notification_id: int) -> Any:
    user = require_login(request)
    return services.mark_read(user, notification_id)
