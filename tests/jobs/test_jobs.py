from __future__ import annotations

from typing import Any

import pytest

from citypilot.core.errors import PermissionDenied
from citypilot.jobs import services
from citypilot.jobs.choices import JobKind, JobStatus
from citypilot.jobs.models import Job
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_a_job_runs_after_commit_and_records_its_outcome(world: World, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_job(actor=world.users["ministry"], kind=JobKind.AUDIT_VERIFY)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.progress == 100
    assert job.result["ok"] is True and job.result["checked"] > 10
    assert job.started_at and job.finished_at and job.started_at <= job.finished_at
    assert job.task_id


def test_a_failing_handler_marks_the_job_failed(world: World, monkeypatch: Any) -> None:
    def explode(job: Job, progress: Any) -> dict[str, Any]:
        progress(50, "half way")
        raise ValueError("boom")

    monkeypatch.setitem(services.HANDLERS, JobKind.AUDIT_VERIFY, explode)
    job = Job.objects.create(kind=JobKind.AUDIT_VERIFY, created_by=world.users["ministry"])
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "ValueError: boom"
    assert job.progress == 50


def test_a_job_runs_once(world: World) -> None:
    job = Job.objects.create(kind=JobKind.AUDIT_VERIFY, created_by=world.users["ministry"])
    first = services.run_job(job.pk)
    finished_at = first.finished_at
    second = services.run_job(job.pk)
    assert second.status == JobStatus.SUCCEEDED and second.finished_at == finished_at


def test_only_the_ministry_starts_audit_verification(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.start_job(actor=world.users["own_province"], kind=JobKind.AUDIT_VERIFY)
    assert not Job.objects.exists()


def test_job_page_polls_while_running(world: World) -> None:
    job = Job.objects.create(kind=JobKind.AUDIT_VERIFY, created_by=world.users["ministry"])
    client = world.client("ministry")
    fragment = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "<html" not in fragment
    services.run_job(job.pk)
    fragment = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment


def test_finished_job_shows_its_result_as_a_table(world: World) -> None:
    job = Job.objects.create(kind=JobKind.AUDIT_VERIFY, created_by=world.users["ministry"])
    services.run_job(job.pk)
    page = world.client("ministry").get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-testid="job-result"' in page and "<th>checked</th>" in page
