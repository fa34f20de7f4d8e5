from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoundsConfig(AppConfig):
    name = "citypilot.rounds"
    label = "rounds"
    verbose_name = _("实施方案与任务书报送")

    def ready(self) -> None:
        from citypilot.web import worklist

        from .selectors import work_items

        worklist.register(work_items)
