"""The selection models' entries for ``tests/test_permission_matrix.py`` (built with its classes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from citypilot.accounts.choices import Role
from citypilot.selection import services
from citypilot.selection.models import ApplicationEvent, ExpertProfile
from tests import files
from tests.conftest import make_user

from .conftest import FULL_SCORES, build_flow

OWN_SCOPE = frozenset({"own_province", "ministry", "pilot", "observer"})
EVERYONE = frozenset(
    {"anonymous", "other_province", "own_province", "ministry", "pilot", "other_pilot", "expert", "observer"}
)


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("m.pdf", files.pdf(), content_type="application/pdf")


def _assigned(world: Any) -> Any:
    """Province A's pilot's application, recommended, assigned to the world's expert (home: province B);
    a second expert of province B is available for assignment."""
    flow = build_flow(world)
    make_user_second = make_user("t-expert-2", world.panel, Role.EXPERT_REVIEWER)
    services.set_expert_profile(actor=world.users["ministry"], expert=make_user_second, province=world.province_b)
    app, assignment = flow.assigned()
    return app, assignment, make_user_second


def _second_expert_id(world: Any) -> int:
    return ExpertProfile.objects.get(user__username="t-expert-2").user_id


def selection_specs(ModelSpec: Any, Write: Any) -> list[Any]:
    from citypilot.selection.models import (
        Application,
        ApplicationMaterial,
        Call,
        ExpertAssignment,
        ExpertScore,
        ProvincialReview,
    )

    version = lambda o: o.row_version  # noqa: E731

    return [
        ModelSpec(
            Call,
            make=lambda w: build_flow(w).call,
            readers=EVERYONE,  # an opened call is a public notice
            list_url="/api/selection/calls?limit=500",
            detail_url=lambda o: f"/api/selection/calls/{o.pk}",
            html_url=lambda o: f"/selection/calls/{o.pk}/",
            writes=[
                Write(
                    "close",
                    lambda c, o, w: c.post(
                        f"/api/selection/calls/{o.pk}/close",
                        {"expected_version": version(o)},
                        content_type="application/json",
                    ),
                    frozenset({"ministry"}),
                ),
                Write(
                    "html-close",
                    lambda c, o, w: c.post(f"/selection/calls/{o.pk}/close/", {"expected_version": version(o)}),
                    frozenset({"ministry"}),
                ),
            ],
        ),
        ModelSpec(
            Application,
            make=lambda w: _assigned(w)[0],
            readers=OWN_SCOPE | {"expert"},  # the assigned expert, of another province
            list_url="/api/selection/applications?limit=500",
            detail_url=lambda o: f"/api/selection/applications/{o.pk}",
            html_url=lambda o: f"/selection/applications/{o.pk}/",
            writes=[
                Write(
                    "assign",
                    lambda c, o, w: c.post(
                        f"/api/selection/applications/{o.pk}/assignments",
                        {"expected_version": version(o), "expert_id": _second_expert_id(w)},
                        content_type="application/json",
                    ),
                    frozenset({"ministry"}),
                ),
                Write(
                    "html-assign",
                    lambda c, o, w: c.post(
                        f"/selection/applications/{o.pk}/assign/",
                        {"expected_version": version(o), "expert": _second_expert_id(w)},
                    ),
                    frozenset({"ministry"}),
                ),
            ],
        ),
        ModelSpec(
            ApplicationMaterial,
            make=lambda w: _material(w),
            readers=OWN_SCOPE,
            list_url="/api/selection/materials?limit=500",
            writes=[
                Write(
                    "attach",
                    lambda c, o, w: c.post(
                        f"/api/selection/applications/{o.application_id}/materials",
                        {"material": o.material, "file": _pdf()},
                    ),
                    frozenset({"pilot"}),
                ),
                Write(
                    "html-attach",
                    lambda c, o, w: c.post(
                        f"/selection/applications/{o.application_id}/material/",
                        {"material": o.material, "file": _pdf()},
                    ),
                    frozenset({"pilot"}),
                ),
            ],
        ),
        ModelSpec(
            ProvincialReview,
            make=lambda w: build_flow(w).reviewed().provincial_reviews.get(),
            readers=OWN_SCOPE,
            list_url="/api/selection/provincial-reviews?limit=500",
            writes=[
                Write(
                    "recommend",
                    lambda c, o, w: c.post(
                        f"/api/selection/applications/{o.application_id}/recommend",
                        {"expected_version": o.application.row_version, "rank": 1},
                        content_type="application/json",
                    ),
                    frozenset({"own_province"}),
                ),
                Write(
                    "html-return",
                    lambda c, o, w: c.post(
                        f"/selection/applications/{o.application_id}/return/",
                        {"expected_version": o.application.row_version, "reason": "退回"},
                    ),
                    frozenset({"own_province"}),
                ),
                Write(
                    "review",
                    lambda c, o, w: c.post(
                        f"/api/selection/applications/{o.application_id}/provincial-review",
                        {
                            "expected_version": o.application.row_version,
                            "materials_complete": True,
                            "site_visit_date": str(dt.date(2014, 5, 2)),
                            "site_visit_participants": "王五",
                            "opinion": "复核",
                            "score": 90,
                        },
                        content_type="application/json",
                    ),
                    frozenset({"own_province"}),
                ),
            ],
        ),
        ModelSpec(
            ExpertProfile,
            make=lambda w: _assigned(w)[1].expert.expert_profile,
            readers=frozenset({"ministry", "expert"}),
            list_url="/api/selection/experts?limit=500",
            writes=[
                Write(
                    "set",
                    lambda c, o, w: c.put(
                        "/api/selection/experts",
                        {"user_id": o.user_id, "province_id": None, "specialities": "交通"},
                        content_type="application/json",
                    ),
                    frozenset({"ministry"}),
                ),
            ],
        ),
        ModelSpec(
            ExpertAssignment,
            make=lambda w: _assigned(w)[1],
            readers=frozenset({"ministry", "expert"}),
            list_url="/api/selection/assignments?limit=500",
            detail_url=lambda o: f"/api/selection/assignments/{o.pk}",
            writes=[
                Write(
                    "score",
                    lambda c, o, w: c.post(
                        f"/api/selection/assignments/{o.pk}/scores",
                        {"scores": {k: int(v) for k, v in FULL_SCORES.items()}, "opinion": "同意"},
                        content_type="application/json",
                    ),
                    frozenset({"expert"}),
                ),
                Write(
                    "conflict",
                    lambda c, o, w: c.post(
                        f"/api/selection/assignments/{o.pk}/conflict",
                        {"reason": "回避"},
                        content_type="application/json",
                    ),
                    frozenset({"expert"}),
                ),
                Write(
                    "html-score",
                    lambda c, o, w: c.post(
                        f"/selection/applications/{o.application_id}/score/",
                        {**{f"score_{k}": v for k, v in FULL_SCORES.items()}, "opinion": "同意"},
                    ),
                    frozenset({"expert"}),
                ),
            ],
        ),
        ModelSpec(
            ExpertScore,
            make=lambda w: _scored(w).scores.first(),
            readers=frozenset({"ministry", "expert"}),
            detail_url=lambda o: f"/api/selection/assignments/{o.assignment_id}",
        ),
        ModelSpec(
            ApplicationEvent,
            make=lambda w: ApplicationEvent.objects.filter(
                application=build_flow(w).submitted(), kind="submitted"
            ).get(),
            readers=OWN_SCOPE,
            detail_url=lambda o: f"/api/selection/applications/{o.application_id}/events",
        ),
    ]


def _material(world: Any) -> Any:
    flow = build_flow(world)
    app = flow.draft()
    key = flow.call.materials[0]["key"]
    return services.attach_material(app, actor=world.users["pilot"], material=key, upload=_pdf(), original_name="m.pdf")


def _scored(world: Any) -> Any:
    _app, assignment, _second = _assigned(world)
    return services.submit_scores(assignment, actor=world.users["expert"], scores=FULL_SCORES, opinion="同意")
