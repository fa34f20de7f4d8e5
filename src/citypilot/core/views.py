"""The one base for HTML views: every read goes through the model's ``visible_to`` scope."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import DetailView, ListView

from .errors import ServiceError


class ScopedMixin:
    """Restrict ``get_queryset`` to what the requesting user may see. Never bypass it."""

    model: Any
    request: HttpRequest
    select_related: tuple[str, ...] = ()

    def get_queryset(self) -> Any:
        queryset = self.model.objects.visible_to(self.request.user)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset


class ScopedListView(ScopedMixin, ListView[Any]):
    paginate_by = 50


class ScopedDetailView(ScopedMixin, DetailView[Any]):
    pass


def service_error_response(
    request: HttpRequest, error: ServiceError, template: str, context: dict[str, Any]
) -> HttpResponse:
    """Re-render a form page with the service's translated reason and a fitting status."""
    messages.error(request, str(error.message))
    return render(request, template, {**context, "service_error": error}, status=error.status)
