"""Two reviewers act on the same submission at the same moment: one wins, the other is told.

Runs real threads against a transactional database: on SQLite the IMMEDIATE transactions queue
the writers; on PostgreSQL ``SELECT … FOR UPDATE`` makes the second wait for the first, then see
the new state."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection

from citypilot.accounts.choices import Role
from citypilot.accounts.services import create_user, grant_membership
from citypilot.audit.models import AuditEntry
from citypilot.audit.services import verify_chain
from citypilot.core.errors import ConcurrentUpdate, InvalidTransition, ServiceError
from citypilot.rounds import services
from citypilot.rounds.models import Submission, SubmissionEvent
from tests.conftest import build_world

from .conftest import fresh, make_batch, open_round, png, to_state

pytestmark = pytest.mark.django_db(transaction=True)


def queued(call: Callable[[], Any]) -> Any:
    """Run ``call``; on the in-memory test database, wait for the writer ahead as busy_timeout would.

    The file database of a deployment waits at ``BEGIN IMMEDIATE`` (busy_timeout). The in-memory
    SQLite database of the test run is a shared cache, which answers "table is locked" at once instead
    of waiting; retrying the whole call reproduces the wait. PostgreSQL never takes this path."""
    for _attempt in range(500):
        try:
            return call()
        except OperationalError as error:
            if connection.vendor != "sqlite" or "locked" not in str(error):
                raise
            time.sleep(0.01)
    raise AssertionError("the other writer never finished")


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Start every call at the same instant in its own thread (own connection); return results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = queued(call)
        except Exception as error:  # collected and asserted by the test
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def setup() -> tuple[Any, Submission, Any, Any]:
    world = build_world()
    batch = make_batch(world)
    round_ = open_round(world, batch)
    submission = Submission.objects.select_related("pilot", "round").get(
        round=round_, pilot__organisation=world.pilot_a
    )
    second = create_user(actor=None, username="t-province-a2", password="a-Long-test-passw0rd", display_name="二号评审")
    grant_membership(actor=None, user=second, organisation=world.province_a, role=Role.PROVINCIAL_OFFICER)
    return world, submission, world.users["own_province"], second


@pytest.mark.parametrize("with_version", [True, False], ids=["optimistic", "no-version"])
def test_two_reviewers_take_the_same_submission(setup: Any, with_version: bool) -> None:
    world, submission, first, second = setup
    submission = to_state(world, submission, "submitted")
    seen = submission.row_version if with_version else None
    audit_before = AuditEntry.objects.count()

    results = race(
        lambda: services.take_for_review(fresh(submission), actor=first, expected_version=seen),
        lambda: services.take_for_review(fresh(submission), actor=second, expected_version=seen),
    )

    winners = [r for r in results if isinstance(r, Submission)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], ConcurrentUpdate | InvalidTransition)
    assert str(losers[0].message)  # the loser is told why, in words
    stored = fresh(submission)
    assert stored.status == "under_review"
    assert stored.row_version == submission.row_version + 1
    assert stored.reviewer_id == winners[0].reviewer_id
    assert SubmissionEvent.objects.filter(submission=submission, action="take_for_review").count() == 1
    assert AuditEntry.objects.count() == audit_before + 1  # nothing doubled
    assert verify_chain().ok


def test_return_and_opinion_at_once_only_one_decision_stands(setup: Any) -> None:
    world, submission, first, second = setup
    submission = to_state(world, submission, "under_review")
    seen = submission.row_version

    results = race(
        lambda: services.return_submission(fresh(submission), actor=first, reason="缺少附件", expected_version=seen),
        lambda: services.upload_opinion(
            fresh(submission), actor=second, upload=png(), original_name="o.png", expected_version=seen
        ),
    )

    assert sum(isinstance(r, Submission) for r in results) == 1, results
    assert sum(isinstance(r, ServiceError) for r in results) == 1, results
    stored = fresh(submission)
    decisions = SubmissionEvent.objects.filter(submission=submission, action__in=["return", "upload_opinion"])
    assert decisions.count() == 1
    assert stored.status == decisions.get().to_status
    assert stored.row_version == seen + 1
    if stored.status == "returned":  # the loser's opinion scan left no version behind
        assert stored.opinion_id is None
