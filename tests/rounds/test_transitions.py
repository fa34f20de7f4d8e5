"""Every transition, legal and illegal, through the service functions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from citypilot.audit.models import AuditEntry
from citypilot.audit.services import verify_chain
from citypilot.core.errors import ConcurrentUpdate, InvalidTransition, PermissionDenied, ValidationFailed
from citypilot.documents.models import DocumentVersion
from citypilot.rounds import services
from citypilot.rounds.clock import SHANGHAI
from citypilot.rounds.models import AppendOnlyError, Round, Submission, SubmissionEvent

from .conftest import BEFORE, DEADLINE, RoundWorld, fresh, make_batch, open_round, pdf, png, to_state, upload_both

pytestmark = pytest.mark.django_db

STATES = ["not_started", "submitted", "under_review", "returned", "resubmitted", "complete", "accepted"]


def at(rw: RoundWorld, state: str) -> Submission:
    return fresh(rw.own) if state == "not_started" else to_state(rw.world, rw.own, state)


def test_open_round_creates_one_submission_per_pilot_with_the_notice_deadline(rw: RoundWorld) -> None:
    assert rw.round.deadline == DEADLINE
    assert rw.round.deadline.astimezone(SHANGHAI).isoformat() == "2013-09-01T23:59:59+08:00"
    assert Submission.objects.filter(round=rw.round, status="not_started").count() == 2
    assert AuditEntry.objects.filter(action="round.open").count() == 1


def test_only_the_ministry_opens_a_round_and_one_open_round_per_batch(rw: RoundWorld) -> None:
    with pytest.raises(PermissionDenied):
        services.open_round(actor=rw.world.users["own_province"], batch=rw.batch, title="x")
    with pytest.raises(ValidationFailed):
        open_round(rw.world, rw.batch)
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.create(batch=rw.batch, title="second", deadline=DEADLINE)


def test_unpublished_batch_cannot_open(world: Any) -> None:
    batch = make_batch(world)
    batch.is_published = False
    batch.save()
    with pytest.raises(ValidationFailed):
        open_round(world, batch)


def test_the_whole_round_with_a_return_keeps_every_version_and_decision(rw: RoundWorld) -> None:
    w = rw.world
    pilot, province, ministry = w.users["pilot"], w.users["own_province"], w.users["ministry"]
    s = upload_both(w, rw.own)
    s = services.submit(s, actor=pilot, now=BEFORE)
    assert (s.status, s.times_submitted, s.is_late) == ("submitted", 1, False)
    first_plan_version = s.submitted_plan_version_id
    s = services.take_for_review(s, actor=province, now=BEFORE)
    assert s.status == "under_review" and s.reviewer == province
    s = services.return_submission(s, actor=province, reason="实施方案缺少投融资方案", now=BEFORE)
    assert (s.status, s.return_reason) == ("returned", "实施方案缺少投融资方案")
    s = services.upload_document(s, actor=pilot, kind="plan", upload=pdf(text="v2"), original_name="plan2.pdf")
    s = services.submit(s, actor=pilot, now=BEFORE + timedelta(days=1))
    assert (s.status, s.times_submitted) == ("resubmitted", 2)
    assert s.submitted_plan_version_id != first_plan_version
    assert s.first_submitted_at == BEFORE
    assert DocumentVersion.objects.filter(document=s.plan).count() == 2  # v1 kept, v2 added
    s = services.take_for_review(s, actor=province, now=BEFORE)
    s = services.upload_opinion(s, actor=province, upload=png(), original_name="意见.png", now=BEFORE)
    assert s.status == "complete" and s.opinion_version is not None
    assert s.opinion.organisation_id == w.province_a.pk  # type: ignore[union-attr]
    s = services.accept(s, actor=ministry, now=BEFORE)
    assert s.status == "accepted" and s.accepted_by == ministry
    actions = list(SubmissionEvent.objects.filter(submission=s).values_list("action", "from_status", "to_status"))
    assert actions == [
        ("upload_plan", "not_started", "not_started"),
        ("upload_task_book", "not_started", "not_started"),
        ("submit", "not_started", "submitted"),
        ("take_for_review", "submitted", "under_review"),
        ("return", "under_review", "returned"),
        ("upload_plan", "returned", "returned"),
        ("resubmit", "returned", "resubmitted"),
        ("take_for_review", "resubmitted", "under_review"),
        ("upload_opinion", "under_review", "complete"),
        ("accept", "complete", "accepted"),
    ]
    returned = SubmissionEvent.objects.get(submission=s, action="return")
    assert returned.reason == "实施方案缺少投融资方案" and returned.actor == province
    assert set(returned.versions) == {"plan", "task_book"}
    assert AuditEntry.objects.filter(action__startswith="submission.", object_id=str(s.pk)).count() == 10
    assert verify_chain().ok


# (action, actor, states it is legal from)
TRANSITIONS = {
    "submit": ("pilot", {"not_started", "returned"}),
    "take": ("own_province", {"submitted", "resubmitted"}),
    "return_province": ("own_province", {"under_review"}),
    "return_ministry": ("ministry", {"complete"}),
    "opinion": ("own_province", {"under_review"}),
    "accept": ("ministry", {"complete"}),
    "upload": ("pilot", {"not_started", "returned"}),
}


def run(action: str, s: Submission, user: Any) -> Submission:
    if action == "submit":
        return services.submit(s, actor=user, now=BEFORE)
    if action == "take":
        return services.take_for_review(s, actor=user)
    if action.startswith("return"):
        return services.return_submission(s, actor=user, reason="原因")
    if action == "opinion":
        return services.upload_opinion(s, actor=user, upload=png(), original_name="o.png")
    if action == "accept":
        return services.accept(s, actor=user)
    return services.upload_document(s, actor=user, kind="plan", upload=pdf(), original_name="p.pdf")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_each_transition_is_legal_exactly_from_its_states(rw: RoundWorld, action: str, state: str) -> None:
    who, legal = TRANSITIONS[action]
    s = at(rw, state)
    if action == "submit" and state == "not_started":
        s = upload_both(rw.world, s)
    before_events = SubmissionEvent.objects.count()
    if state in legal:
        result = run(action, s, rw.world.users[who])
        assert result.row_version == s.row_version + 1
        assert SubmissionEvent.objects.count() == before_events + 1
    else:
        with pytest.raises(InvalidTransition) as refused:
            run(action, s, rw.world.users[who])
        assert str(refused.value.message)  # a translated reason, not an empty error
        assert fresh(s).status == state and fresh(s).row_version == s.row_version
        assert SubmissionEvent.objects.count() == before_events


@pytest.mark.parametrize(
    ("action", "state", "intruders"),
    [
        ("submit", "not_started", ["own_province", "other_pilot", "ministry", "observer", "expert", "other_province"]),
        ("upload", "not_started", ["own_province", "other_pilot", "ministry", "observer"]),
        ("take", "submitted", ["pilot", "other_province", "ministry", "observer"]),
        ("return_province", "under_review", ["pilot", "other_province", "observer"]),
        ("opinion", "under_review", ["pilot", "other_province", "ministry", "observer"]),
        ("accept", "complete", ["pilot", "own_province", "observer", "other_province"]),
    ],
)
def test_wrong_actors_are_refused_and_nothing_changes(
    rw: RoundWorld, action: str, state: str, intruders: list[str]
) -> None:
    s = at(rw, state)
    if action == "submit":
        s = upload_both(rw.world, s)
    version, events = s.row_version, SubmissionEvent.objects.count()
    for who in intruders:
        with pytest.raises(PermissionDenied):
            run(action, s, rw.world.users[who])
    assert fresh(s).row_version == version and SubmissionEvent.objects.count() == events


def test_submit_lists_what_is_missing(rw: RoundWorld) -> None:
    pilot = rw.world.users["pilot"]
    s = services.upload_document(rw.own, actor=pilot, kind="plan", upload=pdf(), original_name="p.pdf")
    with pytest.raises(ValidationFailed) as refused:
        services.submit(s, actor=pilot)
    assert refused.value.details["missing"] == ["创建任务书"]
    assert "创建任务书" in str(refused.value.message)


def test_return_needs_a_reason(rw: RoundWorld) -> None:
    s = to_state(rw.world, rw.own, "under_review")
    with pytest.raises(ValidationFailed):
        services.return_submission(s, actor=rw.world.users["own_province"], reason="  ")
    assert fresh(s).status == "under_review"


def test_stale_version_is_refused_with_the_current_state(rw: RoundWorld) -> None:
    s = to_state(rw.world, rw.own, "submitted")
    seen = s.row_version
    services.take_for_review(s, actor=rw.world.users["own_province"], expected_version=seen)
    with pytest.raises(ConcurrentUpdate) as refused:
        services.take_for_review(s, actor=rw.world.users["own_province"], expected_version=seen)
    assert "省级评审中" in str(refused.value.message)
    assert SubmissionEvent.objects.filter(submission=s, action="take_for_review").count() == 1


def test_a_wrong_file_type_leaves_nothing_behind(rw: RoundWorld) -> None:
    s = to_state(rw.world, rw.own, "under_review")
    versions, events, audit = (
        DocumentVersion.objects.count(),
        SubmissionEvent.objects.count(),
        AuditEntry.objects.count(),
    )
    with pytest.raises(ValidationFailed):
        services.upload_opinion(s, actor=rw.world.users["own_province"], upload=_text(), original_name="o.txt")
    assert fresh(s).status == "under_review"
    assert (DocumentVersion.objects.count(), SubmissionEvent.objects.count(), AuditEntry.objects.count()) == (
        versions,
        events,
        audit,
    )


def _text() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("o.txt", b"just text, not a scan", content_type="image/png")


def test_closed_round_refuses_everything(rw: RoundWorld) -> None:
    s = upload_both(rw.world, rw.own)
    services.close_round(rw.round, actor=rw.world.users["ministry"], expected_version=rw.round.row_version)
    with pytest.raises(InvalidTransition):
        services.submit(s, actor=rw.world.users["pilot"])


def test_events_are_append_only(rw: RoundWorld) -> None:
    s = upload_both(rw.world, rw.own)
    event = SubmissionEvent.objects.filter(submission=s).first()
    assert event is not None
    event.reason = "改写"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_database_refuses_a_complete_set_without_opinion(rw: RoundWorld) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.filter(pk=rw.own.pk).update(status="complete", first_submitted_at=BEFORE)


# --- lateness, in Beijing time ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "late"),
    [
        (datetime(2013, 9, 1, 23, 59, 59, tzinfo=SHANGHAI), False),
        (datetime(2013, 9, 2, 0, 0, 0, tzinfo=SHANGHAI), True),
        # 20:00 UTC on 1 September is already 04:00 on 2 September in Beijing: late.
        (datetime.fromisoformat("2013-09-01T20:00:00+00:00"), True),
        # 15:59:59 UTC on 1 September is 23:59:59 in Beijing: still in time.
        (datetime.fromisoformat("2013-09-01T15:59:59+00:00"), False),
    ],
)
def test_late_is_judged_in_beijing_time_and_a_late_submission_is_kept(
    rw: RoundWorld, moment: datetime, late: bool
) -> None:
    s = upload_both(rw.world, rw.own)
    s = services.submit(s, actor=rw.world.users["pilot"], now=moment)
    assert s.status == "submitted"  # accepted, never dropped
    assert s.is_late is late
    assert SubmissionEvent.objects.get(submission=s, action="submit").is_late is late


def test_late_is_decided_by_the_first_submission(rw: RoundWorld) -> None:
    s = to_state(rw.world, rw.own, "returned", now=BEFORE)
    s = services.submit(s, actor=rw.world.users["pilot"], now=DEADLINE + timedelta(days=3))
    assert s.status == "resubmitted" and s.is_late is False
    assert SubmissionEvent.objects.get(submission=s, action="resubmit").is_late is True


def test_days_left_counts_beijing_calendar_days() -> None:
    from citypilot.rounds.clock import days_left

    assert days_left(DEADLINE, datetime(2013, 9, 1, 0, 0, tzinfo=SHANGHAI)) == 0
    assert days_left(DEADLINE, datetime.fromisoformat("2013-08-31T16:30:00+00:00")) == 0  # 00:30 on 1 Sept
    assert days_left(DEADLINE, datetime.fromisoformat("2013-08-31T15:30:00+00:00")) == 1  # 23:30 on 31 Aug
    assert days_left(DEADLINE, datetime(2013, 9, 2, 0, 0, 1, tzinfo=SHANGHAI)) == -1
