"""HTML pages of the round: list, deadline board (with exports), one submission with its history.

Every read goes through ``visible_to``; every action calls the same service function as the API."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citypilot.accounts.principals import principal_of
from citypilot.audit.models import AuditEntry
from citypilot.core.errors import ServiceError
from citypilot.documents.choices import DocumentKind
from citypilot.documents.models import DocumentVersion
from citypilot.documents.services import file_response
from citypilot.pilots.models import Batch

from . import selectors, services
from .choices import BoardState, SubmissionAction
from .clock import days_left
from .forms import NoteForm, OpenRoundForm, ReturnForm, UploadForm
from .models import Submission


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = selectors.visible_rounds(request.user).order_by("-deadline", "-pk")
    principal = principal_of(request.user)
    return render(
        request,
        "rounds/round_list.html",
        {"rounds": rounds, "can_open": services.acts_for_ministry(principal), "now": timezone.now()},
    )


@login_required
def round_open(request: HttpRequest) -> HttpResponse:
    if not services.acts_for_ministry(principal_of(request.user)):
        raise Http404
    batches = Batch.objects.visible_to(request.user).filter(is_published=True).order_by("-year")
    form = OpenRoundForm(request.POST or None, batches=batches)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            deadline = form.cleaned_data["deadline"]
            try:
                round_ = services.open_round(
                    actor=request.user,
                    batch=form.cleaned_data["batch"],
                    title=form.cleaned_data["title"],
                    deadline=deadline,
                    reminder_days=form.cleaned_data["reminder_days"],
                    overdue_reminder_days=form.cleaned_data["overdue_reminder_days"],
                )
            except ServiceError as error:
                form.add_error(
                    error.details.get("field") if error.details.get("field") in form.fields else None,
                    str(error.message),
                )
                status = error.status
            else:
                messages.success(request, _("报送轮次已发起。"))
                return redirect("rounds:board", pk=round_.pk)
        else:
            status = 422
    return render(request, "rounds/round_open.html", {"form": form}, status=status)


def _filters(request: HttpRequest) -> tuple[int | None, str]:
    province_value = request.GET.get("province", "")
    province = int(province_value) if province_value.isdigit() else None
    state = request.GET.get("state", "")
    return province, state if state in BoardState.values else ""


@login_required
def board(request: HttpRequest, pk: int) -> HttpResponse:
    """截止看板: every visible pilot of the round against the deadline, with counts per authority."""
    round_ = get_object_or_404(selectors.visible_rounds(request.user), pk=pk)
    now = timezone.now()
    province, state = _filters(request)
    counts = selectors.board_counts(round_, request.user, now=now)
    rows = [
        (submission, selectors.board_state(submission), selectors.timing(submission, now))
        for submission in selectors.board_submissions(round_, request.user, province=province, state=state, now=now)
    ]
    principal = principal_of(request.user)
    return render(
        request,
        "rounds/board.html",
        {
            "round": round_,
            "counts": counts,
            "totals": selectors.totals(counts),
            "rows": rows,
            "states": BoardState.choices,
            "province": province,
            "state": state,
            "days_left": days_left(round_.deadline, now),
            "overdue": now > round_.deadline,
            "overdue_days": max(-days_left(round_.deadline, now), 0),
            "deadline_local": selectors.local(round_.deadline),
            "query": request.GET.urlencode(),
            "can_close": services.acts_for_ministry(principal) and round_.status == "open",
        },
    )


@login_required
def board_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    """The board as CSV (streamed) or XLSX (write-only workbook), with the same filters."""
    round_ = get_object_or_404(selectors.visible_rounds(request.user), pk=pk)
    now = timezone.now()
    province, state = _filters(request)
    submissions = selectors.board_submissions(round_, request.user, province=province, state=state, now=now)
    rows = selectors.export_rows(submissions, now)
    stamp = selectors.local(now).replace(" ", "-").replace(":", "")
    if fmt == "csv":
        response = StreamingHttpResponse(selectors.csv_chunks(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="round-{round_.pk}-{stamp}.csv"'
        return response
    if fmt == "xlsx":
        return FileResponse(
            selectors.xlsx_file(rows, _("截止看板")),
            as_attachment=True,
            filename=f"round-{round_.pk}-{stamp}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    raise Http404


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(selectors.visible_rounds(request.user), pk=pk)
    form = NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(_("提交的数据有误。"))
        services.close_round(round_, actor=request.user, expected_version=form.cleaned_data["expected_version"])
    except ServiceError as error:
        messages.error(request, str(error.message))
        return redirect("rounds:board", pk=round_.pk) if error.status != 403 else _forbidden(request, error)
    messages.success(request, _("报送轮次已关闭。"))
    return redirect("rounds:board", pk=round_.pk)


def _visible_submission(request: HttpRequest, pk: int) -> Submission:
    return get_object_or_404(
        Submission.objects.visible_to(request.user).select_related(
            "round",
            "round__batch",
            "pilot",
            "pilot__organisation",
            "pilot__supervising_authority",
            "reviewer",
            "accepted_by",
        ),
        pk=pk,
    )


def _documents(submission: Submission) -> list[dict[str, Any]]:
    """Each document of the submission with all its versions, newest first (one query)."""
    documents = {
        DocumentKind.PLAN: submission.plan_id,
        DocumentKind.TASK_BOOK: submission.task_book_id,
        DocumentKind.REVIEW_OPINION: submission.opinion_id,
    }
    versions = DocumentVersion.objects.filter(document_id__in=[d for d in documents.values() if d]).select_related(
        "uploaded_by"
    )
    by_document: dict[int, list[DocumentVersion]] = {}
    for version in versions.order_by("-number"):
        by_document.setdefault(version.document_id, []).append(version)
    submitted = {
        submission.submitted_plan_version_id,
        submission.submitted_task_book_version_id,
        submission.opinion_version_id,
    }
    return [
        {
            "kind": kind,
            "label": DocumentKind(kind).label,
            "versions": by_document.get(document_id, []) if document_id else [],
            "submitted": submitted,
        }
        for kind, document_id in documents.items()
    ]


@login_required
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    return _render_detail(request, submission)


def _render_detail(request: HttpRequest, submission: Submission, *, status: int = 200, **forms: Any) -> HttpResponse:
    allowed = services.allowed_actions(request.user, submission)
    initial = {"expected_version": submission.row_version}
    context = {
        "submission": submission,
        "round": submission.round,
        "documents": _documents(submission),
        "events": submission.events.select_related("actor").order_by("pk"),
        "history": AuditEntry.objects.visible_to(request.user).for_object(submission),
        "allowed": allowed,
        "timing": selectors.timing(submission, timezone.now()),
        "upload_form": forms.get("upload_form") or UploadForm(initial=initial),
        "note_form": forms.get("note_form") or NoteForm(initial=initial),
        "return_form": forms.get("return_form") or ReturnForm(initial=initial),
        "actions": SubmissionAction,
    }
    return render(request, "rounds/submission_detail.html", context, status=status)


def _forbidden(request: HttpRequest, error: ServiceError) -> HttpResponse:
    return render(
        request, "error.html", {"status": 403, "title": _("无权操作"), "message": str(error.message)}, status=403
    )


ACTIONS = {
    "upload_plan",
    "upload_task_book",
    "submit",
    "take",
    "return",
    "opinion",
    "accept",
}


@login_required
@require_POST
def submission_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One POST per transition; the service decides, the page reports its reason."""
    if action not in ACTIONS:
        raise Http404
    submission = _visible_submission(request, pk)
    form_class = {
        "upload_plan": UploadForm,
        "upload_task_book": UploadForm,
        "opinion": UploadForm,
        "return": ReturnForm,
    }
    form = form_class.get(action, NoteForm)(request.POST, request.FILES)
    form_key = {UploadForm: "upload_form", ReturnForm: "return_form", NoteForm: "note_form"}[type(form)]
    if not form.is_valid():
        messages.error(request, _("提交的数据有误，请检查后重试。"))
        return _render_detail(request, submission, status=422, **{form_key: form})
    data = form.cleaned_data
    common = {"actor": request.user, "expected_version": data["expected_version"]}
    try:
        if action in ("upload_plan", "upload_task_book"):
            upload = data["file"]
            kind = DocumentKind.PLAN if action == "upload_plan" else DocumentKind.TASK_BOOK
            services.upload_document(
                submission, kind=kind, upload=upload, original_name=upload.name, note=data["note"], **common
            )
            done = _("%(kind)s已上传（新版本，旧版本保留）。") % {"kind": DocumentKind(kind).label}
        elif action == "submit":
            services.submit(submission, note=data["note"], **common)
            done = _("材料已提交，等待省级主管部门评审。")
        elif action == "take":
            services.take_for_review(submission, **common)
            done = _("已接收评审。")
        elif action == "return":
            services.return_submission(submission, reason=data["reason"], **common)
            done = _("材料已退回试点修改。")
        elif action == "opinion":
            upload = data["file"]
            services.upload_opinion(submission, upload=upload, original_name=upload.name, note=data["note"], **common)
            done = _("评审意见已上传，材料已齐全。")
        else:
            services.accept(submission, note=data["note"], **common)
            done = _("材料已接收。")
    except ServiceError as error:
        if error.status == 403:
            return _forbidden(request, error)
        messages.error(request, str(error.message))
        submission.refresh_from_db()
        return _render_detail(request, submission, status=error.status)
    messages.success(request, done)
    return redirect("rounds:submission", pk=submission.pk)


@login_required
def submission_file(request: HttpRequest, pk: int, version_id: int) -> FileResponse:
    """A version of one of the submission's documents, for whoever may see the submission."""
    submission = _visible_submission(request, pk)
    documents = [d for d in (submission.plan_id, submission.task_book_id, submission.opinion_id) if d]
    version = get_object_or_404(DocumentVersion, pk=version_id, document_id__in=documents)
    return file_response(version)
