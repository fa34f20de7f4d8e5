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
- ``verify_chain()`` passes.

Errors are every 5xx, every transport failure and every 4xx other than the expected 409 conflicts,
which are counted separately. The exit code is non-zero when there are errors or inconsistencies.
Writes today: document uploads and versions, organisation edits with ``row_version``, settlement of a
pilot's division. Round and selection transitions join when those apps land (``WRITES`` below).
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
    """``n`` people among the generated users: a tenth ministry officers, then provincial and pilot officers."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from citypilot.accounts.choices import Role
    from citypilot.accounts.models import Membership
    from citypilot.accounts.services import issue_api_token

    rng = random.Random(secret_seed)
    wanted = {
        Role.MINISTRY_OFFICER: max(1, n // 10),
        Role.PROVINCIAL_OFFICER: max(1, n * 3 // 10),
    }
    wanted[Role.PILOT_OFFICER] = max(1, n - sum(wanted.values()))
    people: list[Person] = []
    for role, count in wanted.items():
        memberships = list(Membership.objects.filter(role=role).select_related("user").order_by("pk")[: count * 20])
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
    reads_only = {
        Role.MINISTRY_OFFICER: [read, edit_organisation, settle, add_shared_version],
        Role.PROVINCIAL_OFFICER: [read, upload, add_version],
        Role.PILOT_OFFICER: [read, upload, add_version],
    }
    weights = {Role.MINISTRY_OFFICER: [6, 3, 1, 2], Role.PROVINCIAL_OFFICER: [7, 2, 1], Role.PILOT_OFFICER: [6, 2, 2]}
    return {
        "pilots": pilots,
        "settleable": settleable,
        "hot_orgs": hot,
        "shared_documents": list(shared),
        "actions": reads_only,
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
    result = verify_chain()
    if not result.ok:
        problems.append(f"audit chain broken at {result.broken_seq}: {result.problem}")
    return problems


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
