from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class UserLocaleMiddleware(LocaleMiddleware):
    """Django's locale selection, then the signed-in user's own choice (zh-Hans unless they chose English).

    The language is deactivated after the response, so nothing outside a request inherits it.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response = super().process_response(request, response)
        translation.deactivate()
        return response
