"""The generator at a tiny scale: the counts it promises, a valid audit chain, consistent round and selection
histories, a deadline board whose query count does not depend on its size, the same data for the same seed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from citypilot.accounts.choices import Role
from citypilot.accounts.models import Membership, Organisation, User
from citypilot.audit.models import AuditEntry
from citypilot.audit.services import verify_chain
from citypilot.documents.models import Document, DocumentVersion
from citypilot.generator.consistency import workflow_problems
from citypilot.generator.core import TIMELINE_END, Targets
from citypilot.generator.runner import generate
from citypilot.pilots.models import Batch, Pilot
from citypilot.rounds import services as rounds
from citypilot.rounds.choices import RoundStatus, SubmissionStatus
from citypilot.rounds.models import Round, Submission, SubmissionEvent
from citypilot.selection.choices import ApplicationStatus
from citypilot.selection.models import (
    Application,
    ApplicationEvent,
    Call,
    ExpertAssignment,
    ExpertScore,
    ProvincialReview,
)

pytestmark = pytest.mark.django_db

SCALE = 0.05  # the real 2013 batch alone makes ~100 submissions: below this the streams outgrow the audit target


def test_targets_scale_linearly() -> None:
    national = Targets.for_scale(10)
    assert national.pilots >= 3000 and national.users == 20_000 and national.documents == 200_000
    assert national.audit_entries == 2_000_000 and national.submissions == 100_000


def _generate() -> None:
    call_command("generate", "--scale", str(SCALE), "--seed", "7", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_generate_makes_what_it_promises_with_a_valid_chain() -> None:
    _generate()
    targets = Targets.for_scale(SCALE)
    years = set(Batch.objects.filter(pilots__isnull=False).values_list("year", flat=True))
    assert years == {2012, 2013, 2014, 2015, 2016}
    assert Batch.objects.get(year=2013).is_imported  # the real notice underneath
    assert Pilot.objects.filter(is_placeholder=False).count() >= 103 + 4
    assert Pilot.objects.values("supervising_authority").distinct().count() > 5
    assert User.objects.count() == targets.users
    assert Membership.objects.count() >= targets.users
    assert Organisation.objects.filter(kind="expert_panel").exists()
    assert Document.objects.count() == targets.documents
    assert DocumentVersion.objects.count() >= targets.documents
    assert not Document.objects.filter(current_version__isnull=True).exists()
    assert AuditEntry.objects.count() == targets.audit_entries
    result = verify_chain()
    assert result.ok, result.problem
    assert result.checked == targets.audit_entries
    call_command("audit", "verify", stdout=open("/dev/null", "w"))  # noqa: SIM115 - exits non-zero when broken


def test_generate_makes_rounds_and_selection_with_consistent_histories() -> None:
    _generate()
    targets = Targets.for_scale(SCALE)
    submissions, events = Submission.objects.count(), SubmissionEvent.objects.count()
    decisions = submissions + events + ApplicationEvent.objects.count()
    assert decisions >= targets.submissions
    assert submissions >= Pilot.objects.filter(batch__year=2013, is_placeholder=False).count()
    assert Round.objects.filter(status=RoundStatus.OPEN).count() >= 1
    statuses = set(Submission.objects.values_list("status", flat=True))
    assert {SubmissionStatus.NOT_STARTED, SubmissionStatus.ACCEPTED, SubmissionStatus.COMPLETE} <= statuses
    assert len(statuses) >= 5, statuses  # believable mixed states
    assert Submission.objects.filter(is_late=True).exists()
    assert SubmissionEvent.objects.filter(action="return").exists()
    # submissions point at real documents of the right kinds and owners
    assert not Submission.objects.exclude(status=SubmissionStatus.NOT_STARTED).filter(plan__isnull=True).exists()
    done = Submission.objects.filter(status=SubmissionStatus.ACCEPTED).select_related(
        "plan", "opinion", "opinion_version", "pilot"
    )
    for submission in done[:20]:
        assert submission.plan is not None and submission.plan.kind == "plan"
        assert submission.plan.organisation_id == submission.pilot.organisation_id
        assert (
            submission.opinion is not None
            and submission.opinion.organisation_id == submission.pilot.supervising_authority_id
        )
        assert (
            submission.opinion_version is not None and submission.opinion_version.document_id == submission.opinion_id
        )
    assert Call.objects.exists() and Application.objects.filter(status=ApplicationStatus.APPROVED).exists()
    assert ProvincialReview.objects.exists() and ExpertAssignment.objects.exists()
    assert ExpertScore.objects.count() >= 4 * ExpertAssignment.objects.filter(status="scored").count() > 0
    assert Document.objects.count() == targets.documents  # the workflows' documents are part of the target
    assert workflow_problems() == []
    assert AuditEntry.objects.filter(action__startswith="submission.").count() == events
    result = verify_chain()
    assert result.ok, result.problem


def _board_queries(client: Client, url: str) -> int:
    assert client.get(url).status_code == 200  # warm per-process caches
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_deadline_board_query_count_does_not_depend_on_its_size() -> None:
    _generate()
    big = Round.objects.filter(status=RoundStatus.OPEN).order_by("-pk").first()
    assert big is not None
    small_batch = (
        Batch.objects.filter(is_published=True, pilots__isnull=False)
        .exclude(rounds__status=RoundStatus.OPEN)
        .order_by("year")
        .first()
    )
    assert small_batch is not None
    small = rounds.open_round(actor=None, batch=small_batch, title="小轮次", deadline=big.deadline)
    assert small.submissions.count() < big.submissions.count() // 5
    ministry = Membership.objects.filter(role=Role.MINISTRY_OFFICER).first()
    assert ministry is not None
    in_small = set(small.submissions.values_list("pilot__supervising_authority_id", flat=True))
    in_big = big.submissions.filter(pilot__supervising_authority_id__in=in_small)
    authority = in_big.values_list("pilot__supervising_authority_id", flat=True).first()
    assert authority is not None
    province = Membership.objects.filter(role=Role.PROVINCIAL_OFFICER, organisation_id=authority).first()
    if province is None:  # tiny scale: give that authority an officer
        province = Membership.objects.create(
            user=User.objects.create(username="board-province"), organisation_id=authority, role=Role.PROVINCIAL_OFFICER
        )
    for membership in (ministry, province):
        client = Client()
        client.force_login(membership.user)
        counts = [_board_queries(client, f"/rounds/{round_.pk}/") for round_ in (small, big)]
        assert counts[0] == counts[1], (membership.role, counts)
        assert counts[1] <= 15, counts


def _snapshot() -> dict[str, Any]:
    # Natural keys, not primary keys: PostgreSQL sequences do not roll back with the transaction.
    return {
        "pilots": list(Pilot.objects.exclude(batch__year=2013).order_by("pk").values_list("name", "kind")),
        "users": list(User.objects.order_by("pk").values_list("display_name", "date_joined")),
        "documents": list(Document.objects.order_by("pk").values_list("title", "kind", "created_at")),
        "actions": list(AuditEntry.objects.filter(at__lte=TIMELINE_END).order_by("seq").values_list("action", "at")),
        "submissions": list(Submission.objects.order_by("pk").values_list("pilot__name", "status", "row_version")),
        "events": list(SubmissionEvent.objects.order_by("pk").values_list("action", "at", "versions")),
        "applications": list(Application.objects.order_by("pk").values_list("applicant__name", "status", "rank")),
    }


class Rollback(Exception):
    pass


def test_same_seed_same_data() -> None:
    snapshots = []
    for _ in range(2):
        try:
            with transaction.atomic():
                generate(scale=SCALE / 2, seed=11, log=lambda message: None)
                snapshots.append(_snapshot())
                raise Rollback
        except Rollback:
            pass
    assert snapshots[0] == snapshots[1]
    assert snapshots[0]["documents"]
