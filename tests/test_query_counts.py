"""Query discipline: a list, a page or a dashboard costs a fixed number of SQL queries.

Each page is requested by each role with a small world and again after the data has grown tenfold
(pilots, organisations, memberships, documents with versions, audit entries, extension lines); the
number of queries must not change. A page whose count grows with the data has an N+1 somewhere: look
for a missing ``select_related`` / ``prefetch_related`` or a query inside a template loop.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from citypilot.accounts import services as accounts
from citypilot.accounts.choices import OrganisationKind, Role
from citypilot.audit.services import record
from citypilot.documents import services as documents
from citypilot.documents.choices import DocumentKind
from citypilot.notices.services import import_notice
from citypilot.pilots.choices import AreaKind
from citypilot.pilots.models import Batch, ExtensionLine, Pilot, Section
from tests.conftest import World, make_user
from tests.files import pdf
from tests.pilots.conftest import SEED_BYTES

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "ministry", "own_province", "pilot", "expert", "observer")
UNIT = 6  # records of each kind added per unit of data


class Data:
    """The world, a published 2013 batch and a way to add ``units`` more of everything."""

    def __init__(self, world: World) -> None:
        self.world = world
        ministry = world.users["ministry"]
        import_notice(SEED_BYTES, filename="notice_2013.txt", actor=ministry, publish=True)
        self.batch = Batch.objects.get(year=2013)
        self.section = Section.objects.filter(batch=self.batch).order_by("position").first()
        # The pilot whose page is measured: one of the own province's, whose government is ``pilot_a``.
        self.pilot = Pilot.objects.filter(supervising_authority=world.province_a, is_placeholder=False).first()
        assert self.pilot is not None and self.section is not None
        Pilot.objects.filter(pk=self.pilot.pk).update(organisation=world.pilot_a)
        self.grown = 0

    def grow(self, units: int) -> None:
        world, ministry = self.world, self.world.users["ministry"]
        provinces = [world.province_a, world.province_b]
        for _ in range(units * UNIT):
            i = self.grown = self.grown + 1
            province = provinces[i % 2]
            org = accounts.create_organisation(
                actor=ministry, kind=OrganisationKind.PILOT, code=f"grow-{i}", name=f"增长试点{i}", parent=province
            )
            user = make_user(f"grow-user-{i}", org, Role.PILOT_OFFICER)
            accounts.grant_membership(actor=ministry, user=user, organisation=province, role=Role.OBSERVER)
            pilot = Pilot.objects.create(
                batch=self.batch,
                section=self.section,
                province_name="河北省" if province == world.province_a else "山西省",
                position=1000 + i,
                name_as_listed=f"增长试点{i}",
                name=f"增长试点{i}",
                kind=AreaKind.OTHER,
                supervising_authority=province,
                organisation=org,
            )
            for owner, public in ((org, i % 3 == 0), (world.pilot_a, i % 2 == 0), (province, False)):
                document = documents.upload_document(
                    actor=ministry,
                    organisation=owner,
                    kind=DocumentKind.OTHER,
                    title=f"文件{i}",
                    upload=io.BytesIO(pdf(f"d{i}")),
                    original_name=f"d{i}.pdf",
                    is_public=public,
                )
                documents.add_version(document, actor=ministry, upload=io.BytesIO(pdf(f"v{i}")), original_name="v.pdf")
            with transaction.atomic():
                for target in (self.pilot, pilot):
                    record(actor=ministry, action="pilot.note", obj=target, organisation=province, reason=f"{i}")
            extension_section = Section.objects.get_or_create(
                batch=self.batch,
                ordinal=f"G{i}",
                defaults={"heading": "扩大范围", "kind": "extension", "counted": 1, "position": 100 + i},
            )[0]
            ExtensionLine.objects.create(
                batch=self.batch,
                section=extension_section,
                position=1,
                base_pilot=self.pilot,
                text=f"扩大范围{i}",
            )


@pytest.fixture
def data(world: World) -> Data:
    data = Data(world)
    data.grow(1)
    return data


PAGES: dict[str, Callable[[Data], str]] = {
    "home": lambda d: "/",
    "registry list": lambda d: "/registry/",
    "registry list, filtered": lambda d: "/registry/?province=河北省&kind=district",
    "registry list, deep page": lambda d: "/registry/?page=2",
    "registry API list": lambda d: "/api/pilots/?limit=100",
    "registry API list, filtered": lambda d: "/api/pilots/?province=河北省&kind=district",
    "pilot page": lambda d: f"/registry/pilots/{d.pilot.pk}/",
    "pilot API detail": lambda d: f"/api/pilots/{d.pilot.pk}",
    "organisation list": lambda d: "/accounts/organisations/",
    "organisation API list": lambda d: "/api/accounts/organisations?limit=500",
    "document list": lambda d: "/documents/",
    "document API list": lambda d: "/api/documents/?limit=500",
    "audit list": lambda d: "/audit/",
    "audit API list": lambda d: "/api/audit/?limit=500",
}


def count_queries(client: Client, url: str) -> tuple[int, int, list[str]]:
    client.get(url)  # warm per-process caches (content types, translations, sessions)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    return response.status_code, len(context.captured_queries), [q["sql"] for q in context.captured_queries]


def measure(data: Data) -> dict[tuple[str, str], tuple[int, int, list[str]]]:
    clients = {role: data.world.client(role) for role in ROLES}
    return {(page, role): count_queries(clients[role], url(data)) for page, url in PAGES.items() for role in ROLES}


def test_query_count_does_not_grow_with_the_data(data: Data) -> None:
    """Every page, every role: the same number of queries with small data and with ten times the data.

    One world for all pages (building it is the slow part); the failure lists every page that grew."""
    small = measure(data)
    data.grow(9)
    large = measure(data)
    problems = []
    for key, (status, count, _sql) in small.items():
        status_large, count_large, sql_large = large[key]
        if (status, count) != (status_large, count_large):
            problems.append(
                f"{key[0]} as {key[1]}: HTTP {status} with {count} queries on small data, "
                f"HTTP {status_large} with {count_large} on 10x:\n  " + "\n  ".join(sql_large)
            )
    assert not problems, "\n\n".join(problems)
    assert any(status == 200 and count > 0 for status, count, _ in large.values())
