from __future__ import annotations

import pytest
from django.core.management import call_command

from citypilot.accounts.models import Membership, User
from citypilot.audit.services import verify_chain
from citypilot.web.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_demo_prepares_accounts_once_and_prints_them(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    for account in DEMO_ACCOUNTS:
        assert account.username in out
        user = User.objects.get(username=account.username)
        assert user.check_password(DEMO_PASSWORD)
        assert Membership.objects.filter(user=user, role=account.role).exists()
    users, checked = User.objects.count(), verify_chain().checked
    call_command("demo", "--no-serve")  # running it again changes nothing
    assert (User.objects.count(), verify_chain().checked) == (users, checked)
    assert verify_chain().ok
