from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from citypilot.accounts.choices import OrganisationKind
from citypilot.accounts.models import Organisation, User

from .choices import Dimension


class VersionForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class CallForm(VersionForm):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("通知标题"), max_length=300)
    doc_number = forms.CharField(label=_("文号"), max_length=100, required=False)
    default_quota = forms.IntegerField(label=_("每个省级主管部门推荐名额"), min_value=0, initial=2)
    quota_overrides = forms.CharField(
        label=_("名额调整"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个：机构代码=名额，如 prov-130000=3"),
    )
    dimension_max = forms.IntegerField(label=_("一级指标满分"), min_value=1, initial=25)
    application_deadline = forms.DateField(
        label=_("申报截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    recommendation_deadline = forms.DateField(
        label=_("省级推荐截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    conditions = forms.CharField(
        label=_("申报条件（每行一项）"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    materials = forms.CharField(
        label=_("申报材料（每行一项，均为必交）"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean_quota_overrides(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for line in _lines(self.cleaned_data.get("quota_overrides", "")):
            code, sep, number = line.partition("=")
            organisation = Organisation.objects.filter(code=code.strip(), kind=OrganisationKind.PROVINCE).first()
            if not sep or organisation is None or not number.strip().isdigit():
                raise forms.ValidationError(_("无法识别：%(line)s") % {"line": line})
            result[str(organisation.pk)] = int(number.strip())
        return result

    def clean_conditions(self) -> list[str]:
        return _lines(self.cleaned_data.get("conditions", ""))

    def clean_materials(self) -> list[str]:
        return _lines(self.cleaned_data.get("materials", ""))


def quota_text(overrides: dict[str, int]) -> str:
    codes = dict(Organisation.objects.filter(pk__in=[int(k) for k in overrides]).values_list("pk", "code"))
    return "\n".join(f"{codes.get(int(key), key)}={value}" for key, value in overrides.items())


class ApplicationCreateForm(forms.Form):
    applicant = forms.ModelChoiceField(label=_("申报单位"), queryset=Organisation.objects.none())
    area_name = forms.CharField(label=_("申报地区名称"), max_length=200)
    summary = forms.CharField(label=_("申报概要"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    contact = forms.CharField(label=_("联系人及电话"), max_length=200, required=False)

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["applicant"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["applicant"].empty_label = None  # type: ignore[attr-defined]


class ApplicationEditForm(VersionForm):
    area_name = forms.CharField(label=_("申报地区名称"), max_length=200)
    summary = forms.CharField(label=_("申报概要"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    contact = forms.CharField(label=_("联系人及电话"), max_length=200, required=False)


class MaterialForm(forms.Form):
    material = forms.ChoiceField(label=_("材料"))
    file = forms.FileField(label=_("文件"))
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def __init__(self, *args: Any, materials: list[dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["material"].choices = [(m["key"], m["name"]) for m in materials]  # type: ignore[attr-defined]


class ConditionsForm(VersionForm):
    confirmed = forms.MultipleChoiceField(label=_("申报条件"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, conditions: list[dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirmed"].choices = [(c["key"], c["text"]) for c in conditions]  # type: ignore[attr-defined]


class ProvincialReviewForm(VersionForm):
    materials_complete = forms.BooleanField(label=_("材料齐全、符合要求"), required=False)
    materials_note = forms.CharField(label=_("材料审查意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    site_visit_date = forms.DateField(label=_("实地考察日期"), widget=forms.DateInput(attrs={"type": "date"}))
    site_visit_participants = forms.CharField(label=_("考察人员"), max_length=500)
    site_visit_notes = forms.CharField(label=_("考察记录"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    opinion = forms.CharField(label=_("初审意见"), widget=forms.Textarea(attrs={"rows": 3}))
    score = forms.IntegerField(label=_("初审评分（0–100）"), min_value=0, max_value=100)


class RecommendForm(VersionForm):
    rank = forms.IntegerField(label=_("推荐排序"), min_value=1)
    reason = forms.CharField(label=_("推荐意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(VersionForm):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(VersionForm):
    expert = forms.ModelChoiceField(label=_("评审专家"), queryset=User.objects.none())

    def __init__(self, *args: Any, experts: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = User.objects.filter(pk__in=[e.pk for e in experts])  # type: ignore[attr-defined]


class DecideForm(VersionForm):
    decision = forms.ChoiceField(
        label=_("决定"), choices=[("approve", _("批准")), ("reject", _("不予批准"))], widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ScoreForm(VersionForm):
    opinion = forms.CharField(label=_("评审意见"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, maximum: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in Dimension.choices:
            self.fields[f"score_{value}"] = forms.IntegerField(
                label=_("%(dimension)s（0–%(max)s）") % {"dimension": label, "max": maximum},
                min_value=0,
                max_value=maximum,
            )
        self.order_fields([f"score_{v}" for v in Dimension.values] + ["opinion"])

    def scores(self) -> dict[str, int]:
        return {value: self.cleaned_data[f"score_{value}"] for value in Dimension.values}


class NoticeForm(VersionForm):
    text = forms.CharField(label=_("通知文稿"), widget=forms.Textarea(attrs={"rows": 30}))


class ExpertProfileForm(forms.Form):
    expert = forms.ModelChoiceField(label=_("评审专家"), queryset=User.objects.none())
    province = forms.ModelChoiceField(
        label=_("所在省份（主管部门）"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.PROVINCE).order_by("division_code", "code"),
        required=False,
    )
    specialities = forms.CharField(label=_("专业领域"), max_length=300, required=False)

    def __init__(self, *args: Any, experts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = experts  # type: ignore[attr-defined]
