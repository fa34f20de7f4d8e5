from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each role's home title and the navigation entries it must (and must not) see.
ROLES = {
    "t-ministry": (
        "部试点办工作台",
        {
            "home",
            "registry",
            "organisations",
            "documents",
            "rounds",
            "my-tasks",
            "selection",
            "jobs",
            "audit",
            "tokens",
            "api",
        },
    ),
    "t-province-a": (
        "省级主管部门工作台",
        {"home", "registry", "organisations", "documents", "rounds", "my-tasks", "selection", "tokens", "api"},
    ),
    "t-pilot-a": (
        "试点政府工作台",
        {"home", "registry", "organisations", "documents", "rounds", "my-tasks", "selection", "tokens", "api"},
    ),
    "t-expert": (
        "评审专家工作台",
        {"home", "registry", "organisations", "documents", "my-tasks", "selection", "tokens", "api"},
    ),
    "t-observer": (
        "观察员工作台",
        {"home", "registry", "organisations", "documents", "rounds", "my-tasks", "tokens", "api"},
    ),
}


def login(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("[data-testid=login-submit]")


def nav_keys(page: Any) -> set[str]:
    return set(page.locator("[data-testid=main-nav] a").evaluate_all("links => links.map(a => a.dataset.nav)"))


def test_each_role_logs_in_and_sees_its_navigation(page: Any, live_server: Any) -> None:
    build_world()
    for username, (title, nav) in ROLES.items():
        login(page, live_server.url, username)
        assert page.locator("[data-testid=home-title]").inner_text() == title
        assert nav_keys(page) == nav, username
        assert page.locator("[data-testid=current-user]").inner_text() == username
        page.click("[data-testid=logout]")
        assert page.locator("[data-testid=login-link]").is_visible()


def test_wrong_password_then_public_navigation(page: Any, live_server: Any) -> None:
    build_world()
    login(page, live_server.url, "t-pilot-a", "not-the-password")
    assert "用户名或密码不正确" in page.locator("[data-testid=login-error]").inner_text()
    page.goto(live_server.url + "/")
    assert nav_keys(page) == {"home", "registry", "organisations", "documents", "api"}


def test_switch_to_english_and_back(page: Any, live_server: Any) -> None:
    build_world()
    login(page, live_server.url, "t-province-a")
    page.click("[data-testid=lang-switch]")
    assert page.locator("html").get_attribute("lang") == "en"
    english_title = page.locator("[data-testid=home-title]").inner_text()
    assert english_title != "省级主管部门工作台" and english_title.isascii()
    page.reload()  # remembered on the account
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("[data-testid=lang-switch]")
    assert page.locator("[data-testid=home-title]").inner_text() == "省级主管部门工作台"
