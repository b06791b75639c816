"""Sync issues: a record that failed, kept with its raw data until it is retried or resolved."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from stockroom.channels.models import ChannelAccount
from stockroom.core.text import clean_text
from stockroom.sync.models import IssueStatus, SyncIssue, SyncRun


def open_issue(
    *,
    account: ChannelAccount,
    kind: str,
    external_ref: str,
    message: str,
    raw_data: str = "",
    retry_action: str,
    run: SyncRun | None = None,
) -> SyncIssue:
    """Open an issue for a failing record, or bump the open one (one open issue per record).

    What a channel sent is kept as text any database stores: control characters (NUL...) are removed
    from the reference and message and written as escapes in the raw data."""
    external_ref = clean_text(external_ref)[:200]
    message = clean_text(message)
    raw_data = _storable(raw_data)
    with transaction.atomic():
        issue = (
            SyncIssue.objects.select_for_update()
            .filter(account=account, kind=kind, external_ref=external_ref, status=IssueStatus.OPEN)
            .first()
        )
        if issue is None:
            return SyncIssue.objects.create(
                account=account,
                run=run,
                kind=kind,
                external_ref=external_ref,
                message=message,
                raw_data=raw_data,
                retry_action=retry_action,
            )
        issue.attempts += 1
        issue.message = message
        issue.run = run or issue.run
        if raw_data:
            issue.raw_data = raw_data
        issue.save()
        return issue


def _storable(text: str) -> str:
    """``text`` with NUL and the other control characters but tab and line breaks as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text or "")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def resolve_issues(
    *, account: ChannelAccount, kind: str, external_ref: str | Sequence[str], resolution: str
) -> int:
    """Resolve the open issues of one record, or of several (``external_ref`` a list) in one query."""
    refs = [external_ref] if isinstance(external_ref, str) else list(external_ref)
    return SyncIssue.objects.filter(
        account=account,
        kind=kind,
        external_ref__in=[(ref or "")[:200] for ref in refs],
        status=IssueStatus.OPEN,
    ).update(status=IssueStatus.RESOLVED, resolved_at=timezone.now(), resolution=resolution[:300])
