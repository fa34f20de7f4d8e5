"""The selection workflow's entries in "我的任务" (registered when the web work list exists)."""

from __future__ import annotations

import importlib


def register_worklist_provider() -> None:
    try:
        worklist = importlib.import_module("citypilot.web.worklist")
    except ImportError:
        return
    from .tasks import selection_tasks

    worklist.register(selection_tasks)
