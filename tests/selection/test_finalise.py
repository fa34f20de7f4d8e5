"""Approving creates the batch's pilots through the registry's own import; publishing makes them public."""

from __future__ import annotations

import pytest
from django.test import Client

from citypilot.core.errors import InvalidTransition, ValidationFailed
from citypilot.pilots.models import Batch, Pilot
from citypilot.pilots.services import pilot_organisation_code
from citypilot.selection import services
from citypilot.selection.choices import ApplicationStatus, CallStatus
from citypilot.selection.models import Application

from .conftest import Flow

pytestmark = pytest.mark.django_db


def approved(flow: Flow) -> Application:
    app, _assignment = flow.scored()
    return services.decide_application(
        app, actor=flow.users["ministry"], expected_version=app.row_version, approve=True
    )


def closed(flow: Flow):
    flow.call.refresh_from_db()
    return services.close_call(flow.call, actor=flow.users["ministry"], expected_version=flow.call.row_version)


def test_finalise_creates_the_unpublished_batch_and_drafts_the_notice(flow: Flow) -> None:
    app = approved(flow)
    # an application that was not approved stays out of the list
    other = flow.reviewed(
        applicant=flow.world.pilot_b, area_name="阳泉市", user="other_pilot", province_user="other_province"
    )
    services.return_application(
        other, actor=flow.users["other_province"], expected_version=other.row_version, reason="材料不全"
    )
    call = closed(flow)
    call = services.finalise_call(call, actor=flow.users["ministry"], expected_version=call.row_version)
    assert call.status == CallStatus.FINALISED
    batch = call.batch
    assert batch is not None and batch.year == 2031 and not batch.is_published
    pilot = Pilot.objects.get(batch=batch)
    app.refresh_from_db()
    assert app.pilot == pilot and pilot.name == "唐山市曹妃甸区"
    # the applicant organisation became the pilot's organisation, under its registry code
    assert pilot.organisation_id == app.applicant_id and pilot.supervising_authority == flow.world.province_a
    assert app.applicant.code == pilot_organisation_code(2031, "唐山市曹妃甸区")
    text = call.list_notice_text
    assert "2031年度国家智慧城市试点名单" in text and "河北省\n唐山市曹妃甸区" in text
    assert "确定唐山市曹妃甸区等1个城市" in text and "建办科函[2031]1号" in text
    # not public yet
    assert Client().get("/api/pilots/?batch=2031").json()["items"] == []


def test_publish_makes_the_batch_public(flow: Flow) -> None:
    approved(flow)
    call = closed(flow)
    call = services.finalise_call(call, actor=flow.users["ministry"], expected_version=call.row_version)
    edited = call.list_notice_text.replace("现将有关事项通知如下：", "现予公布，并就有关事项通知如下：")
    call = services.update_list_notice(
        call, actor=flow.users["ministry"], expected_version=call.row_version, text=edited
    )
    call = services.publish_list(call, actor=flow.users["ministry"], expected_version=call.row_version)
    assert call.status == CallStatus.PUBLISHED
    batch = Batch.objects.get(year=2031)
    assert batch.is_published and "现予公布" in batch.source_text
    items = Client().get("/api/pilots/?batch=2031").json()["items"]
    assert [item["name"] for item in items] == ["唐山市曹妃甸区"]


def test_annex_cannot_be_edited_by_hand(flow: Flow) -> None:
    approved(flow)
    call = closed(flow)
    call = services.finalise_call(call, actor=flow.users["ministry"], expected_version=call.row_version)
    forged = call.list_notice_text.replace("唐山市曹妃甸区\n", "唐山市曹妃甸区、石家庄市\n")
    with pytest.raises(ValidationFailed, match="附件名单与已批准的试点不一致"):
        services.update_list_notice(call, actor=flow.users["ministry"], expected_version=call.row_version, text=forged)


def test_finalise_waits_for_pending_decisions(flow: Flow) -> None:
    approved(flow)
    flow.submitted(applicant=flow.world.pilot_b, area_name="阳泉市", user="other_pilot")
    call = closed(flow)
    with pytest.raises(InvalidTransition, match="未作出决定") as refused:
        services.finalise_call(call, actor=flow.users["ministry"], expected_version=call.row_version)
    assert refused.value.details["pending"] == ["阳泉市"]
    assert not Batch.objects.filter(year=2031).exists()


def test_finalise_refuses_an_existing_batch_year(flow: Flow) -> None:
    approved(flow)
    call = closed(flow)
    Batch.objects.create(year=2031, source_sha256="x" * 64)
    with pytest.raises(InvalidTransition, match="已在名单中"):
        services.finalise_call(call, actor=flow.users["ministry"], expected_version=call.row_version)


def test_a_failed_finalisation_leaves_nothing_behind(flow: Flow) -> None:
    app = approved(flow)
    from citypilot.accounts import services as accounts
    from citypilot.accounts.choices import OrganisationKind

    accounts.create_organisation(
        actor=None,
        kind=OrganisationKind.PILOT,
        code=pilot_organisation_code(2031, "唐山市曹妃甸区"),
        name="另一机构",
        parent=flow.world.province_a,
    )
    call = closed(flow)
    with pytest.raises(InvalidTransition, match="已被“另一机构”使用"):
        services.finalise_call(call, actor=flow.users["ministry"], expected_version=call.row_version)
    app.refresh_from_db()
    call.refresh_from_db()
    assert (
        app.applicant.code == "t-pilot-a"
        and call.status == CallStatus.CLOSED
        and app.status == ApplicationStatus.APPROVED
    )
    assert not Batch.objects.filter(year=2031).exists()
