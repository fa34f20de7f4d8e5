"""Infrastructure shared by every domain app: base models and the scoped queryset.

No business rules live here. A domain model subclasses ``TimeStampedModel`` and gives its manager a
``ScopedQuerySet`` subclass, so that every view and API endpoint reads it through ``visible_to(user)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from citypilot.accounts.principals import Principal


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class ScopedQuerySet(models.QuerySet[Any]):
    """A queryset that knows who may see which rows.

    Subclasses name the organisation that owns a row (``scope_field``) and, when the public may see
    some rows, the boolean field that publishes them (``public_field``). Models whose visibility is
    not "owned by an organisation" override ``for_principal``.
    """

    scope_field: str = "organisation"
    public_field: str | None = None

    def visible_to(self, user: Any) -> Self:
        from citypilot.accounts.principals import principal_of

        return self.for_principal(principal_of(user))

    def for_principal(self, principal: Principal) -> Self:
        if principal.sees_everything:
            return self.all()
        condition = Q(pk__in=[])
        if principal.is_authenticated:
            condition |= Q(**{f"{self.scope_field}__in": principal.visible_org_ids})
        if self.public_field:
            condition |= Q(**{self.public_field: True})
        return self.filter(condition)
