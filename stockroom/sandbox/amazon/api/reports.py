"""Reports API 2021-06-30: reports, report schedules and report documents."""

from __future__ import annotations

from collections.abc import Callable

from ...common.clock import iso, parse_iso
from .. import reports as reports_mod
from ..state import ApiError
from ..tables import (
    REPORT_TYPES_REQUESTABLE,
    REPORT_TYPES_SCHEDULABLE,
    RESTRICTED_REPORT_TYPES,
    SCHEDULE_PERIODS,
)
from .base import (
    Ctx,
    bad,
    json_body,
    list_entities,
    marketplace_ids,
    not_found,
)
from .documents import document_url


def _spec_common(ctx: Ctx, body: dict) -> tuple[str, list[str]]:
    rtype = body.get("reportType")
    if not isinstance(rtype, str) or not rtype:
        raise bad("reportType is required.")
    mps = body.get("marketplaceIds")
    if not isinstance(mps, list) or not 1 <= len(mps) <= 25 or not all(isinstance(m, str) for m in mps):
        raise bad("marketplaceIds must be an array of 1 to 25 marketplace ids.")
    marketplace_ids(ctx, mps, required=True)
    options = body.get("reportOptions")
    if options is not None and (
        not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values())
    ):
        raise bad("reportOptions must be an object of strings.")
    return rtype, mps


def create_report(ctx: Ctx):
    body = json_body(ctx)
    rtype, mps = _spec_common(ctx, body)
    if rtype not in REPORT_TYPES_REQUESTABLE:
        if rtype in REPORT_TYPES_SCHEDULABLE:
            raise bad(f"Report type {rtype} can only be scheduled (createReportSchedule).")
        raise bad(f"Report type {rtype} is not supported.")
    spec = {"reportType": rtype, "marketplaceIds": mps, "reportOptions": body.get("reportOptions")}
    for name, key in (("dataStartTime", "_start"), ("dataEndTime", "_end")):
        if body.get(name) is not None:
            try:
                spec[key] = parse_iso(body[name])
            except ValueError:
                raise bad(f"{name} must be an ISO 8601 date-time.") from None
            spec[name] = iso(spec[key])
    if spec.get("_start") is not None and spec.get("_end") is not None and spec["_end"] < spec["_start"]:
        raise bad("dataEndTime must be after dataStartTime.")
    spec["_fatal"] = ctx.store.take_fault("createReport", ctx.seller_id, kinds=("fatal",)) is not None
    report = reports_mod.create_report(ctx.store, ctx.seller_id, spec)
    return 202, {"reportId": report["reportId"]}


def _report(ctx: Ctx) -> dict:
    report = ctx.store.s["reports"].get(ctx.path["reportId"])
    if report is None or report["_seller"] != ctx.seller_id:
        raise not_found(f"Report {ctx.path['reportId']} was not found.")
    return report


def get_report(ctx: Ctx):
    return 200, reports_mod.report_view(_report(ctx))


def cancel_report(ctx: Ctx):
    if not reports_mod.cancel_report(_report(ctx)):
        raise bad("Only reports in IN_QUEUE status can be cancelled.")
    return 200, None


def get_reports(ctx: Ctx):
    return list_entities(
        ctx,
        kind="getReports",
        collection=ctx.store.s["reports"],
        type_param="reportTypes",
        type_key="reportType",
        view=reports_mod.report_view,
    )


def get_report_document(ctx: Ctx):
    doc = ctx.store.s["report_documents"].get(ctx.path["reportDocumentId"])
    if doc is None or doc["seller_id"] != ctx.seller_id:
        raise not_found(f"Report document {ctx.path['reportDocumentId']} was not found.")
    if doc["report_type"] in RESTRICTED_REPORT_TYPES and not ctx.is_rdt:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            f"{doc['report_type']} contains personally identifiable information: call getReportDocument with a Restricted Data Token.",
        )
    body = {"reportDocumentId": doc["id"], "url": document_url(ctx, "reports", doc["id"])}
    if doc["compression"]:
        body["compressionAlgorithm"] = doc["compression"]
    return 200, body


def create_report_schedule(ctx: Ctx):
    body = json_body(ctx)
    rtype, mps = _spec_common(ctx, body)
    if rtype not in REPORT_TYPES_SCHEDULABLE:
        raise bad(f"Report type {rtype} cannot be scheduled.")
    period = body.get("period")
    if period not in SCHEDULE_PERIODS:
        raise bad(f"period must be one of {', '.join(SCHEDULE_PERIODS)}.")
    spec = {
        "reportType": rtype,
        "marketplaceIds": mps,
        "period": period,
        "reportOptions": body.get("reportOptions"),
    }
    if body.get("nextReportCreationTime"):
        try:
            spec["_first"] = max(parse_iso(body["nextReportCreationTime"]), ctx.store.now())
        except ValueError:
            raise bad("nextReportCreationTime must be an ISO 8601 date-time.") from None
    schedule = reports_mod.create_schedule(ctx.store, ctx.seller_id, spec)
    return 201, {"reportScheduleId": schedule["reportScheduleId"]}


def get_report_schedules(ctx: Ctx):
    types = ctx.qlist("reportTypes")
    if not types:
        raise bad("reportTypes is required.")
    out = [
        reports_mod.schedule_view(s)
        for s in ctx.store.s["schedules"].values()
        if s["_seller"] == ctx.seller_id and s["reportType"] in types
    ]
    return 200, {"reportSchedules": out}


def _schedule(ctx: Ctx) -> dict:
    sched = ctx.store.s["schedules"].get(ctx.path["reportScheduleId"])
    if sched is None or sched["_seller"] != ctx.seller_id:
        raise not_found(f"Report schedule {ctx.path['reportScheduleId']} was not found.")
    return sched


def get_report_schedule(ctx: Ctx):
    return 200, reports_mod.schedule_view(_schedule(ctx))


def cancel_report_schedule(ctx: Ctx):
    sched = _schedule(ctx)
    del ctx.store.s["schedules"][sched["reportScheduleId"]]
    return 200, None


HANDLERS: dict[str, Callable[[Ctx], tuple]] = {
    "getReports": get_reports,
    "createReport": create_report,
    "cancelReport": cancel_report,
    "getReport": get_report,
    "getReportSchedules": get_report_schedules,
    "createReportSchedule": create_report_schedule,
    "cancelReportSchedule": cancel_report_schedule,
    "getReportSchedule": get_report_schedule,
    "getReportDocument": get_report_document,
}
