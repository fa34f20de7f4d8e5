"""Demo accounts: one per role, clearly marked, created through the same services as real ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from citypilot.accounts import services as accounts
from citypilot.accounts.choices import OrganisationKind, Role
from citypilot.accounts.models import Organisation, User
from citypilot.notices.services import ImportReport, import_notice
from citypilot.pilots.services import pilot_organisation_code

DEMO_PASSWORD = "citypilot-demo"  # noqa: S105 - printed to the console; demo data only
DEMO_NOTICE = Path(__file__).resolve().parent.parent / "notices" / "fixtures" / "notice_2013.txt"
#: The imported 2013 pilot 唐山市曹妃甸区: the demo pilot officer works for its government.
CAOFEIDIAN_ORGANISATION = pilot_organisation_code(2013, "唐山市曹妃甸区")


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
    DemoAccount("caofeidian", "曹妃甸区政府 张伟（演示）", Role.PILOT_OFFICER, CAOFEIDIAN_ORGANISATION),
    DemoAccount("expert", "评审专家 陈静（演示）", Role.EXPERT_REVIEWER, "demo-expert-panel"),
    DemoAccount("observer", "观察员 刘洋（演示）", Role.OBSERVER, "mohurd"),
)


def seed_demo_registry() -> ImportReport:
    """Import the 2013 notice (published), so the demo registry holds the whole 2013 batch."""
    return import_notice(
        DEMO_NOTICE.read_bytes(), filename=DEMO_NOTICE.name, actor=None, publish=True, source_label="demo"
    )


@transaction.atomic
def seed_demo_accounts() -> list[DemoAccount]:
    """Create the demo organisations and accounts that are missing; safe to run again."""
    accounts.ensure_reference_organisations()
    ministry = Organisation.objects.get(code="mohurd")
    seed_demo_registry()
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
