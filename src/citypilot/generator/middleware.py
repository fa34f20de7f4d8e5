"""Benchmark mode only: count the SQL queries of each request and report them in ``X-Query-Count``.

Installed by ``GeneratorConfig.ready`` when ``CITYPILOT_BENCHMARK_QUERY_COUNT=1`` is set in the server's
environment (never otherwise). It counts with ``connection.execute_wrapper``, so it works with
``DEBUG=False``. For a streamed response, the queries run while streaming are not in the header.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

ENV_FLAG = "CITYPILOT_BENCHMARK_QUERY_COUNT"
MIDDLEWARE_PATH = "citypilot.generator.middleware.QueryCountMiddleware"


def enabled() -> bool:
    return os.environ.get(ENV_FLAG, "") == "1"


class QueryCountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counter(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response
