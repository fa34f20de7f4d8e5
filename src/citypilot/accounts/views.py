from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citypilot.audit.models import AuditEntry
from citypilot.core.errors import ServiceError
from citypilot.core.views import ScopedDetailView, ScopedListView

from . import services
from .choices import Language, OrganisationKind, Role
from .forms import OrganisationForm, TokenForm
from .models import ApiToken, Membership, Organisation
from .principals import principal_of


class OrganisationListView(ScopedListView):
    model = Organisation
    select_related = ("parent",)
    template_name = "accounts/organisation_list.html"

    def get_queryset(self) -> Any:
        queryset = super().get_queryset().in_directory_order()
        kind = self.request.GET.get("kind", "")
        if kind in OrganisationKind.values:
            queryset = queryset.filter(kind=kind)
        if q := self.request.GET.get("q", "").strip():
            queryset = queryset.filter(name__icontains=q)
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            kinds=OrganisationKind.choices,
            kind=self.request.GET.get("kind", ""),
            q=self.request.GET.get("q", ""),
            **kwargs,
        )


class OrganisationDetailView(ScopedDetailView):
    model = Organisation
    select_related = ("parent",)
    template_name = "accounts/organisation_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        org = self.object
        principal = principal_of(self.request.user)
        children = Organisation.objects.visible_to(self.request.user).filter(parent=org).order_by("code")
        members = (
            Membership.objects.visible_to(self.request.user)
            .filter(organisation=org)
            .select_related("user")
            .order_by("role", "user__username")
        )
        return super().get_context_data(
            children=children,
            members=members if principal.is_authenticated else Membership.objects.none(),
            history=AuditEntry.objects.visible_to(self.request.user).for_object(org),
            can_edit=principal.has_role(Role.MINISTRY_OFFICER),
            **kwargs,
        )


@login_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(Organisation.objects.visible_to(request.user), pk=pk)
    if not principal_of(request.user).has_role(Role.MINISTRY_OFFICER):
        raise DjangoPermissionDenied
    form = OrganisationForm(request.POST or None, instance=org, initial={"expected_version": org.row_version})
    status = 200
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.update_organisation(
                Organisation.objects.get(pk=pk),
                actor=request.user,
                expected_version=form.cleaned_data["expected_version"],
                changes=changes,
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            form.add_error(None, str(error.message))
            status = error.status
        else:
            messages.success(request, _("已保存。"))
            return redirect("accounts:organisation-detail", pk=pk)
    elif request.method == "POST":
        status = 422
    return render(request, "accounts/organisation_form.html", {"form": form, "object": org}, status=status)


class TokenListView(LoginRequiredMixin, ScopedListView):
    model = ApiToken
    template_name = "accounts/token_list.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("-created_at")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(form=TokenForm(), **kwargs)


@login_required
@require_POST
def token_issue(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写令牌用途。"))
        return redirect("accounts:token-list")
    token, key = services.issue_api_token(request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
    return render(request, "accounts/token_issued.html", {"token": token, "key": key}, status=201)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.visible_to(request.user), pk=pk)
    services.revoke_api_token(token, actor=request.user)
    messages.success(request, _("令牌已吊销。"))
    return redirect("accounts:token-list")


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the account, or in a cookie for visitors."""
    language = request.POST.get("language", "")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("home")
    response = HttpResponseRedirect(target)
    if language not in Language.values:
        messages.error(request, _("不支持的语言。"))
        return response
    if request.user.is_authenticated:
        services.set_language(request.user, language=language)
    translation.activate(language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response
