"""Task entry points run by the worker (`citypilot db_worker`); cron calls `citypilot send-reminders`."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .services import send_due_reminders


@task()
def send_reminders_task() -> dict[str, Any]:
    report = send_due_reminders(source="task")
    return {"rounds": report.rounds, "sent": report.sent, "skipped": report.skipped}
