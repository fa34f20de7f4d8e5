from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

ROLE_HOMES = {
    "ministry": ("部试点办工作台", {"jobs", "audit", "tokens"}),
    "own_province": ("省级主管部门工作台", {"tokens"}),
    "pilot": ("试点政府工作台", {"tokens"}),
    "expert": ("评审专家工作台", {"tokens"}),
    "observer": ("观察员工作台", {"tokens"}),
}


@pytest.mark.parametrize("who", sorted(ROLE_HOMES))
def test_home_and_navigation_by_role(who: str, world: World) -> None:
    title, extra_nav = ROLE_HOMES[who]
    page = world.client(who).get("/").content.decode()
    assert title in page
    for key in ("home", "registry", "organisations", "documents", "jobs", "audit", "tokens"):
        expected = key in extra_nav or key in {"home", "registry", "organisations", "documents"}
        assert (f'data-nav="{key}"' in page) is expected, key


def test_public_home_offers_login(client: Client) -> None:
    page = client.get("/").content.decode()
    assert "工作人员登录" in page and 'data-nav="audit"' not in page


def test_wrong_password_gets_a_clear_message(world: World, client: Client) -> None:
    response = client.post("/login/", {"username": "t-pilot-a", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    response = client.post("/login/", {"username": "t-pilot-a", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


def test_expired_session_goes_to_login(world: World, client: Client) -> None:
    client.force_login(world.users["ministry"])
    client.cookies.clear()
    response = client.get("/jobs/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/jobs/")


def test_forbidden_and_missing_pages_explain_themselves(world: World) -> None:
    client = world.client("own_province")
    response = client.get(f"/accounts/organisations/{world.pilot_a.pk}/edit/")
    assert response.status_code == 403 and "无权访问" in response.content.decode()
    response = client.get(f"/accounts/organisations/{world.pilot_b.pk}/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_language_switch_is_remembered_on_the_account(world: World) -> None:
    client = world.client("pilot")
    response = client.post("/accounts/language/", {"language": "en", "next": "/documents/"})
    assert response.status_code == 302 and response["Location"] == "/documents/"
    world.users["pilot"].refresh_from_db()
    assert world.users["pilot"].language == "en"
    assert "Pilot government workspace" in client.get("/").content.decode()


def test_language_switch_refuses_foreign_redirects(client: Client) -> None:
    response = client.post("/accounts/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_organisation_history_is_visible_to_those_who_see_it(world: World) -> None:
    client = world.client("ministry")
    client.post(
        f"/accounts/organisations/{world.pilot_a.pk}/edit/",
        {
            "name": "曹妃甸区人民政府",
            "name_en": "",
            "division_code": "130209",
            "expected_version": 1,
            "reason": "规范名称",
        },
    )
    page = world.client("own_province").get(f"/accounts/organisations/{world.pilot_a.pk}/").content.decode()
    assert "organisation.update" in page and "规范名称" in page


def test_every_asset_is_local(client: Client) -> None:
    page = client.get("/").content.decode()
    assert "/static/vendor/htmx/htmx.min.js" in page
    assert "http://" not in page.replace("http://testserver", "") and "https://" not in page
    assert client.get("/static/vendor/htmx/htmx.min.js").status_code == 200


def test_chinese_first_whatever_the_browser_asks(client: Client) -> None:
    assert "工作人员登录" in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    client.cookies["django_language"] = "en"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'lang="en"' in page and "工作人员登录" not in page
