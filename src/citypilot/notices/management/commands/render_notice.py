"""``citypilot render-notice --batch YEAR``: print a batch's annex list from the registry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from citypilot.pilots.models import Batch
from citypilot.pilots.selectors import render_batch_annex


class Command(BaseCommand):
    help = "Print the pilot list of an imported batch in the notice's own form."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, required=True, help="The batch year, e.g. 2013.")

    def handle(self, *args: Any, **options: Any) -> None:
        batch = Batch.objects.filter(year=options["batch"]).first()
        if batch is None or not batch.is_imported:
            raise CommandError(_("没有已导入的 %(year)s 年度批次。") % {"year": options["batch"]})
        self.stdout.write(render_batch_annex(batch), ending="")
