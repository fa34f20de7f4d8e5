from django.db import models
from django.utils.translation import gettext_lazy as _


class SectionKind(models.TextChoices):
    NEW = "new", _("新增试点")
    EXTENSION = "extension", _("扩大范围")


class AreaKind(models.TextChoices):
    PREFECTURE_CITY = "prefecture_city", _("地级市")
    COUNTY_CITY = "county_city", _("县级市")
    DISTRICT = "district", _("市辖区")
    COUNTY = "county", _("县")
    TOWN = "town", _("镇、乡")
    SUBDISTRICT = "subdistrict", _("街道")
    REGION = "region", _("地区、自治州、盟")
    DEVELOPMENT_ZONE = "development_zone", _("开发区、园区")
    NEW_AREA = "new_area", _("新区、新城")
    OTHER = "other", _("其他")


class Resolution(models.TextChoices):
    EXACT = "exact", _("名称一致")
    CONTAINING = "containing", _("位于区划境内")
    MANUAL = "manual", _("人工认定")
    UNRESOLVED = "unresolved", _("未能确定")


#: Kinds that are not divisions themselves: a settlement names the division containing them.
NON_DIVISION_KINDS = frozenset(
    {AreaKind.DEVELOPMENT_ZONE, AreaKind.NEW_AREA, AreaKind.TOWN, AreaKind.SUBDISTRICT, AreaKind.OTHER}
)
