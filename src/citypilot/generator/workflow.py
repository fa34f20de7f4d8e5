"""Rounds and selection for the generator: planned first, written later.

The plan (which rounds, which submissions in which states with which events, which calls and
applications with which decisions, which documents and versions they need) is drawn from its own
``random.Random`` before the documents step runs, so that step can leave room for the documents the
workflows need (the total stays at the scale's target) without changing the order of ``ctx.rng``.
``write`` then allocates primary keys, inserts the rows and gives their history to the audit chain.

Every row is what the services (``rounds.services``, ``selection.services``) would have written:
``status`` equals the ``to_status`` of the last state-changing event, ``row_version`` is one plus the
number of writes, late flags follow the first submission's time, finished submissions have their
opinion version and completion time, ranks are unique per call and province and within the quota.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from citypilot.accounts.choices import OrganisationKind, Role
from citypilot.accounts.models import Membership, Organisation
from citypilot.documents.choices import DocumentKind, FileType
from citypilot.documents.models import Document, DocumentVersion
from citypilot.pilots.models import Batch, Pilot
from citypilot.rounds.choices import RoundStatus, SubmissionAction, SubmissionStatus
from citypilot.rounds.models import Round, Submission, SubmissionEvent
from citypilot.selection.choices import (
    DEFAULT_CONDITIONS,
    DEFAULT_DIMENSION_MAX,
    DEFAULT_MATERIALS,
    ApplicationStatus,
    AssignmentStatus,
    CallStatus,
    Dimension,
    EventKind,
)
from citypilot.selection.models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    Call,
    ExpertAssignment,
    ExpertProfile,
    ExpertScore,
    ProvincialReview,
)

from .core import TIMELINE_END, AuditSpec, Context

Actor = tuple[int | None, str]
SYSTEM: Actor = (None, "system")
OPEN_ROUND_OPENED = datetime(2025, 9, 15, 2, 0, tzinfo=UTC)
OPEN_ROUND_DEADLINE = datetime(2025, 12, 15, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Beijing
MAX_ROUNDS_PER_BATCH = 10
# Rows (submission + events) a submission makes on average, to size the plan before drawing it.
ROWS_CLOSED, ROWS_OPEN = 11, 7

CLOSED_FINAL = {
    SubmissionStatus.ACCEPTED: 86,
    SubmissionStatus.COMPLETE: 5,
    SubmissionStatus.UNDER_REVIEW: 2,
    SubmissionStatus.RETURNED: 3,
    SubmissionStatus.RESUBMITTED: 1,
    SubmissionStatus.SUBMITTED: 1,
    SubmissionStatus.NOT_STARTED: 2,
}
OPEN_FINAL = {
    SubmissionStatus.NOT_STARTED: 14,
    SubmissionStatus.SUBMITTED: 14,
    SubmissionStatus.UNDER_REVIEW: 12,
    SubmissionStatus.RETURNED: 8,
    SubmissionStatus.RESUBMITTED: 5,
    SubmissionStatus.COMPLETE: 17,
    SubmissionStatus.ACCEPTED: 30,
}
RETURN_REASONS = (
    "任务书中建设目标缺少可量化指标，请补充后重新提交。",
    "实施方案的资金筹措渠道不明确，请细化投融资安排。",
    "请按指标体系补充智慧管理与服务方面的建设内容。",
    "建设周期与年度计划不一致，请核对后修改。",
    "缺少市政府主要负责人签字页，请补正。",
)
APP_OPINIONS = (
    "材料齐全，工作基础较好，同意推荐。",
    "规划纲要完整，组织保障有力，建议推荐。",
    "经实地考察，建设基础扎实，同意上报。",
)
EXPERT_OPINIONS = (
    "建设目标明确，实施路径清晰，建议批准。",
    "基础设施条件较好，产业支撑略弱，建议加强。",
    "方案较完整，资金保障需进一步落实。",
)


@dataclass
class PlannedDoc:
    kind: str
    org_id: int
    title: str
    versions: list[tuple[datetime, Actor]] = field(default_factory=list)
    id: int = 0
    version_ids: list[int] = field(default_factory=list)
    shas: list[str] = field(default_factory=list)

    def add(self, at: datetime, actor: Actor) -> int:
        self.versions.append((at, actor))
        return len(self.versions)


@dataclass
class SubEvent:
    action: str
    from_status: str
    to_status: str
    at: datetime
    actor: Actor
    reason: str = ""
    versions: dict[str, tuple[PlannedDoc, int]] = field(default_factory=dict)
    is_late: bool = False


@dataclass
class PlannedSubmission:
    pilot_id: int
    pilot_name: str
    org_id: int
    authority_id: int
    plan: PlannedDoc | None = None
    task_book: PlannedDoc | None = None
    opinion: PlannedDoc | None = None
    events: list[SubEvent] = field(default_factory=list)


@dataclass
class PlannedRound:
    batch_id: int
    title: str
    opened: datetime
    deadline: datetime
    closed_at: datetime | None
    opener: Actor
    submissions: list[PlannedSubmission] = field(default_factory=list)


@dataclass
class AppEvent:
    kind: str
    at: datetime
    actor: Actor
    from_status: str = ""
    to_status: str = ""
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    # what the event refers to, resolved to ids when written
    ref: Any = None


@dataclass
class PlannedApplication:
    applicant_id: int
    province_id: int
    area_name: str
    pilot_id: int | None
    status: str = ApplicationStatus.DRAFT
    rank: int | None = None
    submitted_at: datetime | None = None
    is_late: bool = False
    decided_at: datetime | None = None
    created: datetime = TIMELINE_END
    materials: dict[str, PlannedDoc] = field(default_factory=dict)
    confirmed: list[str] = field(default_factory=list)
    events: list[AppEvent] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    writes: int = 0


@dataclass
class PlannedCall:
    year: int
    batch_id: int
    published: datetime
    default_quota: int
    applications: list[PlannedApplication] = field(default_factory=list)


@dataclass
class Plan:
    rounds: list[PlannedRound]
    calls: list[PlannedCall]
    documents: list[PlannedDoc]
    experts: list[tuple[int, str, int]]  # user, name, home province (profiles to create)

    @property
    def rows(self) -> int:
        return sum(len(s.events) + 1 for r in self.rounds for s in r.submissions) + sum(
            len(a.events) for c in self.calls for a in c.applications
        )


# --- people -------------------------------------------------------------------------------------


@dataclass
class People:
    officers: dict[int, list[Actor]]
    ministry: list[Actor]
    provincial_any: list[Actor]
    experts: list[tuple[int, str, int | None]]

    def of(self, rng: random.Random, org_id: int, fallback: list[Actor] | None = None) -> Actor:
        found = self.officers.get(org_id)
        if found:
            return rng.choice(found)
        return rng.choice(fallback) if fallback else SYSTEM

    def province(self, rng: random.Random, org_id: int) -> Actor:
        return self.of(rng, org_id, self.provincial_any)

    def minister(self, rng: random.Random) -> Actor:
        return rng.choice(self.ministry) if self.ministry else SYSTEM


def _people(ctx: Context) -> People:
    officers: dict[int, list[Actor]] = defaultdict(list)
    ministry: list[Actor] = []
    provincial: list[Actor] = []
    experts: list[tuple[int, str, int | None]] = []
    profiles = dict(ExpertProfile.objects.values_list("user_id", "province_id"))
    rows = Membership.objects.filter(user__is_active=True).order_by("pk")
    for user_id, display, org_id, role in rows.values_list("user_id", "user__display_name", "organisation_id", "role"):
        actor = (user_id, display or f"user{user_id:06d}")
        if role == Role.PILOT_OFFICER or role == Role.PROVINCIAL_OFFICER:
            officers[org_id].append(actor)
        if role == Role.PROVINCIAL_OFFICER:
            provincial.append(actor)
        elif role == Role.MINISTRY_OFFICER:
            ministry.append(actor)
        elif role == Role.EXPERT_REVIEWER:
            experts.append((user_id, actor[1], profiles.get(user_id, -1)))
    return People(officers, ministry, provincial, experts)


def _later(rng: random.Random, at: datetime, low_days: float, high_days: float, end: datetime) -> datetime:
    """A moment ``low_days`` to ``high_days`` after ``at``, not after ``end`` unless ``at`` already is."""
    moved = at + timedelta(seconds=round(rng.uniform(low_days, high_days) * 86400, 6))
    return max(at, min(end, moved))


def _weighted(rng: random.Random, table: dict[Any, int]) -> Any:
    return rng.choices(list(table), weights=list(table.values()))[0]


# --- rounds -------------------------------------------------------------------------------------


def _round_dates(batch_day: date, k: int, total: int) -> tuple[str, datetime, datetime, datetime | None]:
    """(title suffix, opened, deadline, closed_at) of round ``k`` of ``total``; the last is open."""
    if k == total - 1:
        return "2025年度", OPEN_ROUND_OPENED, OPEN_ROUND_DEADLINE, None
    start = datetime(batch_day.year, batch_day.month, batch_day.day, 2, 0, tzinfo=UTC)
    if k == 0:
        opened = start + timedelta(days=7)
        deadline = start + timedelta(days=97, hours=13, minutes=59, seconds=59)
        label = "首次"
    else:
        span = 2025 - batch_day.year - 1
        year = batch_day.year + 1 + (k - 1) * max(1, span) // max(1, total - 2)
        year = min(year, 2024)
        opened = datetime(year, 3, 1, 2, 0, tzinfo=UTC)
        deadline = datetime(year, 6, 30, 15, 59, 59, tzinfo=UTC)
        label = f"{year}年度"
    return label, opened, deadline, deadline + timedelta(days=75)


def _walk_submission(
    rng: random.Random, sub: PlannedSubmission, rnd: PlannedRound, final: str, people: People, kinds: dict[str, str]
) -> None:
    end = rnd.closed_at or TIMELINE_END
    t = _later(rng, rnd.opened, 0.5, 25, end)
    pilot_actor = people.of(rng, sub.org_id)
    status = SubmissionStatus.NOT_STARTED
    events = sub.events

    def event(action: str, to: str, at: datetime, actor: Actor, **extra: Any) -> None:
        nonlocal status
        events.append(SubEvent(action, status, to, at, actor, **extra))
        status = to  # type: ignore[assignment]

    def upload(which: str) -> None:
        nonlocal t
        doc = getattr(sub, which)
        if doc is None:
            doc = PlannedDoc(which, sub.org_id, f"{sub.pilot_name}{kinds[which]}（{rnd.title}）")
            setattr(sub, which, doc)
        number = doc.add(t, pilot_actor)
        action = SubmissionAction.UPLOAD_PLAN if which == "plan" else SubmissionAction.UPLOAD_TASK_BOOK
        note = "" if number == 1 else "根据退回意见修改"
        event(action, status, t, pilot_actor, reason=note, versions={which: (doc, number)})
        t = _later(rng, t, 0.1, 6, end)

    def submitted() -> dict[str, tuple[PlannedDoc, int]]:
        assert sub.plan and sub.task_book  # noqa: S101 - uploaded before submitting
        return {"plan": (sub.plan, len(sub.plan.versions)), "task_book": (sub.task_book, len(sub.task_book.versions))}

    def submit() -> None:
        nonlocal t
        first = not any(e.action in (SubmissionAction.SUBMIT, SubmissionAction.RESUBMIT) for e in events)
        if first:
            late = rng.random() < 0.12
            early = rng.uniform(0, 75 if rnd.closed_at is None else 20)
            target = _later(rng, rnd.deadline, 0.05, 30, end) if late else rnd.deadline - timedelta(days=early)
            t = min(end, max(t, target))
        resubmit = status == SubmissionStatus.RETURNED
        event(
            SubmissionAction.RESUBMIT if resubmit else SubmissionAction.SUBMIT,
            SubmissionStatus.RESUBMITTED if resubmit else SubmissionStatus.SUBMITTED,
            t,
            pilot_actor,
            versions=submitted(),
            is_late=t > rnd.deadline,
        )
        t = _later(rng, t, 0.5, 12, end)

    reviewer = people.province(rng, sub.authority_id)

    def take() -> None:
        nonlocal t
        event(SubmissionAction.TAKE_FOR_REVIEW, SubmissionStatus.UNDER_REVIEW, t, reviewer, versions=submitted())
        t = _later(rng, t, 1, 15, end)

    def give_back(actor: Actor) -> None:
        nonlocal t
        versions = submitted()
        if status == SubmissionStatus.COMPLETE and sub.opinion:
            versions["review_opinion"] = (sub.opinion, len(sub.opinion.versions))
        event(
            SubmissionAction.RETURN,
            SubmissionStatus.RETURNED,
            t,
            actor,
            reason=rng.choice(RETURN_REASONS),
            versions=versions,
        )
        t = _later(rng, t, 2, 20, end)

    def opinion() -> None:
        nonlocal t
        if sub.opinion is None:
            sub.opinion = PlannedDoc(
                "review_opinion", sub.authority_id, f"{sub.pilot_name}实施方案和创建任务书评审意见（{rnd.title}）"
            )
        number = sub.opinion.add(t, reviewer)
        versions = {**submitted(), "review_opinion": (sub.opinion, number)}
        event(SubmissionAction.UPLOAD_OPINION, SubmissionStatus.COMPLETE, t, reviewer, versions=versions)
        t = _later(rng, t, 1, 20, end)

    if final == SubmissionStatus.NOT_STARTED:
        if rng.random() < 0.4:
            upload("plan")
        return
    upload("plan")
    upload("task_book")
    submit()
    if final == SubmissionStatus.SUBMITTED:
        return
    returns = 1 if final in (SubmissionStatus.RETURNED, SubmissionStatus.RESUBMITTED) else 0
    returns += 1 if rng.random() < 0.2 else 0
    for n in range(returns):
        take()
        give_back(reviewer)
        if final == SubmissionStatus.RETURNED and n == returns - 1:
            return
        upload("plan")
        if rng.random() < 0.5:
            upload("task_book")
        submit()
        if final == SubmissionStatus.RESUBMITTED and n == returns - 1:
            return
    take()
    if final == SubmissionStatus.UNDER_REVIEW:
        return
    opinion()
    if final == SubmissionStatus.COMPLETE:
        return
    if rng.random() < 0.03:  # the ministry sends a complete set back once
        give_back(people.minister(rng))
        upload("plan")
        submit()
        take()
        opinion()
    event(SubmissionAction.ACCEPT, SubmissionStatus.ACCEPTED, t, people.minister(rng), versions={})
    last = events[-1]
    last.versions = dict(events[-2].versions)


def _plan_batch_rounds(
    seed: int, batch: tuple[int, int, date], rounds: int, pilots: list[tuple[int, str, int, int]], people: People
) -> list[PlannedRound]:
    batch_id, year, day = batch
    rng = random.Random(f"{seed}-rounds-{year}-{rounds}")  # noqa: S311 - reproducible data
    kinds = {"plan": str(DocumentKind.PLAN.label), "task_book": str(DocumentKind.TASK_BOOK.label)}
    planned = []
    for k in range(rounds):
        label, opened, deadline, closed_at = _round_dates(day, k, rounds)
        title = f"{year}年批次试点{label}实施方案和创建任务书报送"
        rnd = PlannedRound(batch_id, title, opened, deadline, closed_at, people.minister(rng))
        table = OPEN_FINAL if closed_at is None else CLOSED_FINAL
        for pilot_id, name, org_id, authority_id in pilots:
            sub = PlannedSubmission(pilot_id, name, org_id, authority_id)
            _walk_submission(rng, sub, rnd, _weighted(rng, table), people, kinds)
            rnd.submissions.append(sub)
        planned.append(rnd)
    return planned


# --- selection ----------------------------------------------------------------------------------


def _plan_call(
    seed: int,
    batch: tuple[int, int, date],
    approved: list[tuple[int, str, int, int]],
    others: list[tuple[int, str, int]],
    people: People,
) -> PlannedCall:
    batch_id, year, day = batch
    rng = random.Random(f"{seed}-call-{year}")  # noqa: S311 - reproducible data
    published = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
    opened = published - timedelta(days=190)
    app_deadline = published - timedelta(days=120)
    rec_deadline = published - timedelta(days=90)
    call = PlannedCall(year, batch_id, published, 1)
    material_names = dict(DEFAULT_MATERIALS)
    applications: list[PlannedApplication] = []
    for pilot_id, name, org_id, authority_id in approved:
        applications.append(PlannedApplication(org_id, authority_id, name, pilot_id, ApplicationStatus.APPROVED))
    rng.shuffle(others)
    extra = others[: max(1, len(approved) // 3)] if others else []
    for n, (org_id, name, authority_id) in enumerate(extra):
        final = ApplicationStatus.NOT_APPROVED if n % 6 < 4 else ApplicationStatus.RETURNED if n % 6 == 4 else "draft"
        applications.append(PlannedApplication(org_id, authority_id, name, None, final))
    ranks: dict[int, int] = defaultdict(int)
    experts = people.experts
    for app in applications:
        final = app.status
        applicant = people.of(rng, app.applicant_id)
        province = people.province(rng, app.province_id)
        t = _later(rng, opened, 1, 40, app_deadline)
        app.created = t
        status = ApplicationStatus.DRAFT

        def change(kind: str, to: str, at: datetime, actor: Actor, app: PlannedApplication = app, **extra: Any) -> None:
            nonlocal status
            app.events.append(AppEvent(kind, at, actor, status, to if to != status else "", **extra))
            status = to  # type: ignore[assignment]
            app.writes += 1

        app.events.append(AppEvent(EventKind.CREATED, t, applicant, "", ApplicationStatus.DRAFT))
        keys = [key for key, _ in DEFAULT_MATERIALS]
        for key in keys if final != "draft" else keys[: rng.randint(1, 2)]:
            t = _later(rng, t, 0.1, 5, app_deadline)
            title = f"{app.area_name} {year}年度申报：{material_names[key]}"
            doc = app.materials.setdefault(key, PlannedDoc(DocumentKind.APPLICATION, app.applicant_id, title))
            number = doc.add(t, applicant)
            details = {"material": key, "name": material_names[key], "version": number}
            app.events.append(AppEvent(EventKind.MATERIAL, t, applicant, details=details, ref=("material", key)))
            app.writes += 1
        if final == "draft":
            app.status = ApplicationStatus.DRAFT
            continue
        t = _later(rng, t, 0.1, 3, app_deadline)
        app.confirmed = [key for key, _ in DEFAULT_CONDITIONS]
        change(EventKind.CONDITION, status, t, applicant, details={"conditions": app.confirmed})
        cycles = 2 if final == ApplicationStatus.RETURNED or rng.random() < 0.1 else 1
        for cycle in range(cycles):
            late = rng.random() < 0.04
            t = _later(rng, app_deadline, 0.2, 4, rec_deadline) if late else _later(rng, t, 0.5, 10, app_deadline)
            app.submitted_at, app.is_late = t, late
            change(
                EventKind.SUBMITTED, ApplicationStatus.SUBMITTED, t, applicant, details={"late": True} if late else {}
            )
            t = _later(rng, t, 2, 15, rec_deadline)
            complete = cycle == cycles - 1 and final != ApplicationStatus.RETURNED
            opinion = rng.choice(APP_OPINIONS) if complete else "材料不齐全，请补充投融资方案。"
            score = rng.randint(70, 96) if complete else rng.randint(40, 69)
            review = {
                "at": t,
                "reviewer": province,
                "materials_complete": complete,
                "site_visit_date": (t - timedelta(days=rng.randint(1, 10))).date(),
                "participants": "、".join(sorted({people.province(rng, app.province_id)[1] for _ in range(3)})),
                "opinion": opinion,
                "score": score,
            }
            app.reviews.append(review)
            details = {"score": score, "materials_complete": complete}
            change(
                EventKind.PROVINCIAL_REVIEW,
                ApplicationStatus.PROVINCE_REVIEWED,
                t,
                province,
                reason=opinion,
                details=details,
                ref=("review", len(app.reviews) - 1),
            )
            if not complete:
                t = _later(rng, t, 0.5, 5, rec_deadline)
                change(
                    EventKind.RETURNED,
                    ApplicationStatus.RETURNED,
                    t,
                    province,
                    reason="请补充项目投融资方案后重新提交。",
                )
                if final == ApplicationStatus.RETURNED:
                    break
                t = _later(rng, t, 0.5, 5, rec_deadline)
                doc = app.materials["financing_plan"]
                number = doc.add(t, applicant)
                details = {"material": "financing_plan", "name": material_names["financing_plan"], "version": number}
                app.events.append(
                    AppEvent(EventKind.MATERIAL, t, applicant, details=details, ref=("material", "financing_plan"))
                )
                app.writes += 1
        if final == ApplicationStatus.RETURNED:
            app.status, app.rank = ApplicationStatus.RETURNED, None
            continue
        ranks[app.province_id] += 1
        app.rank = ranks[app.province_id]
        t = _later(rng, t, 0.5, 10, rec_deadline)
        change(
            EventKind.RECOMMENDED, ApplicationStatus.RECOMMENDED, t, province, details={"rank": app.rank}, ref="rank"
        )
        ministry = people.minister(rng)
        eligible = [e for e in experts if not _same_province(e[2], app.province_id)]
        chosen = rng.sample(eligible, min(3, len(eligible)))
        t = _later(rng, rec_deadline, 1, 20, published - timedelta(days=40))
        conflict = rng.random() < 0.04 and len(chosen) > 1
        for n, (expert_id, expert_name, _home) in enumerate(chosen):
            t = _later(rng, t, 0.01, 1, published - timedelta(days=40))
            assignment: dict[str, Any] = {"expert": (expert_id, expert_name), "assigned_by": ministry, "at": t}
            app.assignments.append(assignment)
            details = {"expert": expert_id, "expert_name": expert_name}
            change(
                EventKind.EXPERT_ASSIGNED,
                ApplicationStatus.NATIONAL_REVIEW,
                t,
                ministry,
                details=details,
                ref=("assignment", n),
            )
        for n, assignment in enumerate(app.assignments):
            at = _later(rng, assignment["at"], 1, 20, published - timedelta(days=20))
            if conflict and n == 0:
                assignment.update(
                    status=AssignmentStatus.CONFLICT, reason="曾参与该市智慧城市规划编制，申请回避。", done=at
                )
                app.events.append(
                    AppEvent(
                        EventKind.CONFLICT_DECLARED,
                        at,
                        assignment["expert"],
                        reason=assignment["reason"],
                        ref=("assignment", n),
                    )
                )
                continue
            scores = {
                value: rng.randint(DEFAULT_DIMENSION_MAX // 2, DEFAULT_DIMENSION_MAX) for value in Dimension.values
            }
            opinion = rng.choice(EXPERT_OPINIONS)
            assignment.update(status=AssignmentStatus.SCORED, scores=scores, opinion=opinion, done=at)
            details = {"scores": scores, "total": sum(scores.values())}
            app.events.append(
                AppEvent(
                    EventKind.SCORED, at, assignment["expert"], reason=opinion, details=details, ref=("assignment", n)
                )
            )
        app.events.sort(key=lambda e: e.at)  # scores arrive in any order; statuses are unaffected
        t = _later(rng, max(e.at for e in app.events), 1, 10, published - timedelta(days=12))
        approve = final == ApplicationStatus.APPROVED
        app.decided_at = t
        reason = "" if approve else "综合评审得分未达到批准线。"
        change(EventKind.APPROVED if approve else EventKind.NOT_APPROVED, final, t, ministry, reason=reason)
        if approve:
            t = published - timedelta(days=rng.uniform(8, 10))
            change(EventKind.LISTED, status, t, ministry, details={"pilot": app.pilot_id}, ref="pilot")
        app.status = final
    call.applications = applications
    call.default_quota = max([2, *ranks.values()])
    return call


_PROVINCE_CODES: dict[int, str] = {}


def _same_province(home: int | None, province_id: int) -> bool:
    if home is None or home < 0:
        return False
    a, b = _PROVINCE_CODES.get(home, ""), _PROVINCE_CODES.get(province_id, "")
    return home == province_id or bool(a and b and a[:2] == b[:2])


# --- the plan -----------------------------------------------------------------------------------


def plan(ctx: Context) -> Plan:
    """Draw the rounds and calls for the synthetic and real batches, sized to the scale's target."""
    if "workflow_plan" in ctx.state:
        cached: Plan = ctx.state["workflow_plan"]
        return cached
    people = _people(ctx)
    provinces = list(
        Organisation.objects.filter(kind=OrganisationKind.PROVINCE).order_by("pk").values_list("pk", "division_code")
    )
    _PROVINCE_CODES.clear()
    _PROVINCE_CODES.update({pk: code or "" for pk, code in provinces})
    rng = random.Random(f"{ctx.seed}-experts")  # noqa: S311 - reproducible data
    new_profiles: list[tuple[int, str, int]] = []
    experts = []
    for user_id, name, home in people.experts:
        if home == -1 and provinces:
            home = rng.choice(provinces)[0]
            new_profiles.append((user_id, name, home))
        experts.append((user_id, name, home))
    people.experts = experts
    batches = [
        (pk, year, notice_date or (published_at.date() if published_at else date(year, 12, 1)))
        for pk, year, notice_date, published_at in Batch.objects.filter(is_published=True)
        .order_by("year")
        .values_list("pk", "year", "notice_date", "published_at")
    ]
    by_batch: dict[int, list[tuple[int, str, int, int]]] = defaultdict(list)
    org_pilot: dict[int, tuple[str, int]] = {}
    rows = (
        Pilot.objects.filter(is_placeholder=False, organisation__isnull=False)
        .order_by("pk")
        .values_list("pk", "name", "organisation_id", "supervising_authority_id", "batch_id")
    )
    for pilot_id, name, org_id, authority_id, batch_id in rows:
        by_batch[batch_id].append((pilot_id, name, org_id, authority_id))
        org_pilot.setdefault(org_id, (name, authority_id))
    with_round = set(Round.objects.values_list("batch_id", flat=True))
    with_call = set(Call.objects.values_list("year", flat=True)) | set(
        Call.objects.filter(batch__isnull=False).values_list("batch__year", flat=True)
    )
    target = ctx.targets.submissions
    # Calls first (a share of the target), then rounds until the target is reached.
    calls: list[PlannedCall] = []
    used = 0
    for batch in sorted(batches, key=lambda b: len(by_batch[b[0]])):
        if batch[1] in with_call or not by_batch[batch[0]]:
            continue
        approved_orgs: set[int] = set()
        approved = []
        for pilot in by_batch[batch[0]]:
            if pilot[2] not in approved_orgs:
                approved_orgs.add(pilot[2])
                approved.append(pilot)
        others = [(org, name, authority) for org, (name, authority) in org_pilot.items() if org not in approved_orgs]
        call = _plan_call(ctx.seed, batch, approved, others, people)
        call_rows = sum(len(a.events) for a in call.applications)
        if calls and used + call_rows > target * 0.35:
            continue  # a third of the target at most, but at least one call
        calls.append(call)
        used += call_rows
    candidates = [b for b in batches if b[0] not in with_round and by_batch[b[0]]]
    candidates.sort(key=lambda b: (-len(by_batch[b[0]]), b[1]))
    counts: dict[int, int] = defaultdict(int)
    estimate = used
    while candidates and (estimate < target or not counts):
        progressed = False
        for batch in candidates:
            if counts[batch[0]] >= MAX_ROUNDS_PER_BATCH or estimate >= target:
                continue
            per = ROWS_OPEN if counts[batch[0]] == 0 else ROWS_CLOSED
            counts[batch[0]] += 1
            estimate += per * len(by_batch[batch[0]])
            progressed = True
        if not progressed:
            break
    rounds: list[PlannedRound] = []
    for batch in candidates:
        if counts[batch[0]]:
            rounds += _plan_batch_rounds(ctx.seed, batch, counts[batch[0]], by_batch[batch[0]], people)
    result = Plan(rounds, calls, [], new_profiles)
    while result.rows < target:  # the estimate was short: one more round where it costs least
        open_batches = [b for b in candidates if counts[b[0]] < MAX_ROUNDS_PER_BATCH]
        if not open_batches:
            break
        batch = min(open_batches, key=lambda b: (counts[b[0]], b[1]))
        counts[batch[0]] += 1
        result.rounds = [r for r in result.rounds if r.batch_id != batch[0]]
        result.rounds += _plan_batch_rounds(ctx.seed, batch, counts[batch[0]], by_batch[batch[0]], people)
    docs: list[PlannedDoc] = []
    for rnd in result.rounds:
        for sub in rnd.submissions:
            docs += [d for d in (sub.plan, sub.task_book, sub.opinion) if d is not None]
    for call in result.calls:
        for app in call.applications:
            docs += list(app.materials.values())
    result.documents = docs
    ctx.state["workflow_plan"] = result
    return result


# --- writing ------------------------------------------------------------------------------------


def _version_json(ref: tuple[PlannedDoc, int]) -> dict[str, Any]:
    doc, number = ref
    return {"id": doc.version_ids[number - 1], "number": number, "sha256": doc.shas[number - 1]}


def write(ctx: Context, blobs: dict[str, list[tuple[str, int, str]]]) -> dict[str, int]:
    """Insert the plan's rows and register their audit history; returns counts per model."""
    work = plan(ctx)
    rng = random.Random(f"{ctx.seed}-workflow-files")  # noqa: S311 - reproducible data
    audit: list[AuditSpec] = []
    made: dict[str, int] = defaultdict(int)

    # documents and their versions
    doc_rows: list[dict[str, Any]] = []
    version_rows: list[dict[str, Any]] = []
    doc_ids = ctx.allocate(Document, len(work.documents))
    for doc, doc_id in zip(work.documents, doc_ids, strict=True):
        doc.id = doc_id
        doc.version_ids = list(ctx.allocate(DocumentVersion, len(doc.versions)))
        file_type = FileType.PDF
        for number, ((at, actor), version_id) in enumerate(zip(doc.versions, doc.version_ids, strict=True), start=1):
            path, size, digest = rng.choice(blobs[file_type])
            doc.shas.append(digest)
            version_rows.append(
                {
                    "id": version_id,
                    "document_id": doc_id,
                    "number": number,
                    "file": path,
                    "original_name": f"{doc.title}（第{number}版）.pdf",
                    "file_type": file_type,
                    "size": size,
                    "sha256": digest,
                    "note": "" if number == 1 else "根据评审意见修改",
                    "uploaded_by_id": actor[0],
                    "uploaded_at": at,
                }
            )
            payload = {"kind": doc.kind, "title": doc.title, "version": number, "sha256": digest}
            for action in ("document.create", "document.add_version") if number == 1 else ("document.add_version",):
                audit.append(
                    AuditSpec(
                        at=at,
                        action=action,
                        model=Document,
                        object_id=doc_id,
                        object_repr=doc.title,
                        organisation_id=doc.org_id,
                        actor_id=actor[0],
                        actor_repr=actor[1],
                        after=payload,
                        source="web",
                    )
                )
        doc_rows.append(
            {
                "id": doc_id,
                "kind": doc.kind,
                "title": doc.title[:300],
                "organisation_id": doc.org_id,
                "is_public": False,
                "current_version_id": doc.version_ids[-1],
                "created_by_id": doc.versions[0][1][0],
                "created_at": doc.versions[0][0],
                "updated_at": doc.versions[-1][0],
            }
        )
    made["documents"] = ctx.insert(Document, doc_rows)
    made["document_versions"] = ctx.insert(DocumentVersion, version_rows)
    _write_rounds(ctx, work, audit, made)
    _write_selection(ctx, work, audit, made)
    audit.sort(key=lambda spec: spec.at)
    ctx.audit_stream(len(audit), lambda: iter(audit))
    return dict(made)


def _write_rounds(ctx: Context, work: Plan, audit: list[AuditSpec], made: dict[str, int]) -> None:
    round_rows, sub_rows, event_rows = [], [], []
    round_ids = ctx.allocate(Round, len(work.rounds))
    for rnd, round_id in zip(work.rounds, round_ids, strict=True):
        sub_ids = ctx.allocate(Submission, len(rnd.submissions))
        last_at = rnd.opened
        for sub, sub_id in zip(rnd.submissions, sub_ids, strict=True):
            repr_ = f"{sub.pilot_name} · {rnd.title}"
            row: dict[str, Any] = {
                "id": sub_id,
                "round_id": round_id,
                "pilot_id": sub.pilot_id,
                "status": SubmissionStatus.NOT_STARTED,
                "times_submitted": 0,
                "is_late": False,
                "return_reason": "",
                "created_at": rnd.opened,
                "updated_at": rnd.opened,
                "row_version": 1,
            }
            event_ids = ctx.allocate(SubmissionEvent, len(sub.events))
            for ev, event_id in zip(sub.events, event_ids, strict=True):
                before = {"status": row["status"], "row_version": row["row_version"]}
                row["status"] = ev.to_status
                row["row_version"] += 1
                row["updated_at"] = ev.at
                versions = {kind: _version_json(ref) for kind, ref in ev.versions.items()}
                if ev.action == SubmissionAction.UPLOAD_PLAN:
                    row["plan_id"] = ev.versions["plan"][0].id
                elif ev.action == SubmissionAction.UPLOAD_TASK_BOOK:
                    row["task_book_id"] = ev.versions["task_book"][0].id
                elif ev.action in (SubmissionAction.SUBMIT, SubmissionAction.RESUBMIT):
                    row["submitted_plan_version_id"] = versions["plan"]["id"]
                    row["submitted_task_book_version_id"] = versions["task_book"]["id"]
                    row["submitted_at"] = ev.at
                    if row.get("first_submitted_at") is None:
                        row["first_submitted_at"] = ev.at
                        row["is_late"] = ev.is_late
                    row["times_submitted"] += 1
                elif ev.action == SubmissionAction.TAKE_FOR_REVIEW:
                    row["reviewer_id"] = ev.actor[0]
                elif ev.action == SubmissionAction.RETURN:
                    row["return_reason"] = ev.reason
                    row["opinion_version_id"] = None
                    row["completed_at"] = None
                elif ev.action == SubmissionAction.UPLOAD_OPINION:
                    row["opinion_id"] = ev.versions["review_opinion"][0].id
                    row["opinion_version_id"] = versions["review_opinion"]["id"]
                    row["completed_at"] = ev.at
                elif ev.action == SubmissionAction.ACCEPT:
                    row["accepted_at"] = ev.at
                    row["accepted_by_id"] = ev.actor[0]
                event_rows.append(
                    {
                        "id": event_id,
                        "submission_id": sub_id,
                        "action": ev.action,
                        "from_status": ev.from_status,
                        "to_status": ev.to_status,
                        "actor_id": ev.actor[0],
                        "actor_repr": ev.actor[1][:200],
                        "at": ev.at,
                        "reason": ev.reason,
                        "versions": versions,
                        "is_late": ev.is_late,
                        "source": "web",
                    }
                )
                audit.append(
                    AuditSpec(
                        at=ev.at,
                        action=f"submission.{ev.action}",
                        model=Submission,
                        object_id=sub_id,
                        object_repr=repr_,
                        organisation_id=sub.org_id,
                        actor_id=ev.actor[0],
                        actor_repr=ev.actor[1],
                        before=before,
                        after={"status": row["status"], "row_version": row["row_version"], "versions": versions},
                        reason=ev.reason,
                        source="web",
                    )
                )
                last_at = max(last_at, ev.at)
            sub_rows.append(row)
        round_rows.append(
            {
                "id": round_id,
                "batch_id": rnd.batch_id,
                "title": rnd.title,
                "deadline": rnd.deadline,
                "reminder_days": [14, 7, 3, 1],
                "overdue_reminder_days": [1, 7, 30],
                "status": RoundStatus.CLOSED if rnd.closed_at else RoundStatus.OPEN,
                "is_demo": False,
                "opened_by_id": rnd.opener[0],
                "closed_at": rnd.closed_at,
                "created_at": rnd.opened,
                "updated_at": rnd.closed_at or last_at,
                "row_version": 2 if rnd.closed_at else 1,
            }
        )
        after = {"batch": rnd.batch_id, "title": rnd.title, "deadline": rnd.deadline, "submissions": len(sub_ids)}
        audit.append(
            AuditSpec(
                at=rnd.opened - timedelta(seconds=1),
                action="round.open",
                model=Round,
                object_id=round_id,
                object_repr=rnd.title,
                organisation_id=None,
                actor_id=rnd.opener[0],
                actor_repr=rnd.opener[1],
                after=after,
                source="web",
            )
        )
        if rnd.closed_at:
            audit.append(
                AuditSpec(
                    at=rnd.closed_at,
                    action="round.close",
                    model=Round,
                    object_id=round_id,
                    object_repr=rnd.title,
                    organisation_id=None,
                    actor_id=rnd.opener[0],
                    actor_repr=rnd.opener[1],
                    before={"status": RoundStatus.OPEN, "closed_at": None},
                    after={"status": RoundStatus.CLOSED, "closed_at": rnd.closed_at},
                    source="web",
                )
            )
    made["rounds"] = ctx.insert(Round, round_rows)
    made["submissions"] = ctx.insert(Submission, sub_rows)
    made["submission_events"] = ctx.insert(SubmissionEvent, event_rows)


def _write_selection(ctx: Context, work: Plan, audit: list[AuditSpec], made: dict[str, int]) -> None:
    profile_ids = ctx.allocate(ExpertProfile, len(work.experts))
    profile_rows = []
    for (user_id, name, home), profile_id in zip(work.experts, profile_ids, strict=True):
        at = datetime(2012, 6, 1, tzinfo=UTC)
        profile_rows.append(
            {
                "id": profile_id,
                "user_id": user_id,
                "province_id": home,
                "specialities": "智慧城市规划",
                "created_at": at,
                "updated_at": at,
            }
        )
        audit.append(
            AuditSpec(
                at=at,
                action="expert_profile.set",
                model=ExpertProfile,
                object_id=profile_id,
                object_repr=name,
                organisation_id=None,
                after={"user": user_id, "province": home, "specialities": "智慧城市规划"},
            )
        )
    made["expert_profiles"] = ctx.insert(ExpertProfile, profile_rows)
    call_rows, app_rows, material_rows, review_rows = [], [], [], []
    assignment_rows, score_rows, event_rows = [], [], []
    call_ids = ctx.allocate(Call, len(work.calls))
    conditions = [{"key": key, "text": text} for key, text in DEFAULT_CONDITIONS]
    materials = [{"key": key, "name": name} for key, name in DEFAULT_MATERIALS]
    for call, call_id in zip(work.calls, call_ids, strict=True):
        title = f"关于开展{call.year}年度国家智慧城市试点申报工作的通知"
        opened = call.published - timedelta(days=190)
        call_rows.append(
            {
                "id": call_id,
                "year": call.year,
                "title": title,
                "doc_number": f"建办科函〔{opened.year}〕{100 + call.year % 100}号",
                "status": CallStatus.PUBLISHED,
                "conditions": conditions,
                "materials": materials,
                "default_quota": call.default_quota,
                "quota_overrides": {},
                "dimension_max": DEFAULT_DIMENSION_MAX,
                "application_deadline": (call.published - timedelta(days=120)).date(),
                "recommendation_deadline": (call.published - timedelta(days=90)).date(),
                "batch_id": call.batch_id,
                "list_notice_text": "",
                "is_demo": False,
                "created_at": opened - timedelta(days=10),
                "updated_at": call.published,
                "row_version": 5,
            }
        )
        for action, at in (
            ("call.create", opened - timedelta(days=10)),
            ("call.open", opened),
            ("call.close", call.published - timedelta(days=90)),
            ("call.finalised", call.published - timedelta(days=8)),
            ("call.published", call.published),
        ):
            audit.append(
                AuditSpec(
                    at=at,
                    action=action,
                    model=Call,
                    object_id=call_id,
                    object_repr=title,
                    organisation_id=None,
                    after={"year": call.year},
                )
            )
        app_ids = ctx.allocate(Application, len(call.applications))
        for app, app_id in zip(call.applications, app_ids, strict=True):
            repr_ = f"{app.area_name}（{call.year}）"
            material_ids = dict(zip(app.materials, ctx.allocate(ApplicationMaterial, len(app.materials)), strict=True))
            for key, doc in app.materials.items():
                material_rows.append(
                    {
                        "id": material_ids[key],
                        "application_id": app_id,
                        "material": key,
                        "document_id": doc.id,
                        "created_at": doc.versions[0][0],
                        "updated_at": doc.versions[-1][0],
                    }
                )
            review_ids = list(ctx.allocate(ProvincialReview, len(app.reviews)))
            for review, review_id in zip(app.reviews, review_ids, strict=True):
                review_rows.append(
                    {
                        "id": review_id,
                        "application_id": app_id,
                        "reviewer_id": review["reviewer"][0],
                        "materials_complete": review["materials_complete"],
                        "materials_note": "" if review["materials_complete"] else "缺少项目投融资方案。",
                        "site_visit_date": review["site_visit_date"],
                        "site_visit_participants": review["participants"][:500],
                        "site_visit_notes": "",
                        "opinion": review["opinion"],
                        "score": review["score"],
                        "created_at": review["at"],
                        "updated_at": review["at"],
                    }
                )
            assignment_ids = list(ctx.allocate(ExpertAssignment, len(app.assignments)))
            for assignment, assignment_id in zip(app.assignments, assignment_ids, strict=True):
                scored = assignment["status"] == AssignmentStatus.SCORED
                assignment_rows.append(
                    {
                        "id": assignment_id,
                        "application_id": app_id,
                        "expert_id": assignment["expert"][0],
                        "assigned_by_id": assignment["assigned_by"][0],
                        "status": assignment["status"],
                        "opinion": assignment.get("opinion", ""),
                        "total": sum(assignment["scores"].values()) if scored else None,
                        "scored_at": assignment["done"] if scored else None,
                        "conflict_reason": assignment.get("reason", ""),
                        "created_at": assignment["at"],
                        "updated_at": assignment["done"],
                        "row_version": 2,
                    }
                )
                if scored:
                    for dimension, score in assignment["scores"].items():
                        score_rows.append(
                            {"id": None, "assignment_id": assignment_id, "dimension": dimension, "score": score}
                        )
            event_ids = ctx.allocate(ApplicationEvent, len(app.events))
            status: str = ApplicationStatus.DRAFT
            for ev, event_id in zip(app.events, event_ids, strict=True):
                details = dict(ev.details)
                obj_model: Any = Application
                obj_id: int = app_id
                organisation: int | None = app.applicant_id
                action = f"application.{ev.kind}"
                if isinstance(ev.ref, tuple) and ev.ref[0] == "material":
                    details["document"] = app.materials[ev.ref[1]].id
                elif isinstance(ev.ref, tuple) and ev.ref[0] == "review":
                    details["review"] = review_ids[ev.ref[1]]
                elif isinstance(ev.ref, tuple) and ev.ref[0] == "assignment":
                    details["assignment"] = assignment_ids[ev.ref[1]]
                    organisation = None  # who reviews an application is confidential
                    if ev.kind in (EventKind.SCORED, EventKind.CONFLICT_DECLARED):
                        obj_model, obj_id, action = (
                            ExpertAssignment,
                            assignment_ids[ev.ref[1]],
                            f"expert_assignment.{ev.kind}",
                        )
                event_rows.append(
                    {
                        "id": event_id,
                        "application_id": app_id,
                        "kind": ev.kind,
                        "actor_id": ev.actor[0],
                        "actor_repr": ev.actor[1][:200],
                        "at": ev.at,
                        "from_status": ev.from_status,
                        "to_status": ev.to_status,
                        "reason": ev.reason,
                        "details": details,
                        "source": "web",
                    }
                )
                before = {"status": status}
                status = ev.to_status or status
                audit.append(
                    AuditSpec(
                        at=ev.at,
                        action=action,
                        model=obj_model,
                        object_id=obj_id,
                        object_repr=repr_,
                        organisation_id=organisation,
                        actor_id=ev.actor[0],
                        actor_repr=ev.actor[1],
                        before=before if ev.kind != EventKind.CREATED else None,
                        after={"status": status, **({"details": details} if details else {})},
                        reason=ev.reason,
                        source="web",
                    )
                )
            app_rows.append(
                {
                    "id": app_id,
                    "call_id": call_id,
                    "applicant_id": app.applicant_id,
                    "province_id": app.province_id,
                    "area_name": app.area_name[:200],
                    "summary": "",
                    "contact": "",
                    "status": app.status,
                    "confirmed_conditions": app.confirmed,
                    "submitted_at": app.submitted_at,
                    "is_late": app.is_late,
                    "rank": app.rank,
                    "decided_at": app.decided_at,
                    "pilot_id": app.pilot_id if app.status == ApplicationStatus.APPROVED else None,
                    "is_demo": False,
                    "created_at": app.created,
                    "updated_at": app.events[-1].at,
                    "row_version": 1 + app.writes,
                }
            )
    made["calls"] = ctx.insert(Call, call_rows)
    made["applications"] = ctx.insert(Application, app_rows)
    made["application_materials"] = ctx.insert(ApplicationMaterial, material_rows)
    made["provincial_reviews"] = ctx.insert(ProvincialReview, review_rows)
    made["expert_assignments"] = ctx.insert(ExpertAssignment, assignment_rows)
    score_ids = ctx.allocate(ExpertScore, len(score_rows))
    for row, score_id in zip(score_rows, score_ids, strict=True):
        row["id"] = score_id
    made["expert_scores"] = ctx.insert(ExpertScore, score_rows)
    made["application_events"] = ctx.insert(ApplicationEvent, event_rows)


def decisions(made: dict[str, int]) -> int:
    """What the issue counts as 'submissions and review decisions with versions'."""
    return made.get("submissions", 0) + made.get("submission_events", 0) + made.get("application_events", 0)


__all__ = ["Plan", "decisions", "plan", "write"]
