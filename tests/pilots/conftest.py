"""Fixtures for the pilot registry: the seed notice and an imported 2013 batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from citypilot.notices.services import ImportReport, import_notice
from citypilot.pilots.models import Batch

SEED_PATH = Path(__file__).resolve().parents[2] / "src" / "citypilot" / "notices" / "fixtures" / "notice_2013.txt"
SEED_BYTES = SEED_PATH.read_bytes()
SEED_TEXT = SEED_BYTES.decode("utf-8")


@pytest.fixture
def imported(world: Any) -> ImportReport:
    """The 2013 notice imported by the ministry officer, not published."""
    return import_notice(SEED_BYTES, filename="notice_2013.txt", actor=world.users["ministry"])


@pytest.fixture
def batch_2013(imported: ImportReport) -> Batch:
    return Batch.objects.get(year=2013)
