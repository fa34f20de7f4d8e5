"""Starting background jobs and recording how they run. Handlers are registered per job kind."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citypilot.accounts.choices import Role
from citypilot.accounts.principals import principal_of
from citypilot.audit.services import record
from citypilot.core.errors import PermissionDenied, ValidationFailed

from .choices import JobKind, JobStatus
from .models import Job

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]
Handler = Callable[[Job, Progress], dict[str, Any]]

# Who may start each kind of job.
JOB_ROLES: dict[str, tuple[str, ...]] = {JobKind.AUDIT_VERIFY: (Role.MINISTRY_OFFICER,)}


def _verify_audit(job: Job, progress: Progress) -> dict[str, Any]:
    from citypilot.audit.models import AuditChainHead
    from citypilot.audit.services import verify_chain

    total = max(AuditChainHead.objects.values_list("seq", flat=True).first() or 0, 1)
    result = verify_chain(
        progress=lambda checked: progress(min(99, checked * 100 // total), _("已校验 %(n)d 条") % {"n": checked})
    )
    return {"ok": result.ok, "checked": result.checked, "broken_seq": result.broken_seq, "problem": result.problem}


HANDLERS: dict[str, Handler] = {JobKind.AUDIT_VERIFY: _verify_audit}


@transaction.atomic
def start_job(*, actor: Any, kind: str, params: dict[str, Any] | None = None, source: str = "web") -> Job:
    """Record a job and queue it once the transaction commits."""
    from .tasks import run_job_task

    if kind not in HANDLERS:
        raise ValidationFailed(_("未知的作业类型。"), details={"field": "kind"})
    if not principal_of(actor).has_role(*JOB_ROLES[kind]):
        raise PermissionDenied()
    job = Job.objects.create(kind=kind, params=params or {}, created_by=actor)
    record(actor=actor, action="job.start", obj=job, after={"kind": kind, "params": job.params}, source=source)
    transaction.on_commit(lambda: _enqueue(job.pk, run_job_task))
    return job


def _enqueue(job_id: int, task: Any) -> None:
    result = task.enqueue(job_id)
    Job.objects.filter(pk=job_id, task_id="").update(task_id=str(result.id)[:64])


def run_job(job_id: int) -> Job:
    """Run a queued job's handler, keeping its status, progress and outcome on the record."""
    updated = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    job = Job.objects.get(pk=job_id)
    if not updated:
        return job  # already taken by another worker, or finished

    def progress(percent: int, message: str) -> None:
        Job.objects.filter(pk=job_id).update(progress=percent, message=message[:500])

    try:
        outcome = HANDLERS[job.kind](job, progress)
    except Exception as exc:
        logger.exception("Job %s failed", job_id)
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
    else:
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.SUCCEEDED, progress=100, result=outcome, message="", finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job
