from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from citypilot.accounts.choices import Role
from citypilot.pilots.models import Batch
from citypilot.rounds.demo import seed_demo_reminders, seed_demo_round
from citypilot.selection.demo import seed_demo_selection
from citypilot.web.demo import CAOFEIDIAN_ORGANISATION, DEMO_PASSWORD, seed_demo_accounts


class Command(BaseCommand):
    help = (
        "Bring up a demo platform: migrate the database, load reference data and demo accounts, "
        "start a background worker and serve the web UI."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Prepare the data, then stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        accounts = seed_demo_accounts()
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD}):"))
        for account in accounts:
            self.stdout.write(f"  {account.username:<12} {Role(account.role).label:<20} {account.display_name}")
        for batch in Batch.objects.filter(is_published=True).exclude(source_sha256="").order_by("year"):
            self.stdout.write(
                f"Pilot registry: {batch.year} batch, {batch.pilots.filter(is_placeholder=False).count()} pilots."
            )
        demo_call = seed_demo_selection(password=DEMO_PASSWORD)
        if demo_call is not None:
            self.stdout.write(
                f"Selection (DEMO DATA): {demo_call.year} call at /selection/calls/{demo_call.pk}/; "
                "applicant accounts zhengding, luquan, xingtai, yuncheng, xinzhou"
            )
        demo_round = seed_demo_round(caofeidian_organisation=CAOFEIDIAN_ORGANISATION)
        seed_demo_reminders()
        if demo_round is not None:
            self.stdout.write(f"Plan/task-book round (DEMO DATA): {demo_round.title}, /rounds/{demo_round.pk}/")
        if options["no_serve"]:
            return
        worker = subprocess.Popen([sys.executable, "-m", "citypilot", "db_worker"])
        self.stdout.write(f"Background worker started (pid {worker.pid}).")
        self.stdout.write(self.style.SUCCESS(f"Open http://{options['addrport']}/ and log in."))
        try:
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
