from django.db import models
from django.utils.translation import gettext_lazy as _


class RoundStatus(models.TextChoices):
    OPEN = "open", _("报送中")
    CLOSED = "closed", _("已关闭")


class SubmissionStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未提交")
    SUBMITTED = "submitted", _("已提交，待省级评审")
    UNDER_REVIEW = "under_review", _("省级评审中")
    RETURNED = "returned", _("已退回修改")
    RESUBMITTED = "resubmitted", _("已重新提交，待省级评审")
    COMPLETE = "complete", _("材料齐全（评审意见已上传）")
    ACCEPTED = "accepted", _("部级已接收")


class SubmissionAction(models.TextChoices):
    UPLOAD_PLAN = "upload_plan", _("上传实施方案")
    UPLOAD_TASK_BOOK = "upload_task_book", _("上传创建任务书")
    SUBMIT = "submit", _("提交")
    RESUBMIT = "resubmit", _("重新提交")
    TAKE_FOR_REVIEW = "take_for_review", _("接收评审")
    RETURN = "return", _("退回修改")
    UPLOAD_OPINION = "upload_opinion", _("上传评审意见")
    ACCEPT = "accept", _("部级接收")


class BoardState(models.TextChoices):
    """What the deadline board shows: the status grouped as a programme office reads it."""

    NOT_STARTED = "not_started", _("未提交")
    SUBMITTED = "submitted", _("已提交")
    UNDER_REVIEW = "under_review", _("省级评审中")
    RETURNED = "returned", _("已退回")
    COMPLETE = "complete", _("材料齐全")
    ACCEPTED = "accepted", _("已接收")
    LATE = "late", _("逾期提交")
    OVERDUE = "overdue", _("已逾期未完成")


#: Statuses per board column (LATE and OVERDUE are flags across statuses).
BOARD_STATUSES: dict[str, tuple[str, ...]] = {
    BoardState.NOT_STARTED: (SubmissionStatus.NOT_STARTED,),
    BoardState.SUBMITTED: (SubmissionStatus.SUBMITTED, SubmissionStatus.RESUBMITTED),
    BoardState.UNDER_REVIEW: (SubmissionStatus.UNDER_REVIEW,),
    BoardState.RETURNED: (SubmissionStatus.RETURNED,),
    BoardState.COMPLETE: (SubmissionStatus.COMPLETE,),
    BoardState.ACCEPTED: (SubmissionStatus.ACCEPTED,),
}

#: The pilot has finished its part once the province's opinion is in.
FINISHED = (SubmissionStatus.COMPLETE, SubmissionStatus.ACCEPTED)
#: The pilot may upload documents and submit.
PILOT_EDITABLE = (SubmissionStatus.NOT_STARTED, SubmissionStatus.RETURNED)
#: Waiting for the province to take the submission for review.
AWAITING_REVIEW = (SubmissionStatus.SUBMITTED, SubmissionStatus.RESUBMITTED)

DEFAULT_REMINDER_DAYS = [14, 7, 3, 1]
DEFAULT_OVERDUE_REMINDER_DAYS = [1, 7, 30]
