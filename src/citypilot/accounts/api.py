from __future__ import annotations

from typing import Any

from django.db.models import F
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from citypilot.audit.api import AuditEntryOut, history_of
from citypilot.core.api import ERRORS, get_scoped, require_login, scoped

from . import services
from .models import Membership, Organisation
from .principals import principal_of

router = Router(tags=["accounts"])


class OrganisationOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    name_en: str
    division_code: str
    parent_id: int | None
    is_active: bool
    row_version: int


class OrganisationPatch(Schema):
    expected_version: int
    reason: str
    name: str | None = None
    name_en: str | None = None
    division_code: str | None = None
    is_active: bool | None = None


class MembershipOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str
    role: str


class MeOut(Schema):
    username: str
    display_name: str
    language: str
    roles: list[str]
    memberships: list[MembershipOut]


def _membership_out(membership: Membership) -> dict[str, Any]:
    return {
        "id": membership.pk,
        "organisation_id": membership.organisation_id,
        "organisation_name": membership.organisation.name,
        "role": membership.role,
    }


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest) -> Any:
    """The signed-in user, their roles and organisations."""
    user = require_login(request)
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    return {
        "username": user.username,
        "display_name": user.display_name,
        "language": user.language,
        "roles": sorted(principal_of(user).roles),
        "memberships": [_membership_out(m) for m in memberships],
    }


@router.get("/organisations", response={200: list[OrganisationOut], **ERRORS})
@paginate
def list_organisations(request: HttpRequest, kind: str = "", q: str = "") -> Any:
    """Organisations the caller may see; filter by kind and by name."""
    organisations = scoped(request, Organisation).in_directory_order()
    if kind:
        organisations = organisations.filter(kind=kind)
    if q:
        organisations = organisations.filter(name__icontains=q)
    return organisations


@router.get("/organisations/{org_id}", response={200: OrganisationOut, **ERRORS})
def get_organisation(request: HttpRequest, org_id: int) -> Any:
    return get_scoped(request, Organisation, org_id)


@router.patch("/organisations/{org_id}", response={200: OrganisationOut, **ERRORS})
def patch_organisation(request: HttpRequest, org_id: int, payload: OrganisationPatch) -> Any:
    """Edit an organisation (ministry officers). ``expected_version`` guards against lost updates."""
    user = require_login(request)
    org = get_scoped(request, Organisation, org_id)
    changes = payload.dict(exclude_unset=True, exclude={"expected_version", "reason"})
    changes = {key: value for key, value in changes.items() if value is not None}
    return services.update_organisation(
        org,
        actor=user,
        expected_version=payload.expected_version,
        changes=changes,
        reason=payload.reason,
        source="api",
    )


@router.get("/organisations/{org_id}/history", response={200: list[AuditEntryOut], **ERRORS})
@paginate
def organisation_history(request: HttpRequest, org_id: int) -> Any:
    return history_of(request, Organisation, org_id)


@router.get("/memberships", response={200: list[MembershipOut], **ERRORS})
@paginate
def list_memberships(request: HttpRequest) -> Any:
    """Memberships in the organisations the caller may see."""
    require_login(request)
    return scoped(request, Membership).annotate(organisation_name=F("organisation__name")).order_by("pk")
