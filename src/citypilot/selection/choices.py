"""States of calls and applications, and the reference lists a new call starts from."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("申报中")
    CLOSED = "closed", _("已截止")
    FINALISED = "finalised", _("名单已确定")
    PUBLISHED = "published", _("名单已公布")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交，待省级初审")
    PROVINCE_REVIEWED = "province_reviewed", _("省级初审完成")
    RETURNED = "returned", _("已退回修改")
    RECOMMENDED = "recommended", _("已推荐")
    NATIONAL_REVIEW = "national_review", _("国家综合评审中")
    APPROVED = "approved", _("批准")
    NOT_APPROVED = "not_approved", _("未批准")


#: Statuses in which the applicant may still edit, attach materials and confirm conditions.
EDITABLE_STATUSES = frozenset({ApplicationStatus.DRAFT, ApplicationStatus.RETURNED})
#: Recommended by the province (counts against its quota).
RECOMMENDED_STATUSES = frozenset(
    {
        ApplicationStatus.RECOMMENDED,
        ApplicationStatus.NATIONAL_REVIEW,
        ApplicationStatus.APPROVED,
        ApplicationStatus.NOT_APPROVED,
    }
)
#: Waiting for a decision of someone other than the applicant; a call cannot be finalised while any is.
PENDING_STATUSES = frozenset(
    {
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.PROVINCE_REVIEWED,
        ApplicationStatus.RECOMMENDED,
        ApplicationStatus.NATIONAL_REVIEW,
    }
)


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("待评分")
    SCORED = "scored", _("已评分")
    CONFLICT = "conflict", _("已回避（利益冲突）")


ACTIVE_ASSIGNMENT_STATUSES = frozenset({AssignmentStatus.ASSIGNED, AssignmentStatus.SCORED})


class Dimension(models.TextChoices):
    """The four first-level dimensions of the 2012 indicator system (国家智慧城市（区、镇）试点指标体系（试行））."""

    SAFEGUARDS = "safeguards", _("保障体系与基础设施")
    LIVEABILITY = "liveability", _("智慧建设与宜居")
    MANAGEMENT = "management", _("智慧管理与服务")
    INDUSTRY = "industry", _("智慧产业与经济")


class EventKind(models.TextChoices):
    CREATED = "created", _("创建申报")
    UPDATED = "updated", _("修改申报信息")
    MATERIAL = "material", _("上传申报材料")
    CONDITION = "condition", _("确认申报条件")
    SUBMITTED = "submitted", _("提交申报")
    PROVINCIAL_REVIEW = "provincial_review", _("省级初审")
    RECOMMENDED = "recommended", _("省级推荐")
    RETURNED = "returned", _("退回修改")
    EXPERT_ASSIGNED = "expert_assigned", _("指派评审专家")
    CONFLICT_DECLARED = "conflict_declared", _("专家声明回避")
    SCORED = "scored", _("专家评分")
    APPROVED = "approved", _("批准")
    NOT_APPROVED = "not_approved", _("未批准")
    LISTED = "listed", _("列入试点名单")


#: Events only the ministry (and the expert concerned) may read: who reviews an application is confidential.
CONFIDENTIAL_EVENTS = frozenset({EventKind.EXPERT_ASSIGNED, EventKind.CONFLICT_DECLARED, EventKind.SCORED})

# The reference lists a new call starts from (editable per call while it is a draft). They are the
# conditions of the 2012 call and the materials of the 2014 call; see shared/domain.md §1.
DEFAULT_CONDITIONS: tuple[tuple[str, str], ...] = (
    ("plan", "城市“十二五”规划（或本年度政府工作报告）中已明确提出智慧城市建设工作"),
    ("outline", "已编制完成智慧城市发展规划纲要"),
    ("funding", "已有智慧城市建设资金筹措方案和保障渠道"),
    ("leader", "城市人民政府主要负责人负责智慧城市创建工作"),
)
DEFAULT_MATERIALS: tuple[tuple[str, str], ...] = (
    ("application_form", "申报书"),
    ("outline", "智慧城市发展规划纲要"),
    ("implementation_plan", "试点实施方案"),
    ("financing_plan", "项目投融资方案"),
)
DEFAULT_QUOTA = 2
DEFAULT_DIMENSION_MAX = 25
