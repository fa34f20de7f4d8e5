"""Task entry points run by the worker (`citypilot db_worker`)."""

from __future__ import annotations

from django_tasks import task

from .services import run_job


@task()
def run_job_task(job_id: int) -> None:
    run_job(job_id)
