"""The deadline board (counts, fixed query count, filters, exports) and the reminders."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import openpyxl
import pytest
from django.core import mail
from django.core.management import call_command

from citypilot.audit.models import AuditEntry
from citypilot.notifications.models import Notification
from citypilot.rounds import selectors, services
from citypilot.rounds.clock import SHANGHAI
from citypilot.rounds.models import Submission
from tests.conftest import World

from .conftest import BEFORE, DEADLINE, RoundWorld, make_batch, open_round, to_state

pytestmark = pytest.mark.django_db

AFTER = DEADLINE + timedelta(days=10)


def test_counts_per_authority_in_the_database(rw: RoundWorld) -> None:
    to_state(rw.world, rw.own, "returned")
    counts = selectors.board_counts(rw.round, rw.world.users["ministry"], now=AFTER)
    by_authority = {row["pilot__supervising_authority_id"]: row for row in counts}
    a, b = by_authority[rw.world.province_a.pk], by_authority[rw.world.province_b.pk]
    assert (a["total"], a["returned"], a["not_started"], a["overdue"]) == (1, 1, 0, 1)
    assert (b["total"], b["not_started"], b["overdue"]) == (1, 1, 1)
    assert selectors.totals(counts)["total"] == 2
    before = selectors.board_counts(rw.round, rw.world.users["ministry"], now=BEFORE)
    assert sum(row["overdue"] for row in before) == 0


def test_a_province_sees_only_its_pilots_and_another_province_nothing(rw: RoundWorld) -> None:
    users = rw.world.users
    own = selectors.board_counts(rw.round, users["own_province"])
    assert [row["pilot__supervising_authority_id"] for row in own] == [rw.world.province_a.pk]
    assert list(selectors.board_submissions(rw.round, users["own_province"])) == [rw.own]
    assert list(selectors.board_submissions(rw.round, users["pilot"])) == [rw.own]
    assert list(selectors.board_submissions(rw.round, users["expert"])) == []


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("returned", {"own"}),
        ("not_started", {"other"}),
        ("overdue", {"own", "other"}),
        ("late", set()),
        ("", {"own", "other"}),
    ],
)
def test_board_filters(rw: RoundWorld, state: str, expected: set[str]) -> None:
    to_state(rw.world, rw.own, "returned")
    rows = selectors.board_submissions(rw.round, rw.world.users["ministry"], state=state, now=AFTER)
    names = {"own" if s.pk == rw.own.pk else "other" for s in rows}
    assert names == expected
    by_province = selectors.board_submissions(rw.round, rw.world.users["ministry"], province=rw.world.province_b.pk)
    assert [s.pk for s in by_province] == [rw.other.pk]


def test_board_page_costs_a_fixed_number_of_queries(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = open_round(world, make_batch(world, year=2013))
    big = open_round(world, make_batch(world, extra_pilots=12, year=2014))
    client = world.client("ministry")
    counts = []
    for round_ in (small, big):
        client.get(f"/rounds/{round_.pk}/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/rounds/{round_.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts  # 2 pilots or 14: the same number of queries
    assert counts[0] <= 10


def test_board_selectors_query_count(rw: RoundWorld, django_assert_num_queries: Any) -> None:
    user = rw.world.users["ministry"]
    from citypilot.accounts.principals import principal_of

    principal_of(user)
    with django_assert_num_queries(2):
        counts = selectors.board_counts(rw.round, user)
        rows = [
            (s.pilot.name, s.pilot.supervising_authority.name, s.round.deadline)
            for s in selectors.board_submissions(rw.round, user)
        ]
    assert len(counts) == 2 and len(rows) == 2


def test_board_html_shows_states_days_and_demo_flag(rw: RoundWorld) -> None:
    to_state(rw.world, rw.own, "submitted")
    rw.round.is_demo = True
    rw.round.save()
    page = rw.world.client("ministry").get(f"/rounds/{rw.round.pk}/").content.decode()
    assert "唐山市曹妃甸区" in page and "阳泉市" in page
    assert "已超过截止时间" in page  # 2013: truly overdue today
    assert 'data-testid="demo-banner"' in page
    province_page = rw.world.client("own_province").get(f"/rounds/{rw.round.pk}/").content.decode()
    assert "唐山市曹妃甸区" in province_page and "阳泉市" not in province_page
    assert rw.world.client("expert").get(f"/rounds/{rw.round.pk}/").status_code == 404


def test_csv_export_is_streamed_with_chinese_headers(rw: RoundWorld) -> None:
    to_state(rw.world, rw.own, "complete")
    response = rw.world.client("ministry").get(f"/rounds/{rw.round.pk}/export.csv")
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[arg-type]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["省级主管部门", "试点", "状态"]
    assert {row[1] for row in rows[1:]} == {"唐山市曹妃甸区", "阳泉市"}
    complete = next(row for row in rows[1:] if row[1] == "唐山市曹妃甸区")
    assert complete[2].startswith("材料齐全") and complete[4] == "按期办结"
    province = rw.world.client("own_province").get(f"/rounds/{rw.round.pk}/export.csv?state=complete")
    province_text = b"".join(province.streaming_content).decode("utf-8-sig")  # type: ignore[arg-type]
    assert "阳泉市" not in province_text and "唐山市曹妃甸区" in province_text


def test_xlsx_export(rw: RoundWorld) -> None:
    response = rw.world.client("ministry").get(f"/rounds/{rw.round.pk}/export.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[arg-type]
    sheet = workbook.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]  # type: ignore[union-attr]
    assert values[0][0] == "省级主管部门" and len(values) == 3
    assert rw.world.client("ministry").get(f"/rounds/{rw.round.pk}/export.pdf").status_code == 404


def test_board_api(rw: RoundWorld) -> None:
    to_state(rw.world, rw.own, "under_review")
    data = rw.world.client("ministry").get(f"/api/rounds/{rw.round.pk}/board").json()
    assert data["totals"]["under_review"] == 1 and data["totals"]["total"] == 2
    own = rw.world.client("own_province").get(f"/api/rounds/{rw.round.pk}/submissions?state=under_review").json()
    assert [item["pilot_name"] for item in own["items"]] == ["唐山市曹妃甸区"]
    other = rw.world.client("other_province").get(f"/api/rounds/{rw.round.pk}/submissions").json()
    assert [item["pilot_name"] for item in other["items"]] == ["阳泉市"]
    assert rw.world.client("expert").get(f"/api/rounds/{rw.round.pk}/board").status_code == 404


# --- reminders ----------------------------------------------------------------------------------


def test_due_reminder_picks_the_latest_threshold_in_beijing_days(rw: RoundWorld) -> None:
    r = rw.round
    assert services.due_reminder(r, datetime(2013, 8, 1, tzinfo=SHANGHAI)) is None  # 31 days left
    assert services.due_reminder(r, datetime(2013, 8, 25, tzinfo=SHANGHAI)) == ("before-7", 7)
    assert services.due_reminder(r, datetime(2013, 8, 27, tzinfo=SHANGHAI)) == ("before-7", 5)
    assert services.due_reminder(r, datetime(2013, 9, 1, 23, tzinfo=SHANGHAI)) == ("before-1", 0)
    # 16:30 UTC on 1 September is already 2 September in Beijing: one day overdue.
    assert services.due_reminder(r, datetime.fromisoformat("2013-09-01T16:30:00+00:00")) == ("after-1", 1)
    assert services.due_reminder(r, datetime(2025, 1, 1, tzinfo=SHANGHAI))[0] == "after-30"  # type: ignore[index]


def test_reminders_go_to_those_who_have_not_finished_once(rw: RoundWorld, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    w = rw.world
    for who in ("pilot", "other_pilot", "own_province", "other_province"):
        w.users[who].email = f"{who}@example.cn"
        w.users[who].save()
    to_state(w, rw.own, "complete")  # pilot A and province A are done
    now = datetime(2013, 8, 25, 9, tzinfo=SHANGHAI)
    with_commit = services.send_due_reminders(now=now)
    assert with_commit.sent == 2  # pilot B and province B
    recipients = set(Notification.objects.filter(key__startswith="round-").values_list("user__username", flat=True))
    assert recipients == {"t-pilot-b", "t-province-b"}
    assert "还有 7 天" in Notification.objects.get(user=w.users["other_pilot"], key__startswith="round-").text
    again = services.send_due_reminders(now=now + timedelta(hours=5))
    assert (again.sent, again.skipped) == (0, 2)  # idempotent per (round, recipient, reminder day)
    assert Notification.objects.filter(key__startswith="round-").count() == 2
    later = services.send_due_reminders(now=datetime(2013, 8, 29, 9, tzinfo=SHANGHAI))
    assert later.sent == 2 and later.keys == {rw.round.pk: "before-3"}
    assert AuditEntry.objects.filter(action="round.remind").count() == 2


def test_reminder_emails_leave_after_commit(
    rw: RoundWorld, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    rw.world.users["other_pilot"].email = "b@example.cn"
    rw.world.users["other_pilot"].save()
    with django_capture_on_commit_callbacks(execute=True):
        services.send_due_reminders(now=AFTER)
    assert [m.to for m in mail.outbox if "截止提醒" in m.subject] == [["b@example.cn"]]
    assert "已超过截止时间" in mail.outbox[-1].body


def test_send_reminders_command_and_task(rw: RoundWorld, capsys: Any) -> None:
    call_command("send_reminders", "--now", "2013-08-25T09:00:00")
    assert "sent" in capsys.readouterr().out
    first = Notification.objects.count()
    assert first >= 2
    call_command("send_reminders", "--now", "2013-08-25T18:00:00")
    assert Notification.objects.count() == first
    from citypilot.rounds.tasks import send_reminders_task

    result = send_reminders_task.enqueue()  # immediate backend in tests; today: the 2013 round is overdue
    assert result.return_value["rounds"] == 1


def test_closed_rounds_send_nothing(rw: RoundWorld) -> None:
    services.close_round(rw.round, actor=rw.world.users["ministry"], expected_version=rw.round.row_version)
    assert services.send_due_reminders(now=AFTER).sent == 0
    assert Submission.objects.filter(round=rw.round).count() == 2
