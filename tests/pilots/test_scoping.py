"""Who sees which registry rows (no endpoint exists yet, so visible_to is tested directly)."""

from __future__ import annotations

from typing import Any

import pytest

from citypilot.accounts.services import grant_membership
from citypilot.divisions.models import Division
from citypilot.notices.services import ImportReport
from citypilot.pilots.models import Batch, BatchDeadline, ExtensionArea, ExtensionLine, Pilot, Section
from citypilot.pilots.services import set_batch_published
from tests.conftest import World, make_user

pytestmark = pytest.mark.django_db

HEBEI = {"唐山市曹妃甸区", "唐山市滦南县", "保定市博野县"}
SHANXI = {"阳泉市", "大同市城区", "晋城市", "朔州市怀仁县"}


def _names(user: Any) -> set[str]:
    return set(Pilot.objects.visible_to(user).filter(batch__year=2013).values_list("name", flat=True))


def test_unpublished_batch_is_invisible_to_the_public_and_other_provinces(world: World, imported: Any) -> None:
    assert _names(None) == set()
    assert not Batch.objects.visible_to(None).exists()
    assert not Section.objects.visible_to(None).exists()
    assert not BatchDeadline.objects.visible_to(None).exists()
    assert not ExtensionLine.objects.visible_to(None).exists()
    assert not ExtensionArea.objects.visible_to(None).exists()
    assert _names(world.users["own_province"]) == HEBEI
    assert _names(world.users["observer"]) == HEBEI
    assert _names(world.users["other_province"]) == SHANXI
    assert _names(world.users["expert"]) == set()
    assert len(_names(world.users["ministry"])) == 103
    assert Batch.objects.visible_to(world.users["own_province"]).filter(year=2013).exists()
    assert not Batch.objects.visible_to(world.users["expert"]).exists()


def test_pilot_officer_sees_own_pilot(world: World, imported: ImportReport) -> None:
    pilot = Pilot.objects.get(batch__year=2013, name="唐山市曹妃甸区")
    officer = make_user("t-caofeidian")
    grant_membership(actor=None, user=officer, organisation=pilot.organisation, role="pilot_officer")
    assert _names(officer) == {"唐山市曹妃甸区"}


def test_published_batch_is_public(world: World, imported: ImportReport) -> None:
    set_batch_published(Batch.objects.get(year=2013), actor=world.users["ministry"], published=True)
    assert len(_names(None)) == 103
    assert ExtensionLine.objects.visible_to(None).count() == 6
    assert ExtensionArea.objects.visible_to(None).count() == 10
    assert Section.objects.visible_to(None).count() == 3
    assert Batch.objects.visible_to(None).filter(year=2013).exists()


def test_only_ministry_publishes(world: World, imported: ImportReport) -> None:
    from citypilot.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        set_batch_published(Batch.objects.get(year=2013), actor=world.users["own_province"], published=True)
    assert not Batch.objects.get(year=2013).is_published


def test_divisions_are_public_reference_data(world: World, imported: ImportReport) -> None:
    total = Division.objects.count()
    assert total > 6000
    for who in (None, world.users["expert"], world.users["pilot"]):
        assert Division.objects.visible_to(who).count() == total
