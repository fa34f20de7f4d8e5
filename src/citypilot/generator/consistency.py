"""Consistency of the workflow history, for the generator's tests and the load test.

``workflow_problems()`` reads every submission and application with its events and reports what a
correct history never shows: an event whose ``from_status`` is not the previous event's
``to_status`` (a lost or duplicated decision), a denormalised ``status`` that is not the last
event's, a ``row_version`` that does not count the writes of a submission, counts of accepted and
complete submissions that disagree with their events, finished submissions without their opinion
version, late flags that contradict the first submission's time, ranks outside the quota.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from citypilot.rounds.choices import FINISHED, SubmissionAction, SubmissionStatus
from citypilot.rounds.models import Submission, SubmissionEvent
from citypilot.selection.choices import RECOMMENDED_STATUSES, ApplicationStatus, AssignmentStatus
from citypilot.selection.models import Application, ApplicationEvent, ExpertAssignment

SUBMITS = (SubmissionAction.SUBMIT, SubmissionAction.RESUBMIT)


def submission_problems(*, limit: int = 50, submission_ids: Any = None) -> list[str]:
    problems: list[str] = []
    events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    query = SubmissionEvent.objects.order_by("submission_id", "pk")
    subs = Submission.objects.order_by("pk")
    if submission_ids is not None:
        query, subs = query.filter(submission_id__in=submission_ids), subs.filter(pk__in=submission_ids)
    for row in query.values_list("submission_id", "action", "from_status", "to_status", "at", "is_late").iterator(
        chunk_size=20_000
    ):
        events[row[0]].append(row[1:])
    accepted_by_events = complete_by_events = accepted = complete = 0
    fields = (
        "pk",
        "status",
        "row_version",
        "times_submitted",
        "first_submitted_at",
        "is_late",
        "opinion_version_id",
        "completed_at",
        "accepted_at",
        "round__deadline",
    )
    for (
        pk,
        status,
        row_version,
        times,
        first_at,
        is_late,
        opinion,
        completed_at,
        accepted_at,
        deadline,
    ) in subs.values_list(*fields).iterator(chunk_size=20_000):
        history = events.get(pk, [])
        current = SubmissionStatus.NOT_STARTED
        for action, from_status, to_status, _at, _late in history:
            if from_status != current:
                problems.append(f"submission {pk}: {action} from {from_status}, but it was {current}")
            current = to_status
        if current != status:
            problems.append(f"submission {pk}: status {status}, last event says {current}")
        if row_version != 1 + len(history):
            problems.append(f"submission {pk}: row_version {row_version} for {len(history)} events")
        submits = [e for e in history if e[0] in SUBMITS]
        if times != len(submits):
            problems.append(f"submission {pk}: times_submitted {times}, {len(submits)} submit events")
        if submits and (first_at != submits[0][3] or is_late != (submits[0][3] > deadline)):
            problems.append(f"submission {pk}: first submission time or late flag disagrees with the events")
        if status in FINISHED and (opinion is None or completed_at is None):
            problems.append(f"submission {pk}: {status} without opinion version or completion time")
        if (status == SubmissionStatus.ACCEPTED) != (accepted_at is not None):
            problems.append(f"submission {pk}: accepted_at disagrees with status {status}")
        accepted += status == SubmissionStatus.ACCEPTED
        complete += status == SubmissionStatus.COMPLETE
        accepted_by_events += current == SubmissionStatus.ACCEPTED
        complete_by_events += current == SubmissionStatus.COMPLETE
        if len(problems) >= limit:
            return problems
    if (accepted, complete) != (accepted_by_events, complete_by_events):
        problems.append(
            f"accepted/complete {accepted}/{complete} but the events say {accepted_by_events}/{complete_by_events}"
        )
    return problems


def application_problems(*, limit: int = 50, application_ids: Any = None) -> list[str]:
    problems: list[str] = []
    events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    query = ApplicationEvent.objects.order_by("application_id", "at", "pk")
    apps = Application.objects.order_by("pk")
    if application_ids is not None:
        query, apps = query.filter(application_id__in=application_ids), apps.filter(pk__in=application_ids)
    for row in query.values_list("application_id", "kind", "from_status", "to_status").iterator(chunk_size=20_000):
        events[row[0]].append(row[1:])
    ranks: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, status, rank, call_id, province_id, quota in apps.values_list(
        "pk", "status", "rank", "call_id", "province_id", "call__default_quota"
    ).iterator(chunk_size=20_000):
        current = ""
        for kind, from_status, to_status in events.get(pk, []):
            if from_status and from_status != current:
                problems.append(f"application {pk}: {kind} from {from_status}, but it was {current}")
            if to_status:
                current = to_status
        if current != status:
            problems.append(f"application {pk}: status {status}, last event says {current or 'nothing'}")
        if status in RECOMMENDED_STATUSES:
            if rank is None or not 1 <= rank <= quota:
                problems.append(f"application {pk}: {status} with rank {rank} (quota {quota})")
            ranks[(call_id, province_id)].append(rank)
        if len(problems) >= limit:
            return problems
    for key, values in ranks.items():
        if len(values) != len(set(values)):
            problems.append(f"call/province {key}: duplicate ranks {sorted(values)}")
    scored = ExpertAssignment.objects.filter(status=AssignmentStatus.SCORED)
    if application_ids is not None:
        scored = scored.filter(application_id__in=application_ids)
    bad = scored.exclude(total__isnull=False, scored_at__isnull=False).count()
    if bad:
        problems.append(f"{bad} scored assignments without total or time")
    undecided = Application.objects.filter(
        status__in=[ApplicationStatus.APPROVED, ApplicationStatus.NOT_APPROVED], decided_at__isnull=True
    ).count()
    if undecided:
        problems.append(f"{undecided} decided applications without decided_at")
    return problems


def workflow_problems(*, limit: int = 50) -> list[str]:
    return submission_problems(limit=limit) + application_problems(limit=limit)
