from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .worklist import items_for


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """我的任务: every item that waits for the signed-in user, from every registered process."""
    return render(request, "web/my_tasks.html", {"items": items_for(request.user)})
