"""Synchronise, run history and sync issues (administrators only).

Each view parses its input, calls one sync task, service or selector, and renders. The Synchronise
button queues one background run per enabled account; the page follows them by polling
``sync_progress`` with htmx until every run has finished.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from stockroom.channels import selectors as channel_selectors
from stockroom.core.errors import NotFound, StockroomError
from stockroom.core.quantities import parse_id
from stockroom.sync import selectors, services, tasks
from stockroom.sync.models import IssueKind, IssueStatus, SyncRunStatus, SyncTrigger
from stockroom.web.pagination import SortOption, paginate
from stockroom.web.permissions import administrator_required

RUN_SORTS = {"started_at": SortOption("started_at", "started_at", datetime)}
ISSUE_SORTS = {"updated_at": SortOption("updated_at", "updated_at", datetime)}


def _since(request) -> datetime | None:
    value = parse_datetime(request.GET.get("since", "") or "")
    return value if value and not timezone.is_naive(value) else None


def _progress_context(since: datetime | None) -> dict:
    accounts = list(channel_selectors.account_list().filter(enabled=True)) if since else []
    runs = selectors.runs_started_since(since) if since else []
    by_account: dict[int, list] = {}
    for run in runs:
        by_account.setdefault(run.account_id, []).append(run)
    rows = [{"account": account, "runs": by_account.get(account.pk, [])} for account in accounts]
    waiting = any(
        not row["runs"] or any(r.status == SyncRunStatus.RUNNING for r in row["runs"]) for row in rows
    )
    return {"rows": rows, "since": since, "polling": bool(since) and waiting}


@administrator_required
def sync_home(request):
    since = _since(request)
    latest = selectors.latest_runs()
    context = {
        "account_rows": [(account, latest.get(account.pk)) for account in channel_selectors.account_list()],
        "open_issues": selectors.open_issue_count(),
        **_progress_context(since),
    }
    return render(request, "web/sync/home.html", context)


@administrator_required
def sync_progress(request):
    return render(request, "web/sync/_progress.html", _progress_context(_since(request)))


@administrator_required
@require_POST
def sync_start(request):
    accounts = list(channel_selectors.account_list().filter(enabled=True))
    if not accounts:
        messages.warning(request, "No enabled channel accounts: add or enable an account first.")
        return redirect("sync")
    since = timezone.now().replace(microsecond=0)
    for account in accounts:
        tasks.sync_account_task(account.pk, SyncTrigger.MANUAL)
    messages.success(
        request, f"Synchronising {len(accounts)} account(s) in the background; progress is shown below."
    )
    return redirect(f"{reverse('sync')}?{urlencode({'since': since.isoformat()})}")


@administrator_required
def run_list(request):
    account_id = request.GET.get("account", "")
    status = request.GET.get("status", "")
    runs = selectors.run_list(
        account_id=parse_id(account_id),
        status=status if status in SyncRunStatus.values else "",
    )
    page = paginate(runs, params=request.GET, options=RUN_SORTS, default_sort="-started_at", per_page=50)
    return render(
        request,
        "web/sync/runs.html",
        {
            "page": page,
            "accounts": list(channel_selectors.account_list()),
            "statuses": SyncRunStatus.choices,
            "account": account_id,
            "status": status,
        },
    )


@administrator_required
def run_detail(request, run_id: int):
    try:
        run = selectors.run_by_id(run_id)
    except NotFound as error:
        raise Http404(error.message) from None
    return render(
        request,
        "web/sync/run.html",
        {"run": run, "writes": selectors.run_writes(run)[:500], "issues": run.issues.all()[:500]},
    )


@administrator_required
def issue_list(request):
    status = request.GET.get("status", IssueStatus.OPEN)
    kind = request.GET.get("kind", "")
    account_id = request.GET.get("account", "")
    issues = selectors.issue_list(
        status=status if status in IssueStatus.values else "",
        kind=kind if kind in IssueKind.values else "",
        account_id=parse_id(account_id),
    )
    page = paginate(issues, params=request.GET, options=ISSUE_SORTS, default_sort="-updated_at", per_page=50)
    return render(
        request,
        "web/sync/issues.html",
        {
            "page": page,
            "accounts": list(channel_selectors.account_list()),
            "statuses": IssueStatus.choices,
            "kinds": IssueKind.choices,
            "status": status,
            "kind": kind,
            "account": account_id,
        },
    )


def _back_to_issues(request):
    back = request.POST.get("next", "")
    if back.startswith(reverse("sync_issues")):
        return redirect(back)
    return redirect("sync_issues")


@administrator_required
@require_POST
def issue_retry(request, issue_id: int):
    try:
        outcome = services.retry_issue(issue_id=issue_id, user=request.user)
    except StockroomError as error:
        messages.error(
            request, f"Retry failed: {error.message}. The issue stays open; fix the cause and retry."
        )
    else:
        messages.success(request, f"Retried: {outcome}.")
    return _back_to_issues(request)


@administrator_required
@require_POST
def issue_resolve(request, issue_id: int):
    try:
        issue = services.resolve_issue(
            issue_id=issue_id, user=request.user, note=request.POST.get("note", "")
        )
    except StockroomError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"Issue {issue.pk} ({issue.external_ref or issue.get_kind_display()}) resolved."
        )
    return _back_to_issues(request)


urlpatterns = [
    path("", sync_home, name="sync"),
    path("start/", sync_start, name="sync_start"),
    path("progress/", sync_progress, name="sync_progress"),
    path("runs/", run_list, name="sync_runs"),
    path("runs/<int:run_id>/", run_detail, name="sync_run"),
    path("issues/", issue_list, name="sync_issues"),
    path("issues/<int:issue_id>/retry/", issue_retry, name="sync_issue_retry"),
    path("issues/<int:issue_id>/resolve/", issue_resolve, name="sync_issue_resolve"),
]
