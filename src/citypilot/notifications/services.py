"""Sending and reading in-app notifications (with an optional e-mail copy)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from citypilot.core.errors import NotFound

from .models import Notification

logger = logging.getLogger(__name__)


def notify(
    user: Any, *, text: str, url: str = "", key: str = "", email_subject: str = "", email_body: str = ""
) -> Notification | None:
    """Deliver ``text`` to ``user``; with ``key``, at most once per (user, key). Returns None when the
    key was delivered before. The e-mail copy (when the user has an address) leaves after commit."""
    with transaction.atomic():
        if key and Notification.objects.filter(user=user, key=key).exists():
            return None
        try:
            with transaction.atomic():
                notification = Notification.objects.create(user=user, text=text[:500], url=url[:300], key=key)
        except IntegrityError:
            return None  # delivered concurrently by another run
        if email_subject and getattr(user, "email", ""):
            address, subject, body = user.email, email_subject, email_body or text
            transaction.on_commit(lambda: _send_email(address, subject, body))
    return notification


def _send_email(address: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
    except Exception:  # the in-app notification is the record; a mail outage must not break the caller
        logger.exception("Could not send e-mail to %s", address)


def mark_read(user: Any, notification_id: int) -> Notification:
    notification = Notification.objects.visible_to(user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(user: Any) -> int:
    return Notification.objects.visible_to(user).unread().update(read_at=timezone.now())
