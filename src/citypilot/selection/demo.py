"""Demo data for the selection workflow: a 2014-style call in a mixed state, clearly marked as demo.

Everything is written through the same service functions as real use (source ``demo``); the call and
its applications carry ``is_demo`` and their names say 演示.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from citypilot.accounts import services as accounts
from citypilot.accounts.choices import OrganisationKind, Role
from citypilot.accounts.models import Organisation, User

from . import services
from .choices import Dimension
from .models import Application, Call

DEMO_YEAR = 2014
#: The demo expert's home province (江苏): the demo's 河北 and 山西 applications may be assigned to them.
EXPERT_HOME_PROVINCE = "prov-320000"
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class DemoApplicant:
    code: str
    area_name: str
    province: str
    username: str
    display_name: str


APPLICANTS = (
    DemoApplicant("demo-applicant-zhengding", "正定县", "prov-130000", "zhengding", "正定县政府 周敏（演示）"),
    DemoApplicant("demo-applicant-luquan", "石家庄市鹿泉区", "prov-130000", "luquan", "鹿泉区政府 孙磊（演示）"),
    DemoApplicant("demo-applicant-xingtai", "邢台市", "prov-130000", "xingtai", "邢台市政府 吴芳（演示）"),
    DemoApplicant("demo-applicant-yuncheng", "运城市", "prov-140000", "yuncheng", "运城市政府 郑凯（演示）"),
    DemoApplicant("demo-applicant-xinzhou", "忻州市", "prov-140000", "xinzhou", "忻州市政府 冯雪（演示）"),
)


def _applicant(spec: DemoApplicant, password: str) -> tuple[Organisation, User]:
    organisation = Organisation.objects.filter(code=spec.code).first()
    if organisation is None:
        organisation = accounts.create_organisation(
            actor=None,
            kind=OrganisationKind.PILOT,
            code=spec.code,
            name=_("%(area)s人民政府（演示申报单位）") % {"area": spec.area_name},
            parent=Organisation.objects.get(code=spec.province),
            reason=_("演示数据"),
            source="demo",
        )
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = accounts.create_user(
            actor=None,
            username=spec.username,
            password=password,
            display_name=spec.display_name,
            reason=_("演示数据"),
            source="demo",
        )
        accounts.grant_membership(
            actor=None,
            user=user,
            organisation=organisation,
            role=Role.PILOT_OFFICER,
            reason=_("演示数据"),
            source="demo",
        )
    return organisation, user


def _pdf(name: str) -> ContentFile[bytes]:
    return ContentFile(DEMO_PDF, name=name)


def _complete(app: Application, user: User, *, materials: int | None = None) -> Application:
    for item in app.call.materials[:materials]:
        services.attach_material(
            app,
            actor=user,
            material=item["key"],
            upload=_pdf(f"{item['key']}.pdf"),
            original_name=f"{item['name']}（演示）.pdf",
            source="demo",
        )
    app.refresh_from_db()
    if materials is None:
        app = services.confirm_conditions(
            app,
            actor=user,
            expected_version=app.row_version,
            confirmed=[c["key"] for c in app.call.conditions],
            source="demo",
        )
    return app


def _reviewed(app: Application, province: User, score: int) -> Application:
    services.record_provincial_review(
        app,
        actor=province,
        expected_version=app.row_version,
        materials_complete=True,
        site_visit_date=dt.date(2014, 8, 20),
        site_visit_participants=_("省住建厅科技处两人、专家三人（演示）"),
        site_visit_notes=_("查看城市公共信息平台与数字化城管中心（演示）"),
        opinion=_("基础较好，同意推荐（演示）"),
        score=score,
        source="demo",
    )
    app.refresh_from_db()
    return app


@transaction.atomic
def seed_demo_selection(*, password: str) -> Call | None:
    """The 2014-style demo call (open) with applications at every stage; ``None`` when it exists."""
    ministry = User.objects.get(username="ministry")
    hebei = User.objects.get(username="hebei")
    shanxi = User.objects.get(username="shanxi")
    expert = User.objects.get(username="expert")
    if not hasattr(expert, "expert_profile"):
        services.set_expert_profile(
            actor=ministry,
            expert=expert,
            province=Organisation.objects.get(code=EXPERT_HOME_PROVINCE),
            specialities=_("城市规划；信息化（演示）"),
            source="demo",
        )
    if Call.objects.filter(year=DEMO_YEAR).exists():
        return None
    today = services.today()
    call = services.create_call(
        actor=ministry,
        year=DEMO_YEAR,
        title=_("关于开展国家智慧城市2014年度试点申报工作的通知（演示）"),
        doc_number=_("建办科函[2014]演示号"),
        application_deadline=today + dt.timedelta(days=30),
        recommendation_deadline=today + dt.timedelta(days=60),
        is_demo=True,
        source="demo",
    )
    call = services.open_call(call, actor=ministry, expected_version=call.row_version, source="demo")
    people = {spec.username: _applicant(spec, password) for spec in APPLICANTS}

    def draft(username: str, area: str) -> tuple[Application, User]:
        organisation, user = people[username]
        app = services.create_application(
            actor=user,
            call=call,
            applicant=organisation,
            area_name=area,
            summary=_("以数字化城管系统为基础申报智慧城市试点（演示）"),
            is_demo=True,
            source="demo",
        )
        return app, user

    # 正定县: a draft with two of four materials.
    app, user = draft("zhengding", "正定县")
    _complete(app, user, materials=2)
    # 鹿泉区: submitted, waiting for the province's initial review.
    app, user = draft("luquan", "石家庄市鹿泉区")
    app = _complete(app, user)
    services.submit_application(app, actor=user, expected_version=app.row_version, source="demo")
    # 邢台市: recommended first by 河北, scored by the demo expert: the ministry decides.
    app, user = draft("xingtai", "邢台市")
    app = _complete(app, user)
    app = services.submit_application(app, actor=user, expected_version=app.row_version, source="demo")
    app = _reviewed(app, hebei, 88)
    app = services.recommend_application(app, actor=hebei, expected_version=app.row_version, rank=1, source="demo")
    assignment = services.assign_expert(
        app, actor=ministry, expected_version=app.row_version, expert=expert, source="demo"
    )
    services.submit_scores(
        assignment,
        actor=expert,
        opinion=_("规划纲要完整，投融资方案可行，建议批准（演示）"),
        source="demo",
        scores={Dimension.SAFEGUARDS: 21, Dimension.LIVEABILITY: 19, Dimension.MANAGEMENT: 22, Dimension.INDUSTRY: 16},
    )
    # 运城市: returned by 山西 with reasons; the applicant may resubmit.
    app, user = draft("yuncheng", "运城市")
    app = _complete(app, user)
    app = services.submit_application(app, actor=user, expected_version=app.row_version, source="demo")
    services.return_application(
        app,
        actor=shanxi,
        expected_version=app.row_version,
        reason=_("项目投融资方案缺少资金来源测算，请补充（演示）"),
        source="demo",
    )
    # 忻州市: recommended by 山西, assigned to the demo expert, not yet scored: the expert's task.
    app, user = draft("xinzhou", "忻州市")
    app = _complete(app, user)
    app = services.submit_application(app, actor=user, expected_version=app.row_version, source="demo")
    app = _reviewed(app, shanxi, 81)
    app = services.recommend_application(app, actor=shanxi, expected_version=app.row_version, rank=1, source="demo")
    services.assign_expert(app, actor=ministry, expected_version=app.row_version, expert=expert, source="demo")
    return call
