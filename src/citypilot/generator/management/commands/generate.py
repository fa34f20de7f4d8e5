from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citypilot.generator.runner import generate


class Command(BaseCommand):
    help = (
        "Fill the database with deterministic, believable national-scale data on top of the real 2013 batch: "
        "at scale 1 300 pilots, 2,000 users, 20,000 documents, 200,000 audit entries (scale 10: ten times that)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="1 = 300 pilots ... 200,000 audit entries")
        parser.add_argument("--seed", type=int, default=2013)
        parser.add_argument("--json", action="store_true", help="print the counts and timings as JSON at the end")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] <= 0:
            raise CommandError("--scale must be positive")
        ctx = generate(scale=options["scale"], seed=options["seed"], log=self.stdout.write)
        if options["json"]:
            self.stdout.write(
                json.dumps({"scale": ctx.scale, "seed": ctx.seed, "made": ctx.made, "seconds": ctx.timings})
            )
