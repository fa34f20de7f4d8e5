""" "My tasks": what waits for a user, gathered from every domain app.

Each app registers a provider (``register(provider)``, usually in its ``AppConfig.ready``): a
function ``provider(user, principal) -> Iterable[WorkItem]``. ``items_for(user)`` asks every
provider and returns the items, the nearest due date first. The web layer owns no business rules:
each provider decides what its own app's users must do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from citypilot.accounts.principals import Principal, principal_of


@dataclass(frozen=True)
class WorkItem:
    title: str
    action: str  # what to do, e.g. "接收评审"
    url: str
    category: str  # which process, e.g. "实施方案与任务书"
    due: datetime | None = None
    overdue: bool = False
    detail: str = ""


Provider = Callable[[Any, Principal], Iterable[WorkItem]]
_providers: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    """Add a provider; registering the same function again replaces it (safe on reload)."""
    _providers[f"{provider.__module__}.{provider.__qualname__}"] = provider
    return provider


def providers() -> list[Provider]:
    return list(_providers.values())


def items_for(user: Any) -> list[WorkItem]:
    principal = principal_of(user)
    if not principal.is_authenticated:
        return []
    items = [item for provider in providers() for item in provider(user, principal)]
    return sorted(items, key=lambda item: (item.due.timestamp() if item.due else float("inf"), item.title))
