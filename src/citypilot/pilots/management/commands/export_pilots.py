from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandParser

from citypilot.pilots import exports
from citypilot.pilots.models import ExtensionArea, Pilot


class Command(BaseCommand):
    help = "Export the pilot registry as CSV, XLSX or GeoJSON (one row per entry and per extension area)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "xlsx", "geojson"], default="csv")
        parser.add_argument("--batch", type=int, help="Only this batch year.")
        parser.add_argument("-o", "--output", help="File to write (default: standard output; required for xlsx).")
        parser.add_argument(
            "--all", action="store_true", help="Include unpublished batches (default: published ones only)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The command line runs with the operator's database access; by default it exports what the public sees.
        pilots = Pilot.objects.all() if options["all"] else Pilot.objects.visible_to(AnonymousUser())
        areas = ExtensionArea.objects.all() if options["all"] else ExtensionArea.objects.visible_to(AnonymousUser())
        rows = exports.export_rows(pilots.select_related("batch", "section"), areas, batch_year=options["batch"])
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx":
            if not output:
                self.stderr.write("--output is required for xlsx")
                sys.exit(2)
            with Path(output).open("wb") as handle:
                exports.write_xlsx(rows, handle)
            return
        if output:
            with Path(output).open("w", encoding="utf-8", newline="") as handle:
                (exports.write_csv if fmt == "csv" else exports.write_geojson)(rows, handle)
            return
        (exports.write_csv if fmt == "csv" else exports.write_geojson)(rows, self.stdout)
