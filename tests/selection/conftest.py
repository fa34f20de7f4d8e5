"""Fixtures for the selection workflow: an open call and helpers that move an application along."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from citypilot.accounts.choices import Role
from citypilot.accounts.models import User
from citypilot.selection import services
from citypilot.selection.choices import Dimension
from citypilot.selection.models import Application, Call, ExpertAssignment
from tests import files
from tests.conftest import World, make_user

FULL_SCORES = {Dimension.SAFEGUARDS: 20, Dimension.LIVEABILITY: 18, Dimension.MANAGEMENT: 22, Dimension.INDUSTRY: 15}


def pdf(name: str = "material.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, files.pdf(), content_type="application/pdf")


@dataclass
class Flow:
    world: World
    call: Call
    expert_b: User  # home province B: may review province A's applications
    expert_a: User  # home province A: never

    @property
    def users(self) -> dict[str, User]:
        return self.world.users

    def draft(self, applicant: Any = None, area_name: str = "唐山市曹妃甸区", user: str = "pilot") -> Application:
        return services.create_application(
            actor=self.users[user], call=self.call, applicant=applicant or self.world.pilot_a, area_name=area_name
        )

    def complete(self, app: Application, user: str = "pilot") -> Application:
        for item in self.call.materials:
            services.attach_material(
                app, actor=self.users[user], material=item["key"], upload=pdf(), original_name="material.pdf"
            )
        app.refresh_from_db()
        return services.confirm_conditions(
            app,
            actor=self.users[user],
            expected_version=app.row_version,
            confirmed=[c["key"] for c in self.call.conditions],
        )

    def submitted(self, **kwargs: Any) -> Application:
        user = kwargs.get("user", "pilot")
        app = self.complete(self.draft(**kwargs), user=user)
        return services.submit_application(app, actor=self.users[user], expected_version=app.row_version)

    def reviewed(
        self, app: Application | None = None, province_user: str = "own_province", **kwargs: Any
    ) -> Application:
        app = app or self.submitted(**kwargs)
        services.record_provincial_review(
            app,
            actor=self.users[province_user],
            expected_version=app.row_version,
            materials_complete=True,
            site_visit_date=dt.date(2014, 5, 1),
            site_visit_participants="张三、李四",
            opinion="同意推荐",
            score=88,
        )
        app.refresh_from_db()
        return app

    def recommended(
        self, app: Application | None = None, rank: int = 1, province_user: str = "own_province", **kwargs: Any
    ) -> Application:
        app = self.reviewed(app, province_user=province_user, **kwargs)
        return services.recommend_application(
            app, actor=self.users[province_user], expected_version=app.row_version, rank=rank
        )

    def assigned(
        self, app: Application | None = None, expert: User | None = None
    ) -> tuple[Application, ExpertAssignment]:
        app = app or self.recommended()
        assignment = services.assign_expert(
            app, actor=self.users["ministry"], expected_version=app.row_version, expert=expert or self.expert_b
        )
        app.refresh_from_db()
        return app, assignment

    def scored(self, scores: dict[str, int] | None = None) -> tuple[Application, ExpertAssignment]:
        app, assignment = self.assigned()
        assignment = services.submit_scores(
            assignment, actor=self.expert_b, scores=scores or FULL_SCORES, opinion="基础扎实，建议批准"
        )
        app.refresh_from_db()
        return app, assignment


def build_flow(world: World) -> Flow:
    ministry = world.users["ministry"]
    call = services.create_call(
        actor=ministry,
        year=2031,
        title="关于开展国家智慧城市2031年度试点申报工作的通知",
        doc_number="建办科函[2031]1号",
    )
    call = services.open_call(call, actor=ministry, expected_version=call.row_version)
    expert_b = world.users["expert"]
    services.set_expert_profile(actor=ministry, expert=expert_b, province=world.province_b, specialities="城市规划")
    expert_a = make_user("t-expert-a", world.panel, Role.EXPERT_REVIEWER)
    services.set_expert_profile(actor=ministry, expert=expert_a, province=world.province_a)
    return Flow(world, call, expert_b, expert_a)


@pytest.fixture
def flow(world: World) -> Flow:
    return build_flow(world)
