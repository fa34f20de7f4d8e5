from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from citypilot.accounts import services
from citypilot.accounts.choices import OrganisationKind, Role
from citypilot.accounts.models import ApiToken, Membership, Organisation
from citypilot.accounts.principals import principal_of
from citypilot.audit.models import AuditEntry
from citypilot.core.errors import ConcurrentUpdate, PermissionDenied, ValidationFailed
from tests.conftest import World, make_user

pytestmark = pytest.mark.django_db


def test_reference_organisations_match_the_notice_addressees() -> None:
    assert services.ensure_reference_organisations() == 38
    assert services.ensure_reference_organisations() == 0  # idempotent
    provinces = Organisation.objects.filter(kind=OrganisationKind.PROVINCE)
    assert provinces.count() == 37  # 31 provincial-level + 5 计划单列市 + 兵团
    assert set(provinces.filter(code__startswith="city-").values_list("division_code", flat=True)) == {
        "210200",
        "370200",
        "330200",
        "350200",
        "440300",
    }
    assert provinces.filter(code="xpcc", name="新疆生产建设兵团建设局").exists()
    assert all(p.parent and p.parent.kind == OrganisationKind.MINISTRY for p in provinces.select_related("parent"))


def test_a_pilot_must_hang_under_a_provincial_authority(world: World) -> None:
    with pytest.raises(ValidationFailed):
        services.create_organisation(actor=None, kind=OrganisationKind.PILOT, code="x", name="x", parent=world.ministry)
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(kind=OrganisationKind.PROVINCE, code="orphan", name="orphan")


def test_principals_scope_by_role(world: World) -> None:
    own = principal_of(world.users["own_province"])
    assert world.pilot_a.pk in own.visible_org_ids and world.pilot_b.pk not in own.visible_org_ids
    assert own.can_write_for(world.pilot_a.pk) and not own.can_write_for(world.pilot_b.pk)
    observer = principal_of(world.users["observer"])
    assert world.pilot_a.pk in observer.visible_org_ids
    assert observer.is_read_only and not observer.can_write_for(world.pilot_a.pk)
    pilot = principal_of(world.users["pilot"])
    assert pilot.visible_org_ids == {world.pilot_a.pk}
    assert principal_of(world.users["ministry"]).sees_everything


def test_roles_fit_their_organisation_kind(world: World) -> None:
    user = make_user("someone")
    with pytest.raises(ValidationFailed):
        services.grant_membership(actor=None, user=user, organisation=world.pilot_a, role=Role.PROVINCIAL_OFFICER)
    assert not Membership.objects.filter(user=user).exists()


def test_update_organisation_is_audited_and_versioned(world: World) -> None:
    ministry = world.users["ministry"]
    org = services.update_organisation(
        world.pilot_a, actor=ministry, expected_version=1, changes={"name": "新名称"}, reason="更名"
    )
    assert (org.name, org.row_version) == ("新名称", 2)
    entry = AuditEntry.objects.for_object(org).last()
    assert entry is not None
    assert (entry.action, entry.before, entry.after, entry.reason) == (
        "organisation.update",
        {"name": "唐山市曹妃甸区人民政府"},
        {"name": "新名称"},
        "更名",
    )


def test_a_stale_edit_is_refused_and_changes_nothing(world: World) -> None:
    ministry = world.users["ministry"]
    services.update_organisation(world.pilot_a, actor=ministry, expected_version=1, changes={"name": "A"}, reason="r")
    audit_count = AuditEntry.objects.count()
    with pytest.raises(ConcurrentUpdate):
        services.update_organisation(
            world.pilot_a, actor=ministry, expected_version=1, changes={"name": "B"}, reason="r"
        )
    assert Organisation.objects.get(pk=world.pilot_a.pk).name == "A"
    assert AuditEntry.objects.count() == audit_count


def test_only_the_ministry_edits_organisations(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.update_organisation(
            world.pilot_a, actor=world.users["own_province"], expected_version=1, changes={"name": "X"}, reason="r"
        )
    assert Organisation.objects.get(pk=world.pilot_a.pk).name == "唐山市曹妃甸区人民政府"


def test_api_tokens_store_only_a_hash(world: World) -> None:
    user = world.users["pilot"]
    token, key = services.issue_api_token(user, name="脚本")
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.key_hash, stored.prefix) and key.startswith(stored.prefix)
    assert services.authenticate_token(key) == user
    assert services.authenticate_token(key + "x") is None
    services.revoke_api_token(token, actor=user)
    assert services.authenticate_token(key) is None


def test_directory_order_puts_the_ministry_then_provinces_by_code(world: World) -> None:
    rows = list(Organisation.objects.in_directory_order().values_list("kind", "division_code"))
    kinds = [kind for kind, _ in rows]
    assert kinds[0] == OrganisationKind.MINISTRY
    assert kinds == sorted(kinds, key=["ministry", "province", "pilot", "expert_panel"].index)
    province_codes = [code for kind, code in rows if kind == OrganisationKind.PROVINCE and code]
    assert province_codes == sorted(province_codes) and province_codes[0] == "110000"
