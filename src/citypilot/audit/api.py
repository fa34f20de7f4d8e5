from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from citypilot.core.api import ERRORS, get_scoped, require_login, scoped

from .models import AuditEntry

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    seq: int
    at: datetime
    actor_repr: str
    action: str
    object_repr: str
    object_id: str
    before: Any = None
    after: Any = None
    reason: str
    source: str
    hash: str


def history_of(request: HttpRequest, model: type[models.Model], pk: Any) -> Any:
    """The audit entries of one record, when the caller may see that record."""
    obj = get_scoped(request, model, pk)
    return AuditEntry.objects.for_object(obj)


@router.get("/", response={200: list[AuditEntryOut], **ERRORS})
@paginate
def list_entries(request: HttpRequest, action: str = "") -> Any:
    """Audit entries the caller may see (the ministry sees all; others their organisations')."""
    require_login(request)
    entries = scoped(request, AuditEntry).order_by("-seq")
    if action:
        entries = entries.filter(action=action)
    return entries
