from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citypilot.core.errors import ServiceError
from citypilot.core.views import ScopedDetailView, ScopedListView

from . import services
from .choices import JobKind
from .models import Job


class JobListView(LoginRequiredMixin, ScopedListView):
    model = Job
    select_related = ("created_by",)
    template_name = "jobs/job_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(kinds=JobKind.choices, **kwargs)


class JobDetailView(LoginRequiredMixin, ScopedDetailView):
    model = Job
    select_related = ("created_by",)

    def get_template_names(self) -> list[str]:
        # htmx polls the status fragment while the job runs.
        if self.request.headers.get("HX-Request"):
            return ["jobs/_job_status.html"]
        return ["jobs/job_detail.html"]


@login_required
@require_POST
def job_start(request: HttpRequest) -> HttpResponse:
    try:
        job = services.start_job(actor=request.user, kind=request.POST.get("kind", ""))
    except ServiceError as error:
        messages.error(request, str(error.message))
        return redirect("jobs:list")
    messages.success(request, _("作业已提交，后台处理中。"))
    return redirect("jobs:detail", pk=job.pk)
