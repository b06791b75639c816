"""Document URLs shaped like S3 presigned URLs: feed upload and feed/report download, signed and expiring
on the simulated clock; S3-style XML errors."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ...common.faults import gateway_error
from .. import feeds as feeds_mod
from ..state import Store
from .base import Ctx


def document_url(ctx: Ctx, kind: str, doc_id: str) -> str:
    store = ctx.store
    amz_date = datetime.fromtimestamp(store.now(), UTC).strftime("%Y%m%dT%H%M%SZ")
    expires = int(store.settings["document_url_ttl_seconds"])
    sig = sign_url(store, kind, doc_id, amz_date, expires)
    base = str(ctx.request.base_url).rstrip("/")
    query = urlencode(
        {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Date": amz_date,
            "X-Amz-Expires": expires,
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": sig,
        }
    )
    return f"{base}/_docs/{kind}/{doc_id}?{query}"


def sign_url(store: Store, kind: str, doc_id: str, amz_date: str, expires: int) -> str:
    key = f"stockroom-sim-{store.s['seed']}".encode()
    return hmac.new(key, f"{kind}|{doc_id}|{amz_date}|{expires}".encode(), hashlib.sha256).hexdigest()


def _s3_error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>'
    return Response(body, status_code=status, media_type="application/xml")


def _check_url(store: Store, request: Request, kind: str, doc_id: str) -> Response | None:
    q = request.query_params
    amz_date, expires, sig = q.get("X-Amz-Date"), q.get("X-Amz-Expires"), q.get("X-Amz-Signature")
    if not (amz_date and expires and sig) or not expires.isdigit():
        return _s3_error(
            403,
            "AccessDenied",
            "Query-string authentication requires the X-Amz-Date, X-Amz-Expires and X-Amz-Signature parameters",
        )
    if not hmac.compare_digest(sig, sign_url(store, kind, doc_id, amz_date, int(expires))):
        return _s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    issued = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    if store.now() > issued + int(expires):
        return _s3_error(403, "AccessDenied", "Request has expired")
    return None


def make_docs(store: Store):
    async def feed_doc(request: Request) -> Response:
        doc_id = request.path_params["doc_id"]
        data = await request.body() if request.method == "PUT" else b""
        with store.lock:
            store.tick()
            error = _check_url(store, request, "feeds", doc_id)
            if error is not None:
                return error
            doc = store.s["feed_documents"].get(doc_id)
            if doc is None:
                return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
            if request.method == "PUT":
                if doc["kind"] != "input":
                    return _s3_error(403, "AccessDenied", "Access Denied")
                sent = (request.headers.get("content-type") or "").replace(" ", "").lower()
                if sent != doc["content_type"].replace(" ", "").lower():
                    return _s3_error(
                        403,
                        "SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you provided. Check the Content-Type: it must equal the contentType given to createFeedDocument.",
                    )
                doc["data_b64"] = base64.b64encode(data).decode("ascii")
                doc["uploaded"] = True
                etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
                return Response(status_code=200, headers={"ETag": f'"{etag}"'})
            if not doc["uploaded"]:
                return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
            data = feeds_mod.doc_bytes(doc)
            if doc["kind"] == "result":
                op = "downloadFeedDocument"
                fault = store.take_fault(
                    op, doc["seller_id"], kinds=("http_500", "http_503", "truncated_document")
                )
                if fault is not None:
                    store.stat(doc["seller_id"], op, "faults")
                    if fault["kind"] == "http_500":
                        return gateway_error(500)
                    if fault["kind"] == "http_503":
                        return gateway_error(503)
                    data = data[: max(1, len(data) // 2)]
            return Response(data, media_type=doc["content_type"])

    async def report_doc(request: Request) -> Response:
        doc_id = request.path_params["doc_id"]
        with store.lock:
            store.tick()
            error = _check_url(store, request, "reports", doc_id)
            if error is not None:
                return error
            doc = store.s["report_documents"].get(doc_id)
            if doc is None:
                return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
            data = doc["text"].encode(doc["encoding"], errors="xmlcharrefreplace")
            if doc["compression"] == "GZIP":
                data = gzip.compress(data, mtime=0)
            op = "downloadReportDocument"
            fault = store.take_fault(
                op, doc["seller_id"], kinds=("http_500", "http_503", "truncated_document", "false_gzip")
            )
            if fault is not None:
                store.stat(doc["seller_id"], op, "faults")
                if fault["kind"] == "http_500":
                    return gateway_error(500)
                if fault["kind"] == "http_503":
                    return gateway_error(503)
                if fault["kind"] == "truncated_document":
                    data = data[: max(1, len(data) // 2)]
                elif fault["kind"] == "false_gzip":
                    data = (
                        gzip.decompress(data)
                        if doc["compression"] == "GZIP"
                        else gzip.compress(data, mtime=0)
                    )
            charset = "Shift_JIS" if doc["encoding"] == "cp932" else doc["encoding"].upper()
            return Response(
                data,
                media_type=f"{doc['content_type']}; charset={charset}"
                if not doc["compression"]
                else "application/octet-stream",
            )

    return feed_doc, report_doc
