"""Read the global log in order, verify it, and export the evidence, for auditors."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Response

from incidents.permissions import Action
from web import get_evidence, get_incident_log
from web.api import schemas
from web.api.auth import authorized
from web.api.blueprint import Blueprint
from web.api.schemas.exports import DownloadPageSchema
from web.usecases import audit_trail

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="The audit trail: every event of the log, in order.",
)


@blp.get("/events")
@authorized(Action.AUDIT)
@blp.arguments(schemas.AuditQueryArgsSchema, location="query")
@blp.response(200, schemas.AuditPageSchema)
def list_events(args: dict[str, Any]) -> dict[str, Any]:
    """List the events of the whole log after a position, in order, with hashes."""
    return audit_trail.audit_events(after=args["after"], limit=args["limit"])


@blp.get("/checkpoints")
@authorized(Action.AUDIT)
@blp.arguments(schemas.PageQueryArgsSchema, location="query")
@blp.response(200, schemas.CheckpointPageSchema)
def list_checkpoints(args: dict[str, Any]) -> dict[str, Any]:
    """List the signed checkpoints of the ledger, newest first."""
    return audit_trail.checkpoint_page(page=args["page"], page_size=args["page_size"])


@blp.get("/disclosures")
@authorized(Action.AUDIT)
@blp.arguments(schemas.DisclosureQueryArgsSchema, location="query")
@blp.response(200, schemas.DisclosurePageSchema)
def list_disclosures(args: dict[str, Any]) -> dict[str, Any]:
    """List who was shown a visitor's contact, when and how, in order."""
    items = get_incident_log().list_disclosures(
        incident_id=args["incident"], after=args["after"], limit=args["limit"]
    )
    return {"items": items, "after": args["after"], "limit": args["limit"]}


@blp.get("/downloads")
@authorized(Action.AUDIT)
@blp.arguments(schemas.AuditQueryArgsSchema, location="query")
@blp.response(200, DownloadPageSchema)
def list_downloads(args: dict[str, Any]) -> dict[str, Any]:
    """List who downloaded which report or spreadsheet, with what, when, in order."""
    items = get_incident_log().list_downloads(after=args["after"], limit=args["limit"])
    return {"items": items, "after": args["after"], "limit": args["limit"]}


@blp.get("/verify")
@authorized(Action.AUDIT)
@blp.response(200, schemas.VerificationSchema)
def verify() -> dict[str, Any]:
    """Rehash every event and compare it with the ledger and signed checkpoints."""
    return get_evidence().verification_report()


@blp.get("/export")
@authorized(Action.AUDIT)
@blp.response(
    200,
    {"type": "string", "format": "binary"},
    content_type="application/zip",
    description="The evidence bundle: events with hashes, signed checkpoint, "
    "public key and manifest; checked offline by bundle_verifier.py.",
)
def export() -> Response:
    """Download the evidence bundle (zip), signing a fresh checkpoint first."""
    descriptor, name = tempfile.mkstemp(prefix="evidence-", suffix=".zip")
    path = Path(name)
    try:
        with os.fdopen(descriptor, "w+b") as file:
            summary = get_evidence().export_zip(file)
    except BaseException:
        path.unlink(missing_ok=True)
        raise

    def chunks() -> Iterator[bytes]:
        # Streamed from disk: a bundle of a million events is ~150 MiB.
        try:
            with path.open("rb") as file:
                while block := file.read(CHUNK_BYTES):
                    yield block
        finally:
            path.unlink(missing_ok=True)

    response = Response(chunks(), mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="evidence-{summary.position}.zip"'
    )
    response.call_on_close(lambda: path.unlink(missing_ok=True))
    return response


CHUNK_BYTES = 1 << 16
