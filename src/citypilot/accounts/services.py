"""Every write to users, organisations, memberships and tokens: atomic, checked, audited."""

from __future__ import annotations

import csv
import hashlib
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from citypilot.audit.services import record, snapshot
from citypilot.core.errors import ConcurrentUpdate, NotFound, PermissionDenied, ValidationFailed

from .choices import ROLE_ORGANISATION_KINDS, Language, OrganisationKind, Role
from .models import ApiToken, Membership, Organisation, User
from .principals import forget_principal, principal_of

ORGANISATION_EDITABLE_FIELDS = ("name", "name_en", "division_code", "is_active")
TOKEN_PREFIX = "cp_"  # noqa: S105 - a public prefix, not a secret


def _require_ministry(actor: Any) -> None:
    if not principal_of(actor).has_role(Role.MINISTRY_OFFICER):
        raise PermissionDenied()


def _check_parent(kind: str, parent: Organisation | None) -> None:
    expected = {
        OrganisationKind.MINISTRY: None,
        OrganisationKind.PROVINCE: OrganisationKind.MINISTRY,
        OrganisationKind.EXPERT_PANEL: OrganisationKind.MINISTRY,
        OrganisationKind.PILOT: OrganisationKind.PROVINCE,
    }[OrganisationKind(kind)]
    actual = parent.kind if parent is not None else None
    if actual != expected:
        raise ValidationFailed(
            _("%(kind)s 的上级机构必须是%(expected)s。")
            % {
                "kind": OrganisationKind(kind).label,
                "expected": OrganisationKind(expected).label if expected else _("空"),
            },
            details={"field": "parent"},
        )


@transaction.atomic
def create_organisation(
    *,
    actor: Any,
    kind: str,
    code: str,
    name: str,
    parent: Organisation | None = None,
    name_en: str = "",
    division_code: str = "",
    reason: str = "",
    source: str = "web",
) -> Organisation:
    """Create an organisation; a pilot government is supervised by exactly one provincial authority."""
    if actor is not None:
        _require_ministry(actor)
    _check_parent(kind, parent)
    if Organisation.objects.filter(code=code).exists():
        raise ValidationFailed(_("机构代码 %(code)s 已存在。") % {"code": code}, details={"field": "code"})
    org = Organisation.objects.create(
        kind=kind, code=code, name=name, name_en=name_en, division_code=division_code, parent=parent
    )
    record(
        actor=actor,
        action="organisation.create",
        obj=org,
        organisation=org,
        after=snapshot(org),
        reason=reason,
        source=source,
    )
    return org


@transaction.atomic
def update_organisation(
    org: Organisation,
    *,
    actor: Any,
    expected_version: int,
    changes: dict[str, Any],
    reason: str,
    source: str = "web",
) -> Organisation:
    """Edit an organisation; refuses when someone else saved it since ``expected_version``."""
    _require_ministry(actor)
    unknown = set(changes) - set(ORGANISATION_EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段：%(fields)s") % {"fields": "、".join(sorted(unknown))},
            details={"fields": sorted(unknown)},
        )
    if not reason.strip():
        raise ValidationFailed(_("请填写修改原因。"), details={"field": "reason"})
    current = Organisation.objects.select_for_update().get(pk=org.pk)
    if current.row_version != expected_version:
        raise ConcurrentUpdate()
    before = snapshot(current, changes)
    updated = Organisation.objects.filter(pk=org.pk, row_version=expected_version).update(
        row_version=F("row_version") + 1, updated_at=timezone.now(), **changes
    )
    if updated != 1:
        raise ConcurrentUpdate()
    current.refresh_from_db()
    record(
        actor=actor,
        action="organisation.update",
        obj=current,
        organisation=current,
        before=before,
        after=snapshot(current, changes),
        reason=reason,
        source=source,
    )
    return current


@transaction.atomic
def create_user(
    *,
    actor: Any,
    username: str,
    password: str | None,
    display_name: str = "",
    email: str = "",
    language: str = Language.ZH_HANS,
    reason: str = "",
    source: str = "web",
) -> User:
    if actor is not None:
        _require_ministry(actor)
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(_("用户名 %(name)s 已存在。") % {"name": username}, details={"field": "username"})
    user = User(username=username, display_name=display_name, email=email, language=language)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    record(
        actor=actor,
        action="user.create",
        obj=user,
        after=snapshot(user, ["username", "display_name", "email", "language"]),
        reason=reason,
        source=source,
    )
    return user


@transaction.atomic
def grant_membership(
    *,
    actor: Any,
    user: User,
    organisation: Organisation,
    role: str,
    reason: str = "",
    source: str = "web",
) -> Membership:
    if actor is not None:
        _require_ministry(actor)
    if organisation.kind not in ROLE_ORGANISATION_KINDS[Role(role)]:
        raise ValidationFailed(
            _("%(role)s 不能在%(kind)s中任职。") % {"role": Role(role).label, "kind": organisation.get_kind_display()},
            details={"field": "role"},
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    except IntegrityError as exc:
        raise ValidationFailed(_("该用户已有此角色。")) from exc
    record(
        actor=actor,
        action="membership.grant",
        obj=membership,
        organisation=organisation,
        after=snapshot(membership),
        reason=reason,
        source=source,
    )
    forget_principal(user)
    return membership


@transaction.atomic
def revoke_membership(membership: Membership, *, actor: Any, reason: str, source: str = "web") -> None:
    _require_ministry(actor)
    before = snapshot(membership)
    record(
        actor=actor,
        action="membership.revoke",
        obj=membership,
        organisation=membership.organisation_id,
        before=before,
        reason=reason,
        source=source,
    )
    membership.delete()
    forget_principal(membership.user)


@transaction.atomic
def set_language(user: User, *, language: str, source: str = "web") -> User:
    if language not in Language.values:
        raise ValidationFailed(_("不支持的语言。"), details={"field": "language"})
    if user.language != language:
        before = snapshot(user, ["language"])
        user.language = language
        user.save(update_fields=["language"])
        record(
            actor=user,
            action="user.set_language",
            obj=user,
            before=before,
            after=snapshot(user, ["language"]),
            source=source,
        )
    return user


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_api_token(
    user: User, *, name: str, expires_at: datetime | None = None, source: str = "web"
) -> tuple[ApiToken, str]:
    """Create a token and return it with its key; the key is never stored nor shown again."""
    if not name.strip():
        raise ValidationFailed(_("请填写令牌用途。"), details={"field": "name"})
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip(), prefix=key[:10], key_hash=_hash_key(key), expires_at=expires_at
    )
    record(
        actor=user,
        action="api_token.issue",
        obj=token,
        after=snapshot(token, ["name", "prefix", "expires_at"]),
        source=source,
    )
    return token, key


@transaction.atomic
def revoke_api_token(token: ApiToken, *, actor: Any, source: str = "web") -> ApiToken:
    if token.user_id != actor.pk:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(actor=actor, action="api_token.revoke", obj=token, after=snapshot(token, ["revoked_at"]), source=source)
    return token


def authenticate_token(key: str) -> User | None:
    """The active user behind a bearer key, or None. Marks the token used (at most once a minute)."""
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash_key(key), revoked_at=None).first()
    now = timezone.now()
    if token is None or not token.user.is_active or (token.expires_at and token.expires_at <= now):
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


AUTHORITIES_CSV = Path(__file__).resolve().parent / "data" / "authorities.csv"


@transaction.atomic
def ensure_reference_organisations(*, source: str = "reference-data") -> int:
    """Create the programme office and the provincial-level authorities that are missing.

    Idempotent: existing organisations (possibly renamed by a ministry officer) are left as they are.
    Returns how many were created.
    """
    with AUTHORITIES_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    existing = set(Organisation.objects.values_list("code", flat=True))
    created = 0
    ministry = Organisation.objects.filter(kind=OrganisationKind.MINISTRY).order_by("pk").first()
    for row in rows:
        if row["code"] in existing:
            continue
        org = create_organisation(
            actor=None,
            kind=row["kind"],
            code=row["code"],
            name=row["name"],
            name_en=row["name_en"],
            division_code=row["division_code"],
            parent=None if row["kind"] == OrganisationKind.MINISTRY else ministry,
            reason=_("加载参考数据"),
            source=source,
        )
        if org.kind == OrganisationKind.MINISTRY:
            ministry = org
        created += 1
    return created
