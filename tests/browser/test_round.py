"""The plan and task-book round, through the UI, as three users: pilot, province, ministry."""

from __future__ import annotations

from typing import Any

import pytest

from tests import files
from tests.browser.test_roles import login
from tests.conftest import build_world
from tests.rounds.conftest import make_batch, open_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf(name: str, text: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": files.pdf(text)}


def logout(page: Any) -> None:
    page.click("[data-testid=logout]")
    page.wait_for_selector("[data-testid=login-link]")


def status(page: Any) -> str:
    return str(page.locator("[data-testid=submission-status]").inner_text())


def open_my_task(page: Any, base: str) -> None:
    page.click("[data-nav=my-tasks]")
    page.locator("[data-testid=task-row] a", has_text="唐山市曹妃甸区").click()
    page.wait_for_selector("[data-testid=submission-title]")


def test_the_round_walked_by_pilot_province_and_ministry(page: Any, live_server: Any) -> None:
    world = build_world()
    round_ = open_round(world, make_batch(world))
    base = live_server.url

    # The pilot uploads its plan and task book and submits them.
    login(page, base, "t-pilot-a")
    open_my_task(page, base)
    assert status(page) == "未提交"
    page.set_input_files("[data-testid=plan-file]", pdf("实施方案.pdf", "plan v1"))
    page.click("[data-testid=upload-plan]")
    page.set_input_files("[data-testid=task-book-file]", pdf("创建任务书.pdf", "task book v1"))
    page.click("[data-testid=upload-task-book]")
    page.click("[data-testid=submit]")
    assert status(page) == "已提交，待省级评审"
    logout(page)

    # Its province takes it for review and returns it with a reason.
    login(page, base, "t-province-a")
    open_my_task(page, base)
    page.click("[data-testid=take]")
    assert status(page) == "省级评审中"
    page.fill("[data-testid=return-reason-input]", "创建任务书缺少重点项目投融资方案，请补充。")
    page.click("[data-testid=return]")
    assert status(page) == "已退回修改"
    logout(page)

    # The pilot sees the reason, uploads a new version of the task book and resubmits.
    login(page, base, "t-pilot-a")
    open_my_task(page, base)
    assert "缺少重点项目投融资方案" in page.locator("[data-testid=return-reason]").inner_text()
    page.set_input_files("[data-testid=task-book-file]", pdf("创建任务书（修改稿）.pdf", "task book v2"))
    page.click("[data-testid=upload-task-book]")
    task_book_versions = page.locator("[data-testid=document-task_book]").inner_text()
    assert "v2" in task_book_versions and "v1" in task_book_versions  # every version kept
    page.click("[data-testid=submit]")
    assert status(page) == "已重新提交，待省级评审"
    logout(page)

    # The province takes it again and uploads the signed opinion.
    login(page, base, "t-province-a")
    open_my_task(page, base)
    page.click("[data-testid=take]")
    page.set_input_files(
        "[data-testid=opinion-file]", {"name": "评审意见.png", "mimeType": "image/png", "buffer": files.PNG}
    )
    page.click("[data-testid=upload-opinion]")
    assert status(page).startswith("材料齐全")
    logout(page)

    # The ministry sees the pilot complete on the deadline board and accepts the set.
    login(page, base, "t-ministry")
    page.click("[data-nav=rounds]")
    page.click(f"[data-testid=round-link] >> text={round_.title}")
    row = page.locator("[data-testid=board-row][data-pilot=唐山市曹妃甸区]")
    assert row.get_attribute("data-state") == "complete"
    assert page.locator("[data-testid=board-totals]").is_visible()
    row.locator("a").click()
    page.click("[data-testid=accept]")
    assert status(page) == "部级已接收"
    actions = page.locator("[data-testid=event]").evaluate_all("rows => rows.map(r => r.dataset.action)")
    assert actions == [
        "upload_plan",
        "upload_task_book",
        "submit",
        "take_for_review",
        "return",
        "upload_task_book",
        "resubmit",
        "take_for_review",
        "upload_opinion",
        "accept",
    ]
    page.click("text=截止看板：")
    assert page.locator("[data-testid=board-row][data-pilot=唐山市曹妃甸区]").get_attribute("data-state") == "accepted"
