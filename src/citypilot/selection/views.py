"""HTML pages of the selection workflow. Every write goes through a service function; a refused
action re-renders the page with the service's translated reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from citypilot.accounts.choices import Role
from citypilot.accounts.models import Membership, User
from citypilot.accounts.principals import principal_of
from citypilot.audit.models import AuditEntry
from citypilot.core.errors import PermissionDenied, ServiceError
from citypilot.core.views import ScopedDetailView, ScopedListView

from . import selectors, services
from .choices import EDITABLE_STATUSES, ApplicationStatus, AssignmentStatus, CallStatus, Dimension
from .forms import (
    ApplicationCreateForm,
    ApplicationEditForm,
    AssignForm,
    CallForm,
    ConditionsForm,
    DecideForm,
    ExpertProfileForm,
    MaterialForm,
    NoticeForm,
    ProvincialReviewForm,
    ReasonForm,
    RecommendForm,
    ScoreForm,
    VersionForm,
    quota_text,
)
from .models import Application, Call, ExpertAssignment, ExpertProfile


def _version(form: Any) -> int | None:
    return form.cleaned_data.get("expected_version")


# --------------------------------------------------------------------------------------------------
# Calls


class CallListView(ScopedListView):
    model = Call
    template_name = "selection/call_list.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("-year")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        principal = principal_of(user)
        context: dict[str, Any] = {
            "can_manage": principal.has_role(Role.MINISTRY_OFFICER),
            "applications": selectors.visible_applications(user).order_by("-call__year", "status", "pk")[:100]
            if principal.is_authenticated and not principal.has_role(Role.EXPERT_REVIEWER)
            else [],
            "assignments": selectors.visible_assignments(user).filter(expert_id=user.pk).order_by("-pk")
            if principal.has_role(Role.EXPERT_REVIEWER)
            else [],
        }
        return super().get_context_data(**context, **kwargs)


def _call_form_initial(call: Call) -> dict[str, Any]:
    return {
        "expected_version": call.row_version,
        "year": call.year,
        "title": call.title,
        "doc_number": call.doc_number,
        "default_quota": call.default_quota,
        "quota_overrides": quota_text(call.quota_overrides),
        "dimension_max": call.dimension_max,
        "application_deadline": call.application_deadline,
        "recommendation_deadline": call.recommendation_deadline,
        "conditions": "\n".join(c["text"] for c in call.conditions),
        "materials": "\n".join(m["name"] for m in call.materials),
    }


@login_required
def call_create(request: HttpRequest) -> HttpResponse:
    if not principal_of(request.user).has_role(Role.MINISTRY_OFFICER):
        raise Http404
    initial = {
        "conditions": "\n".join(text for _key, text in services.DEFAULT_CONDITIONS),
        "materials": "\n".join(name for _key, name in services.DEFAULT_MATERIALS),
    }
    form = CallForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                call = services.create_call(
                    actor=request.user,
                    year=data["year"],
                    title=data["title"],
                    doc_number=data["doc_number"],
                    default_quota=data["default_quota"],
                    dimension_max=data["dimension_max"],
                    application_deadline=data["application_deadline"],
                    recommendation_deadline=data["recommendation_deadline"],
                    conditions=data["conditions"],
                    materials=data["materials"],
                    quota_overrides=data["quota_overrides"],
                )
            except ServiceError as error:
                form.add_error(None, str(error.message))
                status = error.status
            else:
                messages.success(request, _("申报通知已创建（草稿）。"))
                return redirect("selection:call-detail", pk=call.pk)
        else:
            status = 422
    return render(request, "selection/call_form.html", {"form": form, "call": None}, status=status)


@login_required
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call.objects.visible_to(request.user), pk=pk)
    if not principal_of(request.user).has_role(Role.MINISTRY_OFFICER):
        raise Http404
    form = CallForm(request.POST or None, initial=_call_form_initial(call))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            allowed = services.DRAFT_CALL_FIELDS if call.status == CallStatus.DRAFT else services.OPEN_CALL_FIELDS
            changes = {name: value for name, value in form.cleaned_data.items() if name in allowed}
            try:
                services.update_call(call, actor=request.user, expected_version=_version(form) or 0, changes=changes)
            except ServiceError as error:
                form.add_error(None, str(error.message))
                status = error.status
            else:
                messages.success(request, _("申报通知已保存。"))
                return redirect("selection:call-detail", pk=call.pk)
        else:
            status = 422
    return render(request, "selection/call_form.html", {"form": form, "call": call}, status=status)


class CallDetailView(ScopedDetailView):
    model = Call
    template_name = "selection/call_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        call: Call = self.object
        user = self.request.user
        principal = principal_of(user)
        orgs = selectors.can_apply_orgs(user).exclude(selection_applications__call=call)
        context: dict[str, Any] = {
            "can_manage": principal.has_role(Role.MINISTRY_OFFICER),
            "applications": selectors.visible_applications(user)
            .filter(call=call)
            .order_by("province__division_code", "rank", "pk"),
            "quota_board": selectors.quota_board(call)
            if principal.has_role(Role.MINISTRY_OFFICER, Role.PROVINCIAL_OFFICER)
            else [],
            "create_form": ApplicationCreateForm(organisations=orgs)
            if call.status == CallStatus.OPEN and orgs.exists()
            else None,
            "version_form": VersionForm(initial={"expected_version": call.row_version}),
        }
        return super().get_context_data(**context, **kwargs)


CALL_ACTIONS: dict[str, tuple[Callable[..., Call], Any]] = {
    "open": (services.open_call, gettext_lazy("申报通知已发布，开始接受申报。")),
    "close": (services.close_call, gettext_lazy("申报已截止。")),
    "finalise": (services.finalise_call, gettext_lazy("名单已确定：试点批次已创建（未公布），通知文稿已起草。")),
    "publish": (services.publish_list, gettext_lazy("名单已公布，试点批次向公众公开。")),
}


@login_required
@require_POST
def call_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    call = get_object_or_404(Call.objects.visible_to(request.user), pk=pk)
    if action not in CALL_ACTIONS:
        raise Http404
    function, done = CALL_ACTIONS[action]
    form = VersionForm(request.POST)
    form.is_valid()
    try:
        function(call, actor=request.user, expected_version=_version(form))
    except PermissionDenied:
        raise Http404 from None
    except ServiceError as error:
        messages.error(request, str(error.message))
        return redirect("selection:call-detail", pk=call.pk)
    messages.success(request, str(done))
    if action == "finalise":
        return redirect("selection:call-notice", pk=call.pk)
    return redirect("selection:call-detail", pk=call.pk)


@login_required
def call_notice(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call.objects.visible_to(request.user).select_related("batch"), pk=pk)
    if not principal_of(request.user).has_role(Role.MINISTRY_OFFICER) or call.batch is None:
        raise Http404
    form = NoticeForm(
        request.POST or None, initial={"text": call.list_notice_text, "expected_version": call.row_version}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_list_notice(
                    call, actor=request.user, expected_version=_version(form), text=form.cleaned_data["text"]
                )
            except ServiceError as error:
                form.add_error("text", str(error.message))
                status = error.status
            else:
                messages.success(request, _("通知文稿已保存。"))
                return redirect("selection:call-notice", pk=call.pk)
        else:
            status = 422
    call.refresh_from_db()
    return render(
        request,
        "selection/call_notice.html",
        {"call": call, "form": form, "version_form": VersionForm(initial={"expected_version": call.row_version})},
        status=status,
    )


# --------------------------------------------------------------------------------------------------
# Applications


@login_required
@require_POST
def application_create(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call.objects.visible_to(request.user), pk=pk)
    form = ApplicationCreateForm(request.POST, organisations=selectors.can_apply_orgs(request.user))
    if form.is_valid():
        try:
            application = services.create_application(
                actor=request.user,
                call=call,
                applicant=form.cleaned_data["applicant"],
                area_name=form.cleaned_data["area_name"],
                summary=form.cleaned_data["summary"],
                contact=form.cleaned_data["contact"],
            )
        except ServiceError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("申报已创建。请上传申报材料、确认申报条件后提交。"))
            return redirect("selection:application-detail", pk=application.pk)
    else:
        messages.error(request, _("提交的数据有误。"))
    return redirect("selection:call-detail", pk=call.pk)


def _is_member(user: Any, organisation_id: int, role: str) -> bool:
    return Membership.objects.filter(user_id=user.pk, organisation_id=organisation_id, role=role).exists()


def _application_context(request: HttpRequest, application: Application, forms: dict[str, Any]) -> dict[str, Any]:
    user = request.user
    principal = principal_of(user)
    call = application.call
    version = {"expected_version": application.row_version}
    is_applicant = _is_member(user, application.applicant_id, Role.PILOT_OFFICER)
    is_province = _is_member(user, application.province_id, Role.PROVINCIAL_OFFICER)
    is_ministry = principal.has_role(Role.MINISTRY_OFFICER)
    editable = application.status in EDITABLE_STATUSES
    assignment = (
        ExpertAssignment.objects.filter(application=application, expert_id=user.pk).first()
        if principal.has_role(Role.EXPERT_REVIEWER)
        else None
    )
    links = {link.material: link for link in application.material_links.select_related("document__current_version")}
    context: dict[str, Any] = {
        "application": application,
        "call": call,
        "materials": [{**m, "link": links.get(m["key"])} for m in call.materials],
        "conditions": [{**c, "confirmed": c["key"] in application.confirmed_conditions} for c in call.conditions],
        "missing": services.missing_items(application),
        "reviews": application.provincial_reviews.select_related("reviewer"),
        "events": selectors.visible_events(user, application).select_related("actor"),
        "history": AuditEntry.objects.visible_to(user).for_object(application),
        "is_applicant": is_applicant,
        "is_province": is_province,
        "is_ministry": is_ministry,
        "my_assignment": assignment,
        "can_edit": is_applicant and editable,
        "can_review": is_province
        and application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.PROVINCE_REVIEWED),
        "can_recommend": is_province and application.status == ApplicationStatus.PROVINCE_REVIEWED,
        "can_assign": is_ministry
        and application.status in (ApplicationStatus.RECOMMENDED, ApplicationStatus.NATIONAL_REVIEW),
        "can_decide": is_ministry and application.status == ApplicationStatus.NATIONAL_REVIEW,
        "can_score": assignment is not None
        and assignment.status == AssignmentStatus.ASSIGNED
        and application.status == ApplicationStatus.NATIONAL_REVIEW,
        "quota": call.quota_for(application.province_id),
    }
    if is_ministry:
        context["assignments"] = [
            {
                "assignment": a,
                "scores": [{s.dimension: s.score for s in a.scores.all()}.get(d) for d in Dimension.values],
            }
            for a in application.assignments.select_related("expert").prefetch_related("scores")
        ]
        context["summary"] = selectors.score_summary(application)
    if context["can_edit"]:
        context["edit_form"] = forms.get("edit") or ApplicationEditForm(
            initial={
                **version,
                "area_name": application.area_name,
                "summary": application.summary,
                "contact": application.contact,
            }
        )
        context["material_form"] = forms.get("material") or MaterialForm(materials=call.materials)
        context["conditions_form"] = forms.get("conditions") or ConditionsForm(
            conditions=call.conditions, initial={**version, "confirmed": application.confirmed_conditions}
        )
    if context["can_review"]:
        context["review_form"] = forms.get("review") or ProvincialReviewForm(initial=version)
        context["return_form"] = forms.get("return") or ReasonForm(initial=version)
    if context["can_recommend"]:
        context["recommend_form"] = forms.get("recommend") or RecommendForm(initial=version)
    if context["can_assign"]:
        context["assign_form"] = forms.get("assign") or AssignForm(
            experts=selectors.eligible_experts(application), initial=version
        )
    if context["can_decide"]:
        context["decide_form"] = forms.get("decide") or DecideForm(initial=version)
    if context["can_score"] and assignment is not None:
        context["score_form"] = forms.get("score") or ScoreForm(
            maximum=call.dimension_max, initial={"expected_version": assignment.row_version}
        )
        context["conflict_form"] = forms.get("conflict") or ReasonForm(
            initial={"expected_version": assignment.row_version}
        )
    context["version_form"] = VersionForm(initial=version)
    for name, value in list(context.items()):
        if name.endswith("_form") and name != "version_form":
            value.auto_id = f"{name.removesuffix('_form')}_%s"  # several forms on one page: distinct ids
    return context


def _get_application(request: HttpRequest, pk: int) -> Application:
    return get_object_or_404(
        selectors.visible_applications(request.user).select_related("call", "applicant", "province"), pk=pk
    )


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_application(request, pk)
    return render(request, "selection/application_detail.html", _application_context(request, application, {}))


def _act_edit(request: HttpRequest, app: Application) -> tuple[Any, Callable[[Any], Any], str]:
    form = ApplicationEditForm(request.POST)
    return (
        form,
        lambda f: services.update_application(
            app,
            actor=request.user,
            expected_version=_version(f),
            area_name=f.cleaned_data["area_name"],
            summary=f.cleaned_data["summary"],
            contact=f.cleaned_data["contact"],
        ),
        _("申报信息已保存。"),
    )


def _act_material(request: HttpRequest, app: Application) -> tuple[Any, Callable[[Any], Any], str]:
    form = MaterialForm(request.POST, request.FILES, materials=app.call.materials)
    return (
        form,
        lambda f: services.attach_material(
            app,
            actor=request.user,
            material=f.cleaned_data["material"],
            upload=f.cleaned_data["file"],
            original_name=f.cleaned_data["file"].name,
            note=f.cleaned_data["note"],
        ),
        _("材料已上传。"),
    )


def _act_conditions(request: HttpRequest, app: Application) -> tuple[Any, Callable[[Any], Any], str]:
    form = ConditionsForm(request.POST, conditions=app.call.conditions)
    return (
        form,
        lambda f: services.confirm_conditions(
            app, actor=request.user, expected_version=_version(f), confirmed=f.cleaned_data["confirmed"]
        ),
        _("申报条件确认已保存。"),
    )


def _act_submit(request: HttpRequest, app: Application) -> tuple[Any, Callable[[Any], Any], str]:
    return (
        VersionForm(request.POST),
        lambda f: services.submit_application(app, actor=request.user, expected_version=_version(f)),
        _("申报已提交省级主管部门。"),
    )


def _act_review(request: HttpRequest, app: Application) -> tuple[Any, Callable[[Any], Any], str]:
    form = ProvincialReviewForm(request.POST)
    return (
        form,
        lambda f: services.record_provincial_review(
            app,
            actor=request.user,
            expected_version=_version(f),
            materials_complete=f.cleaned_data["materials_complete"],
            materials_note=f.cleaned_data["materials_note"],
            site_visit_date=f.cleaned_data["site_visit_date"],
            site_visit_participants=f.cleaned_data["site_visit_participants"],
            site_visit_notes=f.cleaned_data["site_visit_notes"],
            opinion=f.cleaned_data["opinion"],
            score=f.cleaned_data["score"],
        ),
        _("初审意见已保存。"),
    )


def _act_recommend(request: HttpRequest, app: Application) -> tuple[Any, Callable[[Any], Any], str]:
    return (
        RecommendForm(request.POST),
        lambda f: services.recommend_application(
            app,
            actor=request.user,
            expected_version=_version(f),
            rank=f.cleaned_data["rank"],
            reason=f.cleaned_data["reason"],
        ),
        _("已推荐至部试点办。"),
    )


def _act_return(request: HttpRequest, app: Application) -> tuple[Any, Callable[[Any], Any], str]:
    return (
        ReasonForm(request.POST),
        lambda f: services.return_application(
            app, actor=request.user, expected_version=_version(f), reason=f.cleaned_data["reason"]
        ),
        _("申报已退回申报单位。"),
    )


def _act_assign(request: HttpRequest, app: Application) -> tuple[Any, Callable[[Any], Any], str]:
    form = AssignForm(request.POST, experts=selectors.eligible_experts(app))
    return (
        form,
        lambda f: services.assign_expert(
            app, actor=request.user, expected_version=_version(f), expert=f.cleaned_data["expert"]
        ),
        _("已指派评审专家。"),
    )


def _act_decide(request: HttpRequest, app: Application) -> tuple[Any, Callable[[Any], Any], str]:
    return (
        DecideForm(request.POST),
        lambda f: services.decide_application(
            app,
            actor=request.user,
            expected_version=_version(f),
            approve=f.cleaned_data["decision"] == "approve",
            reason=f.cleaned_data["reason"],
        ),
        _("评审决定已保存。"),
    )


def _my_assignment(request: HttpRequest, app: Application) -> ExpertAssignment:
    assignment = (
        ExpertAssignment.objects.visible_to(request.user).filter(application=app, expert_id=request.user.pk).first()
    )
    if assignment is None:
        raise Http404
    return assignment


def _act_score(request: HttpRequest, app: Application) -> tuple[Any, Callable[[Any], Any], str]:
    assignment = _my_assignment(request, app)
    form = ScoreForm(request.POST, maximum=app.call.dimension_max)
    return (
        form,
        lambda f: services.submit_scores(
            assignment,
            actor=request.user,
            scores=f.scores(),
            opinion=f.cleaned_data["opinion"],
            expected_version=_version(f),
        ),
        _("评分已提交。"),
    )


def _act_conflict(request: HttpRequest, app: Application) -> tuple[Any, Callable[[Any], Any], str]:
    assignment = _my_assignment(request, app)
    return (
        ReasonForm(request.POST),
        lambda f: services.declare_conflict(
            assignment, actor=request.user, reason=f.cleaned_data["reason"], expected_version=_version(f)
        ),
        _("已声明回避，该评审任务已撤回。"),
    )


APPLICATION_ACTIONS: dict[str, Callable[[HttpRequest, Application], tuple[Any, Callable[[Any], Any], str]]] = {
    "edit": _act_edit,
    "material": _act_material,
    "conditions": _act_conditions,
    "submit": _act_submit,
    "review": _act_review,
    "recommend": _act_recommend,
    "return": _act_return,
    "assign": _act_assign,
    "decide": _act_decide,
    "score": _act_score,
    "conflict": _act_conflict,
}


@login_required
@require_POST
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One POST endpoint per transition; the form is re-shown with the reason when refused."""
    if action not in APPLICATION_ACTIONS:
        raise Http404
    application = _get_application(request, pk)
    form, run, done = APPLICATION_ACTIONS[action](request, application)
    status = 422
    if form.is_valid():
        try:
            run(form)
        except PermissionDenied:
            return render(
                request,
                "error.html",
                {"status": 403, "title": _("无权操作"), "message": str(PermissionDenied.default_message)},
                status=403,
            )
        except ServiceError as error:
            messages.error(request, str(error.message))
            status = error.status
        else:
            messages.success(request, done)
            return redirect("selection:application-detail", pk=application.pk)
    application.refresh_from_db()
    context = _application_context(request, application, {action: form})
    context["failed_action"] = action
    return render(request, "selection/application_detail.html", context, status=status)


# --------------------------------------------------------------------------------------------------
# Experts


@login_required
def expert_list(request: HttpRequest) -> HttpResponse:
    if not principal_of(request.user).has_role(Role.MINISTRY_OFFICER):
        raise Http404
    experts = User.objects.filter(memberships__role=Role.EXPERT_REVIEWER).distinct().order_by("username")
    form = ExpertProfileForm(request.POST or None, experts=experts)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.set_expert_profile(
                    actor=request.user,
                    expert=form.cleaned_data["expert"],
                    province=form.cleaned_data["province"],
                    specialities=form.cleaned_data["specialities"],
                )
            except ServiceError as error:
                form.add_error(None, str(error.message))
                status = error.status
            else:
                messages.success(request, _("专家信息已保存。"))
                return redirect("selection:experts")
        else:
            status = 422
    profiles = ExpertProfile.objects.visible_to(request.user).select_related("user", "province")
    return render(request, "selection/expert_list.html", {"form": form, "profiles": profiles}, status=status)
