"""Every write of the selection workflow: one function per transition, atomic, checked, audited.

States of an application (``ApplicationStatus``) and the functions that move it::

    draft ──submit──▶ submitted ──provincial review──▶ province_reviewed ──recommend──▶ recommended
      ▲                   │                                 │                              │
      └──── returned ◀────┴──────────── return ─────────────┘                  assign expert
                                                                                           ▼
                            approved / not_approved ◀──────decide────── national_review

Every function locks the row it changes (``select_for_update``), refuses a stale ``expected_version``
with ``ConcurrentUpdate``, checks the actor and the current state (``InvalidTransition`` with a
translated reason), writes the new state, appends an ``ApplicationEvent`` and an audit entry.

The applicant organisation becomes the pilot's organisation. The registry names a pilot government
``pilots.services.pilot_organisation_code(year, name)`` and reuses an organisation with that code when
it exists; so ``finalise_call`` first re-codes each approved applicant organisation to that code
(audited as ``organisation.recode``), then imports the drafted list notice through
``notices.services.import_notice``, which finds the applicant organisation and attaches the new pilot
to it. A code already used by another organisation stops the finalisation with a clear message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from citypilot.accounts.choices import OrganisationKind, Role
from citypilot.accounts.models import Membership, Organisation, User
from citypilot.accounts.principals import principal_of
from citypilot.audit.services import record, snapshot
from citypilot.core.errors import ConcurrentUpdate, InvalidTransition, PermissionDenied, ValidationFailed
from citypilot.documents import services as documents
from citypilot.documents.choices import DocumentKind
from citypilot.notices.parser import NoticeParseError, parse_notice
from citypilot.notices.renderer import render_annex
from citypilot.notices.services import import_notice
from citypilot.pilots.models import Batch, Pilot
from citypilot.pilots.selectors import render_batch_annex
from citypilot.pilots.services import pilot_organisation_code

from . import listing
from .choices import (
    ACTIVE_ASSIGNMENT_STATUSES,
    DEFAULT_CONDITIONS,
    DEFAULT_MATERIALS,
    EDITABLE_STATUSES,
    PENDING_STATUSES,
    RECOMMENDED_STATUSES,
    ApplicationStatus,
    AssignmentStatus,
    CallStatus,
    Dimension,
    EventKind,
)
from .models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    Call,
    ExpertAssignment,
    ExpertProfile,
    ExpertScore,
    ProvincialReview,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPLICATION_STATE_FIELDS = ("status", "rank", "confirmed_conditions", "submitted_at", "is_late", "decided_at")
CALL_FIELDS = (
    "year",
    "title",
    "doc_number",
    "status",
    "conditions",
    "materials",
    "default_quota",
    "quota_overrides",
    "dimension_max",
    "application_deadline",
    "recommendation_deadline",
)


def today() -> dt.date:
    """Deadlines are dates in Asia/Shanghai."""
    return timezone.localdate(timezone=SHANGHAI)


# --------------------------------------------------------------------------------------------------
# Who may act


def _is_member(actor: Any, organisation_id: int, role: str) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.is_superuser:
        return True
    return Membership.objects.filter(
        user_id=actor.pk, organisation_id=organisation_id, organisation__is_active=True, role=role
    ).exists()


def _require_ministry(actor: Any) -> None:
    if actor is not None and not principal_of(actor).has_role(Role.MINISTRY_OFFICER):
        raise PermissionDenied()


def _require_applicant(actor: Any, application: Application) -> None:
    if actor is not None and not _is_member(actor, application.applicant_id, Role.PILOT_OFFICER):
        raise PermissionDenied()


def _require_province(actor: Any, application: Application) -> None:
    if actor is not None and not _is_member(actor, application.province_id, Role.PROVINCIAL_OFFICER):
        raise PermissionDenied()


def _require_expert(actor: Any, assignment: ExpertAssignment) -> None:
    if actor is None:
        return
    if assignment.expert_id != actor.pk or not principal_of(actor).has_role(Role.EXPERT_REVIEWER):
        raise PermissionDenied()


# --------------------------------------------------------------------------------------------------
# Helpers


def _refuse(reason: str, **details: Any) -> InvalidTransition:
    return InvalidTransition(reason, details=details)


def _status_refusal(application: Application, action: str) -> InvalidTransition:
    return _refuse(
        _("申报当前状态为“%(status)s”，不能%(action)s。")
        % {"status": application.get_status_display(), "action": action},
        status=application.status,
    )


def _lock(application: Application, expected_version: int | None) -> Application:
    current = (
        Application.objects.select_for_update().select_related("call", "province", "applicant").get(pk=application.pk)
    )
    if expected_version is not None and current.row_version != expected_version:
        raise ConcurrentUpdate(
            _("该申报已被他人处理（当前状态：%(status)s），请刷新后重试。您的操作未保存。")
            % {"status": current.get_status_display()},
            details={"current_version": current.row_version, "status": current.status},
        )
    return current


def _lock_call(call: Call, expected_version: int | None) -> Call:
    current = Call.objects.select_for_update().get(pk=call.pk)
    if expected_version is not None and current.row_version != expected_version:
        raise ConcurrentUpdate(details={"current_version": current.row_version, "status": current.status})
    return current


def _actor_repr(actor: Any) -> str:
    return str(actor) if actor is not None else _("系统")


def _event(
    application: Application,
    kind: str,
    *,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
    source: str = "web",
) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        kind=kind,
        actor=actor if actor is not None else None,
        actor_repr=_actor_repr(actor)[:200],
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        details=details or {},
        source=source,
    )


def _save(application: Application, fields: dict[str, Any]) -> Application:
    """Write ``fields`` and bump the row version of a locked application."""
    for name, value in fields.items():
        setattr(application, name, value)
    application.row_version = F("row_version") + 1
    application.save(update_fields=[*fields, "row_version", "updated_at"])
    application.refresh_from_db()
    return application


def _change(
    application: Application,
    *,
    actor: Any,
    kind: str,
    fields: dict[str, Any],
    reason: str = "",
    details: dict[str, Any] | None = None,
    source: str = "web",
    confidential: bool = False,
) -> Application:
    """Apply one decision: the new values, one history event, one audit entry."""
    names = [name for name in APPLICATION_STATE_FIELDS if name in fields] or ["status"]
    before = snapshot(application, names)
    from_status = application.status
    application = _save(application, fields)
    _event(
        application,
        kind,
        actor=actor,
        from_status=from_status,
        to_status=application.status if application.status != from_status else "",
        reason=reason,
        details=details,
        source=source,
    )
    record(
        actor=actor,
        action=f"application.{kind}",
        obj=application,
        # Who reviews an application is confidential: such entries are the ministry's only.
        organisation=None if confidential else application.applicant_id,
        before=before,
        after={**snapshot(application, names), **({"details": details} if details else {})},
        reason=reason,
        source=source,
    )
    return application


def _required_text(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(message, details={"field": field})
    return text


# --------------------------------------------------------------------------------------------------
# Calls


def _checklist(
    texts: Iterable[str], existing: list[dict[str, str]], *, prefix: str, label: str
) -> list[dict[str, str]]:
    """Lines of text → ``[{"key", label}]``, keeping the key of a line that was already there."""
    known = {item[label]: item["key"] for item in existing}
    used = {item["key"] for item in existing}
    result: list[dict[str, str]] = []
    for text in (line.strip() for line in texts):
        if not text or any(item[label] == text for item in result):
            continue
        key = known.get(text)
        if key is None:
            number = len(used) + 1
            while f"{prefix}{number}" in used:
                number += 1
            key = f"{prefix}{number}"
            used.add(key)
        result.append({"key": key, label: text})
    return result


def _check_deadlines(application_deadline: dt.date | None, recommendation_deadline: dt.date | None) -> None:
    if application_deadline and recommendation_deadline and recommendation_deadline < application_deadline:
        raise ValidationFailed(
            _("省级推荐截止日期不能早于申报截止日期。"), details={"field": "recommendation_deadline"}
        )


def _check_quotas(overrides: dict[str, Any]) -> dict[str, int]:
    result: dict[str, int] = {}
    provinces = set(
        Organisation.objects.filter(
            kind=OrganisationKind.PROVINCE, pk__in=[int(k) for k in overrides if str(k).isdigit()]
        ).values_list("pk", flat=True)
    )
    for key, value in overrides.items():
        if not str(key).isdigit() or int(key) not in provinces:
            raise ValidationFailed(
                _("名额调整中的机构 %(key)s 不是省级主管部门。") % {"key": key}, details={"field": "quota_overrides"}
            )
        if not isinstance(value, int) or value < 0:
            raise ValidationFailed(_("推荐名额必须是不小于 0 的整数。"), details={"field": "quota_overrides"})
        result[str(key)] = value
    return result


@transaction.atomic
def create_call(
    *,
    actor: Any,
    year: int,
    title: str,
    doc_number: str = "",
    default_quota: int = 2,
    dimension_max: int = 25,
    application_deadline: dt.date | None = None,
    recommendation_deadline: dt.date | None = None,
    conditions: Iterable[str] | None = None,
    materials: Iterable[str] | None = None,
    quota_overrides: dict[str, Any] | None = None,
    is_demo: bool = False,
    source: str = "web",
) -> Call:
    """A new call, as a draft. Without explicit lists it starts from the 2012 conditions and the
    2014 materials, which the ministry then edits."""
    _require_ministry(actor)
    title = _required_text(title, "title", _("请填写通知标题。"))
    if Call.objects.filter(year=year).exists():
        raise ValidationFailed(_("%(year)s年度已有申报通知。") % {"year": year}, details={"field": "year"})
    if dimension_max < 1:
        raise ValidationFailed(_("一级指标满分必须大于 0。"), details={"field": "dimension_max"})
    _check_deadlines(application_deadline, recommendation_deadline)
    condition_list = (
        _checklist(conditions, [], prefix="c", label="text")
        if conditions is not None
        else [{"key": key, "text": text} for key, text in DEFAULT_CONDITIONS]
    )
    material_list = (
        _checklist(materials, [], prefix="m", label="name")
        if materials is not None
        else [{"key": key, "name": name} for key, name in DEFAULT_MATERIALS]
    )
    call = Call.objects.create(
        year=year,
        title=title,
        doc_number=doc_number.strip(),
        default_quota=default_quota,
        dimension_max=dimension_max,
        application_deadline=application_deadline,
        recommendation_deadline=recommendation_deadline,
        conditions=condition_list,
        materials=material_list,
        quota_overrides=_check_quotas(quota_overrides or {}),
        is_demo=is_demo,
    )
    record(actor=actor, action="call.create", obj=call, after=snapshot(call, CALL_FIELDS), source=source)
    return call


#: What may still change once a call is open: its deadlines and quotas, never its conditions or materials.
OPEN_CALL_FIELDS = frozenset(
    {"title", "doc_number", "application_deadline", "recommendation_deadline", "quota_overrides", "default_quota"}
)
DRAFT_CALL_FIELDS = OPEN_CALL_FIELDS | {"year", "dimension_max", "conditions", "materials"}


@transaction.atomic
def update_call(
    call: Call, *, actor: Any, expected_version: int, changes: dict[str, Any], reason: str = "", source: str = "web"
) -> Call:
    """Edit a call. Conditions, materials, year and scoring scale only while it is a draft."""
    _require_ministry(actor)
    current = _lock_call(call, expected_version)
    allowed = {
        CallStatus.DRAFT: DRAFT_CALL_FIELDS,
        CallStatus.OPEN: OPEN_CALL_FIELDS,
        CallStatus.CLOSED: OPEN_CALL_FIELDS,
    }.get(CallStatus(current.status), frozenset())
    refused = sorted(set(changes) - allowed)
    if refused:
        raise _refuse(
            _("申报通知状态为“%(status)s”，不能修改：%(fields)s。")
            % {
                "status": current.get_status_display(),
                "fields": "、".join(
                    str(getattr(Call._meta.get_field(name), "verbose_name", name))
                    for name in refused
                    if _is_field(name)
                ),
            },
            fields=refused,
        )
    values = dict(changes)
    if "conditions" in values:
        values["conditions"] = _checklist(values["conditions"], current.conditions, prefix="c", label="text")
    if "materials" in values:
        values["materials"] = _checklist(values["materials"], current.materials, prefix="m", label="name")
        if not values["materials"]:
            raise ValidationFailed(_("至少需要一项申报材料。"), details={"field": "materials"})
    if "quota_overrides" in values:
        values["quota_overrides"] = _check_quotas(values["quota_overrides"])
    if "title" in values:
        values["title"] = _required_text(values["title"], "title", _("请填写通知标题。"))
    if "year" in values and Call.objects.filter(year=values["year"]).exclude(pk=current.pk).exists():
        raise ValidationFailed(_("%(year)s年度已有申报通知。") % {"year": values["year"]}, details={"field": "year"})
    _check_deadlines(
        values.get("application_deadline", current.application_deadline),
        values.get("recommendation_deadline", current.recommendation_deadline),
    )
    before = snapshot(current, list(values))
    for name, value in values.items():
        setattr(current, name, value)
    current.row_version += 1
    current.save()
    record(
        actor=actor,
        action="call.update",
        obj=current,
        before=before,
        after=snapshot(current, list(values)),
        reason=reason,
        source=source,
    )
    return current


def _is_field(name: str) -> bool:
    try:
        Call._meta.get_field(name)
    except Exception:
        return False
    return True


def _call_transition(
    call: Call, *, actor: Any, expected_version: int | None, to: str, allowed_from: set[str], action: str, source: str
) -> Call:
    _require_ministry(actor)
    current = _lock_call(call, expected_version)
    if current.status not in allowed_from:
        raise _refuse(
            _("申报通知当前状态为“%(status)s”，不能%(action)s。")
            % {"status": current.get_status_display(), "action": action},
            status=current.status,
        )
    before = snapshot(current, ["status"])
    current.status = to
    current.row_version += 1
    current.save(update_fields=["status", "row_version", "updated_at"])
    record(
        actor=actor, action=f"call.{to}", obj=current, before=before, after=snapshot(current, ["status"]), source=source
    )
    return current


@transaction.atomic
def open_call(call: Call, *, actor: Any, expected_version: int | None, source: str = "web") -> Call:
    """Publish the call: pilot governments may apply from now on."""
    if not call.materials:
        raise _refuse(_("申报通知没有列出申报材料，不能发布。"))
    return _call_transition(
        call,
        actor=actor,
        expected_version=expected_version,
        to=CallStatus.OPEN,
        allowed_from={CallStatus.DRAFT},
        action=_("发布"),
        source=source,
    )


@transaction.atomic
def close_call(call: Call, *, actor: Any, expected_version: int | None, source: str = "web") -> Call:
    """Stop accepting new applications and submissions; reviews continue."""
    return _call_transition(
        call,
        actor=actor,
        expected_version=expected_version,
        to=CallStatus.CLOSED,
        allowed_from={CallStatus.OPEN},
        action=_("截止申报"),
        source=source,
    )


# --------------------------------------------------------------------------------------------------
# Applications: the applicant


@transaction.atomic
def create_application(
    *,
    actor: Any,
    call: Call,
    applicant: Organisation,
    area_name: str,
    summary: str = "",
    contact: str = "",
    is_demo: bool = False,
    source: str = "web",
) -> Application:
    """A draft application of ``applicant`` (a pilot government under a provincial authority)."""
    if applicant.kind != OrganisationKind.PILOT or applicant.parent is None:
        raise ValidationFailed(_("申报单位必须是省级主管部门下属的试点政府。"), details={"field": "applicant"})
    if actor is not None and not _is_member(actor, applicant.pk, Role.PILOT_OFFICER):
        raise PermissionDenied()
    current_call = Call.objects.select_for_update().get(pk=call.pk)
    if current_call.status != CallStatus.OPEN:
        raise _refuse(
            _("申报通知当前状态为“%(status)s”，不接受新的申报。") % {"status": current_call.get_status_display()},
            status=current_call.status,
        )
    area_name = _required_text(area_name, "area_name", _("请填写申报地区名称。"))
    if Application.objects.filter(call=current_call, applicant=applicant).exists():
        raise ValidationFailed(
            _("%(applicant)s 已有本年度的申报。") % {"applicant": applicant.name}, details={"field": "applicant"}
        )
    application = Application.objects.create(
        call=current_call,
        applicant=applicant,
        province=applicant.parent,
        area_name=area_name,
        summary=summary.strip(),
        contact=contact.strip(),
        is_demo=is_demo,
    )
    _event(application, EventKind.CREATED, actor=actor, to_status=application.status, source=source)
    record(
        actor=actor,
        action="application.created",
        obj=application,
        organisation=applicant,
        after=snapshot(application, ["call", "applicant", "province", "area_name", "status"]),
        source=source,
    )
    return application


@transaction.atomic
def update_application(
    application: Application,
    *,
    actor: Any,
    expected_version: int | None,
    area_name: str,
    summary: str = "",
    contact: str = "",
    source: str = "web",
) -> Application:
    _require_applicant(actor, application)
    current = _lock(application, expected_version)
    if current.status not in EDITABLE_STATUSES:
        raise _status_refusal(current, _("修改"))
    area_name = _required_text(area_name, "area_name", _("请填写申报地区名称。"))
    before = snapshot(current, ["area_name", "summary", "contact"])
    current = _save(current, {"area_name": area_name, "summary": summary.strip(), "contact": contact.strip()})
    _event(current, EventKind.UPDATED, actor=actor, source=source)
    record(
        actor=actor,
        action="application.updated",
        obj=current,
        organisation=current.applicant_id,
        before=before,
        after=snapshot(current, ["area_name", "summary", "contact"]),
        source=source,
    )
    return current


@transaction.atomic
def attach_material(
    application: Application,
    *,
    actor: Any,
    material: str,
    upload: Any,
    original_name: str,
    note: str = "",
    source: str = "web",
) -> ApplicationMaterial:
    """Upload a required material as a document of kind 申报材料; a second upload is a new version."""
    _require_applicant(actor, application)
    current = _lock(application, None)
    if current.status not in EDITABLE_STATUSES:
        raise _status_refusal(current, _("上传申报材料"))
    names = current.call.material_names
    if material not in names:
        raise ValidationFailed(_("本次申报不要求这项材料。"), details={"field": "material"})
    link = ApplicationMaterial.objects.filter(application=current, material=material).select_related("document").first()
    if link is None:
        document = documents.upload_document(
            actor=actor,
            organisation=current.applicant,
            kind=DocumentKind.APPLICATION,
            title=_("%(area)s %(year)s年度申报：%(material)s")
            % {"area": current.area_name, "year": current.call.year, "material": names[material]},
            upload=upload,
            original_name=original_name,
            note=note,
            source=source,
        )
        link = ApplicationMaterial.objects.create(application=current, material=material, document=document)
        version = 1
    else:
        version = documents.add_version(
            link.document, actor=actor, upload=upload, original_name=original_name, note=note, source=source
        ).number
    details = {"material": material, "name": names[material], "document": link.document_id, "version": version}
    _save(current, {})
    _event(current, EventKind.MATERIAL, actor=actor, details=details, source=source)
    record(
        actor=actor,
        action="application.material",
        obj=current,
        organisation=current.applicant_id,
        after=details,
        reason=note,
        source=source,
    )
    return link


@transaction.atomic
def confirm_conditions(
    application: Application,
    *,
    actor: Any,
    expected_version: int | None,
    confirmed: Iterable[str],
    source: str = "web",
) -> Application:
    """The applicant states which of the call's conditions it meets (the whole checklist at once)."""
    _require_applicant(actor, application)
    current = _lock(application, expected_version)
    if current.status not in EDITABLE_STATUSES:
        raise _status_refusal(current, _("确认申报条件"))
    keys = [item["key"] for item in current.call.conditions]
    chosen = set(confirmed)
    unknown = sorted(chosen - set(keys))
    if unknown:
        raise ValidationFailed(_("本次申报没有这些条件：%(keys)s") % {"keys": "、".join(unknown)})
    ordered = [key for key in keys if key in chosen]
    return _change(
        current,
        actor=actor,
        kind=EventKind.CONDITION,
        fields={"confirmed_conditions": ordered},
        details={"confirmed": ordered, "not_confirmed": [key for key in keys if key not in chosen]},
        source=source,
    )


def missing_items(application: Application) -> dict[str, list[dict[str, str]]]:
    """What a submission still lacks: required materials not attached and conditions not confirmed."""
    call = application.call
    attached = set(application.material_links.values_list("material", flat=True))
    confirmed = set(application.confirmed_conditions)
    return {
        "missing_materials": [
            {"key": item["key"], "name": item["name"]} for item in call.materials if item["key"] not in attached
        ],
        "missing_conditions": [
            {"key": item["key"], "text": item["text"]} for item in call.conditions if item["key"] not in confirmed
        ],
    }


@transaction.atomic
def submit_application(
    application: Application, *, actor: Any, expected_version: int | None, source: str = "web"
) -> Application:
    """Submit to the provincial authority; refused while a material or a condition is missing."""
    _require_applicant(actor, application)
    current = _lock(application, expected_version)
    if current.status not in EDITABLE_STATUSES:
        raise _status_refusal(current, _("提交"))
    if current.call.status != CallStatus.OPEN:
        raise _refuse(
            _("申报通知当前状态为“%(status)s”，不能提交申报。") % {"status": current.call.get_status_display()},
            status=current.call.status,
        )
    missing = missing_items(current)
    if missing["missing_materials"] or missing["missing_conditions"]:
        parts = [item["name"] for item in missing["missing_materials"]]
        parts += [item["text"] for item in missing["missing_conditions"]]
        raise _refuse(
            _("申报还不完整，不能提交。尚缺：%(missing)s") % {"missing": "；".join(parts)},
            **missing,
        )
    deadline = current.call.application_deadline
    late = bool(deadline and today() > deadline)
    return _change(
        current,
        actor=actor,
        kind=EventKind.SUBMITTED,
        fields={"status": ApplicationStatus.SUBMITTED, "submitted_at": timezone.now(), "is_late": late, "rank": None},
        details={"late": late} if late else None,
        source=source,
    )


# --------------------------------------------------------------------------------------------------
# Provincial review


@transaction.atomic
def record_provincial_review(
    application: Application,
    *,
    actor: Any,
    expected_version: int | None,
    materials_complete: bool,
    site_visit_date: dt.date,
    site_visit_participants: str,
    opinion: str,
    score: int,
    materials_note: str = "",
    site_visit_notes: str = "",
    source: str = "web",
) -> ProvincialReview:
    """The province's initial review (初审): material review, site visit, opinion, score 0–100."""
    _require_province(actor, application)
    current = _lock(application, expected_version)
    if current.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.PROVINCE_REVIEWED):
        raise _status_refusal(current, _("进行省级初审"))
    if not 0 <= int(score) <= 100:
        raise ValidationFailed(_("初审评分应在 0 到 100 之间。"), details={"field": "score"})
    if site_visit_date > today():
        raise ValidationFailed(_("实地考察日期不能晚于今天。"), details={"field": "site_visit_date"})
    participants = _required_text(site_visit_participants, "site_visit_participants", _("请填写考察人员。"))
    opinion = _required_text(opinion, "opinion", _("请填写初审意见。"))
    review = ProvincialReview.objects.create(
        application=current,
        reviewer=actor,
        materials_complete=materials_complete,
        materials_note=materials_note.strip(),
        site_visit_date=site_visit_date,
        site_visit_participants=participants,
        site_visit_notes=site_visit_notes.strip(),
        opinion=opinion,
        score=int(score),
    )
    _change(
        current,
        actor=actor,
        kind=EventKind.PROVINCIAL_REVIEW,
        fields={"status": ApplicationStatus.PROVINCE_REVIEWED},
        reason=opinion,
        details={"review": review.pk, "score": review.score, "materials_complete": materials_complete},
        source=source,
    )
    return review


@transaction.atomic
def recommend_application(
    application: Application,
    *,
    actor: Any,
    expected_version: int | None,
    rank: int,
    reason: str = "",
    source: str = "web",
) -> Application:
    """Recommend to the ministry in rank order, within the authority's quota for the call."""
    _require_province(actor, application)
    call = Call.objects.select_for_update().get(pk=application.call_id)  # serialises the quota count
    current = _lock(application, expected_version)
    if current.status != ApplicationStatus.PROVINCE_REVIEWED:
        raise _status_refusal(current, _("推荐"))
    if call.status not in (CallStatus.OPEN, CallStatus.CLOSED):
        raise _refuse(_("名单已确定，不能再推荐。"), status=call.status)
    review = current.provincial_reviews.order_by("-created_at", "-pk").first()
    if review is not None and not review.materials_complete:
        raise _refuse(_("材料审查未通过的申报不能推荐，请退回申报单位补正。"))
    quota = call.quota_for(current.province_id)
    taken = (
        Application.objects.filter(call=call, province_id=current.province_id, status__in=RECOMMENDED_STATUSES)
        .exclude(pk=current.pk)
        .order_by("rank")
    )
    if taken.count() >= quota:
        raise _refuse(
            _("本省推荐名额已满：%(year)s年度每个省级主管部门最多推荐 %(quota)s 个，已推荐 %(count)s 个。")
            % {"year": call.year, "quota": quota, "count": taken.count()},
            quota=quota,
            recommended=taken.count(),
        )
    if not 1 <= int(rank) <= quota:
        raise ValidationFailed(
            _("推荐排序应在 1 到 %(quota)s 之间。") % {"quota": quota}, details={"field": "rank", "quota": quota}
        )
    holder = taken.filter(rank=rank).first()
    if holder is not None:
        raise ValidationFailed(
            _("排序第 %(rank)s 位已推荐给“%(name)s”，请选择其他排序。") % {"rank": rank, "name": holder.area_name},
            details={"field": "rank"},
        )
    try:
        with transaction.atomic():
            return _change(
                current,
                actor=actor,
                kind=EventKind.RECOMMENDED,
                fields={"status": ApplicationStatus.RECOMMENDED, "rank": int(rank)},
                reason=reason.strip(),
                details={"rank": int(rank), "quota": quota},
                source=source,
            )
    except IntegrityError as error:
        raise ValidationFailed(_("该排序已被本省另一项推荐占用。"), details={"field": "rank"}) from error


@transaction.atomic
def return_application(
    application: Application, *, actor: Any, expected_version: int | None, reason: str, source: str = "web"
) -> Application:
    """Return to the applicant with reasons; it may revise and submit again."""
    _require_province(actor, application)
    current = _lock(application, expected_version)
    if current.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.PROVINCE_REVIEWED):
        raise _status_refusal(current, _("退回"))
    reason = _required_text(reason, "reason", _("请填写退回理由。"))
    return _change(
        current,
        actor=actor,
        kind=EventKind.RETURNED,
        fields={"status": ApplicationStatus.RETURNED, "rank": None},
        reason=reason,
        source=source,
    )


# --------------------------------------------------------------------------------------------------
# National review


def same_province(a: Organisation | None, b: Organisation | None) -> bool:
    """Two authorities in one province (a 计划单列市's commission belongs to its province)."""
    if a is None or b is None:
        return False
    if a.pk == b.pk:
        return True
    return bool(a.division_code and b.division_code and a.division_code[:2] == b.division_code[:2])


@transaction.atomic
def set_expert_profile(
    *, actor: Any, expert: User, province: Organisation | None, specialities: str = "", source: str = "web"
) -> ExpertProfile:
    """Record an expert's home province (whose applications they never review) and specialities."""
    _require_ministry(actor)
    if province is not None and province.kind != OrganisationKind.PROVINCE:
        raise ValidationFailed(_("专家所在省份必须是省级主管部门。"), details={"field": "province"})
    if not Membership.objects.filter(user=expert, role=Role.EXPERT_REVIEWER).exists():
        raise ValidationFailed(_("该用户不是评审专家。"), details={"field": "expert"})
    profile = ExpertProfile.objects.select_for_update().filter(user=expert).first()
    before = snapshot(profile, ["province", "specialities"]) if profile else None
    if profile is None:
        profile = ExpertProfile(user=expert)
    profile.province = province
    profile.specialities = specialities.strip()
    profile.save()
    record(
        actor=actor,
        action="expert_profile.set",
        obj=profile,
        before=before,
        after=snapshot(profile, ["user", "province", "specialities"]),
        source=source,
    )
    return profile


@transaction.atomic
def assign_expert(
    application: Application, *, actor: Any, expected_version: int | None, expert: User, source: str = "web"
) -> ExpertAssignment:
    """The ministry asks an expert to score a recommended application: never an expert of the
    applicant's province, never one who declared a conflict with it."""
    _require_ministry(actor)
    current = _lock(application, expected_version)
    if current.status not in (ApplicationStatus.RECOMMENDED, ApplicationStatus.NATIONAL_REVIEW):
        raise _status_refusal(current, _("指派评审专家"))
    if not Membership.objects.filter(user=expert, role=Role.EXPERT_REVIEWER, organisation__is_active=True).exists():
        raise ValidationFailed(_("该用户不是评审专家。"), details={"field": "expert"})
    profile = ExpertProfile.objects.select_related("province").filter(user=expert).first()
    if profile is None:
        raise ValidationFailed(
            _("专家“%(expert)s”尚未登记所在省份，不能指派。") % {"expert": expert}, details={"field": "expert"}
        )
    if same_province(profile.province, current.province):
        raise _refuse(
            _("专家“%(expert)s”来自申报单位所在省份（%(province)s），按规定须回避。")
            % {"expert": expert, "province": current.province.name},
            rule="expert_province",
        )
    existing = ExpertAssignment.objects.select_for_update().filter(application=current, expert=expert).first()
    if existing is not None:
        if existing.status == AssignmentStatus.CONFLICT:
            raise _refuse(
                _("专家“%(expert)s”已就此申报声明利益冲突，不能再指派。") % {"expert": expert}, rule="conflict"
            )
        raise _refuse(_("专家“%(expert)s”已被指派评审此申报。") % {"expert": expert}, rule="duplicate")
    assignment = ExpertAssignment.objects.create(application=current, expert=expert, assigned_by=actor)
    _change(
        current,
        actor=actor,
        kind=EventKind.EXPERT_ASSIGNED,
        fields={"status": ApplicationStatus.NATIONAL_REVIEW},
        details={"assignment": assignment.pk, "expert": expert.pk, "expert_name": str(expert)},
        source=source,
        confidential=True,
    )
    return assignment


def _lock_assignment(assignment: ExpertAssignment, expected_version: int | None) -> ExpertAssignment:
    current = ExpertAssignment.objects.select_for_update().select_related("application__call").get(pk=assignment.pk)
    if expected_version is not None and current.row_version != expected_version:
        raise ConcurrentUpdate(details={"current_version": current.row_version, "status": current.status})
    return current


def _assignment_event(
    assignment: ExpertAssignment, kind: str, *, actor: Any, before: Any, reason: str, details: Any, source: str
) -> None:
    _event(assignment.application, kind, actor=actor, reason=reason, details=details, source=source)
    record(
        actor=actor,
        action=f"expert_assignment.{kind}",
        obj=assignment,
        organisation=None,  # confidential: the ministry's only
        before=before,
        after=snapshot(assignment, ["status", "total", "opinion", "conflict_reason"]),
        reason=reason,
        source=source,
    )


@transaction.atomic
def declare_conflict(
    assignment: ExpertAssignment, *, actor: Any, reason: str, expected_version: int | None = None, source: str = "web"
) -> ExpertAssignment:
    """The expert declares a conflict of interest: the assignment is withdrawn and cannot be renewed."""
    _require_expert(actor, assignment)
    current = _lock_assignment(assignment, expected_version)
    if current.status != AssignmentStatus.ASSIGNED:
        raise _refuse(
            _("评审任务当前状态为“%(status)s”，不能声明回避。") % {"status": current.get_status_display()},
            status=current.status,
        )
    reason = _required_text(reason, "reason", _("请说明回避理由。"))
    before = snapshot(current, ["status", "conflict_reason"])
    current.status = AssignmentStatus.CONFLICT
    current.conflict_reason = reason
    current.row_version += 1
    current.save(update_fields=["status", "conflict_reason", "row_version", "updated_at"])
    _assignment_event(
        current,
        EventKind.CONFLICT_DECLARED,
        actor=actor,
        before=before,
        reason=reason,
        details={"assignment": current.pk},
        source=source,
    )
    return current


@transaction.atomic
def submit_scores(
    assignment: ExpertAssignment,
    *,
    actor: Any,
    scores: dict[str, int],
    opinion: str,
    expected_version: int | None = None,
    source: str = "web",
) -> ExpertAssignment:
    """The expert scores each first-level dimension (0 to the call's maximum) and writes an opinion."""
    _require_expert(actor, assignment)
    current = _lock_assignment(assignment, expected_version)
    if current.status != AssignmentStatus.ASSIGNED:
        raise _refuse(
            _("评审任务当前状态为“%(status)s”，不能评分。") % {"status": current.get_status_display()},
            status=current.status,
        )
    application = Application.objects.select_for_update().get(pk=current.application_id)
    if application.status != ApplicationStatus.NATIONAL_REVIEW:
        raise _status_refusal(application, _("评分"))
    maximum = current.application.call.dimension_max
    missing = [str(label) for value, label in Dimension.choices if value not in scores]
    if missing:
        raise ValidationFailed(
            _("请为每个一级指标评分，尚缺：%(missing)s") % {"missing": "、".join(missing)},
            details={"missing": [value for value in Dimension.values if value not in scores]},
        )
    for value, label in Dimension.choices:
        score = scores[value]
        if not isinstance(score, int) or not 0 <= score <= maximum:
            raise ValidationFailed(
                _("“%(dimension)s”的得分应在 0 到 %(max)s 之间。") % {"dimension": label, "max": maximum},
                details={"field": value},
            )
    opinion = _required_text(opinion, "opinion", _("请填写评审意见。"))
    before = snapshot(current, ["status", "total", "opinion"])
    ExpertScore.objects.bulk_create(
        ExpertScore(assignment=current, dimension=value, score=scores[value]) for value in Dimension.values
    )
    current.status = AssignmentStatus.SCORED
    current.opinion = opinion
    current.total = sum(scores[value] for value in Dimension.values)
    current.scored_at = timezone.now()
    current.row_version += 1
    current.save(update_fields=["status", "opinion", "total", "scored_at", "row_version", "updated_at"])
    _assignment_event(
        current,
        EventKind.SCORED,
        actor=actor,
        before=before,
        reason=opinion,
        details={"assignment": current.pk, "scores": {v: scores[v] for v in Dimension.values}, "total": current.total},
        source=source,
    )
    return current


@transaction.atomic
def decide_application(
    application: Application,
    *,
    actor: Any,
    expected_version: int | None,
    approve: bool,
    reason: str = "",
    source: str = "web",
) -> Application:
    """The ministry approves (or does not approve) an application once every assigned expert has scored."""
    _require_ministry(actor)
    current = _lock(application, expected_version)
    if current.status != ApplicationStatus.NATIONAL_REVIEW:
        raise _status_refusal(current, _("作出评审决定"))
    if current.call.status not in (CallStatus.OPEN, CallStatus.CLOSED):
        raise _refuse(_("名单已确定，不能再作决定。"), status=current.call.status)
    assignments = list(current.assignments.filter(status__in=ACTIVE_ASSIGNMENT_STATUSES))
    if not any(a.status == AssignmentStatus.SCORED for a in assignments):
        raise _refuse(_("还没有专家完成评分，不能作出决定。"))
    pending = [str(a.expert) for a in assignments if a.status == AssignmentStatus.ASSIGNED]
    if pending:
        raise _refuse(_("还有专家未完成评分：%(experts)s") % {"experts": "、".join(pending)}, pending_experts=pending)
    if not approve:
        reason = _required_text(reason, "reason", _("请填写不予批准的理由。"))
    return _change(
        current,
        actor=actor,
        kind=EventKind.APPROVED if approve else EventKind.NOT_APPROVED,
        fields={
            "status": ApplicationStatus.APPROVED if approve else ApplicationStatus.NOT_APPROVED,
            "decided_at": timezone.now(),
        },
        reason=reason.strip(),
        source=source,
    )


# --------------------------------------------------------------------------------------------------
# The list: finalise (batch and pilots created, notice drafted) and publish


def _approved(call: Call) -> list[Application]:
    return list(
        call.applications.filter(status=ApplicationStatus.APPROVED)
        .select_related("province", "applicant")
        .order_by("pk")
    )


def _recode_applicant(application: Application, code: str, *, actor: Any, source: str) -> None:
    """Give the applicant organisation the code the registry uses for the pilot's government."""
    organisation = Organisation.objects.select_for_update().get(pk=application.applicant_id)
    if organisation.code == code:
        return
    holder = Organisation.objects.filter(code=code).first()
    if holder is not None:
        raise _refuse(
            _("试点“%(name)s”的机构代码 %(code)s 已被“%(holder)s”使用，无法与申报单位对应，请联系系统管理员。")
            % {"name": application.area_name, "code": code, "holder": holder.name},
            code=code,
        )
    before = snapshot(organisation, ["code"])
    Organisation.objects.filter(pk=organisation.pk).update(code=code, row_version=F("row_version") + 1)
    organisation.refresh_from_db()
    record(
        actor=actor,
        action="organisation.recode",
        obj=organisation,
        organisation=organisation,
        before=before,
        after=snapshot(organisation, ["code"]),
        reason=_("申报单位列入%(year)s年度试点名单") % {"year": application.call.year},
        source=source,
    )


@transaction.atomic
def finalise_call(call: Call, *, actor: Any, expected_version: int | None, source: str = "web") -> Call:
    """Create the batch (unpublished) with one pilot per approved application and draft the list notice.

    The drafted notice goes through the registry's own import (``import_notice``), so resolution,
    sections and organisation wiring are the registry's; each pilot's organisation is its applicant.
    """
    _require_ministry(actor)
    current = _lock_call(call, expected_version)
    if current.status != CallStatus.CLOSED:
        raise _refuse(
            _("申报通知当前状态为“%(status)s”，须先截止申报才能确定名单。") % {"status": current.get_status_display()},
            status=current.status,
        )
    pending = current.applications.filter(status__in=PENDING_STATUSES).select_related("applicant")
    if pending.exists():
        names = [a.area_name for a in pending[:10]]
        raise _refuse(
            _("还有 %(count)s 项申报未作出决定：%(names)s") % {"count": pending.count(), "names": "、".join(names)},
            pending=names,
        )
    approved = _approved(current)
    if not approved:
        raise _refuse(_("没有批准的申报，不能确定名单。"))
    existing = Batch.objects.filter(year=current.year).first()
    if existing is not None and existing.is_imported:
        raise _refuse(_("%(year)s年度试点批次已在名单中，不能重复创建。") % {"year": current.year}, batch=existing.pk)
    text = listing.draft_notice(current, approved)
    parsed = parse_notice(text)
    entries = [entry for section in parsed.sections for group in section.provinces for entry in group.entries]
    by_listed = {a.area_name: a for a in approved}
    if len(entries) != len(approved) or {e.name_as_listed for e in entries} != set(by_listed):
        raise _refuse(_("申报地区名称重复或无法写入名单，请检查批准的申报。"))
    for entry in entries:
        _recode_applicant(
            by_listed[entry.name_as_listed],
            pilot_organisation_code(current.year, entry.name),
            actor=actor,
            source=source,
        )
    import_notice(text.encode("utf-8"), filename="", actor=actor, publish=False, source_label=source)
    batch = Batch.objects.get(year=current.year)
    for entry in entries:
        application = by_listed[entry.name_as_listed]
        pilot = Pilot.objects.get(batch=batch, name=entry.name)
        if (
            pilot.organisation_id != application.applicant_id
            or pilot.supervising_authority_id != application.province_id
        ):
            raise _refuse(
                _("“%(name)s”在名单中的省级主管部门与申报时不一致，请检查申报地区名称。") % {"name": entry.name},
                application=application.pk,
            )
        locked = _lock(application, None)
        _change(
            locked,
            actor=actor,
            kind=EventKind.LISTED,
            fields={"pilot": pilot},
            details={"batch": batch.pk, "pilot": pilot.pk},
            source=source,
        )
    before = snapshot(current, ["status", "batch", "list_notice_text"])
    current.status = CallStatus.FINALISED
    current.batch = batch
    current.list_notice_text = text
    current.row_version += 1
    current.save()
    record(
        actor=actor,
        action="call.finalised",
        obj=current,
        before=before,
        after={**snapshot(current, ["status", "batch"]), "pilots": len(entries)},
        source=source,
    )
    return current


def _checked_notice(call: Call, text: str) -> str:
    """The edited notice must still parse and list exactly the batch's pilots."""
    text = _required_text(text, "text", _("请填写通知文稿。"))
    try:
        parsed = parse_notice(text)
    except NoticeParseError as error:
        raise ValidationFailed(
            _("第%(line)s行：%(reason)s") % {"line": error.line_number, "reason": error.reason},
            details={"field": "text", "line": error.line_number},
        ) from error
    assert call.batch is not None  # noqa: S101 - a finalised call has its batch
    if parsed.year != call.year or render_annex(parsed) != render_batch_annex(call.batch):
        raise ValidationFailed(
            _("通知附件名单与已批准的试点不一致。名单由评审结果确定，只能修改通知正文。"),
            details={"field": "text"},
        )
    return text


@transaction.atomic
def update_list_notice(call: Call, *, actor: Any, expected_version: int | None, text: str, source: str = "web") -> Call:
    """The ministry edits the drafted notice (its body; the annex is fixed by the decisions)."""
    _require_ministry(actor)
    current = _lock_call(call, expected_version)
    if current.status != CallStatus.FINALISED:
        raise _refuse(_("只有已确定、尚未公布的名单可以修改通知文稿。"), status=current.status)
    text = _checked_notice(current, text)
    before = snapshot(current, ["list_notice_text"])
    current.list_notice_text = text
    current.row_version += 1
    current.save(update_fields=["list_notice_text", "row_version", "updated_at"])
    record(
        actor=actor,
        action="call.notice_edited",
        obj=current,
        before=before,
        after=snapshot(current, ["list_notice_text"]),
        source=source,
    )
    return current


@transaction.atomic
def publish_list(call: Call, *, actor: Any, expected_version: int | None, source: str = "web") -> Call:
    """Publish the list notice: the batch and its pilots become public."""
    _require_ministry(actor)
    current = _lock_call(call, expected_version)
    if current.status != CallStatus.FINALISED or current.batch is None:
        raise _refuse(
            _("申报通知当前状态为“%(status)s”，不能公布名单。") % {"status": current.get_status_display()},
            status=current.status,
        )
    text = _checked_notice(current, current.list_notice_text)
    import_notice(text.encode("utf-8"), filename="", actor=actor, publish=True, source_label=source)
    before = snapshot(current, ["status"])
    current.status = CallStatus.PUBLISHED
    current.row_version += 1
    current.save(update_fields=["status", "row_version", "updated_at"])
    record(
        actor=actor,
        action="call.published",
        obj=current,
        before=before,
        after=snapshot(current, ["status"]),
        source=source,
    )
    return current
