from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from citypilot.accounts.principals import principal_of

from .navigation import items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    principal = principal_of(getattr(request, "user", None))
    return {"nav_items": items_for(principal), "principal": principal}
