"""Generated permission tests: every model, every kind of actor, every operation it has.

For each model a ``ModelSpec`` says how to make a record owned by province A's pilot, where the API
and the HTML pages show it, and which writes exist. The matrix then checks, for the anonymous public,
another province, the own province and the ministry (plus the other roles), that reads show exactly
what the scope allows and that a denied write is refused *and changes nothing*.

Adding a model: add a ``ModelSpec`` to SPECS (or, for an internal table with no endpoint, an entry
with its reason to INTERNAL). ``test_every_model_is_covered`` fails until you do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client

from citypilot.accounts.models import ApiToken, Membership, Organisation, User
from citypilot.accounts.services import issue_api_token
from citypilot.audit.models import AuditEntry
from citypilot.documents import services as documents
from citypilot.documents.choices import DocumentKind
from citypilot.documents.models import Document, DocumentVersion
from citypilot.jobs.choices import JobKind
from citypilot.jobs.models import Job
from citypilot.pilots.models import Batch, BatchDeadline, ExtensionArea, ExtensionLine, Pilot, Section
from tests import files
from tests.conftest import World
from tests.rounds.matrix import round_specs
from tests.selection.matrix import selection_specs

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "other_province", "own_province", "ministry", "pilot", "other_pilot", "expert", "observer")
PROJECT_APPS = {
    "core",
    "accounts",
    "audit",
    "documents",
    "jobs",
    "web",
    "divisions",
    "notices",
    "pilots",
    "selection",
    "rounds",
    "notifications",
}
INTERNAL = {
    "audit.AuditChainHead": "one-row lock for appending to the audit chain; no endpoint reads or writes it",
    "divisions.Division": "public GB/T 2260 reference data, no endpoint yet; tested in tests/pilots/test_scoping.py",
    "divisions.ReferenceDataset": "records which version of the packaged division table is loaded; internal",
}


@dataclass
class Write:
    """A write request: ``call(client, obj, world)`` returns the response; ``allowed`` lists actors it is for."""

    name: str
    call: Callable[[Client, Any, World], Any]
    allowed: frozenset[str]


@dataclass
class ModelSpec:
    model: type[models.Model]
    make: Callable[[World], models.Model]
    readers: frozenset[str]
    list_url: str | None = None
    detail_url: Callable[[Any], str] | None = None
    html_url: Callable[[Any], str] | None = None
    writes: list[Write] = field(default_factory=list)
    list_key: str = "id"
    # For endpoints that answer every caller about themselves: is this response about ``obj``?
    detail_is_about: Callable[[Any, Any], bool] | None = None


def _pdf_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("plan.pdf", files.pdf(), content_type="application/pdf")


def make_document(world: World) -> Document:
    return documents.upload_document(
        actor=world.users["pilot"],
        organisation=world.pilot_a,
        kind=DocumentKind.PLAN,
        title="实施方案",
        upload=_pdf_upload(),
        original_name="plan.pdf",
    )


def make_job(world: World) -> Job:
    return Job.objects.create(kind=JobKind.AUDIT_VERIFY, created_by=world.users["ministry"])


def make_registry(world: World) -> ExtensionArea:
    """An unpublished batch with one pilot of province A and one extension area added to it."""
    batch = Batch.objects.create(year=2013, title="通知", source_sha256="0" * 64)
    new = Section.objects.create(batch=batch, ordinal="一", heading="市、区", kind="new", counted=1, position=1)
    extension = Section.objects.create(
        batch=batch, ordinal="二", heading="扩大范围", kind="extension", counted=1, position=2
    )
    BatchDeadline.objects.create(batch=batch, date="2013-09-01", description="评审意见", source_line=1)
    pilot = Pilot.objects.create(
        batch=batch,
        section=new,
        province_name="河北省",
        position=1,
        name_as_listed="唐山市曹妃甸区",
        name="唐山市曹妃甸区",
        supervising_authority=world.province_a,
        organisation=world.pilot_a,
        resolution="unresolved",
    )
    line = ExtensionLine.objects.create(
        batch=batch, section=extension, position=1, base_pilot=pilot, text="唐山市曹妃甸区试点新增某区"
    )
    return ExtensionArea.objects.create(line=line, position=1, name="某区", resolution="unresolved")


def _settle(url: str) -> Callable[[Client, Any, World], Any]:
    return lambda c, o, w: c.post(url.format(pk=o.pk), {"division_code": "130209", "kind": "district", "note": "核实"})


OWN_SCOPE = frozenset({"own_province", "ministry", "pilot", "observer"})

SPECS: list[ModelSpec] = [
    ModelSpec(
        Organisation,
        make=lambda w: w.pilot_a,
        readers=OWN_SCOPE,
        list_url="/api/accounts/organisations?limit=500",
        detail_url=lambda o: f"/api/accounts/organisations/{o.pk}",
        html_url=lambda o: f"/accounts/organisations/{o.pk}/",
        writes=[
            Write(
                "patch",
                lambda c, o, w: c.patch(
                    f"/api/accounts/organisations/{o.pk}",
                    {"expected_version": o.row_version, "reason": "r", "name": "改名"},
                    content_type="application/json",
                ),
                frozenset({"ministry"}),
            ),
            Write(
                "html-edit",
                lambda c, o, w: c.post(
                    f"/accounts/organisations/{o.pk}/edit/",
                    {"name": "改名", "division_code": "", "expected_version": o.row_version, "reason": "r"},
                ),
                frozenset({"ministry"}),
            ),
        ],
    ),
    ModelSpec(
        Membership,
        make=lambda w: Membership.objects.get(user=w.users["pilot"]),
        readers=OWN_SCOPE,
        list_url="/api/accounts/memberships?limit=500",
    ),
    ModelSpec(
        User,
        make=lambda w: w.users["pilot"],
        readers=frozenset({"pilot"}),
        detail_url=lambda u: "/api/accounts/me",
        detail_is_about=lambda response, user: response.json().get("username") == user.username,
    ),
    ModelSpec(
        ApiToken,
        make=lambda w: issue_api_token(w.users["pilot"], name="脚本")[0],
        readers=frozenset({"pilot"}),
        writes=[
            Write("revoke", lambda c, o, w: c.post(f"/accounts/tokens/{o.pk}/revoke/"), frozenset({"pilot"})),
        ],
    ),
    ModelSpec(
        Document,
        make=make_document,
        readers=OWN_SCOPE,
        list_url="/api/documents/?limit=500",
        detail_url=lambda d: f"/api/documents/{d.pk}",
        html_url=lambda d: f"/documents/{d.pk}/",
        writes=[
            Write(
                "create",
                lambda c, o, w: c.post(
                    "/api/documents/",
                    {"organisation_id": w.pilot_a.pk, "kind": "plan", "title": "新方案", "file": _pdf_upload()},
                ),
                frozenset({"own_province", "ministry", "pilot"}),
            ),
            Write(
                "add-version",
                lambda c, o, w: c.post(f"/api/documents/{o.pk}/versions", {"file": _pdf_upload()}),
                frozenset({"own_province", "ministry", "pilot"}),
            ),
        ],
    ),
    ModelSpec(
        DocumentVersion,
        make=lambda w: make_document(w).current_version,  # type: ignore[return-value]
        readers=OWN_SCOPE,
        detail_url=lambda v: f"/api/documents/{v.document_id}/versions/{v.number}/file",
        html_url=lambda v: f"/documents/{v.document_id}/versions/{v.number}/file/",
    ),
    ModelSpec(
        AuditEntry,
        make=lambda w: AuditEntry.objects.filter(organisation=w.pilot_a).order_by("seq").first(),  # type: ignore[arg-type,return-value]
        readers=OWN_SCOPE,
        list_url="/api/audit/?limit=500",
        list_key="seq",
        detail_url=lambda e: f"/api/accounts/organisations/{e.organisation_id}/history",
    ),
    ModelSpec(
        Job,
        make=make_job,
        readers=frozenset({"ministry"}),
        list_url="/api/jobs/",
        detail_url=lambda j: f"/api/jobs/{j.pk}",
        html_url=lambda j: f"/jobs/{j.pk}/",
        writes=[
            Write(
                "start",
                lambda c, o, w: c.post("/api/jobs/", {"kind": "audit_verify"}, content_type="application/json"),
                frozenset({"ministry"}),
            )
        ],
    ),
]


SPECS += [
    ModelSpec(
        Pilot,
        make=lambda w: make_registry(w).line.base_pilot,
        readers=OWN_SCOPE,
        list_url="/api/pilots/?limit=500",
        detail_url=lambda p: f"/api/pilots/{p.pk}",
        html_url=lambda p: f"/registry/pilots/{p.pk}/",
        writes=[Write("settle", _settle("/registry/settle/pilot/{pk}/"), frozenset({"ministry"}))],
    ),
    ModelSpec(
        ExtensionArea,
        make=make_registry,
        readers=OWN_SCOPE,
        writes=[Write("settle", _settle("/registry/settle/area/{pk}/"), frozenset({"ministry"}))],
    ),
    ModelSpec(
        ExtensionLine,
        make=lambda w: make_registry(w).line,
        readers=OWN_SCOPE,
        html_url=lambda line: f"/registry/pilots/{line.base_pilot_id}/",
    ),
    ModelSpec(
        Batch,
        make=lambda w: make_registry(w).line.batch,
        readers=OWN_SCOPE,
        html_url=lambda b: f"/registry/batches/{b.year}/notice/",
    ),
    ModelSpec(
        Section,
        make=lambda w: make_registry(w).line.section,
        readers=OWN_SCOPE,
        html_url=lambda section: f"/registry/batches/{section.batch.year}/notice/",
    ),
    ModelSpec(
        BatchDeadline,
        make=lambda w: make_registry(w).line.batch.deadlines.get(),
        readers=OWN_SCOPE,
        html_url=lambda d: f"/registry/batches/{d.batch.year}/notice/",
    ),
]

SPECS.extend(selection_specs(ModelSpec, Write))
SPECS.extend(round_specs(ModelSpec, Write))


def state() -> dict[str, Any]:
    """Everything a write could change: row counts and content of every project table."""
    snapshot: dict[str, Any] = {}
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            snapshot[model._meta.label] = sorted(
                json.dumps(row, sort_keys=True, default=str)
                for row in model.objects.values()  # type: ignore[attr-defined]
            )
    return snapshot


def test_every_model_is_covered() -> None:
    covered = {spec.model._meta.label for spec in SPECS} | set(INTERNAL)
    project_models = {m._meta.label for m in apps.get_models() if m._meta.app_label in PROJECT_APPS}
    assert project_models - covered == set(), "add a ModelSpec for each new model"
    assert covered - project_models == set()


def _ids_in_list(response: Any, key: str) -> set[Any]:
    return {item[key] for item in response.json()["items"]}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.model.__name__)
@pytest.mark.parametrize("actor", ACTORS)
def test_reads(spec: ModelSpec, actor: str, world: World) -> None:
    obj = spec.make(world)
    client = world.client(actor)
    allowed = actor in spec.readers
    if spec.list_url:
        response = client.get(spec.list_url)
        if actor == "anonymous" and response.status_code == 401:
            assert not allowed
        else:
            assert response.status_code == 200
            assert (getattr(obj, spec.list_key) in _ids_in_list(response, spec.list_key)) is allowed
    if spec.detail_url:
        response = client.get(spec.detail_url(obj))
        if spec.detail_is_about is not None:
            assert (response.status_code == 200 and spec.detail_is_about(response, obj)) is allowed
        elif allowed:
            assert response.status_code == 200
        else:
            assert response.status_code in (401, 404)
    if spec.html_url:
        response = client.get(spec.html_url(obj))
        if allowed:
            assert response.status_code == 200
        else:
            assert response.status_code in (302, 404)
    if spec.model is ApiToken:
        page = client.get("/accounts/tokens/")
        assert (page.status_code == 200 and obj.prefix in page.content.decode()) is allowed  # type: ignore[attr-defined]


WRITE_CASES = [(spec, write) for spec in SPECS for write in spec.writes]


@pytest.mark.parametrize(("spec", "write"), WRITE_CASES, ids=[f"{s.model.__name__}-{w.name}" for s, w in WRITE_CASES])
@pytest.mark.parametrize("actor", ACTORS)
def test_writes(spec: ModelSpec, write: Write, actor: str, world: World) -> None:
    obj = spec.make(world)
    client = world.client(actor)
    before = state()
    response = write.call(client, obj, world)
    if actor in write.allowed:
        assert response.status_code in (200, 201, 302), response.content
        assert state() != before
    else:
        assert response.status_code in (302, 401, 403, 404), response.content
        if response.status_code == 302:
            assert "/login/" in response["Location"]
        assert state() == before
