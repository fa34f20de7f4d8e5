from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from citypilot.accounts.choices import Role
from citypilot.accounts.models import Membership, Organisation, User
from citypilot.accounts.principals import principal_of
from citypilot.core.views import estimated_count
from citypilot.documents.models import Document
from citypilot.jobs.models import Job
from citypilot.pilots.models import Pilot


def home(request: HttpRequest) -> HttpResponse:
    """A home page per role: what this user is responsible for and where to go next."""
    principal = principal_of(request.user)
    context: dict[str, Any] = {"principal": principal}
    if principal.is_authenticated:
        context["memberships"] = (
            Membership.objects.filter(user=cast(User, request.user)).select_related("organisation").order_by("pk")
        )
        context["documents"] = (
            Document.objects.visible_to(request.user).select_related("organisation").order_by("-created_at")[:8]
        )
        # Unfiltered (the ministry) over a very large table: the planner's estimate, shown as "约 N".
        context["document_count"], context["document_count_exact"] = estimated_count(
            Document.objects.visible_to(request.user)
        )
        context["organisation_count"] = Organisation.objects.visible_to(request.user).count()
        context["pilot_count"] = Pilot.objects.visible_to(request.user).filter(is_placeholder=False).count()
        if principal.has_role(Role.MINISTRY_OFFICER):
            context["recent_jobs"] = Job.objects.visible_to(request.user)[:5]
        context["home_role"] = _home_role(principal.roles)
    else:
        context["public_documents"] = (
            Document.objects.visible_to(request.user).select_related("organisation").order_by("-created_at")[:8]
        )
    return render(request, "web/home.html", context)


ROLE_ORDER = (
    Role.MINISTRY_OFFICER,
    Role.PROVINCIAL_OFFICER,
    Role.PILOT_OFFICER,
    Role.EXPERT_REVIEWER,
    Role.OBSERVER,
)


def _home_role(roles: frozenset[str]) -> str:
    return next((role for role in ROLE_ORDER if role in roles), Role.OBSERVER)


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": _("登录")}
