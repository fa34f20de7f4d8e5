#!/usr/bin/env python3
"""A bounded load test: simulated users mixing reads and workflow writes, then a consistency check.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_gen .venv/bin/python benchmarks/load.py \
        --users 50 --duration 60

starts ``citypilot serve --workers 2`` (production settings) on a free loopback port unless
``--base-url`` names a running one, runs ``--users`` threads for ``--duration`` seconds (each request
bounded by a timeout; the loop stops by itself), then checks the database:

- every upload answered 201 exists, once, with exactly the versions whose uploads answered 201,
  numbered 1..n without gaps, and one audit entry per create and per added version;
- every organisation edit answered 200 is counted in the organisation's ``row_version`` and has its
  audit entry; edits refused with 409 (stale ``expected_version``) changed nothing; none is lost;
- every settlement answered 302 has its audit entry;
- workflow writes: every round transition (upload, submit, take for review, return, upload opinion,
  accept) and selection decision (provincial review, recommendation, expert assignment, scores)
  answered 2xx is in the history exactly once, with its audit entry; each event's ``from_status`` is
  the previous event's ``to_status``, the denormalised status is the last event's, ``row_version``
  counts the writes, accepted/complete counts agree with the events (``generator.consistency``);
- deliberate races (two officers sending the same transition on the same submission or application
  with the same ``expected_version`` at the same moment): never both succeed;
- ``verify_chain()`` passes.

Errors are every 5xx, every transport failure and every 4xx other than the expected 409 conflicts,
which are counted separately. The exit code is non-zero when there are errors or inconsistencies.
Writes: document uploads and versions, organisation edits with ``row_version``, settlement of a
pilot's division, and the round and selection workflows (``WORKFLOW`` below). Selection needs pending
applications, which generated data (all calls published) does not have: before the run a fresh call
is opened and applications of the provinces in the test are created and submitted through the services.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import LOOPBACK, ROOT, setup_django, start_server

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Person:
    role: str
    user_id: int
    org_id: int
    headers: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)


@dataclass
class Ledger:
    """What the clients were told; compared with the database at the end."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    ops: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0
    documents: dict[int, int] = field(default_factory=dict)  # id -> versions acknowledged
    org_edits: Counter[int] = field(default_factory=Counter)
    settlements: Counter[int] = field(default_factory=Counter)
    # (model, object id, action) -> transitions acknowledged with 2xx
    transitions: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    races: list[tuple[str, int, str, list[int]]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def note(self, op: str, status: int, elapsed: float, ok: set[int], detail: str = "") -> bool:
        with self.lock:
            self.ops[op] += 1
            self.statuses[f"{op} {status}"] += 1
            self.latencies.append(elapsed)
            if status == 409:
                self.conflicts += 1
                return False
            if status not in ok:
                self.errors.append(f"{op}: HTTP {status} {detail[:200]}")
                return False
            return True


def make_people(n: int, secret_seed: int) -> list[Person]:
    """``n`` people among the generated users: a tenth ministry officers, three tenths provincial officers,
    a tenth expert reviewers (with a profile), the rest pilot officers; those with work in an open round first."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from citypilot.accounts.choices import Role
    from citypilot.accounts.models import Membership
    from citypilot.accounts.services import issue_api_token
    from citypilot.rounds.models import Submission

    rng = random.Random(secret_seed)
    wanted = {
        Role.MINISTRY_OFFICER: max(1, n // 10),
        Role.PROVINCIAL_OFFICER: max(1, n * 3 // 10),
        Role.EXPERT_REVIEWER: max(1, n // 10),
    }
    wanted[Role.PILOT_OFFICER] = max(1, n - sum(wanted.values()))
    people: list[Person] = []
    # officers with work in an open round first: pilots with a submission, the authorities over them
    open_subs = Submission.objects.filter(round__status="open")
    busy = {
        Role.PILOT_OFFICER: set(open_subs.values_list("pilot__organisation_id", flat=True)),
        Role.PROVINCIAL_OFFICER: set(open_subs.values_list("pilot__supervising_authority_id", flat=True)),
    }
    for role, count in wanted.items():
        candidates = Membership.objects.filter(role=role).select_related("user").order_by("pk")
        if role in busy:
            working = list(candidates.filter(organisation_id__in=busy[role])[: count * 20])
            rest = list(candidates.exclude(organisation_id__in=busy[role])[: count * 20])
            memberships = working if len(working) >= count else working + rest
        elif role == Role.EXPERT_REVIEWER:
            memberships = list(candidates.filter(user__expert_profile__isnull=False)[: count * 20])
        else:
            memberships = list(candidates[: count * 20])
        for membership in rng.sample(memberships, min(count, len(memberships))):
            _token, key = issue_api_token(membership.user, name="load test")
            csrf = secrets.token_hex(16)  # 32 characters: a valid CSRF secret
            session = SessionStore()
            session[SESSION_KEY] = str(membership.user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = membership.user.get_session_auth_hash()
            session.create()
            people.append(
                Person(
                    role,
                    membership.user_id,
                    membership.organisation_id,
                    {"Authorization": f"Bearer {key}"},
                    {settings.SESSION_COOKIE_NAME: str(session.session_key), settings.CSRF_COOKIE_NAME: csrf},
                )
            )
    return people


def simulate(person: Person, base: str, deadline: float, ledger: Ledger, world: dict[str, Any], seed: int) -> None:
    import httpx

    rng = random.Random(seed)
    api_headers = {"X-Forwarded-Proto": "https", **person.headers}
    mine: list[int] = []
    with (
        httpx.Client(base_url=base, headers=api_headers, timeout=30) as api,
        httpx.Client(base_url=base, headers={"X-Forwarded-Proto": "https"}, cookies=person.cookies, timeout=30) as web,
    ):
        while time.monotonic() < deadline:
            action = rng.choices(world["actions"][person.role], weights=world["weights"][person.role])[0]
            t0 = time.perf_counter()
            try:
                action(person, api, web, rng, ledger, world, mine, t0)
            except httpx.HTTPError as error:
                with ledger.lock:
                    ledger.errors.append(f"{action.__name__}: {type(error).__name__} {error}")
            time.sleep(rng.uniform(0.0, 0.05))  # think time


def _elapsed(t0: float) -> float:
    return time.perf_counter() - t0


# --- reads -----------------------------------------------------------------------------------
READ_PATHS = (
    ("web", "/registry/"),
    ("web", "/registry/?province=河北省"),
    ("api", "/api/pilots/?limit=50"),
    ("api", "/api/pilots/map"),
    ("api", "/api/documents/?limit=20"),
    ("web", "/"),
    ("web", "/documents/"),
    ("api", "/api/audit/?limit=20"),
)


def read(
    person: Person,
    api: Any,
    web: Any,
    rng: random.Random,
    ledger: Ledger,
    world: dict[str, Any],
    mine: list[int],
    t0: float,
) -> None:
    via, path = rng.choice(READ_PATHS)
    if rng.random() < 0.3:
        via, path = "web", f"/registry/pilots/{rng.choice(world['pilots'])}/"
    response = (api if via == "api" else web).get(path)
    ledger.note("read", response.status_code, _elapsed(t0), {200})


# --- writes ----------------------------------------------------------------------------------
def upload(
    person: Person,
    api: Any,
    web: Any,
    rng: random.Random,
    ledger: Ledger,
    world: dict[str, Any],
    mine: list[int],
    t0: float,
) -> None:
    data = {"organisation_id": str(person.org_id), "kind": "plan", "title": f"负载测试实施方案{rng.randint(1, 10**6)}"}
    response = api.post("/api/documents/", data=data, files={"file": ("plan.pdf", PDF, "application/pdf")})
    if ledger.note("upload", response.status_code, _elapsed(t0), {201}, response.text):
        document_id = response.json()["id"]
        with ledger.lock:
            ledger.documents[document_id] = 1
        mine.append(document_id)


def add_version(
    person: Person,
    api: Any,
    web: Any,
    rng: random.Random,
    ledger: Ledger,
    world: dict[str, Any],
    mine: list[int],
    t0: float,
) -> None:
    if not mine:
        upload(person, api, web, rng, ledger, world, mine, t0)
        return
    document_id = rng.choice(mine)
    body = PDF + f"% version {rng.random()}\n".encode()
    response = api.post(
        f"/api/documents/{document_id}/versions",
        data={"note": "修改"},
        files={"file": ("v.pdf", body, "application/pdf")},
    )
    if ledger.note("add_version", response.status_code, _elapsed(t0), {201}, response.text):
        with ledger.lock:
            ledger.documents[document_id] += 1


def add_shared_version(
    person: Person,
    api: Any,
    web: Any,
    rng: random.Random,
    ledger: Ledger,
    world: dict[str, Any],
    mine: list[int],
    t0: float,
) -> None:
    """Several officers add versions to the same few documents at once: version numbers must not collide."""
    document_id = rng.choice(world["shared_documents"])
    body = PDF + f"% shared {rng.random()}\n".encode()
    response = api.post(
        f"/api/documents/{document_id}/versions",
        data={"note": "会签"},
        files={"file": ("s.pdf", body, "application/pdf")},
    )
    if ledger.note("add_shared_version", response.status_code, _elapsed(t0), {201}, response.text):
        with ledger.lock:
            ledger.documents[document_id] += 1


def edit_organisation(
    person: Person,
    api: Any,
    web: Any,
    rng: random.Random,
    ledger: Ledger,
    world: dict[str, Any],
    mine: list[int],
    t0: float,
) -> None:
    org_id = rng.choice(world["hot_orgs"])  # a few organisations, so that edits collide
    current = api.get(f"/api/accounts/organisations/{org_id}")
    if not ledger.note("read", current.status_code, _elapsed(t0), {200}):
        return
    version = current.json()["row_version"]
    time.sleep(rng.uniform(0, 0.02))  # the user reads the form
    t1 = time.perf_counter()
    response = api.patch(
        f"/api/accounts/organisations/{org_id}",
        json={
            "expected_version": version,
            "reason": "负载测试：更新英文名称",
            "name_en": f"Load test {rng.randint(1, 10**6)}",
        },
    )
    if ledger.note("edit_organisation", response.status_code, _elapsed(t1), {200}, response.text):
        with ledger.lock:
            ledger.org_edits[org_id] += 1


def settle(
    person: Person,
    api: Any,
    web: Any,
    rng: random.Random,
    ledger: Ledger,
    world: dict[str, Any],
    mine: list[int],
    t0: float,
) -> None:
    pilot_id, code, kind = rng.choice(world["settleable"])
    csrf = person.cookies["csrftoken"]
    url = f"/registry/settle/pilot/{pilot_id}/"
    response = web.post(
        url,
        data={"division_code": code, "kind": kind, "note": "负载测试：按区划代码认定", "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"https://{web.base_url.netloc.decode()}{url}", "X-CSRFToken": csrf},
    )
    if ledger.note("settle", response.status_code, _elapsed(t0), {302}, response.text):
        with ledger.lock:
            ledger.settlements[pilot_id] += 1


# --- workflow writes: rounds and selection ----------------------------------------------------
def _send(
    person: Person,
    api: Any,
    ledger: Ledger,
    world: dict[str, Any],
    rng: random.Random,
    key: tuple[str, int, str],
    request: Any,
    ok: set[int],
) -> None:
    """Send one transition, or with probability ``race_share`` the same one twice at the same moment
    (two officers on the same object with the same ``expected_version``): at most one may succeed."""
    import httpx

    op = key[2]
    if rng.random() >= world["race_share"]:
        t0 = time.perf_counter()
        response = request(api)
        if ledger.note(op, response.status_code, _elapsed(t0), ok, response.text):
            with ledger.lock:
                ledger.transitions[key] += 1
        return
    barrier = threading.Barrier(2)
    statuses = [0, 0]

    def one(n: int) -> None:
        try:
            with httpx.Client(base_url=api.base_url, headers=api.headers, timeout=30) as client:
                barrier.wait(timeout=10)
                t0 = time.perf_counter()
                response = request(client)
                statuses[n] = response.status_code
                if ledger.note(f"{op} (race)", response.status_code, _elapsed(t0), ok, response.text):
                    with ledger.lock:
                        ledger.transitions[key] += 1
        except (httpx.HTTPError, threading.BrokenBarrierError) as error:
            with ledger.lock:
                ledger.errors.append(f"{op} (race): {type(error).__name__} {error}")

    threads = [threading.Thread(target=one, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with ledger.lock:
        ledger.races.append((key[0], key[1], op, statuses))


def _file(name: str, rng: random.Random) -> dict[str, Any]:
    return {"file": (name, PDF + f"% {rng.random()}\n".encode(), "application/pdf")}


def round_work(
    person: Person,
    api: Any,
    web: Any,
    rng: random.Random,
    ledger: Ledger,
    world: dict[str, Any],
    mine: list[int],
    t0: float,
) -> None:
    """The next step of a submission in an open round, as the person's role allows."""
    pool = world["round_pools"].get(person.role if person.role == "ministry_officer" else person.org_id)
    if not pool:
        read(person, api, web, rng, ledger, world, mine, t0)
        return
    sub_id = rng.choice(pool)
    path = f"/api/rounds/submissions/{sub_id}"
    current = api.get(path)
    if not ledger.note("read", current.status_code, _elapsed(t0), {200}, current.text):
        return
    sub = current.json()
    status, version = sub["status"], sub["row_version"]
    form = {"expected_version": str(version), "note": "负载测试"}
    if person.role == "pilot_officer" and status in ("not_started", "returned"):
        kind = None
        if sub["plan_id"] is None or (status == "returned" and rng.random() < 0.5):
            kind = "plan"
        elif sub["task_book_id"] is None:
            kind = "task_book"
        if kind is not None:
            _send(
                person,
                api,
                ledger,
                world,
                rng,
                ("submission", sub_id, f"upload_{kind}"),
                lambda c: c.post(f"{path}/documents/{kind}", data=form, files=_file(f"{kind}.pdf", rng)),
                {200},
            )
        else:
            action = "resubmit" if status == "returned" else "submit"
            _send(
                person,
                api,
                ledger,
                world,
                rng,
                ("submission", sub_id, action),
                lambda c: c.post(f"{path}/submit", json={"expected_version": version}),
                {200},
            )
    elif person.role == "provincial_officer" and status in ("submitted", "resubmitted"):
        _send(
            person,
            api,
            ledger,
            world,
            rng,
            ("submission", sub_id, "take_for_review"),
            lambda c: c.post(f"{path}/take", json={"expected_version": version}),
            {200},
        )
    elif person.role == "provincial_officer" and status == "under_review":
        if rng.random() < 0.7:
            _send(
                person,
                api,
                ledger,
                world,
                rng,
                ("submission", sub_id, "upload_opinion"),
                lambda c: c.post(f"{path}/opinion", data=form, files=_file("opinion.pdf", rng)),
                {200},
            )
        else:
            body = {"expected_version": version, "reason": "负载测试：请补充建设目标的量化指标。"}
            _send(
                person,
                api,
                ledger,
                world,
                rng,
                ("submission", sub_id, "return"),
                lambda c: c.post(f"{path}/return", json=body),
                {200},
            )
    elif person.role == "ministry_officer" and status == "complete":
        if rng.random() < 0.85:
            _send(
                person,
                api,
                ledger,
                world,
                rng,
                ("submission", sub_id, "accept"),
                lambda c: c.post(f"{path}/accept", json={"expected_version": version}),
                {200},
            )
        else:
            body = {"expected_version": version, "reason": "负载测试：评审意见缺少签章，请补正。"}
            _send(
                person,
                api,
                ledger,
                world,
                rng,
                ("submission", sub_id, "return"),
                lambda c: c.post(f"{path}/return", json=body),
                {200},
            )


def selection_work(
    person: Person,
    api: Any,
    web: Any,
    rng: random.Random,
    ledger: Ledger,
    world: dict[str, Any],
    mine: list[int],
    t0: float,
) -> None:
    """Provinces review and recommend, the ministry assigns experts, experts score."""
    sel = world["selection"]
    if person.role == "expert_reviewer":
        listed = api.get("/api/selection/assignments", params={"status": "assigned", "limit": 20})
        if not ledger.note("read", listed.status_code, _elapsed(t0), {200}, listed.text):
            return
        items = listed.json()["items"]
        if not items:
            return
        assignment = rng.choice(items)
        scores = {dimension: rng.randint(10, sel["dimension_max"]) for dimension in sel["dimensions"]}
        body = {"expected_version": assignment["row_version"], "scores": scores, "opinion": "负载测试：方案可行。"}
        _send(
            person,
            api,
            ledger,
            world,
            rng,
            ("assignment", assignment["id"], "scored"),
            lambda c: c.post(f"/api/selection/assignments/{assignment['id']}/scores", json=body),
            {200},
        )
        return
    pool = sel["by_province"].get(person.org_id) if person.role == "provincial_officer" else sel["applications"]
    if person.role == "ministry_officer":  # what the ministry can act on, as last seen by anyone
        with ledger.lock:
            ready = [a for a, status in sel["seen"].items() if status in ("recommended", "national_review")]
        pool = ready if ready and rng.random() < 0.8 else pool
    if not pool:
        read(person, api, web, rng, ledger, world, mine, t0)
        return
    app_id = rng.choice(pool)
    path = f"/api/selection/applications/{app_id}"
    current = api.get(path)
    if not ledger.note("read", current.status_code, _elapsed(t0), {200}, current.text):
        return
    app = current.json()
    status, version = app["status"], app["row_version"]
    with ledger.lock:
        sel["seen"][app_id] = status
    if person.role == "provincial_officer" and status == "submitted":
        body = {
            "expected_version": version,
            "materials_complete": True,
            "site_visit_date": datetime.now(tz=UTC).date().isoformat(),
            "site_visit_participants": "负载测试考察组",
            "opinion": "负载测试：材料齐全，同意推荐。",
            "score": rng.randint(60, 95),
        }
        _send(
            person,
            api,
            ledger,
            world,
            rng,
            ("application", app_id, "provincial_review"),
            lambda c: c.post(f"{path}/provincial-review", json=body),
            {201},
        )
    elif person.role == "provincial_officer" and status == "province_reviewed":
        body = {"expected_version": version, "rank": sel["ranks"][app_id]}
        _send(
            person,
            api,
            ledger,
            world,
            rng,
            ("application", app_id, "recommended"),
            lambda c: c.post(f"{path}/recommend", json=body),
            {200},
        )
    elif person.role == "ministry_officer" and status in ("recommended", "national_review"):
        code = sel["province_codes"].get(app["province_id"], "")
        experts = [e for e, home in sel["experts"].items() if not (home and code and home[:2] == code[:2])]
        if not experts:
            return
        body = {"expected_version": version, "expert_id": rng.choice(experts)}
        _send(
            person,
            api,
            ledger,
            world,
            rng,
            ("application", app_id, "expert_assigned"),
            lambda c: c.post(f"{path}/assignments", json=body),
            {201},
        )


def prepare_selection(people: list[Person], rng: random.Random) -> dict[str, Any]:
    """A fresh open call with a few submitted applications in each province of the test's provincial
    officers (created by the system through the services, as a province's applicants would)."""
    import io

    from citypilot.accounts.choices import Role
    from citypilot.accounts.models import Membership, Organisation
    from citypilot.selection import services
    from citypilot.selection.choices import Dimension
    from citypilot.selection.models import Application, Call, ExpertProfile

    provinces = sorted({p.org_id for p in people if p.role == "provincial_officer"})
    used = set(Call.objects.values_list("year", flat=True))
    year = next(y for y in range(2030, 2100) if y not in used)
    per_province = 3 if len(people) >= 20 else 2  # the short CI run prepares fewer
    call = services.create_call(actor=None, year=year, title=f"负载测试{year}年度申报通知", default_quota=per_province)
    call = services.open_call(call, actor=None, expected_version=call.row_version, source="load-test")
    applications: list[int] = []
    by_province: dict[int, list[int]] = defaultdict(list)
    ranks: dict[int, int] = {}
    busy = set(Application.objects.filter(call__status__in=["open", "closed"]).values_list("applicant_id", flat=True))
    for province in provinces:
        # applicant governments with a pilot officer, who prepares the application as in real life
        officers = (
            Membership.objects.filter(
                role=Role.PILOT_OFFICER, organisation__parent_id=province, organisation__is_active=True
            )
            .exclude(organisation_id__in=busy)
            .select_related("user", "organisation")
            .order_by("organisation_id", "pk")
        )
        chosen: dict[int, Any] = {}
        for membership in officers:
            chosen.setdefault(membership.organisation_id, membership)
            if len(chosen) == per_province:
                break
        for rank, membership in enumerate(chosen.values(), start=1):
            actor, org = membership.user, membership.organisation
            app = services.create_application(
                actor=actor, call=call, applicant=org, area_name=org.name, source="load-test"
            )
            for key in call.material_names:
                services.attach_material(
                    app,
                    actor=actor,
                    material=key,
                    upload=io.BytesIO(PDF),
                    original_name=f"{key}.pdf",
                    source="load-test",
                )
            keys = list(call.condition_texts)
            app = services.confirm_conditions(
                app, actor=None, expected_version=None, confirmed=keys, source="load-test"
            )
            services.submit_application(app, actor=None, expected_version=None, source="load-test")
            applications.append(app.pk)
            by_province[province].append(app.pk)
            ranks[app.pk] = rank
    test_experts = {p.user_id for p in people if p.role == "expert_reviewer"}
    profiles = ExpertProfile.objects.filter(user_id__in=test_experts).select_related("province")
    return {
        "call": call.pk,
        "applications": applications,
        "by_province": dict(by_province),
        "ranks": ranks,
        "experts": {p.user_id: (p.province.division_code if p.province else "") for p in profiles},
        "province_codes": dict(Organisation.objects.filter(pk__in=provinces).values_list("pk", "division_code")),
        "seen": {},  # application id -> status last read by any simulated user
        "dimensions": list(Dimension.values),
        "dimension_max": call.dimension_max,
    }


def prepare_rounds(people: list[Person]) -> dict[Any, list[int]]:
    """Open-round submissions each person may move: a pilot's own, an authority's pilots', the ministry's."""
    from citypilot.rounds.models import Submission

    subs = Submission.objects.filter(round__status="open").order_by("pk")
    pools: dict[Any, list[int]] = {}
    for person in people:
        if person.role == "pilot_officer":
            pools[person.org_id] = list(subs.filter(pilot__organisation_id=person.org_id).values_list("pk", flat=True))
        elif person.role == "provincial_officer":
            pools[person.org_id] = list(
                subs.filter(pilot__supervising_authority_id=person.org_id).values_list("pk", flat=True)[:500]
            )
    provinces = [p.org_id for p in people if p.role == "provincial_officer"]
    watched = subs.filter(pilot__supervising_authority_id__in=provinces).values_list("pk", flat=True)[:2000]
    complete = subs.filter(status="complete").values_list("pk", flat=True)[:500]
    pools["ministry_officer"] = sorted(set(watched) | set(complete))
    return pools


def check_workflows(ledger: Ledger, world: dict[str, Any]) -> list[str]:
    """Every acknowledged transition is in the history once, with its audit entry; no race won twice;
    the touched submissions' and applications' histories are consistent."""
    from django.db.models import Count, Q

    from citypilot.audit.models import AuditEntry
    from citypilot.generator.consistency import application_problems, submission_problems
    from citypilot.rounds.models import SubmissionEvent
    from citypilot.selection.models import ApplicationEvent, ExpertScore

    problems: list[str] = []
    started = world["started"]
    acked = {key: n for key, n in ledger.transitions.items() if n}
    subs = sorted({obj for model, obj, _ in acked if model == "submission"})
    events = Counter(
        {
            ("submission", row["submission_id"], row["action"]): row["n"]
            for row in SubmissionEvent.objects.filter(at__gte=started, submission_id__in=subs)
            .values("submission_id", "action")
            .annotate(n=Count("pk"))
        }
    )
    apps = world["selection"]["applications"]
    # experts may also score assignments of earlier runs' applications: scores are looked up everywhere
    touched = ApplicationEvent.objects.filter(at__gte=started).filter(
        Q(application_id__in=apps) | Q(kind="scored", source="api")
    )
    for row in touched.values("application_id", "kind", "details"):
        if row["kind"] == "scored":
            events[("assignment", row["details"].get("assignment"), "scored")] += 1
        elif row["kind"] in ("provincial_review", "recommended", "expert_assigned"):
            events[("application", row["application_id"], row["kind"])] += 1
    audit = Counter()
    for action, object_id in AuditEntry.objects.filter(at__gte=started, source="api").values_list(
        "action", "object_id"
    ):
        model, _, verb = action.partition(".")
        if model == "expert_assignment":
            model = "assignment"
        audit[(model, int(object_id) if object_id.isdigit() else 0, verb)] += 1
    for key in sorted(set(acked) | set(events), key=str):
        if acked.get(key, 0) != events.get(key, 0):
            problems.append(f"{key}: {acked.get(key, 0)} acknowledged, {events.get(key, 0)} in the history")
        if acked.get(key, 0) != audit.get(key, 0):
            problems.append(f"{key}: {acked.get(key, 0)} acknowledged, {audit.get(key, 0)} audit entries")
    scored = [obj for model, obj, verb in acked if model == "assignment"]
    if ExpertScore.objects.filter(assignment_id__in=scored).count() != 4 * len(scored):
        problems.append("expert scores: not four per acknowledged scoring")
    for model, obj, op, statuses in ledger.races:
        if sum(200 <= s < 300 for s in statuses) > 1:
            problems.append(f"race on {model} {obj} ({op}) won twice: {statuses}")
    problems += submission_problems(submission_ids=subs)
    problems += application_problems(application_ids=apps)
    return problems


def prepare_world(people: list[Person]) -> dict[str, Any]:
    from citypilot.accounts.choices import OrganisationKind, Role
    from citypilot.accounts.models import Organisation
    from citypilot.pilots.models import Pilot

    started = datetime.now(tz=UTC)
    pilots = list(Pilot.objects.filter(is_placeholder=False).values_list("pk", flat=True)[:2000])
    settleable = list(
        Pilot.objects.filter(is_placeholder=False)
        .exclude(division_code_at_batch="")
        .values_list("pk", "division_code_at_batch", "kind")
        .order_by("pk")[:20]
    )
    hot = list(Organisation.objects.filter(kind=OrganisationKind.PILOT).order_by("pk").values_list("pk", flat=True)[:4])
    shared = _shared_documents(people)
    actions = {
        Role.MINISTRY_OFFICER: [read, edit_organisation, settle, add_shared_version, round_work, selection_work],
        Role.PROVINCIAL_OFFICER: [read, upload, add_version, round_work, selection_work],
        Role.PILOT_OFFICER: [read, upload, add_version, round_work],
        Role.EXPERT_REVIEWER: [read, selection_work],
    }
    weights = {
        Role.MINISTRY_OFFICER: [6, 3, 1, 2, 4, 5],
        Role.PROVINCIAL_OFFICER: [7, 2, 1, 5, 3],
        Role.PILOT_OFFICER: [6, 2, 2, 5],
        Role.EXPERT_REVIEWER: [3, 5],
    }
    return {
        "round_pools": prepare_rounds(people),
        "selection": prepare_selection(people, random.Random(len(people))),
        "race_share": 0.3,
        "pilots": pilots,
        "settleable": settleable,
        "hot_orgs": hot,
        "shared_documents": list(shared),
        "actions": actions,
        "weights": weights,
        "org_versions_before": dict(Organisation.objects.filter(pk__in=hot).values_list("pk", "row_version")),
        "started": started,
    }


def _shared_documents(people: list[Person]) -> dict[int, int]:
    """Three documents of the ministry that every ministry officer in the test adds versions to."""
    import io

    from citypilot.accounts.models import Organisation, User
    from citypilot.documents.services import upload_document

    ministry = next((p for p in people if p.role == "ministry_officer"), None)
    if ministry is None:
        return {}
    actor = User.objects.get(pk=ministry.user_id)
    org = Organisation.objects.get(pk=ministry.org_id)
    made = {}
    for n in range(3):
        document = upload_document(
            actor=actor,
            organisation=org,
            kind="plan",
            title=f"负载测试会签文件{n}",
            upload=io.BytesIO(PDF),
            original_name="shared.pdf",
            source="load-test",
        )
        made[document.pk] = 1
    return made


def check_database(ledger: Ledger, world: dict[str, Any]) -> list[str]:
    from django.db.models import Count

    from citypilot.accounts.models import Organisation
    from citypilot.audit.models import AuditEntry
    from citypilot.audit.services import verify_chain
    from citypilot.documents.models import Document, DocumentVersion

    problems: list[str] = []
    since = AuditEntry.objects.filter(at__gte=world["started"])
    ids = list(ledger.documents)
    found = set(Document.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if missing := set(ids) - found:
        problems.append(f"lost documents: {sorted(missing)[:10]}")
    numbers: dict[int, list[int]] = defaultdict(list)
    for document_id, number in DocumentVersion.objects.filter(document_id__in=ids).values_list("document_id", "number"):
        numbers[document_id].append(number)
    for document_id, acknowledged in ledger.documents.items():
        got = sorted(numbers.get(document_id, []))
        if got != list(range(1, acknowledged + 1)):
            problems.append(f"document {document_id}: versions {got}, {acknowledged} acknowledged")
    audit_by = Counter(
        {
            (row["action"], row["object_id"]): row["n"]
            for row in since.values("action", "object_id").annotate(n=Count("seq"))
        }
    )
    for document_id, acknowledged in ledger.documents.items():
        # upload_document writes document.create and, for version 1, document.add_version
        created, versions = (
            audit_by[("document.create", str(document_id))],
            audit_by[("document.add_version", str(document_id))],
        )
        if created != 1 or versions != acknowledged:
            problems.append(f"document {document_id}: audit entries do not match its versions")
    after = dict(Organisation.objects.filter(pk__in=world["hot_orgs"]).values_list("pk", "row_version"))
    for org_id, before in world["org_versions_before"].items():
        edits, logged = ledger.org_edits[org_id], audit_by[("organisation.update", str(org_id))]
        if after[org_id] - before != edits:
            problems.append(f"organisation {org_id}: row_version {before}->{after[org_id]}, {edits} edits acknowledged")
        if logged != edits:
            problems.append(f"organisation {org_id}: {logged} audit entries for {edits} acknowledged edits")
    for pilot_id, count in ledger.settlements.items():
        if audit_by[("pilot.settle_resolution", str(pilot_id))] != count:
            problems.append(f"pilot {pilot_id}: {count} settlements acknowledged, audit says otherwise")
    problems += check_workflows(ledger, world)
    result = verify_chain()
    if not result.ok:
        problems.append(f"audit chain broken at {result.broken_seq}: {result.problem}")
    return problems


def _per_action(transitions: Counter[tuple[str, int, str]]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for (model, _obj, verb), n in transitions.items():
        totals[f"{model}.{verb}"] += n
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", help="a running server on loopback (its SECRET_KEY must be in this environment)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="result file (default benchmarks/results/load-<db>-<time>.json)")
    args = parser.parse_args(argv)
    if args.base_url is None:
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(64)
    setup_django()
    import logging

    from django.db import connection

    logging.getLogger("httpx").setLevel(logging.WARNING)
    people = make_people(args.users, args.seed)
    world = prepare_world(people)
    server = None
    base = args.base_url
    if base is None:
        server, base = start_server(args.workers)
    if not base.split("//", 1)[-1].startswith(LOOPBACK):
        raise SystemExit("load tests run against loopback addresses only")
    ledger = Ledger()
    ledger.documents.update(dict.fromkeys(world["shared_documents"], 1))
    deadline = time.monotonic() + args.duration
    started = time.monotonic()
    try:
        threads = [
            threading.Thread(target=simulate, args=(p, base, deadline, ledger, world, args.seed * 1000 + n))
            for n, p in enumerate(people)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.duration + 120)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    wall = time.monotonic() - started
    problems = check_database(ledger, world)
    ms = sorted(v * 1000 for v in ledger.latencies)
    result = {
        "database": connection.vendor,
        "users": len(people),
        "duration_s": round(wall, 1),
        "requests": sum(ledger.ops.values()),
        "requests_per_s": round(sum(ledger.ops.values()) / wall, 1),
        "median_ms": round(ms[len(ms) // 2], 1) if ms else None,
        "p95_ms": round(ms[int(len(ms) * 0.95)], 1) if ms else None,
        "operations": dict(ledger.ops),
        "statuses": dict(sorted(ledger.statuses.items())),
        "conflicts_409": ledger.conflicts,
        "errors": len(ledger.errors),
        "error_samples": ledger.errors[:20],
        "documents_uploaded": len(ledger.documents),
        "versions_acknowledged": sum(ledger.documents.values()),
        "organisation_edits": sum(ledger.org_edits.values()),
        "settlements": sum(ledger.settlements.values()),
        "workflow_transitions": dict(sorted(_per_action(ledger.transitions).items())),
        "races": len(ledger.races),
        "races_won_once": sum(1 for *_, st in ledger.races if sum(200 <= s < 300 for s in st) == 1),
        "races_lost_both_409": sum(1 for *_, st in ledger.races if all(s == 409 for s in st)),
        "consistency_problems": problems,
        "audit_chain_ok": not any("audit chain" in p for p in problems),
    }
    out = (
        Path(args.out)
        if args.out
        else ROOT / "benchmarks" / "results" / f"load-{connection.vendor}-{datetime.now(tz=UTC):%Y%m%dT%H%M%S}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "statuses"}, ensure_ascii=False, indent=1))
    return 1 if ledger.errors or problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    raise SystemExit(main())
