"""The registry's pages: the list with filters, counts and map, a pilot's page, the notice, exports, settlement."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from citypilot.accounts.choices import Role
from citypilot.accounts.principals import principal_of
from citypilot.audit.models import AuditEntry
from citypilot.core.errors import ServiceError
from citypilot.core.views import ScopedDetailView, ScopedListView
from citypilot.documents.models import Document

from . import exports, services
from .choices import AreaKind, Resolution
from .forms import SettlementForm
from .models import Batch, ExtensionArea, ExtensionLine, Pilot, Section
from .selectors import PILOT_STATUSES, counts_by, filter_pilots, render_batch_annex

FILTERS = ("batch", "section", "province", "kind", "resolution", "status", "q")


def _filters(request: HttpRequest) -> dict[str, Any]:
    values: dict[str, Any] = {name: request.GET.get(name, "").strip() for name in FILTERS}
    values["batch"] = int(values["batch"]) if values["batch"].isdigit() else None
    # The list shows the pilots as listed in the notices unless asked for placeholders ("all": both).
    values["status"] = values["status"] or "listed"
    return values


class PilotListView(ScopedListView):
    model = Pilot
    select_related = ("batch", "section", "supervising_authority")
    template_name = "pilots/pilot_list.html"

    def get_queryset(self) -> Any:
        queryset = filter_pilots(super().get_queryset(), **_filters(self.request))
        return queryset.order_by("batch__year", "section__position", "position")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        visible = Pilot.objects.visible_to(self.request.user)
        filtered: Any = self.object_list
        query = self.request.GET.copy()
        query.pop("page", None)
        filters = _filters(self.request)
        return super().get_context_data(
            filters=filters,
            # The map shows exactly what the list shows, including the default status.
            map_query=urlencode({name: value for name, value in filters.items() if value not in (None, "")}),
            query=query.urlencode(),
            batches=Batch.objects.visible_to(self.request.user)
            .filter(pilots__isnull=False)
            .distinct()
            .order_by("year"),
            notices=Batch.objects.visible_to(self.request.user).exclude(source_sha256="").order_by("year"),
            sections=Section.objects.visible_to(self.request.user).values_list("ordinal", "heading").distinct(),
            provinces=visible.order_by("province_name").values_list("province_name", flat=True).distinct(),
            kinds=AreaKind.choices,
            resolutions=Resolution.choices,
            statuses=[(status, _status_label(status)) for status in PILOT_STATUSES],
            by_province=counts_by(filtered, "province_name"),
            by_section=counts_by(filtered, "section__heading"),
            total=filtered.count(),
            can_manage=principal_of(self.request.user).has_role(Role.MINISTRY_OFFICER),
            **kwargs,
        )


def _status_label(status: str) -> str:
    return _("列入名单") if status == "listed" else _("占位（所属批次尚未导入）")


class PilotDetailView(ScopedDetailView):
    model = Pilot
    select_related = ("batch", "section", "supervising_authority", "organisation", "settled_by")
    template_name = "pilots/pilot_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        pilot: Pilot = self.object
        user = self.request.user
        extensions = (
            ExtensionLine.objects.visible_to(user)
            .filter(base_pilot=pilot)
            .select_related("batch")
            .prefetch_related("areas")
            .order_by("batch__year", "position")
        )
        return super().get_context_data(
            extensions=extensions,
            documents=Document.objects.visible_to(user)
            .filter(organisation=pilot.organisation_id)
            .order_by("-created_at"),
            history=AuditEntry.objects.visible_to(user).for_object(pilot),
            can_settle=principal_of(user).has_role(Role.MINISTRY_OFFICER),
            **kwargs,
        )


def batch_notice(request: HttpRequest, year: int) -> HttpResponse:
    """The notice as imported: title, addressees, body, deadlines, the counts, and the annex rendered back."""
    batch = get_object_or_404(Batch.objects.visible_to(request.user), year=year)
    if not batch.source_sha256:
        raise Http404
    return render(
        request,
        "pilots/batch_notice.html",
        {
            "batch": batch,
            "sections": batch.sections.order_by("position"),
            "deadlines": batch.deadlines.order_by("date"),
            "annex": render_batch_annex(batch),
        },
    )


EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "geojson": ("application/geo+json", "geojson"),
}


def export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """The registry as the caller sees it, filtered by batch, in CSV, XLSX or GeoJSON."""
    if fmt not in EXPORT_TYPES:
        raise Http404
    filters = _filters(request)
    rows = exports.export_rows(
        Pilot.objects.visible_to(request.user).select_related("batch", "section"),
        ExtensionArea.objects.visible_to(request.user),
        batch_year=filters["batch"],
    )
    content_type, extension = EXPORT_TYPES[fmt]
    filename = f"citypilot-pilots-{filters['batch'] or 'all'}.{extension}"
    if fmt == "xlsx":
        return FileResponse(exports.xlsx_file(rows), as_attachment=True, filename=filename, content_type=content_type)
    chunks = exports.csv_chunks(rows) if fmt == "csv" else exports.geojson_chunks(rows)
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def unresolved(request: HttpRequest) -> HttpResponse:
    """Entries and extension areas that need a ministry officer's settlement."""
    if not principal_of(request.user).has_role(Role.MINISTRY_OFFICER):
        raise DjangoPermissionDenied
    pilots = (
        Pilot.objects.visible_to(request.user)
        .filter(resolution=Resolution.UNRESOLVED)
        .select_related("batch")
        .order_by("batch__year", "section__position", "position")
    )
    areas = (
        ExtensionArea.objects.visible_to(request.user)
        .filter(resolution=Resolution.UNRESOLVED)
        .select_related("line__batch", "line__base_pilot")
        .order_by("line__batch__year", "line__position", "position")
    )
    return render(request, "pilots/unresolved.html", {"pilots": pilots, "areas": areas})


SETTLEABLE: dict[str, Any] = {"pilot": Pilot, "area": ExtensionArea}


@login_required
def settle(request: HttpRequest, model: str, pk: int) -> HttpResponse:
    """A ministry officer states which division an entry is, or lies in; audited and kept across re-imports."""
    if model not in SETTLEABLE:
        raise Http404
    area = get_object_or_404(SETTLEABLE[model].objects.visible_to(request.user), pk=pk)
    if not principal_of(request.user).has_role(Role.MINISTRY_OFFICER):
        raise DjangoPermissionDenied
    initial = {"division_code": area.division_code_at_batch or area.containing_code, "kind": area.kind}
    form = SettlementForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.settle_resolution(area, actor=request.user, **form.cleaned_data)
            except ServiceError as error:
                form.add_error(error.details.get("field") or None, str(error.message))
                status = error.status
            else:
                messages.success(request, _("已认定，重新导入通知时保留。"))
                pilot = area if isinstance(area, Pilot) else area.line.base_pilot
                return redirect("pilots:detail", pk=pilot.pk)
        else:
            status = 422
    return render(request, "pilots/settle.html", {"form": form, "area": area}, status=status)
