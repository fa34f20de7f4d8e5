from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from citypilot.rounds.clock import SHANGHAI
from citypilot.rounds.services import send_due_reminders
from citypilot.rounds.tasks import send_reminders_task


class Command(BaseCommand):
    help = (
        "Send the deadline reminders due today for every open plan/task-book round (in-app and e-mail). "
        "Idempotent: a reminder already sent to a recipient is not sent again. Run it daily from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--round", type=int, dest="round_id", help="Only this round.")
        parser.add_argument("--now", help="Pretend it is this moment (ISO 8601; Beijing time if no offset).")
        parser.add_argument("--enqueue", action="store_true", help="Queue the work for the background worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = send_reminders_task.enqueue()
            self.stdout.write(f"Queued reminder task {result.id}.")
            return
        now = timezone.now()
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError as error:
                raise CommandError(f"--now: {error}") from error
            if timezone.is_naive(now):
                now = now.replace(tzinfo=SHANGHAI)
        report = send_due_reminders(now=now, round_id=options["round_id"], source="cli")
        self.stdout.write(
            self.style.SUCCESS(
                f"Reminders: {report.sent} sent, {report.skipped} already sent before, {report.rounds} round(s) due."
            )
        )
