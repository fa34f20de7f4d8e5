from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from citypilot.pilots.map import fill_missing_coordinates


class Command(BaseCommand):
    help = (
        "Fill missing coordinates of pilots and extension areas from their division's centre point "
        "(own point, successor, prefecture or province). Rows already placed are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, help="Only this batch year.")

    def handle(self, *args: Any, **options: Any) -> None:
        count = fill_missing_coordinates(options["batch"], source="cli")
        self.stdout.write(_("已补充 %(count)s 条记录的坐标。") % {"count": count})
