"""``{% unread_notifications %}``: the header badge, one COUNT query, only for signed-in users."""

from __future__ import annotations

from typing import Any

from django import template

from citypilot.notifications.models import Notification

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: Any) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.visible_to(user).unread().count()
