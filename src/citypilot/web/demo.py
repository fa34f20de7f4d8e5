"""Demo accounts: one per role, clearly marked, created through the same services as real ones."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from citypilot.accounts import services as accounts
from citypilot.accounts.choices import OrganisationKind, Role
from citypilot.accounts.models import Organisation, User

DEMO_PASSWORD = "citypilot-demo"  # noqa: S105 - printed to the console; demo data only


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    organisation_code: str


DEMO_ACCOUNTS = (
    DemoAccount("ministry", "部试点办 王明（演示）", Role.MINISTRY_OFFICER, "mohurd"),
    DemoAccount("hebei", "河北省住建厅 李华（演示）", Role.PROVINCIAL_OFFICER, "prov-130000"),
    DemoAccount("shanxi", "山西省住建厅 赵强（演示）", Role.PROVINCIAL_OFFICER, "prov-140000"),
    DemoAccount("caofeidian", "曹妃甸区政府 张伟（演示）", Role.PILOT_OFFICER, "demo-pilot-130209"),
    DemoAccount("expert", "评审专家 陈静（演示）", Role.EXPERT_REVIEWER, "demo-expert-panel"),
    DemoAccount("observer", "观察员 刘洋（演示）", Role.OBSERVER, "mohurd"),
)


@transaction.atomic
def seed_demo_accounts() -> list[DemoAccount]:
    """Create the demo organisations and accounts that are missing; safe to run again."""
    accounts.ensure_reference_organisations()
    ministry = Organisation.objects.get(code="mohurd")
    if not Organisation.objects.filter(code="demo-pilot-130209").exists():
        accounts.create_organisation(
            actor=None,
            kind=OrganisationKind.PILOT,
            code="demo-pilot-130209",
            name="唐山市曹妃甸区人民政府（演示）",
            division_code="130209",
            parent=Organisation.objects.get(code="prov-130000"),
            reason=_("演示数据"),
            source="demo",
        )
    if not Organisation.objects.filter(code="demo-expert-panel").exists():
        accounts.create_organisation(
            actor=None,
            kind=OrganisationKind.EXPERT_PANEL,
            code="demo-expert-panel",
            name="国家智慧城市专家委员会评审组（演示）",
            parent=ministry,
            reason=_("演示数据"),
            source="demo",
        )
    for account in DEMO_ACCOUNTS:
        if User.objects.filter(username=account.username).exists():
            continue
        user = accounts.create_user(
            actor=None,
            username=account.username,
            password=DEMO_PASSWORD,
            display_name=account.display_name,
            reason=_("演示数据"),
            source="demo",
        )
        accounts.grant_membership(
            actor=None,
            user=user,
            organisation=Organisation.objects.get(code=account.organisation_code),
            role=account.role,
            reason=_("演示数据"),
            source="demo",
        )
    return list(DEMO_ACCOUNTS)
