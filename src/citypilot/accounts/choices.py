from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    MINISTRY = "ministry", _("部级试点办公室")
    PROVINCE = "province", _("省级住房城乡建设主管部门")
    PILOT = "pilot", _("试点政府")
    EXPERT_PANEL = "expert_panel", _("专家组")


class Role(models.TextChoices):
    MINISTRY_OFFICER = "ministry_officer", _("部试点办工作人员")
    PROVINCIAL_OFFICER = "provincial_officer", _("省级主管部门工作人员")
    PILOT_OFFICER = "pilot_officer", _("试点政府工作人员")
    EXPERT_REVIEWER = "expert_reviewer", _("评审专家")
    OBSERVER = "observer", _("观察员（只读）")


# Which role may be held in which kind of organisation; an observer may sit anywhere.
ROLE_ORGANISATION_KINDS: dict[str, set[str]] = {
    Role.MINISTRY_OFFICER: {OrganisationKind.MINISTRY},
    Role.PROVINCIAL_OFFICER: {OrganisationKind.PROVINCE},
    Role.PILOT_OFFICER: {OrganisationKind.PILOT},
    Role.EXPERT_REVIEWER: {OrganisationKind.EXPERT_PANEL},
    Role.OBSERVER: set(OrganisationKind.values),
}


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"
