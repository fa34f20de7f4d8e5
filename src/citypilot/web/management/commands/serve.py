from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve CityPilot with gunicorn (production): collect static files, then run WORKERS workers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("CITYPILOT_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("CITYPILOT_WORKERS", "2")))
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("CITYPILOT_THREADS", "1")),
            help="threads per worker; more than 1 runs gunicorn's gthread workers (overlap database waits)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        gunicorn = [sys.executable, "-m", "gunicorn", "citypilot.wsgi:application"]
        threads = ["--worker-class", "gthread", "--threads", str(options["threads"])] if options["threads"] > 1 else []
        os.execv(  # noqa: S606
            sys.executable,
            [
                *gunicorn,
                "--bind",
                options["bind"],
                "--workers",
                str(options["workers"]),
                *threads,
                "--access-logfile",
                "-",
            ],
        )
