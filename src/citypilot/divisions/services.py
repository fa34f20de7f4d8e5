"""Loading the GB/T 2260 reference table into the database."""

from __future__ import annotations

import hashlib
from importlib.resources import files

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citypilot.audit.services import record

from .models import Division, ReferenceDataset
from .reference import load_reference

DATASET_NAME = "gb2260-areacodes"


def reference_csv_sha256() -> str:
    data = files("citypilot.divisions").joinpath("data", "areacodes.csv").read_bytes()
    return hashlib.sha256(data).hexdigest()


@transaction.atomic
def ensure_divisions_loaded(*, source: str = "reference-data") -> int:
    """Load ``data/areacodes.csv`` when the table is empty or holds another version of it.

    Compares the file's SHA-256 and the row count with the stored ``ReferenceDataset``; when they
    match, nothing is written. Otherwise every division row is replaced in one transaction and one
    audit entry is written. Returns the number of rows loaded (0 when already up to date).
    """
    sha = reference_csv_sha256()
    dataset = ReferenceDataset.objects.select_for_update().filter(name=DATASET_NAME).first()
    if dataset is not None and dataset.sha256 == sha and Division.objects.count() == dataset.rows:
        return 0
    index = load_reference()
    rows = [
        Division(
            code=r.code,
            name=r.name,
            level=r.level,
            province_name=r.province_name,
            prefecture_name=r.prefecture_name or "",
            status=r.status,
            valid_from_year=r.valid_from_year,
            valid_to_year=r.valid_to_year,
            successors=[[s.code, s.year] for s in index.successors_of(r)],
        )
        for r in index.records
    ]
    before = {"sha256": dataset.sha256, "rows": dataset.rows} if dataset is not None else None
    Division.objects.all().delete()
    Division.objects.bulk_create(rows, batch_size=1000)
    dataset, _created = ReferenceDataset.objects.update_or_create(
        name=DATASET_NAME, defaults={"sha256": sha, "rows": len(rows), "loaded_at": timezone.now()}
    )
    record(
        actor=None,
        action="divisions.load",
        obj=dataset,
        before=before,
        after={"sha256": sha, "rows": len(rows)},
        reason=_("加载行政区划参考数据"),
        source=source,
    )
    return len(rows)
