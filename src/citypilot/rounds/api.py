"""The round's JSON API: the same reads as the pages (scoped) and the same service functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from citypilot.core.api import ERRORS, get_scoped, require_login, scoped
from citypilot.documents.choices import DocumentKind
from citypilot.pilots.models import Batch

from . import selectors, services
from .choices import BoardState
from .clock import days_left
from .models import Round, Submission, SubmissionEvent

router = Router(tags=["rounds"])


class RoundOut(Schema):
    id: int
    batch_id: int
    title: str
    deadline: datetime
    reminder_days: list[int]
    overdue_reminder_days: list[int]
    status: str
    is_demo: bool
    row_version: int


class RoundIn(Schema):
    batch_id: int
    title: str
    deadline: datetime | None = None
    reminder_days: list[int] | None = None
    overdue_reminder_days: list[int] | None = None


class SubmissionOut(Schema):
    id: int
    round_id: int
    pilot_id: int
    pilot_name: str
    authority_id: int
    status: str
    board_state: str
    is_late: bool
    days_left: int | None
    overdue: bool
    first_submitted_at: datetime | None
    submitted_at: datetime | None
    times_submitted: int
    plan_id: int | None
    task_book_id: int | None
    opinion_id: int | None
    submitted_plan_version_id: int | None
    submitted_task_book_version_id: int | None
    opinion_version_id: int | None
    return_reason: str
    completed_at: datetime | None
    accepted_at: datetime | None
    row_version: int

    @staticmethod
    def resolve_pilot_name(obj: Submission) -> str:
        return obj.pilot.name

    @staticmethod
    def resolve_authority_id(obj: Submission) -> int:
        return obj.pilot.supervising_authority_id

    @staticmethod
    def resolve_board_state(obj: Submission) -> str:
        return selectors.board_state(obj)

    @staticmethod
    def resolve_days_left(obj: Submission) -> int | None:
        return selectors.timing(obj, timezone.now()).days_left

    @staticmethod
    def resolve_overdue(obj: Submission) -> bool:
        return selectors.timing(obj, timezone.now()).overdue


class EventOut(Schema):
    id: int
    action: str
    from_status: str
    to_status: str
    actor_repr: str
    at: datetime
    reason: str
    versions: dict[str, Any]
    is_late: bool
    source: str


class AuthorityCounts(Schema):
    authority_id: int
    authority_name: str
    total: int
    not_started: int
    submitted: int
    under_review: int
    returned: int
    complete: int
    accepted: int
    late: int
    overdue: int


class BoardOut(Schema):
    round: RoundOut
    days_left: int
    overdue: bool
    counts: list[AuthorityCounts]
    totals: dict[str, int]


class ActionIn(Schema):
    expected_version: int
    note: str = ""


class ReturnIn(Schema):
    expected_version: int
    reason: str


class UploadIn(Schema):
    expected_version: int
    note: str = ""


SUBMISSION_RELATED = ("pilot", "round")


@router.get("/", response={200: list[RoundOut], **ERRORS})
@paginate
def list_rounds(request: HttpRequest) -> Any:
    require_login(request)
    return scoped(request, Round).order_by("-deadline", "-pk")


@router.post("/", response={201: RoundOut, **ERRORS})
def open_round(request: HttpRequest, payload: RoundIn) -> Any:
    """Open the plan and task-book round of a published batch (ministry officers)."""
    user = require_login(request)
    batch = get_scoped(request, Batch, payload.batch_id)
    return 201, services.open_round(
        actor=user,
        batch=batch,
        title=payload.title,
        deadline=payload.deadline,
        reminder_days=payload.reminder_days,
        overdue_reminder_days=payload.overdue_reminder_days,
        source="api",
    )


@router.get("/{round_id}", response={200: RoundOut, **ERRORS})
def get_round(request: HttpRequest, round_id: int) -> Any:
    require_login(request)
    return get_scoped(request, Round, round_id)


@router.get("/{round_id}/board", response={200: BoardOut, **ERRORS})
def get_board(request: HttpRequest, round_id: int) -> Any:
    """Counts per supervising authority (days counted in Beijing time)."""
    require_login(request)
    round_ = get_scoped(request, Round, round_id)
    now = timezone.now()
    counts = selectors.board_counts(round_, request.user, now=now)
    return {
        "round": round_,
        "days_left": days_left(round_.deadline, now),
        "overdue": now > round_.deadline,
        "counts": [
            {
                "authority_id": row["pilot__supervising_authority_id"],
                "authority_name": row["pilot__supervising_authority__name"],
                **{key: row[key] for key in ("total", *selectors.COUNT_COLUMNS)},
            }
            for row in counts
        ],
        "totals": selectors.totals(counts),
    }


@router.get("/{round_id}/submissions", response={200: list[SubmissionOut], **ERRORS})
@paginate
def list_submissions(request: HttpRequest, round_id: int, province: int | None = None, state: str = "") -> Any:
    require_login(request)
    round_ = get_scoped(request, Round, round_id)
    return selectors.board_submissions(
        round_, request.user, province=province, state=state if state in BoardState.values else ""
    )


@router.get("/submissions/{submission_id}", response={200: SubmissionOut, **ERRORS})
def get_submission(request: HttpRequest, submission_id: int) -> Any:
    require_login(request)
    return get_scoped(request, Submission, submission_id, *SUBMISSION_RELATED)


@router.get("/submissions/{submission_id}/events", response={200: list[EventOut], **ERRORS})
@paginate
def list_events(request: HttpRequest, submission_id: int) -> Any:
    require_login(request)
    submission = get_scoped(request, Submission, submission_id)
    return SubmissionEvent.objects.filter(submission=submission).order_by("pk")


def _reload(submission: Submission) -> Submission:
    return Submission.objects.select_related(*SUBMISSION_RELATED).get(pk=submission.pk)


@router.post("/submissions/{submission_id}/documents/{kind}", response={200: SubmissionOut, **ERRORS})
def upload_document(
    request: HttpRequest, submission_id: int, kind: str, payload: Form[UploadIn], file: File[UploadedFile]
) -> Any:
    """Upload the plan (``plan``) or task book (``task_book``): a new version every time."""
    user = require_login(request)
    submission = get_scoped(request, Submission, submission_id, *SUBMISSION_RELATED)
    services.upload_document(
        submission,
        actor=user,
        kind=kind if kind in (DocumentKind.PLAN, DocumentKind.TASK_BOOK) else "",
        upload=file,
        original_name=file.name or "upload",
        note=payload.note,
        expected_version=payload.expected_version,
        source="api",
    )
    return _reload(submission)


@router.post("/submissions/{submission_id}/submit", response={200: SubmissionOut, **ERRORS})
def submit(request: HttpRequest, submission_id: int, payload: ActionIn) -> Any:
    user = require_login(request)
    submission = get_scoped(request, Submission, submission_id, *SUBMISSION_RELATED)
    services.submit(submission, actor=user, note=payload.note, expected_version=payload.expected_version, source="api")
    return _reload(submission)


@router.post("/submissions/{submission_id}/take", response={200: SubmissionOut, **ERRORS})
def take_for_review(request: HttpRequest, submission_id: int, payload: ActionIn) -> Any:
    user = require_login(request)
    submission = get_scoped(request, Submission, submission_id, *SUBMISSION_RELATED)
    services.take_for_review(submission, actor=user, expected_version=payload.expected_version, source="api")
    return _reload(submission)


@router.post("/submissions/{submission_id}/return", response={200: SubmissionOut, **ERRORS})
def return_submission(request: HttpRequest, submission_id: int, payload: ReturnIn) -> Any:
    user = require_login(request)
    submission = get_scoped(request, Submission, submission_id, *SUBMISSION_RELATED)
    services.return_submission(
        submission, actor=user, reason=payload.reason, expected_version=payload.expected_version, source="api"
    )
    return _reload(submission)


@router.post("/submissions/{submission_id}/opinion", response={200: SubmissionOut, **ERRORS})
def upload_opinion(request: HttpRequest, submission_id: int, payload: Form[UploadIn], file: File[UploadedFile]) -> Any:
    user = require_login(request)
    submission = get_scoped(request, Submission, submission_id, *SUBMISSION_RELATED)
    services.upload_opinion(
        submission,
        actor=user,
        upload=file,
        original_name=file.name or "upload",
        note=payload.note,
        expected_version=payload.expected_version,
        source="api",
    )
    return _reload(submission)


@router.post("/submissions/{submission_id}/accept", response={200: SubmissionOut, **ERRORS})
def accept(request: HttpRequest, submission_id: int, payload: ActionIn) -> Any:
    user = require_login(request)
    submission = get_scoped(request, Submission, submission_id, *SUBMISSION_RELATED)
    services.accept(submission, actor=user, note=payload.note, expected_version=payload.expected_version, source="api")
    return _reload(submission)
