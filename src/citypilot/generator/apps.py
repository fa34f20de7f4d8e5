from django.apps import AppConfig


class GeneratorConfig(AppConfig):
    name = "citypilot.generator"
    label = "generator"
    verbose_name = "Data generator and benchmark support"

    def ready(self) -> None:
        from django.conf import settings

        from .middleware import MIDDLEWARE_PATH, enabled

        # Benchmark mode only (an environment variable of the server): report SQL queries per request.
        if enabled() and MIDDLEWARE_PATH not in settings.MIDDLEWARE:
            settings.MIDDLEWARE = [MIDDLEWARE_PATH, *settings.MIDDLEWARE]
