from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from citypilot.core.models import ScopedQuerySet, TimeStampedModel

from .choices import Language, OrganisationKind, Role

if TYPE_CHECKING:
    from .principals import Principal


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    language = models.CharField(_("界面语言"), max_length=10, choices=Language.choices, default=Language.ZH_HANS)
    phone = models.CharField(_("电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


KIND_ORDER = [
    OrganisationKind.MINISTRY,
    OrganisationKind.PROVINCE,
    OrganisationKind.PILOT,
    OrganisationKind.EXPERT_PANEL,
]


class OrganisationQuerySet(ScopedQuerySet):
    scope_field = "pk"

    def in_directory_order(self) -> Self:
        """The ministry, then provincial authorities by GB/T 2260 code, then pilots, then expert panels."""
        rank = Case(*(When(kind=kind, then=Value(i)) for i, kind in enumerate(KIND_ORDER)), default=Value(99))
        return self.order_by(rank, "division_code", "code")

    def for_principal(self, principal: Principal) -> Self:
        if principal.sees_everything:
            return self.all()
        # The ministry and the provincial authorities are public bodies: everyone may see them.
        public = Q(kind__in=[OrganisationKind.MINISTRY, OrganisationKind.PROVINCE])
        return self.filter(public | Q(pk__in=principal.visible_org_ids))


class Organisation(TimeStampedModel):
    """A party of the programme. Pilot governments hang under exactly one provincial authority."""

    kind = models.CharField(_("类型"), max_length=20, choices=OrganisationKind.choices)
    code = models.SlugField(_("机构代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    division_code = models.CharField(_("行政区划代码"), max_length=12, blank=True, help_text=_("GB/T 2260 代码"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=OrganisationKind.MINISTRY, parent__isnull=True)
                | (~Q(kind=OrganisationKind.MINISTRY) & Q(parent__isnull=False)),
                name="organisation_parent_by_kind",
                violation_error_message=_("只有部级试点办公室没有上级机构。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(ScopedQuerySet):
    pass


class Membership(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("成员身份")
        verbose_name_plural = _("成员身份")
        constraints = [models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"


class ApiTokenQuerySet(ScopedQuerySet):
    def for_principal(self, principal: Principal) -> Self:
        return self.filter(user_id=principal.user_id) if principal.user_id else self.none()


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"
