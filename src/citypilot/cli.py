"""The ``citypilot`` command: every manage.py command plus the project's own (demo, serve, ...)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citypilot.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    args = list(argv if argv is not None else sys.argv[1:])
    if args and not args[0].startswith("-"):
        # Commands are files named import_notice.py; the CLI also takes the spelling import-notice.
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["citypilot", *args])


if __name__ == "__main__":
    main()
