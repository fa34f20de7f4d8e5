"""Demo data: the 2013 batch's plan and task-book round in a believable mixed state.

Everything is driven through the real service functions, dated in 2013 (the notice's deadline was
2013-09-01), and marked as demo data: the round's ``is_demo`` flag shows a banner on every page of
it, and every decision was made by the non-login account "演示数据生成器". Safe to run again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from citypilot.accounts import services as accounts
from citypilot.accounts.models import User
from citypilot.audit.services import record
from citypilot.pilots.models import Batch

from . import services
from .clock import SHANGHAI
from .models import Round, Submission

SEEDER_USERNAME = "demo-seeder"
DEMO_TITLE = "2013年度试点实施方案和创建任务书报送（演示）"
RETURN_REASONS = (
    "创建任务书缺少重点项目的投资规模、资金来源和建设时序，请补充后重新提交。",
    "实施方案的创建目标未对照试点指标体系逐项量化，请修改。",
    "评审发现顶层设计与城市总体规划衔接不足，请补充说明。",
    "责任和考核制度不明确，请明确牵头部门和时间节点。",
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _pdf(name: str, text: str) -> SimpleUploadedFile:
    body = f"BT /F1 12 Tf 72 720 Td (DEMO {text}) Tj ET".encode()
    content = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n"
        b"4 0 obj<</Length " + str(len(body)).encode() + b">>stream\n" + body + b"\nendstream endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _seeder() -> User:
    """A superuser that cannot log in (no usable password): the hand behind every demo decision."""
    existing = User.objects.filter(username=SEEDER_USERNAME).first()
    if existing is not None:
        return existing
    user = accounts.create_user(
        actor=None,
        username=SEEDER_USERNAME,
        password=None,
        display_name=_("演示数据生成器"),
        reason=_("演示数据"),
        source="demo",
    )
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    record(
        actor=None,
        action="user.demo_seeder",
        obj=user,
        after={"is_superuser": True, "usable_password": False},
        reason=_("演示数据：代为办理演示报送轮次中的各项操作，不能登录。"),
        source="demo",
    )
    user.refresh_from_db()
    return user


def _drive(submission: Submission, plan: str, actor: User, index: int, caofeidian: bool) -> None:
    """Take one submission to the state ``plan`` through the services, at believable 2013 times."""
    if plan == "not_started":
        return
    day = datetime(2013, 8, 5, 9, 30, tzinfo=SHANGHAI) + timedelta(days=index % 20, minutes=index * 7)
    if plan in ("late", "late_complete"):
        day = datetime(2013, 9, 3, 10, 0, tzinfo=SHANGHAI) + timedelta(days=index % 6)
    name = submission.pilot.name
    for kind, label in (("plan", "实施方案"), ("task_book", "创建任务书")):
        submission = services.upload_document(
            submission,
            actor=actor,
            kind=kind,
            upload=_pdf(f"{name}{label}.pdf", f"{kind} v1"),
            original_name=f"{name}{label}.pdf",
            note=_("演示数据"),
            now=day,
            source="demo",
        )
    submission = services.submit(submission, actor=actor, now=day, source="demo")
    if plan in ("submitted", "late"):
        return
    day += timedelta(days=2)
    submission = services.take_for_review(submission, actor=actor, now=day, source="demo")
    if plan == "under_review":
        return
    if plan == "returned":
        reason = RETURN_REASONS[0 if caofeidian else index % len(RETURN_REASONS)]
        services.return_submission(submission, actor=actor, reason=reason, now=day + timedelta(days=3), source="demo")
        return
    submission = services.upload_opinion(
        submission,
        actor=actor,
        upload=SimpleUploadedFile(f"{name}评审意见.png", PNG, content_type="image/png"),
        original_name=f"{name}评审意见（扫描件）.png",
        note=_("演示数据"),
        now=day + timedelta(days=5),
        source="demo",
    )
    if plan == "accepted":
        services.accept(submission, actor=actor, now=day + timedelta(days=8), source="demo")


def _plan_for(index: int) -> str:
    """Most pilots not started, some complete or accepted, some returned, some late, some in review."""
    return {0: "accepted", 1: "complete", 2: "returned", 3: "late", 4: "under_review", 5: "late_complete"}.get(
        index % 14, "not_started"
    )


def seed_demo_round(*, caofeidian_organisation: str = "", hebei_code: str = "prov-130000") -> Round | None:
    """Open the 2013 round (deadline 2013-09-01, end of day, Beijing time) with a mixed state, once."""
    batch = Batch.objects.filter(year=2013, is_published=True).first()
    if batch is None:
        return None
    existing = Round.objects.filter(batch=batch, is_demo=True).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        seeder = _seeder()
        round_ = services.open_round(actor=seeder, batch=batch, title=DEMO_TITLE, is_demo=True, source="demo")
        submissions = list(
            Submission.objects.filter(round=round_)
            .select_related("pilot", "pilot__organisation", "pilot__supervising_authority", "round")
            .order_by("pilot__section__position", "pilot__position", "pk")
        )
        hebei_waiting = False
        for index, submission in enumerate(submissions):
            caofeidian = submission.pilot.organisation.code == caofeidian_organisation
            plan = _plan_for(index)
            if caofeidian:
                plan = "returned"  # the demo pilot officer has something to revise
            elif submission.pilot.supervising_authority.code == hebei_code and not hebei_waiting:
                plan, hebei_waiting = "submitted", True  # the demo provincial officer has one to review
            _drive(submission, plan, seeder, index, caofeidian)
    return round_


def seed_demo_reminders() -> Any:
    """Send the reminders due today, so the demo users see the notification badge (idempotent)."""
    return services.send_due_reminders(source="demo")
