"""The whole selection, through the UI, as four users: pilot, province, expert, ministry."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from citypilot.selection import services
from citypilot.selection.models import Application, Call
from tests import files
from tests.browser.test_roles import login
from tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = 2031
AREA = "唐山市曹妃甸区"


def logout(page: Any) -> None:
    page.click("[data-testid=logout]")


def status(page: Any) -> str:
    return page.locator("[data-testid=application-status]").inner_text()


def test_whole_selection_through_the_ui(page: Any, live_server: Any) -> None:
    world = build_world()
    base = live_server.url
    # The expert's home province is 山西 (province B): they may review 河北 (province A) applications.
    services.set_expert_profile(actor=world.users["ministry"], expert=world.users["expert"], province=world.province_b)

    # Ministry: a call for applications, published.
    login(page, base, "t-ministry")
    page.goto(f"{base}/selection/")
    page.click("[data-testid=call-create]")
    page.fill("#id_year", str(YEAR))
    page.fill("#id_title", f"关于开展国家智慧城市{YEAR}年度试点申报工作的通知")
    page.fill("#id_doc_number", f"建办科函[{YEAR}]1号")
    page.click("[data-testid=call-save]")
    page.click("[data-testid=call-open]")
    assert page.locator("[data-testid=call-status]").inner_text() == "申报中"
    call = Call.objects.get(year=YEAR)
    logout(page)

    # Pilot: drafts, attaches the four materials, confirms the conditions, submits.
    login(page, base, "t-pilot-a")
    page.click("[data-nav=selection]")
    page.click(f"text={call.title}")
    page.fill("#id_area_name", AREA)
    page.click("[data-testid=application-create] button")
    assert status(page) == "草稿"
    page.click("[data-testid=application-submit]")  # refused: the list of what is missing is shown
    assert "尚缺" in page.locator(".messages").inner_text()
    assert "申报书" in page.locator("[data-testid=missing]").inner_text()
    for material in call.materials:
        page.select_option("#material_material", material["key"])
        page.set_input_files(
            "#material_file",
            files=[{"name": f"{material['key']}.pdf", "mimeType": "application/pdf", "buffer": files.pdf()}],
        )
        page.click("[data-testid=material-upload]")
        assert "材料已上传" in page.locator(".messages").inner_text()
    for checkbox in page.locator("[data-testid=conditions-form] input[type=checkbox]").all():
        checkbox.check()
    page.click("[data-testid=conditions-save]")
    assert page.locator("[data-testid=missing]").count() == 0
    page.click("[data-testid=application-submit]")
    assert status(page) == "已提交，待省级初审"
    application_url = page.url
    logout(page)

    # Province: initial review with a site visit, opinion and score; recommends with rank 1.
    login(page, base, "t-province-a")
    page.goto(application_url)
    page.check("#review_materials_complete")
    page.fill("#review_site_visit_date", (services.today() - dt.timedelta(days=1)).isoformat())
    page.fill("#review_site_visit_participants", "省住建厅 李华、王刚")
    page.fill("#review_site_visit_notes", "实地查看数字化城管指挥中心")
    page.fill("#review_opinion", "基础较好，同意推荐")
    page.fill("#review_score", "86")
    page.click("[data-testid=review-save]")
    assert status(page) == "省级初审完成"
    page.fill("#recommend_rank", "1")
    page.click("[data-testid=recommend]")
    assert status(page) == "已推荐"
    assert page.locator("[data-testid=application-rank]").inner_text() == "1"
    logout(page)

    # Ministry: assigns the expert of another province (the only one offered).
    login(page, base, "t-ministry")
    page.goto(application_url)
    page.select_option("#assign_expert", label="t-expert")
    page.click("[data-testid=assign]")
    assert status(page) == "国家综合评审中"
    logout(page)

    # Expert: finds the assignment, scores the four first-level dimensions, writes an opinion.
    login(page, base, "t-expert")
    page.click("[data-nav=selection]")
    page.click(f"[data-testid=assignments] >> text={AREA}")
    for key, score in (("safeguards", 21), ("liveability", 19), ("management", 22), ("industry", 17)):
        page.fill(f"#score_score_{key}", str(score))
    page.fill("#score_opinion", "规划纲要完整，投融资方案可行，建议批准。")
    page.click("[data-testid=score-submit]")
    assert page.locator("[data-testid=assignment-status]").inner_text() == "已评分"
    logout(page)

    # Ministry: sees the aggregate, approves, closes the call, finalises and publishes.
    login(page, base, "t-ministry")
    page.goto(application_url)
    total = page.locator("[data-testid=score-summary] tr[data-key=total]").inner_text()
    assert "79" in total
    page.check("#decide_decision_0")
    page.fill("#decide_reason", "综合评审通过")
    page.click("[data-testid=decide]")
    assert status(page) == "批准"
    page.goto(f"{base}/selection/calls/{call.pk}/")
    page.click("[data-testid=call-close]")
    page.click("[data-testid=call-finalise]")
    assert page.locator("[data-testid=batch-unpublished]").is_visible()
    notice = page.locator("#id_text").input_value()
    assert f"{YEAR}年度国家智慧城市试点名单" in notice and AREA in notice
    page.click("[data-testid=notice-publish]")
    assert "名单已公布" in page.locator(".messages").inner_text()
    logout(page)

    # The public registry lists the new pilot.
    page.goto(f"{base}/api/pilots/?batch={YEAR}")
    items = json.loads(page.locator("body").inner_text())["items"]
    assert [item["name"] for item in items] == [AREA]
    application = Application.objects.get(call=call)
    assert application.pilot is not None and application.pilot.organisation_id == world.pilot_a.pk
