"""``citypilot import-notice PATH [--dry-run] [--publish]``: import a pilot-list notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from citypilot.core.errors import ValidationFailed
from citypilot.notices.services import import_notice


class Command(BaseCommand):
    help = "Import a MOHURD pilot-list notice (UTF-8/GB18030 text or .docx) into the pilot registry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The notice: a text file (UTF-8 or GB18030) or a .docx file.")
        parser.add_argument("--dry-run", action="store_true", help="Compare with the registry; write nothing.")
        parser.add_argument("--publish", action="store_true", help="Publish the batch (make it public).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(_("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": error}) from error
        try:
            report = import_notice(
                data,
                filename=path.name,
                actor=None,
                apply=not options["dry_run"],
                publish=options["publish"],
                source_label="cli",
            )
        except ValidationFailed as error:
            raise CommandError(str(error.message)) from error
        for line in report.lines():
            self.stdout.write(line)
