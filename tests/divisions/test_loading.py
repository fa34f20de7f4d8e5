"""Loading the packaged division table into the database."""

from __future__ import annotations

import pytest

from citypilot.audit.models import AuditEntry
from citypilot.divisions.models import Division, ReferenceDataset
from citypilot.divisions.services import ensure_divisions_loaded, reference_csv_sha256

pytestmark = pytest.mark.django_db


def test_loads_once_and_reloads_when_out_of_date() -> None:
    loaded = ensure_divisions_loaded()
    assert loaded == Division.objects.count() == 6823
    dataset = ReferenceDataset.objects.get()
    assert (dataset.sha256, dataset.rows) == (reference_csv_sha256(), 6823)
    assert ensure_divisions_loaded() == 0
    assert AuditEntry.objects.filter(action="divisions.load").count() == 1
    ReferenceDataset.objects.update(sha256="0" * 64)
    assert ensure_divisions_loaded() == 6823
    assert Division.objects.count() == 6823
    Division.objects.filter(code="110101").delete()
    assert ensure_divisions_loaded() == 6823
    assert AuditEntry.objects.filter(action="divisions.load").count() == 3


def test_rows_keep_history_and_successors() -> None:
    ensure_divisions_loaded()
    chengqu = Division.objects.get(code="140202", valid_from_year__lte=2013, valid_to_year__gt=2013)
    assert (chengqu.name, chengqu.full_name) == ("城区", "大同市城区")
    assert [code for code, _year in chengqu.successors] == ["140213", "140214"]
    linzhi = Division.objects.get(code="542600")
    assert linzhi.successors == [["540400", 2015]]
