"""A published 2013 batch with one pilot under province A and one under province B, and its round."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from citypilot.accounts import services as accounts
from citypilot.accounts.choices import OrganisationKind
from citypilot.accounts.models import Organisation
from citypilot.pilots.models import Batch, BatchDeadline, Pilot
from citypilot.rounds import services
from citypilot.rounds.clock import SHANGHAI
from citypilot.rounds.models import Round, Submission
from tests import files
from tests.conftest import World

DEADLINE = datetime(2013, 9, 1, 23, 59, 59, tzinfo=SHANGHAI)
BEFORE = datetime(2013, 8, 20, 10, 0, tzinfo=SHANGHAI)


def make_batch(world: World, *, extra_pilots: int = 0, year: int = 2013) -> Batch:
    batch = Batch.objects.create(year=year, title=f"{year}年度国家智慧城市试点名单", is_published=True)
    BatchDeadline.objects.create(
        batch=batch,
        date=date(2013, 9, 1),
        description="评审意见扫描件、实施方案和任务书电子文档请于2013年9月1日前发送",
        source_line=15,
    )
    make_pilot(batch, "唐山市曹妃甸区", world.province_a, world.pilot_a, 1)
    make_pilot(batch, "阳泉市", world.province_b, world.pilot_b, 2)
    for i in range(extra_pilots):
        org = accounts.create_organisation(
            actor=None,
            kind=OrganisationKind.PILOT,
            code=f"t-extra-{year}-{i}",
            name=f"试点{i}人民政府",
            parent=world.province_a,
        )
        make_pilot(batch, f"试点{i}", world.province_a, org, 10 + i)
    return batch


def make_pilot(batch: Batch, name: str, authority: Organisation, organisation: Organisation, position: int) -> Pilot:
    return Pilot.objects.create(
        batch=batch,
        province_name=authority.name[:2],
        position=position,
        name_as_listed=name,
        name=name,
        supervising_authority=authority,
        organisation=organisation,
    )


def open_round(world: World, batch: Batch, **kwargs: Any) -> Round:
    return services.open_round(
        actor=world.users["ministry"], batch=batch, title="2013年度实施方案和任务书报送", **kwargs
    )


def pdf(name: str = "plan.pdf", text: str = "v1") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, files.pdf(text), content_type="application/pdf")


def png(name: str = "opinion.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, files.PNG, content_type="image/png")


def fresh(submission: Submission) -> Submission:
    return Submission.objects.select_related("pilot", "round").get(pk=submission.pk)


def upload_both(world: World, submission: Submission, *, now: datetime = BEFORE) -> Submission:
    pilot = world.users["pilot"]
    submission = services.upload_document(
        submission, actor=pilot, kind="plan", upload=pdf(), original_name="plan.pdf", now=now
    )
    return services.upload_document(
        submission, actor=pilot, kind="task_book", upload=pdf("task.pdf"), original_name="task.pdf", now=now
    )


def to_state(world: World, submission: Submission, state: str, *, now: datetime = BEFORE) -> Submission:
    """Drive a submission through the real services up to ``state``."""
    order = ["submitted", "under_review", "returned", "resubmitted", "complete", "accepted"]
    path = {
        "submitted": ["submitted"],
        "under_review": ["submitted", "under_review"],
        "returned": ["submitted", "under_review", "returned"],
        "resubmitted": ["submitted", "under_review", "returned", "resubmitted"],
        "complete": ["submitted", "under_review", "complete"],
        "accepted": ["submitted", "under_review", "complete", "accepted"],
    }[state]
    assert set(path) <= set(order)
    province, ministry = world.users["own_province"], world.users["ministry"]
    submission = upload_both(world, submission, now=now)
    for step in path:
        if step in ("submitted", "resubmitted"):
            submission = services.submit(submission, actor=world.users["pilot"], now=now)
        elif step == "under_review":
            submission = services.take_for_review(submission, actor=province, now=now)
        elif step == "returned":
            submission = services.return_submission(submission, actor=province, reason="任务书缺少投融资方案", now=now)
        elif step == "complete":
            submission = services.upload_opinion(
                submission, actor=province, upload=png(), original_name="o.png", now=now
            )
        elif step == "accepted":
            submission = services.accept(submission, actor=ministry, now=now)
    return fresh(submission)


@dataclass
class RoundWorld:
    world: World
    batch: Batch
    round: Round
    own: Submission  # pilot A, province A
    other: Submission  # pilot B, province B


@pytest.fixture
def rw(world: World) -> RoundWorld:
    batch = make_batch(world)
    round_ = open_round(world, batch)
    own = Submission.objects.select_related("pilot", "round").get(round=round_, pilot__organisation=world.pilot_a)
    other = Submission.objects.select_related("pilot", "round").get(round=round_, pilot__organisation=world.pilot_b)
    return RoundWorld(world, batch, round_, own, other)
