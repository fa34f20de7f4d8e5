"""Lists over very large tables: the audit log pages without a total; others may show an estimate."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from citypilot.audit.models import AuditEntry
from citypilot.audit.services import record
from citypilot.core import views as core_views
from citypilot.core.views import LookaheadPaginator, NoTotalPaginator, estimated_count
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _entries(n: int) -> None:
    with transaction.atomic():
        for i in range(n):
            record(actor=None, action="test.page", reason=f"{i}")


def test_audit_log_pages_without_counting(world: World) -> None:
    _entries(120)
    total = AuditEntry.objects.count()
    client = world.client("ministry")
    client.get("/audit/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/audit/").content.decode()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not [sql for sql in counts if "audit_auditentry" in sql]
    assert "第 1 页" in page and "共" not in page.split('class="pagination"')[1]
    assert "page=2" in page and "上一页" not in page
    last = (total + 49) // 50
    page = client.get(f"/audit/?page={last}").content.decode()
    assert "上一页" in page and "下一页" not in page
    assert f"<td>{1}</td>" in page  # the oldest entry is on the last page
    assert client.get(f"/audit/?page={last + 1}").status_code == 404
    assert client.get("/audit/?page=last").status_code == 404
    assert client.get("/audit/?page=0").status_code == 404
    assert client.get("/audit/?page=x").status_code == 404
    filtered = client.get("/audit/?action=test.page&page=2").content.decode()
    assert "action=test.page&amp;page=1" in filtered and "action=test.page&amp;page=3" in filtered


@pytest.mark.parametrize("per_page", [1, 7, 50, 200])
def test_lookahead_pages_match_djangos(per_page: int, world: World) -> None:
    _entries(30)
    queryset = AuditEntry.objects.order_by("-seq")
    total = queryset.count()
    seen = []
    number = 1
    while True:
        page = NoTotalPaginator(queryset, per_page).page(number)
        seen.extend(e.seq for e in page.object_list)
        assert page.has_previous() == (number > 1)
        assert page.end_index() == len(seen)
        if not page.has_next():
            break
        number += 1
    assert seen == list(queryset.values_list("seq", flat=True))
    paginator = LookaheadPaginator(queryset, per_page)
    assert (paginator.count, paginator.count_is_estimate, paginator.num_pages) == (
        total,
        False,
        -(-total // per_page),
    )


def test_exact_count_below_the_threshold_or_when_filtered(world: World) -> None:
    _entries(3)
    assert estimated_count(AuditEntry.objects.all()) == (AuditEntry.objects.count(), True)
    filtered = AuditEntry.objects.filter(action="test.page")
    assert estimated_count(filtered) == (3, True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's")
def test_estimate_of_a_very_large_table_is_the_planners(world: World, monkeypatch: Any) -> None:
    _entries(40)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditentry")
    monkeypatch.setattr(core_views, "ESTIMATE_MIN_ROWS", 10)
    count, exact = estimated_count(AuditEntry.objects.order_by("-seq"))
    assert not exact and count == AuditEntry.objects.count()  # a fresh ANALYZE of a small table is exact
    assert estimated_count(AuditEntry.objects.filter(action="test.page")) == (40, True)
