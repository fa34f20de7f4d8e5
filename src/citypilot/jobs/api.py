from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from citypilot.core.api import ERRORS, get_scoped, require_login, scoped

from . import services
from .choices import JobKind
from .models import Job

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    kind: str
    status: str
    progress: int
    message: str
    result: Any = None
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobIn(Schema):
    kind: JobKind


@router.get("/", response={200: list[JobOut], **ERRORS})
@paginate
def list_jobs(request: HttpRequest) -> Any:
    require_login(request)
    return scoped(request, Job)


@router.post("/", response={201: JobOut, **ERRORS})
def start_job(request: HttpRequest, payload: JobIn) -> Any:
    user = require_login(request)
    return 201, services.start_job(actor=user, kind=payload.kind, source="api")


@router.get("/{job_id}", response={200: JobOut, **ERRORS})
def get_job(request: HttpRequest, job_id: int) -> Any:
    require_login(request)
    return get_scoped(request, Job, job_id)
