"""Shared fixtures: a small world of organisations and one user per role, built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from citypilot.accounts import services as accounts
from citypilot.accounts.choices import OrganisationKind, Role
from citypilot.accounts.models import Organisation, User

PASSWORD = "a-Long-test-passw0rd"


@pytest.fixture(autouse=True)
def _isolated_media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests only
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}}


@dataclass
class World:
    ministry: Organisation
    province_a: Organisation
    province_b: Organisation
    pilot_a: Organisation
    pilot_b: Organisation
    panel: Organisation
    users: dict[str, User]

    def client(self, who: str) -> Client:
        client = Client()
        if who != "anonymous":
            client.force_login(self.users[who])
        return client


def make_user(username: str, organisation: Organisation | None = None, role: str | None = None) -> User:
    user = accounts.create_user(actor=None, username=username, password=PASSWORD, display_name=username)
    if organisation is not None and role is not None:
        accounts.grant_membership(actor=None, user=user, organisation=organisation, role=role)
    return user


def build_world() -> World:
    accounts.ensure_reference_organisations()
    ministry = Organisation.objects.get(code="mohurd")
    province_a = Organisation.objects.get(code="prov-130000")
    province_b = Organisation.objects.get(code="prov-140000")
    pilot_a = accounts.create_organisation(
        actor=None, kind=OrganisationKind.PILOT, code="t-pilot-a", name="唐山市曹妃甸区人民政府", parent=province_a
    )
    pilot_b = accounts.create_organisation(
        actor=None, kind=OrganisationKind.PILOT, code="t-pilot-b", name="阳泉市人民政府", parent=province_b
    )
    panel = accounts.create_organisation(
        actor=None, kind=OrganisationKind.EXPERT_PANEL, code="t-panel", name="专家组", parent=ministry
    )
    users = {
        "ministry": make_user("t-ministry", ministry, Role.MINISTRY_OFFICER),
        "own_province": make_user("t-province-a", province_a, Role.PROVINCIAL_OFFICER),
        "other_province": make_user("t-province-b", province_b, Role.PROVINCIAL_OFFICER),
        "pilot": make_user("t-pilot-a", pilot_a, Role.PILOT_OFFICER),
        "other_pilot": make_user("t-pilot-b", pilot_b, Role.PILOT_OFFICER),
        "expert": make_user("t-expert", panel, Role.EXPERT_REVIEWER),
        "observer": make_user("t-observer", province_a, Role.OBSERVER),
    }
    return World(ministry, province_a, province_b, pilot_a, pilot_b, panel, users)


@pytest.fixture
def world(db: Any) -> World:
    return build_world()
