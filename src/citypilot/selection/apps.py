from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelectionConfig(AppConfig):
    name = "citypilot.selection"
    label = "selection"
    verbose_name = _("试点申报与评审")

    def ready(self) -> None:
        from .worklist import register_worklist_provider

        register_worklist_provider()
