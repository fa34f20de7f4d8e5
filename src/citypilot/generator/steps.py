"""What the generator makes, one function per kind of record, in the order they run.

To generate a new model: write ``@step("name") def make_name(ctx) -> int`` below the steps it depends
on, insert its rows with ``ctx.insert`` and give its history to ``ctx.audit_stream``. The final
``audit`` step writes every stream as one valid hash chain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from citypilot.accounts.choices import OrganisationKind, Role
from citypilot.accounts.models import Membership, Organisation, User
from citypilot.accounts.services import ensure_reference_organisations
from citypilot.divisions.centroids import stored_point
from citypilot.divisions.reference import load_reference
from citypilot.divisions.services import ensure_divisions_loaded
from citypilot.documents.choices import DocumentKind, FileType
from citypilot.documents.models import Document, DocumentVersion
from citypilot.notices.services import import_notice
from citypilot.pilots.choices import AreaKind, Resolution, SectionKind
from citypilot.pilots.models import Batch, Pilot, Section
from citypilot.pilots.services import organisation_name, pilot_organisation_code

from . import names, workflow
from .core import TIMELINE_END, AuditSpec, Context, content_sha256, step, write_audit

NOTICE_2013 = "notice_2013.txt"
SYNTHETIC_YEARS = (2012, 2014, 2015, 2016)
BATCH_DATES = {2012: date(2013, 1, 29), 2014: date(2015, 4, 7), 2015: date(2016, 1, 12), 2016: date(2016, 12, 20)}
BATCH_DOC_NUMBERS = {
    2012: "建办科〔2012〕42号",
    2014: "建办科〔2015〕19号",
    2015: "建办科〔2016〕4号",
    2016: "建办科〔2016〕59号",
}
SECTION_NEW_CITIES = ("一", "市、区")
SECTION_NEW_COUNTIES = ("二", "县、镇")


def _aware(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


# --- reference data and the real 2013 batch ---------------------------------------------------
@step("reference")
def make_reference(ctx: Context) -> int:
    """Divisions, the ministry and provincial authorities, and the real 2013 notice (published)."""
    from importlib.resources import files

    ensure_divisions_loaded(source="generator")
    ensure_reference_organisations(source="generator")
    if not Batch.objects.filter(year=2013).exclude(source_sha256="").exists():
        source = files("citypilot.notices").joinpath("fixtures", NOTICE_2013).read_bytes()
        import_notice(source, filename=NOTICE_2013, actor=None, publish=True, source_label="generator")
    authorities = {o.division_code: o for o in Organisation.objects.filter(kind=OrganisationKind.PROVINCE)}
    ctx.state["authorities"] = authorities
    ctx.state["ministry"] = Organisation.objects.get(kind=OrganisationKind.MINISTRY)
    return Pilot.objects.filter(batch__year=2013).count()


# --- batches, sections, pilots and their governments ------------------------------------------
def _area_kind(level: str, name: str) -> str:
    if level == "prefecture":
        return AreaKind.REGION if name.endswith(("地区", "州", "盟")) else AreaKind.PREFECTURE_CITY
    if name.endswith("区"):
        return AreaKind.DISTRICT
    if name.endswith("市"):
        return AreaKind.COUNTY_CITY
    return AreaKind.COUNTY


@step("pilots")
def make_pilots(ctx: Context) -> int:
    """Synthetic batches 2012 and 2014–2016 with pilots drawn from the divisions in force that year."""
    index = load_reference()
    authorities: dict[str, Organisation] = ctx.state["authorities"]
    wanted = max(len(SYNTHETIC_YEARS), ctx.targets.pilots - Pilot.objects.count())
    per_year = [wanted // len(SYNTHETIC_YEARS) + (1 if i < wanted % len(SYNTHETIC_YEARS) else 0) for i in range(4)]
    taken_names = set(Pilot.objects.values_list("name", flat=True))
    taken_codes = set(Organisation.objects.values_list("code", flat=True))
    made = 0
    org_rows: list[dict[str, Any]] = []
    pilot_rows: list[dict[str, Any]] = []
    history: list[tuple[datetime, int, str, int]] = []  # (at, org id, name, authority id)
    for year, count in zip(SYNTHETIC_YEARS, per_year, strict=True):
        notice_day = BATCH_DATES[year]
        published = _aware(notice_day)
        batch, _ = Batch.objects.get_or_create(year=year)
        batch.title = batch.title or f"住房城乡建设部办公厅关于公布{year}年度国家智慧城市试点名单的通知"
        batch.doc_number = batch.doc_number or BATCH_DOC_NUMBERS[year]
        batch.issuer = batch.issuer or "住房城乡建设部办公厅"
        batch.notice_date = batch.notice_date or notice_day
        batch.is_published, batch.published_at = True, batch.published_at or published
        batch.save()
        sections = {}
        for position, (ordinal, heading) in enumerate((SECTION_NEW_CITIES, SECTION_NEW_COUNTIES), start=1):
            section, _ = Section.objects.get_or_create(
                batch=batch,
                ordinal=ordinal,
                defaults={"heading": heading, "kind": SectionKind.NEW, "counted": 0, "position": position},
            )
            sections[ordinal] = section
        candidates = [
            r
            for r in index.valid_in(year)
            if r.level in ("prefecture", "county")
            and r.code[:2] + "0000" in authorities
            and r.full_name not in taken_names
            and not r.name.endswith(("市辖区", "直辖县级行政区划"))
        ]
        chosen = sorted(ctx.rng.sample(candidates, min(count, len(candidates))), key=lambda r: r.code)
        positions: dict[str, int] = defaultdict(int)
        org_ids = iter(ctx.allocate(Organisation, len(chosen)))
        pilot_ids = iter(ctx.allocate(Pilot, len(chosen)))
        for record in chosen:
            name = record.full_name
            code = pilot_organisation_code(year, name)
            if code in taken_codes:
                continue
            taken_codes.add(code)
            taken_names.add(name)
            kind = _area_kind(record.level, record.name)
            ordinal = SECTION_NEW_COUNTIES[0] if kind == AreaKind.COUNTY else SECTION_NEW_CITIES[0]
            positions[ordinal] += 1
            authority = authorities[record.code[:2] + "0000"]
            org_id = next(org_ids)
            at = published + timedelta(hours=ctx.rng.randint(1, 72))
            org_rows.append(
                {
                    "id": org_id,
                    "kind": OrganisationKind.PILOT,
                    "code": code,
                    "name": organisation_name(name, kind),
                    "division_code": record.code,
                    "parent_id": authority.pk,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            point = stored_point(record.code, year)
            pilot_rows.append(
                {
                    "id": next(pilot_ids),
                    "batch_id": batch.pk,
                    "section_id": sections[ordinal].pk,
                    "province_name": record.province_name,
                    "position": positions[ordinal],
                    "name_as_listed": name,
                    "name": name,
                    "kind": kind,
                    "resolution": Resolution.EXACT,
                    "division_code_at_batch": record.code,
                    "division_name_at_batch": record.name,
                    "current_divisions": [[r.code, r.full_name] for r in index.current(record.code)],
                    "resolution_reason": "",
                    "supervising_authority_id": authority.pk,
                    "organisation_id": org_id,
                    "lon": point[0] if point else None,
                    "lat": point[1] if point else None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            history.append((at, org_id, organisation_name(name, kind), authority.pk))
            made += 1
        for ordinal, section in sections.items():
            Section.objects.filter(pk=section.pk).update(counted=positions[ordinal], declared_count=positions[ordinal])
        batch.declared_total = sum(positions.values())
        batch.save(update_fields=["declared_total"])
    ctx.insert(Organisation, org_rows)
    ctx.insert(Pilot, pilot_rows)
    history.sort()

    def specs() -> Iterator[AuditSpec]:
        for at, org_id, org_name, authority_id in history:
            yield AuditSpec(
                at=at,
                action="organisation.create",
                model=Organisation,
                object_id=org_id,
                object_repr=org_name,
                organisation_id=authority_id,
                after={"kind": OrganisationKind.PILOT, "name": org_name},
                reason="公布试点名单",
            )

    ctx.audit_stream(len(history), specs)
    return made


# --- expert panels, users and memberships -----------------------------------------------------
# Shares of the users by role; pilot officers take the rest.
ROLE_SHARES = {
    Role.MINISTRY_OFFICER: 0.005,
    Role.PROVINCIAL_OFFICER: 0.06,
    Role.EXPERT_REVIEWER: 0.08,
    Role.OBSERVER: 0.04,
}
PANEL_SIZE = 40


@step("users")
def make_users(ctx: Context) -> int:
    """Users with Chinese names, one membership each (observers anywhere), and expert panels."""
    ministry: Organisation = ctx.state["ministry"]
    wanted = max(1, ctx.targets.users - User.objects.count())
    experts = max(1, round(wanted * ROLE_SHARES[Role.EXPERT_REVIEWER]))
    panel_count = max(1, experts // PANEL_SIZE)
    existing_panels = Organisation.objects.filter(kind=OrganisationKind.EXPERT_PANEL).count()
    panel_ids = list(ctx.allocate(Organisation, panel_count))
    ctx.insert(
        Organisation,
        (
            {
                "id": pk,
                "kind": OrganisationKind.EXPERT_PANEL,
                "code": f"panel-g{existing_panels + n + 1:03d}",
                "name": f"智慧城市试点评审专家组（第{existing_panels + n + 1}组）",
                "parent_id": ministry.pk,
                "created_at": ctx.moment(),
                "updated_at": TIMELINE_END,
            }
            for n, pk in enumerate(panel_ids)
        ),
    )
    provinces = list(Organisation.objects.filter(kind=OrganisationKind.PROVINCE).values_list("pk", flat=True))
    pilots = list(Organisation.objects.filter(kind=OrganisationKind.PILOT).values_list("pk", flat=True))
    everyone = [ministry.pk, *provinces, *pilots, *panel_ids]
    roles: list[tuple[str, int]] = []
    role: str
    for role, share in ROLE_SHARES.items():
        n = max(1, round(wanted * share))
        for _ in range(n):
            if role == Role.MINISTRY_OFFICER:
                roles.append((role, ministry.pk))
            elif role == Role.PROVINCIAL_OFFICER:
                roles.append((role, ctx.rng.choice(provinces)))
            elif role == Role.EXPERT_REVIEWER:
                roles.append((role, ctx.rng.choice(panel_ids)))
            else:
                roles.append((role, ctx.rng.choice(everyone)))
    while len(roles) < wanted:
        roles.append((Role.PILOT_OFFICER, ctx.rng.choice(pilots) if pilots else ministry.pk))
    roles = roles[:wanted]
    ctx.rng.shuffle(roles)
    user_ids = ctx.allocate(User, len(roles))
    membership_ids = ctx.allocate(Membership, len(roles))
    password = make_password(None)  # unusable: generated people sign in only through tokens the benchmark issues
    joined = ctx.moments(len(roles))
    users, memberships = [], []
    officers: dict[int, list[tuple[int, str]]] = defaultdict(list)
    history: list[tuple[datetime, int, str, int, str, int]] = []
    for user_id, membership_id, at, (role, org_id) in zip(user_ids, membership_ids, joined, roles, strict=True):
        display = names.person(ctx.rng)
        users.append(
            {
                "id": user_id,
                "password": password,
                "username": f"user{user_id:06d}",
                "email": f"user{user_id:06d}@example.gov.cn",
                "display_name": display,
                "date_joined": at,
                "phone": f"010-{ctx.rng.randint(60000000, 69999999)}",
            }
        )
        memberships.append(
            {
                "id": membership_id,
                "user_id": user_id,
                "organisation_id": org_id,
                "role": role,
                "created_at": at,
                "updated_at": at,
            }
        )
        if role != Role.OBSERVER:
            officers[org_id].append((user_id, display))
        history.append((at, user_id, display, membership_id, role, org_id))
    ctx.insert(User, users)
    ctx.insert(Membership, memberships)
    ctx.state["officers"] = officers

    def specs() -> Iterator[AuditSpec]:
        for at, user_id, display, membership_id, role, org_id in history:
            yield AuditSpec(
                at=at,
                action="user.create",
                model=User,
                object_id=user_id,
                object_repr=display,
                organisation_id=org_id,
                after={"username": f"user{user_id:06d}", "display_name": display},
            )
            yield AuditSpec(
                at=at + timedelta(seconds=30),
                action="membership.grant",
                model=Membership,
                object_id=membership_id,
                object_repr=display,
                organisation_id=org_id,
                after={"user": user_id, "organisation": org_id, "role": role},
            )

    ctx.audit_stream(2 * len(history), specs)
    return len(users)


# --- documents and their versions ---------------------------------------------------------------
KINDS_BY_ORG: dict[str, tuple[tuple[str, int], ...]] = {
    OrganisationKind.PILOT: (
        (DocumentKind.APPLICATION, 3),
        (DocumentKind.PLAN, 4),
        (DocumentKind.TASK_BOOK, 3),
        (DocumentKind.REPORT, 3),
        (DocumentKind.SPREADSHEET, 1),
    ),
    OrganisationKind.PROVINCE: ((DocumentKind.REVIEW_OPINION, 3), (DocumentKind.REPORT, 2), (DocumentKind.NOTICE, 1)),
    OrganisationKind.MINISTRY: ((DocumentKind.NOTICE, 3), (DocumentKind.REPORT, 1)),
    OrganisationKind.EXPERT_PANEL: ((DocumentKind.REVIEW_OPINION, 1),),
}
BLOBS_PER_TYPE = 8


def _blobs(ctx: Context) -> dict[str, list[tuple[str, int, str]]]:
    """A few tiny files per type, stored once each; versions share them (path, size, SHA-256)."""
    import io

    import openpyxl

    made: dict[str, list[tuple[str, int, str]]] = {FileType.PDF: [], FileType.XLSX: []}
    for n in range(BLOBS_PER_TYPE):
        body = f"BT /F1 12 Tf 72 720 Td (CityPilot {n}) Tj ET".encode()
        pdf = (
            b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n4 0 obj<</Length "
            + str(len(body)).encode()
            + b">>stream\n"
            + body
            + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        )
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        if sheet is None:  # pragma: no cover - a new workbook always has a sheet
            raise RuntimeError("openpyxl made a workbook without a sheet")
        sheet.append(["指标", "目标值"])
        sheet.append([f"指标{n}", n])
        buffer = io.BytesIO()
        workbook.save(buffer)
        for file_type, data in ((FileType.PDF, pdf), (FileType.XLSX, buffer.getvalue())):
            digest = content_sha256(data)
            path = f"generated/{digest}.{file_type}"
            if not default_storage.exists(path):
                default_storage.save(path, ContentFile(data))
            made[file_type].append((path, len(data), digest))
    return made


@step("documents")
def make_documents(ctx: Context) -> int:
    """Documents of every organisation kind with one to four versions, sharing a few tiny files."""
    # The rounds and selection step makes the documents its submissions and applications point to.
    reserved = len(workflow.plan(ctx).documents)
    wanted = max(1, ctx.targets.documents - Document.objects.count() - reserved)
    orgs = list(Organisation.objects.values_list("pk", "kind", "name"))
    heavy: dict[str, int] = {OrganisationKind.PILOT: 12, OrganisationKind.PROVINCE: 30}
    weights = [heavy.get(kind, 4) for _, kind, _ in orgs]
    blobs = _blobs(ctx)
    ctx.state["blobs"] = blobs
    officers: dict[int, list[tuple[int, str]]] = ctx.state.get("officers", {})
    doc_ids = ctx.allocate(Document, wanted)
    created = ctx.moments(wanted)
    documents: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    history: list[tuple[datetime, str, int, str, int, int | None, str, Any]] = []
    owners = ctx.rng.choices(orgs, weights=weights, k=wanted)
    for doc_id, at, (org_id, org_kind, org_name) in zip(doc_ids, created, owners, strict=True):
        kinds = KINDS_BY_ORG[org_kind]
        kind = ctx.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        file_type = FileType.XLSX if kind == DocumentKind.SPREADSHEET else FileType.PDF
        author = ctx.rng.choice(officers[org_id]) if officers.get(org_id) else (None, "system")
        title = names.document_title(ctx.rng, org_name, str(DocumentKind(kind).label), at.year)
        count = 1 + min(3, int(ctx.rng.expovariate(2.0)))
        version_ids = ctx.allocate(DocumentVersion, count)
        moment = at
        for number, version_id in enumerate(version_ids, start=1):
            path, size, digest = ctx.rng.choice(blobs[file_type])
            versions.append(
                {
                    "id": version_id,
                    "document_id": doc_id,
                    "number": number,
                    "file": path,
                    "original_name": f"{title}（第{number}版）.{file_type}",
                    "file_type": file_type,
                    "size": size,
                    "sha256": digest,
                    "note": "" if number == 1 else "根据评审意见修改",
                    "uploaded_by_id": author[0],
                    "uploaded_at": moment,
                }
            )
            payload = {"kind": kind, "title": title, "version": number, "sha256": digest}
            if number == 1:  # as documents.services.upload_document: the document, then its first version
                history.append((moment, "document.create", doc_id, title, org_id, author[0], author[1], payload))
            history.append((moment, "document.add_version", doc_id, title, org_id, author[0], author[1], payload))
            moment = min(TIMELINE_END, moment + timedelta(days=ctx.rng.randint(3, 120)))
        documents.append(
            {
                "id": doc_id,
                "kind": kind,
                "title": title,
                "organisation_id": org_id,
                "is_public": kind == DocumentKind.NOTICE or ctx.rng.random() < 0.1,
                "current_version_id": version_ids[-1],
                "created_by_id": author[0],
                "created_at": at,
                "updated_at": moment,
            }
        )
    # Documents and versions point at each other; the foreign keys are checked at commit.
    ctx.insert(Document, documents)
    ctx.insert(DocumentVersion, versions)
    history.sort(key=lambda item: item[0])

    def specs() -> Iterator[AuditSpec]:
        for at, action, doc_id, title, org_id, actor_id, actor_repr, payload in history:
            yield AuditSpec(
                at=at,
                action=action,
                model=Document,
                object_id=doc_id,
                object_repr=title,
                organisation_id=org_id,
                actor_id=actor_id,
                actor_repr=actor_repr,
                after=payload,
                source="web",
            )

    ctx.audit_stream(len(history), specs)
    return len(documents)


# --- rounds and selection ----------------------------------------------------------------------
@step("workflows")
def make_workflows(ctx: Context) -> int:
    """Rounds (one submission per pilot, with its history and document versions) and calls (applications,
    provincial reviews, expert assignments and scores), planned in ``workflow.plan`` before the documents."""
    made = workflow.write(ctx, ctx.state["blobs"] if "blobs" in ctx.state else _blobs(ctx))
    for name, count in made.items():
        ctx.log(f"    {name}: {count:,}")
    ctx.made.update({f"workflows.{name}": count for name, count in made.items()})
    return workflow.decisions(made)


# --- the audit chain, last: every stream above plus everyday activity up to the target ---------
def _activity(ctx: Context, count: int) -> Iterator[AuditSpec]:
    """Everyday edits spread evenly over the timeline: organisations' details, languages, tokens."""
    if count <= 0:
        return
    orgs = list(Organisation.objects.values_list("pk", "name", "parent_id"))
    users = list(User.objects.values_list("pk", "display_name"))
    span = (TIMELINE_END - datetime(2013, 1, 1, tzinfo=UTC)).total_seconds()
    start = datetime(2013, 1, 1, tzinfo=UTC)
    rng = ctx.rng
    for i in range(count):
        at = start + timedelta(seconds=round((i + rng.random()) * span / count, 6))
        roll = rng.random()
        if roll < 0.6 and orgs:
            org_id, name, _parent = orgs[rng.randrange(len(orgs))]
            before, after = names.phone_change(rng)
            yield AuditSpec(
                at=at,
                action="organisation.update",
                model=Organisation,
                object_id=org_id,
                object_repr=name,
                organisation_id=org_id,
                before={"phone": before},
                after={"phone": after},
                reason="更新联系方式",
                source="web",
            )
        elif roll < 0.8 and users:
            user_id, display = users[rng.randrange(len(users))]
            yield AuditSpec(
                at=at,
                action="api_token.issue",
                model=User,
                object_id=user_id,
                object_repr=display,
                organisation_id=None,
                actor_id=user_id,
                actor_repr=display,
                after={"name": "数据报送"},
                source="web",
            )
        elif users:
            user_id, display = users[rng.randrange(len(users))]
            language = rng.choice(["zh-hans", "en"])
            yield AuditSpec(
                at=at,
                action="user.set_language",
                model=User,
                object_id=user_id,
                object_repr=display,
                organisation_id=None,
                actor_id=user_id,
                actor_repr=display,
                after={"language": language},
                source="web",
            )


@step("audit")
def make_audit(ctx: Context) -> int:
    return write_audit(ctx, _activity)
