"""Who is asking: a user's organisations and roles, resolved once per request.

Every scoped queryset and every service-level permission check reads a ``Principal``; nothing else
looks at memberships directly. A provincial officer sees their authority and the pilots under it, a
pilot officer their own pilot, an expert their panel, the ministry everything, the public what is
published. Observers see what their organisation sees and write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .choices import OrganisationKind, Role


@dataclass(frozen=True)
class Principal:
    user_id: int | None = None
    roles: frozenset[str] = frozenset()
    # Organisations the user belongs to, by role.
    member_org_ids: frozenset[int] = frozenset()
    # Every organisation whose records the user may read (own ones plus pilots under own provinces).
    visible_org_ids: frozenset[int] = frozenset()
    # Organisations the user may act for (non-observer roles; provinces also act for their pilots).
    writable_org_ids: frozenset[int] = frozenset()
    is_ministry: bool = False
    is_superuser: bool = False
    home_kinds: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def sees_everything(self) -> bool:
        return self.is_ministry or self.is_superuser

    @property
    def is_read_only(self) -> bool:
        return self.is_authenticated and not (self.roles - {Role.OBSERVER}) and not self.is_superuser

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.roles.intersection(roles))

    def can_write_for(self, organisation_id: int | None) -> bool:
        """May this principal act on records owned by ``organisation_id``?"""
        if self.is_superuser or Role.MINISTRY_OFFICER in self.roles:
            return True
        return organisation_id is not None and organisation_id in self.writable_org_ids


ANONYMOUS = Principal()


def build_principal(user: Any) -> Principal:
    from .models import Membership, Organisation

    if user is None or not user.is_authenticated:
        return ANONYMOUS
    rows = list(
        Membership.objects.filter(user=user, organisation__is_active=True).values_list(
            "organisation_id", "organisation__kind", "role"
        )
    )
    roles = frozenset(role for _, _, role in rows)
    member = frozenset(org for org, _, _ in rows)
    writable = {org for org, _, role in rows if role != Role.OBSERVER}
    province_ids = {org for org, kind, _ in rows if kind == OrganisationKind.PROVINCE}
    acting_province_ids = {
        org for org, kind, role in rows if kind == OrganisationKind.PROVINCE and role != Role.OBSERVER
    }
    children: set[int] = set()
    if province_ids:
        pairs = Organisation.objects.filter(parent_id__in=province_ids).values_list("pk", "parent_id")
        for child, parent in pairs:
            children.add(child)
            if parent in acting_province_ids:
                writable.add(child)
    return Principal(
        user_id=user.pk,
        roles=roles,
        member_org_ids=member,
        visible_org_ids=frozenset(member | children),
        writable_org_ids=frozenset(writable),
        is_ministry=any(kind == OrganisationKind.MINISTRY for _, kind, _ in rows),
        is_superuser=bool(user.is_superuser),
        home_kinds=frozenset(kind for _, kind, _ in rows),
    )


def principal_of(user: Any) -> Principal:
    """The user's principal, computed once and kept on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_citypilot_principal", None)
    if cached is None:
        cached = build_principal(user)
        user._citypilot_principal = cached
    return cached


def forget_principal(user: Any) -> None:
    """Drop the cached principal after the user's memberships changed."""
    if hasattr(user, "_citypilot_principal"):
        del user._citypilot_principal
