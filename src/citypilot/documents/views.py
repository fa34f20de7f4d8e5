from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from citypilot.accounts.choices import Role
from citypilot.accounts.models import Organisation
from citypilot.accounts.principals import principal_of
from citypilot.audit.models import AuditEntry
from citypilot.core.errors import ServiceError
from citypilot.core.views import LookaheadPaginator, ScopedDetailView, ScopedListView

from . import services
from .choices import DocumentKind
from .forms import DocumentUploadForm, VersionUploadForm
from .models import Document


class DocumentListView(ScopedListView):
    model = Document
    select_related = ("organisation", "current_version")
    template_name = "documents/document_list.html"
    paginator_class = LookaheadPaginator  # unfiltered on PostgreSQL: "约 N 条" from the planner's estimate

    def get_queryset(self) -> Any:
        queryset = super().get_queryset().order_by("-created_at", "-pk")
        kind = self.request.GET.get("kind", "")
        if kind in DocumentKind.values:
            queryset = queryset.filter(kind=kind)
        if q := self.request.GET.get("q", "").strip():
            queryset = queryset.filter(title__icontains=q)
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        principal = principal_of(self.request.user)
        return super().get_context_data(
            kinds=DocumentKind.choices,
            kind=self.request.GET.get("kind", ""),
            q=self.request.GET.get("q", ""),
            can_upload=bool(principal.writable_org_ids) or principal.is_ministry,
            **kwargs,
        )


class DocumentDetailView(ScopedDetailView):
    model = Document
    select_related = ("organisation", "current_version")
    template_name = "documents/document_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        document = self.object
        principal = principal_of(self.request.user)
        return super().get_context_data(
            versions=document.versions.select_related("uploaded_by").order_by("-number"),
            history=AuditEntry.objects.visible_to(self.request.user).for_object(document),
            can_add_version=principal.can_write_for(document.organisation_id) and not principal.is_read_only,
            version_form=VersionUploadForm(),
            **kwargs,
        )


def _writable_organisations(request: HttpRequest) -> Any:
    principal = principal_of(request.user)
    organisations = Organisation.objects.visible_to(request.user).order_by("kind", "code")
    if principal.has_role(Role.MINISTRY_OFFICER):
        return organisations
    return organisations.filter(pk__in=principal.writable_org_ids)


@login_required
def document_upload(request: HttpRequest) -> HttpResponse:
    organisations = _writable_organisations(request)
    form = DocumentUploadForm(request.POST or None, request.FILES or None, organisations=organisations)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                document = services.upload_document(
                    actor=request.user,
                    organisation=form.cleaned_data["organisation"],
                    kind=form.cleaned_data["kind"],
                    title=form.cleaned_data["title"],
                    upload=upload,
                    original_name=upload.name,
                    is_public=form.cleaned_data["is_public"],
                    note=form.cleaned_data["note"],
                )
            except ServiceError as error:
                form.add_error("file" if error.details.get("field") == "file" else None, str(error.message))
                status = error.status
            else:
                messages.success(request, _("文件已上传。"))
                return redirect("documents:detail", pk=document.pk)
        else:
            status = 422
    return render(request, "documents/document_upload.html", {"form": form}, status=status)


@login_required
def version_upload(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    form = VersionUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.add_version(
                document, actor=request.user, upload=upload, original_name=upload.name, note=form.cleaned_data["note"]
            )
        except ServiceError as error:
            messages.error(request, str(error.message))
            return render(
                request,
                "documents/version_upload.html",
                {"form": form, "document": document},
                status=error.status,
            )
        messages.success(request, _("新版本已上传，旧版本保留。"))
        return redirect("documents:detail", pk=document.pk)
    return render(
        request,
        "documents/version_upload.html",
        {"form": form, "document": document},
        status=422 if form.errors else 200,
    )


def version_download(request: HttpRequest, pk: int, number: int) -> FileResponse:
    document = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    version = get_object_or_404(document.versions, number=number)
    return services.file_response(version)
