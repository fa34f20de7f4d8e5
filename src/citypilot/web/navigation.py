"""Navigation by role: what each kind of user is offered in the menu and on their home page."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from citypilot.accounts.choices import Role
from citypilot.accounts.principals import Principal


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    roles: frozenset[str] | None = None  # None: every signed-in user
    public: bool = False


ALL_STAFF = frozenset(Role.values)
NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("home", _("首页"), "home", public=True),
    NavItem("registry", _("试点名单"), "pilots:list", public=True),
    NavItem("organisations", _("机构"), "accounts:organisation-list", public=True),
    NavItem("documents", _("文件"), "documents:list", public=True),
    NavItem(
        "selection",
        _("申报与评审"),
        "selection:call-list",
        roles=frozenset({Role.MINISTRY_OFFICER, Role.PROVINCIAL_OFFICER, Role.PILOT_OFFICER, Role.EXPERT_REVIEWER}),
    ),
    NavItem(
        "rounds",
        _("截止看板"),
        "rounds:list",
        roles=frozenset({Role.MINISTRY_OFFICER, Role.PROVINCIAL_OFFICER, Role.PILOT_OFFICER, Role.OBSERVER}),
    ),
    NavItem("my-tasks", _("我的任务"), "my-tasks", roles=ALL_STAFF),
    NavItem("jobs", _("后台作业"), "jobs:list", roles=frozenset({Role.MINISTRY_OFFICER})),
    NavItem("audit", _("审计日志"), "audit:list", roles=frozenset({Role.MINISTRY_OFFICER})),
    NavItem("tokens", _("API 令牌"), "accounts:token-list", roles=ALL_STAFF),
    NavItem("api", _("API 文档"), "api:openapi-view", public=True),
)


def items_for(principal: Principal) -> list[NavItem]:
    if not principal.is_authenticated:
        return [item for item in NAV_ITEMS if item.public]
    return [item for item in NAV_ITEMS if item.roles is None or item.public or principal.has_role(*item.roles)]
