"""The one base for HTML views: every read goes through the model's ``visible_to`` scope."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import EmptyPage, InvalidPage, PageNotAnInteger, Paginator
from django.core.paginator import Page as DjangoPage
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import cached_property
from django.views.generic import DetailView, ListView

from .errors import ServiceError


class ScopedMixin:
    """Restrict ``get_queryset`` to what the requesting user may see. Never bypass it."""

    model: Any
    request: HttpRequest
    select_related: tuple[str, ...] = ()

    def get_queryset(self) -> Any:
        queryset = self.model.objects.visible_to(self.request.user)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset


#: Tables with at least this many rows (by the planner's statistics) get an estimated total.
ESTIMATE_MIN_ROWS = 100_000


def estimated_count(queryset: Any) -> tuple[int, bool]:
    """``(count, exact)``: the planner's row estimate for an unfiltered scan of a very large PostgreSQL
    table, else the exact ``COUNT(*)``. Always one query, whatever the size of the table."""
    query = queryset.query
    database = connections[queryset.db]
    unfiltered = (
        not query.where
        and not query.distinct
        and not query.combinator
        and query.low_mark == 0
        and query.high_mark is None
        and not query.annotations
        and not query.extra
    )
    if database.vendor != "postgresql" or not unfiltered:
        return queryset.count(), True
    table = database.ops.quote_name(queryset.model._meta.db_table)
    with database.cursor() as cursor:
        # The scalar sub-query is an init plan: PostgreSQL runs the exact COUNT(*) only when needed.
        cursor.execute(
            f"SELECT CASE WHEN c.reltuples >= %s THEN c.reltuples::bigint ELSE (SELECT COUNT(*) FROM {table}) END, "  # noqa: S608
            "c.reltuples >= %s FROM pg_class c WHERE c.oid = %s::regclass",
            [ESTIMATE_MIN_ROWS, ESTIMATE_MIN_ROWS, table],
        )
        count, estimated = cursor.fetchone()
    return int(count), not estimated


class LookaheadPage(DjangoPage):
    """A page that knows whether a next one exists by having read one row more than it shows."""

    def __init__(self, object_list: Any, number: int, paginator: Any, has_next: bool) -> None:
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class LookaheadPaginator(Paginator):
    """Pages read ``per_page + 1`` rows (no ``COUNT(*)`` needed for "next"); the total, if shown, comes
    from ``estimated_count``. ``with_total = False``: no total at all, next/previous only.

    The page query is the only query when there is no total. A page past the end is a 404, as with
    Django's paginator; with an estimated total a page past the estimate still shows if it has rows."""

    with_total = True

    def validate_number(self, number: Any) -> int:
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(str(error)) from error
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number

    def page(self, number: Any) -> LookaheadPage:
        number = self.validate_number(number)
        if self.with_total:
            _ = self._count  # counted whether or not the template shows it: a fixed number of queries
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        return LookaheadPage(rows[: self.per_page], number, self, len(rows) > self.per_page)

    @cached_property
    def _count(self) -> tuple[int, bool]:
        return estimated_count(self.object_list)

    @cached_property
    def count(self) -> int:
        if not self.with_total:
            raise InvalidPage("This list is paginated without a total.")
        return self._count[0]

    @cached_property
    def num_pages(self) -> int:
        return super().num_pages if self.with_total else 0  # no total: "?page=last" is a 404

    @property
    def count_is_estimate(self) -> bool:
        """The template shows an estimated total as "约 N 条"."""
        return not self._count[1]

    @property
    def no_total(self) -> bool:
        return not self.with_total


class NoTotalPaginator(LookaheadPaginator):
    """Next/previous only; never counts (lists over millions of rows: the audit log)."""

    with_total = False


class ScopedListView(ScopedMixin, ListView[Any]):
    paginate_by = 50


class ScopedDetailView(ScopedMixin, DetailView[Any]):
    pass


def service_error_response(
    request: HttpRequest, error: ServiceError, template: str, context: dict[str, Any]
) -> HttpResponse:
    """Re-render a form page with the service's translated reason and a fitting status."""
    messages.error(request, str(error.message))
    return render(request, template, {**context, "service_error": error}, status=error.status)
