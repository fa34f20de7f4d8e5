"""The selection workflow's JSON API: every transition calls the same service function as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from citypilot.accounts.models import Organisation, User
from citypilot.core.api import ERRORS, get_scoped, require_login, scoped
from citypilot.core.errors import NotFound

from . import selectors, services
from .choices import Dimension
from .models import Application, ApplicationMaterial, Call, ExpertAssignment, ExpertProfile, ProvincialReview

router = Router(tags=["selection"])


# --------------------------------------------------------------------------------------------------
# Schemas


class ChecklistItem(Schema):
    key: str
    text: str = ""
    name: str = ""


class CallOut(Schema):
    id: int
    year: int
    title: str
    doc_number: str
    status: str
    conditions: list[ChecklistItem]
    materials: list[ChecklistItem]
    default_quota: int
    quota_overrides: dict[str, int]
    dimension_max: int
    application_deadline: dt.date | None
    recommendation_deadline: dt.date | None
    batch_id: int | None
    is_demo: bool
    row_version: int


class CallIn(Schema):
    year: int = Field(ge=2000, le=2100)
    title: str
    doc_number: str = ""
    default_quota: int = Field(2, ge=0, le=1000)
    dimension_max: int = Field(25, ge=1, le=1000)
    application_deadline: dt.date | None = None
    recommendation_deadline: dt.date | None = None
    conditions: list[str] | None = None
    materials: list[str] | None = None
    quota_overrides: dict[str, int] = {}


class VersionIn(Schema):
    expected_version: int


class NoticeOut(Schema):
    id: int
    status: str
    batch_id: int | None
    list_notice_text: str
    row_version: int


class NoticeIn(VersionIn):
    text: str


class ApplicationOut(Schema):
    id: int
    call_id: int
    year: int
    applicant_id: int
    applicant: str
    province_id: int
    province: str
    area_name: str
    summary: str
    contact: str
    status: str
    confirmed_conditions: list[str]
    submitted_at: dt.datetime | None
    is_late: bool
    rank: int | None
    pilot_id: int | None
    is_demo: bool
    row_version: int

    @staticmethod
    def resolve_year(obj: Application) -> int:
        return obj.call.year

    @staticmethod
    def resolve_applicant(obj: Application) -> str:
        return obj.applicant.name

    @staticmethod
    def resolve_province(obj: Application) -> str:
        return obj.province.name


class ApplicationIn(Schema):
    call_id: int
    applicant_id: int
    area_name: str
    summary: str = ""
    contact: str = ""


class ConditionsIn(VersionIn):
    confirmed: list[str]


class MaterialIn(Schema):
    material: str
    note: str = ""


class MaterialOut(Schema):
    id: int
    material: str
    document_id: int


class ProvincialReviewIn(VersionIn):
    materials_complete: bool
    materials_note: str = ""
    site_visit_date: dt.date
    site_visit_participants: str
    site_visit_notes: str = ""
    opinion: str
    score: int


class ProvincialReviewOut(Schema):
    id: int
    application_id: int
    materials_complete: bool
    materials_note: str
    site_visit_date: dt.date
    site_visit_participants: str
    site_visit_notes: str
    opinion: str
    score: int
    created_at: dt.datetime


class RecommendIn(VersionIn):
    rank: int
    reason: str = ""


class ReasonIn(VersionIn):
    reason: str


class AssignIn(VersionIn):
    expert_id: int


class DecideIn(VersionIn):
    approve: bool
    reason: str = ""


class ScoreOut(Schema):
    dimension: str
    score: int


class AssignmentOut(Schema):
    id: int
    application_id: int
    expert_id: int
    expert: str
    status: str
    opinion: str
    total: int | None
    conflict_reason: str
    scores: list[ScoreOut]
    row_version: int

    @staticmethod
    def resolve_expert(obj: ExpertAssignment) -> str:
        return str(obj.expert)

    @staticmethod
    def resolve_scores(obj: ExpertAssignment) -> list[dict[str, Any]]:
        return [{"dimension": s.dimension, "score": s.score} for s in obj.scores.all()]


class ScoresIn(Schema):
    expected_version: int | None = None
    scores: dict[Dimension, int]
    opinion: str


class ConflictIn(Schema):
    expected_version: int | None = None
    reason: str


class StatsOut(Schema):
    key: str
    label: str
    count: int
    mean: float | None
    minimum: int | None
    maximum: int | None
    spread: float | None


class EventOut(Schema):
    id: int
    kind: str
    actor_repr: str
    at: dt.datetime
    from_status: str
    to_status: str
    reason: str
    details: dict[str, Any]
    source: str


class ExpertProfileOut(Schema):
    id: int
    user_id: int
    username: str
    province_id: int | None
    specialities: str

    @staticmethod
    def resolve_username(obj: ExpertProfile) -> str:
        return obj.user.username


class ExpertProfileIn(Schema):
    user_id: int
    province_id: int | None = None
    specialities: str = ""


# --------------------------------------------------------------------------------------------------
# Calls


@router.get("/calls", response={200: list[CallOut], **ERRORS})
@paginate
def list_calls(request: HttpRequest) -> Any:
    """Calls the caller may see: every opened call is public; drafts are the ministry's."""
    return scoped(request, Call).order_by("-year")


@router.get("/calls/{call_id}", response={200: CallOut, **ERRORS})
def get_call(request: HttpRequest, call_id: int) -> Any:
    return get_scoped(request, Call, call_id)


@router.post("/calls", response={201: CallOut, **ERRORS})
def create_call(request: HttpRequest, payload: CallIn) -> Any:
    user = require_login(request)
    return 201, services.create_call(actor=user, source="api", **payload.dict())


def _call_action(request: HttpRequest, call_id: int, function: Any, expected_version: int) -> Any:
    user = require_login(request)
    call = get_scoped(request, Call, call_id)
    return function(call, actor=user, expected_version=expected_version, source="api")


@router.post("/calls/{call_id}/open", response={200: CallOut, **ERRORS})
def open_call(request: HttpRequest, call_id: int, payload: VersionIn) -> Any:
    return _call_action(request, call_id, services.open_call, payload.expected_version)


@router.post("/calls/{call_id}/close", response={200: CallOut, **ERRORS})
def close_call(request: HttpRequest, call_id: int, payload: VersionIn) -> Any:
    return _call_action(request, call_id, services.close_call, payload.expected_version)


@router.post("/calls/{call_id}/finalise", response={200: CallOut, **ERRORS})
def finalise_call(request: HttpRequest, call_id: int, payload: VersionIn) -> Any:
    """Create the batch (unpublished) and its pilots from the approved applications; draft the notice."""
    return _call_action(request, call_id, services.finalise_call, payload.expected_version)


@router.get("/calls/{call_id}/notice", response={200: NoticeOut, **ERRORS})
def get_notice(request: HttpRequest, call_id: int) -> Any:
    require_login(request)
    call = get_scoped(request, Call, call_id)
    if not selectors.is_ministry(request.user):
        raise NotFound()
    return call


@router.put("/calls/{call_id}/notice", response={200: NoticeOut, **ERRORS})
def update_notice(request: HttpRequest, call_id: int, payload: NoticeIn) -> Any:
    user = require_login(request)
    call = get_scoped(request, Call, call_id)
    return services.update_list_notice(
        call, actor=user, expected_version=payload.expected_version, text=payload.text, source="api"
    )


@router.post("/calls/{call_id}/publish", response={200: CallOut, **ERRORS})
def publish_list(request: HttpRequest, call_id: int, payload: VersionIn) -> Any:
    """Publish the list notice: the batch becomes public."""
    return _call_action(request, call_id, services.publish_list, payload.expected_version)


# --------------------------------------------------------------------------------------------------
# Applications


def _application(request: HttpRequest, application_id: int) -> Application:
    return get_scoped(request, Application, application_id, "call", "applicant", "province")


@router.get("/applications", response={200: list[ApplicationOut], **ERRORS})
@paginate
def list_applications(request: HttpRequest, call: int | None = None, status: str = "") -> Any:
    """Applications the caller may see: own, own province's, assigned (experts), all (ministry)."""
    require_login(request)
    applications = selectors.visible_applications(request.user).order_by("call__year", "pk")
    if call is not None:
        applications = applications.filter(call_id=call)
    if status:
        applications = applications.filter(status=status)
    return applications


@router.get("/applications/{application_id}", response={200: ApplicationOut, **ERRORS})
def get_application(request: HttpRequest, application_id: int) -> Any:
    return _application(request, application_id)


@router.post("/applications", response={201: ApplicationOut, **ERRORS})
def create_application(request: HttpRequest, payload: ApplicationIn) -> Any:
    user = require_login(request)
    call = get_scoped(request, Call, payload.call_id)
    applicant = get_scoped(request, Organisation, payload.applicant_id)
    return 201, services.create_application(
        actor=user,
        call=call,
        applicant=applicant,
        area_name=payload.area_name,
        summary=payload.summary,
        contact=payload.contact,
        source="api",
    )


@router.post("/applications/{application_id}/materials", response={201: MaterialOut, **ERRORS})
def attach_material(
    request: HttpRequest, application_id: int, payload: Form[MaterialIn], file: File[UploadedFile]
) -> Any:
    """Upload a required material (a document of kind 申报材料); uploading again adds a version."""
    user = require_login(request)
    application = _application(request, application_id)
    return 201, services.attach_material(
        application,
        actor=user,
        material=payload.material,
        upload=file,
        original_name=file.name or "upload",
        note=payload.note,
        source="api",
    )


@router.put("/applications/{application_id}/conditions", response={200: ApplicationOut, **ERRORS})
def confirm_conditions(request: HttpRequest, application_id: int, payload: ConditionsIn) -> Any:
    user = require_login(request)
    return services.confirm_conditions(
        _application(request, application_id),
        actor=user,
        expected_version=payload.expected_version,
        confirmed=payload.confirmed,
        source="api",
    )


@router.post("/applications/{application_id}/submit", response={200: ApplicationOut, **ERRORS})
def submit_application(request: HttpRequest, application_id: int, payload: VersionIn) -> Any:
    """Refused (409 invalid_transition) while materials or conditions are missing; ``details`` lists them."""
    user = require_login(request)
    return services.submit_application(
        _application(request, application_id), actor=user, expected_version=payload.expected_version, source="api"
    )


@router.get("/materials", response={200: list[MaterialOut], **ERRORS})
@paginate
def list_materials(request: HttpRequest, application: int | None = None) -> Any:
    """Material links of the applications the caller may see."""
    require_login(request)
    materials = scoped(request, ApplicationMaterial).order_by("pk")
    if application is not None:
        materials = materials.filter(application_id=application)
    return materials


@router.get("/provincial-reviews", response={200: list[ProvincialReviewOut], **ERRORS})
@paginate
def list_all_provincial_reviews(request: HttpRequest) -> Any:
    """Provincial reviews of the applications the caller may see."""
    require_login(request)
    return scoped(request, ProvincialReview).order_by("-created_at", "-pk")


@router.get("/applications/{application_id}/provincial-reviews", response={200: list[ProvincialReviewOut], **ERRORS})
@paginate
def list_provincial_reviews(request: HttpRequest, application_id: int) -> Any:
    return _application(request, application_id).provincial_reviews.order_by("-created_at", "-pk")


@router.post("/applications/{application_id}/provincial-review", response={201: ProvincialReviewOut, **ERRORS})
def record_provincial_review(request: HttpRequest, application_id: int, payload: ProvincialReviewIn) -> Any:
    user = require_login(request)
    data = payload.dict()
    version = data.pop("expected_version")
    return 201, services.record_provincial_review(
        _application(request, application_id), actor=user, expected_version=version, source="api", **data
    )


@router.post("/applications/{application_id}/recommend", response={200: ApplicationOut, **ERRORS})
def recommend_application(request: HttpRequest, application_id: int, payload: RecommendIn) -> Any:
    user = require_login(request)
    return services.recommend_application(
        _application(request, application_id),
        actor=user,
        expected_version=payload.expected_version,
        rank=payload.rank,
        reason=payload.reason,
        source="api",
    )


@router.post("/applications/{application_id}/return", response={200: ApplicationOut, **ERRORS})
def return_application(request: HttpRequest, application_id: int, payload: ReasonIn) -> Any:
    user = require_login(request)
    return services.return_application(
        _application(request, application_id),
        actor=user,
        expected_version=payload.expected_version,
        reason=payload.reason,
        source="api",
    )


@router.post("/applications/{application_id}/assignments", response={201: AssignmentOut, **ERRORS})
def assign_expert(request: HttpRequest, application_id: int, payload: AssignIn) -> Any:
    user = require_login(request)
    application = _application(request, application_id)
    expert = User.objects.filter(pk=payload.expert_id, is_active=True).first()
    if expert is None:
        raise NotFound()
    return 201, services.assign_expert(
        application, actor=user, expected_version=payload.expected_version, expert=expert, source="api"
    )


@router.post("/applications/{application_id}/decide", response={200: ApplicationOut, **ERRORS})
def decide_application(request: HttpRequest, application_id: int, payload: DecideIn) -> Any:
    user = require_login(request)
    return services.decide_application(
        _application(request, application_id),
        actor=user,
        expected_version=payload.expected_version,
        approve=payload.approve,
        reason=payload.reason,
        source="api",
    )


@router.get("/applications/{application_id}/scores", response={200: list[StatsOut], **ERRORS})
def score_summary(request: HttpRequest, application_id: int) -> Any:
    """Mean, min, max and spread of the experts' scores (the ministry's view)."""
    require_login(request)
    application = _application(request, application_id)
    if not selectors.is_ministry(request.user):
        raise NotFound()
    return [stats.__dict__ for stats in selectors.score_summary(application)]


@router.get("/applications/{application_id}/events", response={200: list[EventOut], **ERRORS})
@paginate
def list_events(request: HttpRequest, application_id: int) -> Any:
    """The append-only history of decisions on the application."""
    require_login(request)
    return selectors.visible_events(request.user, _application(request, application_id))


# --------------------------------------------------------------------------------------------------
# Experts


@router.get("/assignments", response={200: list[AssignmentOut], **ERRORS})
@paginate
def list_assignments(request: HttpRequest, status: str = "") -> Any:
    """Review assignments: an expert's own; the ministry sees all."""
    require_login(request)
    assignments = scoped(request, ExpertAssignment).select_related("expert").prefetch_related("scores").order_by("pk")
    if status:
        assignments = assignments.filter(status=status)
    return assignments


@router.get("/assignments/{assignment_id}", response={200: AssignmentOut, **ERRORS})
def get_assignment(request: HttpRequest, assignment_id: int) -> Any:
    return get_scoped(request, ExpertAssignment, assignment_id, "expert")


@router.post("/assignments/{assignment_id}/scores", response={200: AssignmentOut, **ERRORS})
def submit_scores(request: HttpRequest, assignment_id: int, payload: ScoresIn) -> Any:
    user = require_login(request)
    assignment = get_scoped(request, ExpertAssignment, assignment_id)
    return services.submit_scores(
        assignment,
        actor=user,
        scores={str(key.value if hasattr(key, "value") else key): value for key, value in payload.scores.items()},
        opinion=payload.opinion,
        expected_version=payload.expected_version,
        source="api",
    )


@router.post("/assignments/{assignment_id}/conflict", response={200: AssignmentOut, **ERRORS})
def declare_conflict(request: HttpRequest, assignment_id: int, payload: ConflictIn) -> Any:
    user = require_login(request)
    assignment = get_scoped(request, ExpertAssignment, assignment_id)
    return services.declare_conflict(
        assignment, actor=user, reason=payload.reason, expected_version=payload.expected_version, source="api"
    )


@router.get("/experts", response={200: list[ExpertProfileOut], **ERRORS})
@paginate
def list_experts(request: HttpRequest) -> Any:
    """Expert profiles: the ministry sees all, an expert their own."""
    require_login(request)
    return scoped(request, ExpertProfile).select_related("user").order_by("user__username")


@router.put("/experts", response={200: ExpertProfileOut, **ERRORS})
def set_expert_profile(request: HttpRequest, payload: ExpertProfileIn) -> Any:
    user = require_login(request)
    expert = User.objects.filter(pk=payload.user_id).first()
    if expert is None:
        raise NotFound()
    province = Organisation.objects.filter(pk=payload.province_id).first() if payload.province_id else None
    return services.set_expert_profile(
        actor=user, expert=expert, province=province, specialities=payload.specialities, source="api"
    )
