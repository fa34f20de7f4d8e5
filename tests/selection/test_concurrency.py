"""Two actors deciding on the same application at once: one wins, the other is told; nothing doubles.

Runs on a transactional database with real threads, on SQLite (IMMEDIATE transactions queue the
writers) and on PostgreSQL (``SELECT … FOR UPDATE``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection

from citypilot.accounts.choices import Role
from citypilot.core.errors import ConcurrentUpdate, InvalidTransition, ServiceError
from citypilot.selection import services
from citypilot.selection.choices import ApplicationStatus, EventKind
from citypilot.selection.models import Application, ApplicationEvent
from tests.conftest import build_world, make_user

from .conftest import build_flow

pytestmark = pytest.mark.django_db(transaction=True)


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions in threads released together; return each result or the exception raised."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            for _attempt in range(200):
                try:
                    results[index] = action()
                except OperationalError as error:
                    # The in-memory SQLite test database shares one cache between threads, where a
                    # second writer gets "table is locked" at once instead of waiting (busy_timeout
                    # only applies to file databases, as in production). Nothing was written: wait
                    # and send the same request again, as a queued writer would.
                    if "locked" not in str(error):
                        raise
                    time.sleep(0.02)
                    continue
                break
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_recommend_and_return_at_once_one_wins() -> None:
    world = build_world()
    flow = build_flow(world)
    app = flow.reviewed()
    second_officer = make_user("t-province-a2", world.province_a, Role.PROVINCIAL_OFFICER)
    version = app.row_version
    results = race(
        lambda: services.recommend_application(
            Application.objects.get(pk=app.pk), actor=world.users["own_province"], expected_version=version, rank=1
        ),
        lambda: services.return_application(
            Application.objects.get(pk=app.pk), actor=second_officer, expected_version=version, reason="退回"
        ),
    )
    wins = [r for r in results if isinstance(r, Application)]
    losses = [r for r in results if isinstance(r, ServiceError)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], ConcurrentUpdate)
    assert "已被他人处理" in str(losses[0].message)
    app.refresh_from_db()
    assert app.row_version == version + 1
    assert app.status == wins[0].status
    decided = ApplicationEvent.objects.filter(application=app, kind__in=[EventKind.RECOMMENDED, EventKind.RETURNED])
    assert decided.count() == 1


def test_two_ministry_officers_decide_at_once() -> None:
    world = build_world()
    flow = build_flow(world)
    app, _assignment = flow.scored()
    colleague = make_user("t-ministry-2", world.ministry, Role.MINISTRY_OFFICER)
    version = app.row_version
    results = race(
        lambda: services.decide_application(
            Application.objects.get(pk=app.pk), actor=world.users["ministry"], expected_version=version, approve=True
        ),
        lambda: services.decide_application(
            Application.objects.get(pk=app.pk),
            actor=colleague,
            expected_version=version,
            approve=False,
            reason="不予批准",
        ),
    )
    assert sum(isinstance(r, Application) for r in results) == 1, results
    assert sum(isinstance(r, ConcurrentUpdate) for r in results) == 1, results
    app.refresh_from_db()
    assert app.status in (ApplicationStatus.APPROVED, ApplicationStatus.NOT_APPROVED)
    assert (
        ApplicationEvent.objects.filter(application=app, kind__in=[EventKind.APPROVED, EventKind.NOT_APPROVED]).count()
        == 1
    )


def test_two_recommendations_racing_for_the_last_place_of_the_quota() -> None:
    world = build_world()
    flow = build_flow(world)
    ministry = world.users["ministry"]
    services.update_call(
        flow.call,
        actor=ministry,
        expected_version=flow.call.row_version,
        changes={"quota_overrides": {str(world.province_a.pk): 1}},
    )
    flow.call.refresh_from_db()
    first = flow.reviewed()
    from citypilot.accounts import services as accounts
    from citypilot.accounts.choices import OrganisationKind

    org = accounts.create_organisation(
        actor=None, kind=OrganisationKind.PILOT, code="t-race", name="邯郸市人民政府", parent=world.province_a
    )
    world.users["race"] = make_user("t-race", org, Role.PILOT_OFFICER)
    second = flow.reviewed(applicant=org, area_name="邯郸市", user="race")
    results = race(
        lambda: services.recommend_application(
            first, actor=world.users["own_province"], expected_version=first.row_version, rank=1
        ),
        lambda: services.recommend_application(
            second, actor=world.users["own_province"], expected_version=second.row_version, rank=1
        ),
    )
    assert sum(isinstance(r, Application) for r in results) == 1, results
    loser = next(r for r in results if isinstance(r, ServiceError))
    assert isinstance(loser, InvalidTransition) and "推荐名额已满" in str(loser.message)
    assert Application.objects.filter(status=ApplicationStatus.RECOMMENDED).count() == 1
