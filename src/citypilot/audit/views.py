from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin

from citypilot.core.views import NoTotalPaginator, ScopedListView

from .models import AuditEntry


class AuditLogView(LoginRequiredMixin, ScopedListView):
    """The audit log: the ministry sees every entry, others those of their organisations."""

    model = AuditEntry
    select_related = ("content_type",)
    template_name = "audit/auditentry_list.html"
    paginator_class = NoTotalPaginator  # millions of entries: next/previous, no COUNT(*)

    def get_queryset(self) -> Any:
        queryset = super().get_queryset().order_by("-seq")
        if action := self.request.GET.get("action", "").strip():
            queryset = queryset.filter(action=action)
        return queryset
