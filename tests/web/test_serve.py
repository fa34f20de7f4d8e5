"""``citypilot serve``: the gunicorn command line it runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from citypilot.web.management.commands import serve


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ["--workers", "2", "--access-logfile", "-"]),
        ({"workers": 3, "threads": 4}, ["--workers", "3", "--worker-class", "gthread", "--threads", "4"]),
        ({"threads": 1}, ["--workers", "2", "--access-logfile", "-"]),
    ],
)
def test_serve_runs_gunicorn(options: dict[str, Any], expected: list[str], monkeypatch: Any) -> None:
    calls: list[list[str]] = []
    monkeypatch.delenv("CITYPILOT_THREADS", raising=False)
    monkeypatch.delenv("CITYPILOT_WORKERS", raising=False)
    monkeypatch.setattr(serve, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append(argv))
    call_command("serve", bind="127.0.0.1:0", **options)
    (argv,) = calls
    assert argv[1:4] == ["-m", "gunicorn", "citypilot.wsgi:application"]
    joined = " ".join(argv)
    assert " ".join(expected) in joined
    assert ("gthread" in joined) == (options.get("threads", 1) > 1)
