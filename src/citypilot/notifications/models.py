"""In-app notifications: one row per message to one user; read once, kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from citypilot.core.models import ScopedQuerySet

if TYPE_CHECKING:
    from citypilot.accounts.principals import Principal


class NotificationQuerySet(ScopedQuerySet):
    """A notification is seen by its recipient only."""

    def for_principal(self, principal: Principal) -> Self:
        if not principal.is_authenticated:
            return self.none()
        return self.filter(user_id=principal.user_id)

    def unread(self) -> Self:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("收件人"), on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("内容"), max_length=500)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    # Makes a message idempotent: the same key is never delivered twice to the same user.
    key = models.CharField(_("去重键"), max_length=200, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notification_unique_key_per_user"
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]
