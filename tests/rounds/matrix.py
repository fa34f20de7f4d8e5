"""Permission-matrix specs of the round and notification models (used by tests/test_permission_matrix.py).

The records belong to province A's pilot in a round whose batch lists only that pilot, so another
province, another pilot and the expert see nothing of it."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from citypilot.notifications.models import Notification
from citypilot.notifications.services import notify
from citypilot.pilots.models import Batch
from citypilot.rounds import services
from citypilot.rounds.models import Round, Submission, SubmissionEvent
from tests import files
from tests.conftest import World

from .conftest import DEADLINE, make_pilot

OWN_SCOPE = frozenset({"own_province", "ministry", "pilot", "observer"})


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("plan.pdf", files.pdf(), content_type="application/pdf")


def make_round(world: World) -> Round:
    batch = Batch.objects.create(year=2013, title="2013", is_published=True)
    make_pilot(batch, "唐山市曹妃甸区", world.province_a, world.pilot_a, 1)
    return services.open_round(actor=world.users["ministry"], batch=batch, title="报送", deadline=DEADLINE)


def make_submission(world: World) -> Submission:
    """Pilot A's submission with both documents uploaded, ready to submit."""
    submission = Submission.objects.select_related("pilot", "round").get(round=make_round(world))
    pilot = world.users["pilot"]
    services.upload_document(submission, actor=pilot, kind="plan", upload=_pdf(), original_name="p.pdf")
    return services.upload_document(submission, actor=pilot, kind="task_book", upload=_pdf(), original_name="t.pdf")


def round_specs(model_spec: Any, write: Any) -> list[Any]:
    return [
        model_spec(
            Round,
            make=make_round,
            readers=OWN_SCOPE,
            list_url="/api/rounds/",
            detail_url=lambda r: f"/api/rounds/{r.pk}",
            html_url=lambda r: f"/rounds/{r.pk}/",
            writes=[
                write(
                    "html-close",
                    lambda c, o, w: c.post(f"/rounds/{o.pk}/close/", {"expected_version": o.row_version}),
                    frozenset({"ministry"}),
                )
            ],
        ),
        model_spec(
            Submission,
            make=make_submission,
            readers=OWN_SCOPE,
            detail_url=lambda s: f"/api/rounds/submissions/{s.pk}",
            html_url=lambda s: f"/rounds/submissions/{s.pk}/",
            writes=[
                write(
                    "submit",
                    lambda c, o, w: c.post(
                        f"/api/rounds/submissions/{o.pk}/submit",
                        {"expected_version": o.row_version},
                        content_type="application/json",
                    ),
                    frozenset({"pilot"}),
                ),
                write(
                    "upload-plan",
                    lambda c, o, w: c.post(
                        f"/api/rounds/submissions/{o.pk}/documents/plan",
                        {"expected_version": o.row_version, "file": _pdf()},
                    ),
                    frozenset({"pilot"}),
                ),
                write(
                    "html-upload-task-book",
                    lambda c, o, w: c.post(
                        f"/rounds/submissions/{o.pk}/upload_task_book/",
                        {"expected_version": o.row_version, "file": _pdf()},
                    ),
                    frozenset({"pilot"}),
                ),
            ],
        ),
        model_spec(
            SubmissionEvent,
            make=lambda w: SubmissionEvent.objects.filter(submission=make_submission(w)).first(),
            readers=OWN_SCOPE,
            detail_url=lambda e: f"/api/rounds/submissions/{e.submission_id}/events",
        ),
        model_spec(
            Notification,
            make=lambda w: notify(w.users["pilot"], text="请提交材料", url="/my-tasks/"),
            readers=frozenset({"pilot"}),
            list_url="/api/notifications/",
            writes=[
                write(
                    "read",
                    lambda c, o, w: c.post(f"/api/notifications/{o.pk}/read"),
                    frozenset({"pilot"}),
                )
            ],
        ),
    ]
