"""The generator at a tiny scale: the counts it promises, a valid audit chain, the same data for the same seed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from citypilot.accounts.models import Membership, Organisation, User
from citypilot.audit.models import AuditEntry
from citypilot.audit.services import verify_chain
from citypilot.documents.models import Document, DocumentVersion
from citypilot.generator.core import TIMELINE_END, Targets
from citypilot.generator.runner import generate
from citypilot.pilots.models import Batch, Pilot

pytestmark = pytest.mark.django_db

SCALE = 0.01


def test_targets_scale_linearly() -> None:
    national = Targets.for_scale(10)
    assert national.pilots >= 3000 and national.users == 20_000 and national.documents == 200_000
    assert national.audit_entries == 2_000_000 and national.submissions == 100_000


def test_generate_makes_what_it_promises_with_a_valid_chain() -> None:
    call_command("generate", "--scale", str(SCALE), "--seed", "7", stdout=open("/dev/null", "w"))  # noqa: SIM115
    targets = Targets.for_scale(SCALE)
    years = set(Batch.objects.filter(pilots__isnull=False).values_list("year", flat=True))
    assert years == {2012, 2013, 2014, 2015, 2016}
    assert Batch.objects.get(year=2013).is_imported  # the real notice underneath
    assert Pilot.objects.filter(is_placeholder=False).count() >= 103 + 4
    assert Pilot.objects.values("supervising_authority").distinct().count() > 5
    assert User.objects.count() == targets.users
    assert Membership.objects.count() >= targets.users
    assert Organisation.objects.filter(kind="expert_panel").exists()
    assert Document.objects.count() == targets.documents
    assert DocumentVersion.objects.count() >= targets.documents
    assert not Document.objects.filter(current_version__isnull=True).exists()
    assert AuditEntry.objects.count() == targets.audit_entries
    result = verify_chain()
    assert result.ok, result.problem
    assert result.checked == targets.audit_entries


def _snapshot() -> dict[str, Any]:
    return {
        "pilots": list(Pilot.objects.exclude(batch__year=2013).order_by("pk").values_list("name", "kind")),
        "users": list(User.objects.order_by("pk").values_list("display_name", "date_joined")),
        "documents": list(Document.objects.order_by("pk").values_list("title", "kind", "created_at")),
        "actions": list(AuditEntry.objects.filter(at__lte=TIMELINE_END).order_by("seq").values_list("action", "at")),
    }


class Rollback(Exception):
    pass


def test_same_seed_same_data() -> None:
    snapshots = []
    for _ in range(2):
        try:
            with transaction.atomic():
                generate(scale=SCALE / 2, seed=11, log=lambda message: None)
                snapshots.append(_snapshot())
                raise Rollback
        except Rollback:
            pass
    assert snapshots[0] == snapshots[1]
    assert snapshots[0]["documents"]
