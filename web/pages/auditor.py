"""Pages of the auditor: the audit trail, verification, export and disclosures.

The trail and the disclosure log are read in log order, oldest first, a page at
a time from a position. Verification and export call the tamper evidence of the
application (:func:`web.get_evidence`) as ``/api/v1/audit`` does. An evidence
bundle holds contacts only as ciphertext, whose keys never leave the store: an
export shows no one a contact, so it records no disclosure.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask import Blueprint, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, StringField
from wtforms.validators import NumberRange, Optional, ValidationError

from incidents.evidence.ledger import ChainRow
from incidents.permissions import Action
from web import get_evidence, get_incident_log
from web.pages.auth import allowed
from web.pages.htmx import partial_wanted
from web.pages.limits import TOO_LARGE
from web.usecases.audit_trail import sealed_rows
from web.usecases.bounds import MAX_POSITION
from web.usecases.read_your_writes import fresh_read_models

bp = Blueprint("auditor", __name__)

TRAIL_PAGE = 50
DISCLOSURE_PAGE = 50
SHORT_HASH = 12
INCIDENT_TOPIC = "incidents:Incident."
INCIDENT_PAGE = "officer.incident"

# What each kind of damage means, for a person (the kinds are those of
# incidents.evidence.verification).
DAMAGE = {
    "changed": _l("un événement a été modifié après son scellement"),
    "deleted": _l("un événement scellé a disparu"),
    "inserted": _l("un événement jamais scellé a été inséré parmi les autres"),
    "reordered": _l("des événements ont été déplacés ou ont échangé leurs places"),
    "truncated": _l("les événements les plus récents ont été retirés"),
    "ledger_forged": _l("le registre des empreintes a lui-même été altéré"),
    "checkpoint_mismatch": _l(
        "les événements et le registre ne mènent plus à l'empreinte signée d'un "
        "point de contrôle, ou sa signature n'est pas valide"
    ),
}


def whole_incident_id(_form: object, field: Field) -> None:
    """Refuse a text that is not the whole id of an incident (a UUID)."""
    try:
        UUID(field.data)
    except ValueError:
        raise ValidationError(
            _l("Donnez l'identifiant complet d'un incident (UUID).")
        ) from None


class TrailFilterForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    class Meta:
        csrf = False  # A filter only reads: it is a GET form.

    depuis = IntegerField(
        _l("À partir de la position"),
        validators=[
            Optional(),
            NumberRange(min=1, message=_l("Donnez une position à partir de 1.")),
            NumberRange(max=MAX_POSITION, message=TOO_LARGE),
        ],
        render_kw={"min": 1, "inputmode": "numeric"},
    )


class DisclosureFilterForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    class Meta:
        csrf = False

    incident = StringField(
        _l("Identifiant de l'incident"),
        validators=[Optional(), whole_incident_id],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    apres = IntegerField(
        _l("Après la consultation n°"),
        validators=[
            Optional(),
            NumberRange(min=0, message=_l("Donnez un numéro à partir de 0.")),
            NumberRange(max=MAX_POSITION, message=TOO_LARGE),
        ],
    )


@bp.get("/audit")
@allowed(Action.AUDIT)
def audit_trail() -> ResponseReturnValue:
    """Show the events of the whole log in order, with their hashes and chain values."""
    form = TrailFilterForm(request.args)
    status = 200
    start = 1
    if form.validate():
        start = form.depuis.data or 1
    else:
        status = 422
    page = fresh_read_models().audit_events(after=start - 1, limit=TRAIL_PAGE)
    items = page["items"]
    sealed = sealed_rows(items)
    rows = [_trail_row(item, sealed.get(item["position"])) for item in items]
    head = get_incident_log().recorder.max_notification_id() or 0
    links = {
        "first": url_for(".audit_trail") if start > 1 else None,
        "previous": (
            url_for(".audit_trail", depuis=max(1, start - TRAIL_PAGE))
            if start > 1
            else None
        ),
        "next": (
            url_for(".audit_trail", depuis=items[-1]["position"] + 1)
            if items and items[-1]["position"] < head
            else None
        ),
        "last": (
            url_for(".audit_trail", depuis=max(1, head - TRAIL_PAGE + 1))
            if head >= start + TRAIL_PAGE
            else None
        ),
    }
    template = (
        "pages/auditor/_trail.html" if partial_wanted() else "pages/auditor/trail.html"
    )
    return (
        render_template(
            template,
            form=form,
            rows=rows,
            total=page["total"],
            head=head,
            links=links,
        ),
        status,
    )


@bp.route("/audit/verification", methods=["GET", "POST"])
@allowed(Action.AUDIT)
def verification() -> ResponseReturnValue:
    """Say what verification proves; run it (a post) and show the result."""
    if request.method != "POST":
        return render_template("pages/auditor/verification.html", result=None)
    report = get_evidence().verification_report()
    result = {
        **report,
        "damage": DAMAGE.get(str(report.get("reason")), ""),
        "checked_at": datetime.now(UTC),
    }
    template = (
        "pages/auditor/_verification_result.html"
        if partial_wanted()
        else "pages/auditor/verification.html"
    )
    return render_template(template, result=result)


@bp.route("/audit/export", methods=["GET", "POST"])
@allowed(Action.AUDIT)
def export() -> ResponseReturnValue:
    """Explain the evidence bundle and how to check it; send it on a post."""
    evidence = get_evidence()
    if request.method != "POST":
        return render_template(
            "pages/auditor/export.html",
            key_id=evidence.signer.key_id,
            head=get_incident_log().recorder.max_notification_id() or 0,
        )
    # An unnamed temporary file: the bundle may be large, and it leaves the
    # disk as soon as it is closed, once sent. A fresh checkpoint is signed.
    file = tempfile.TemporaryFile(prefix="evidence-", suffix=".zip")  # noqa: SIM115
    try:
        summary = evidence.export_zip(file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    response = send_file(
        file,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"evidence-{summary.position}.zip",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/audit/consultations")
@allowed(Action.AUDIT)
def disclosures() -> ResponseReturnValue:
    """List who was shown which incident's contact, when and how."""
    form = DisclosureFilterForm(request.args)
    status = 200
    after, incident_id = 0, None
    if form.validate():
        after = form.apres.data or 0
        incident_id = UUID(form.incident.data) if form.incident.data else None
    else:
        status = 422
    found = get_incident_log().list_disclosures(
        incident_id=incident_id, after=after, limit=DISCLOSURE_PAGE + 1
    )
    items = found[:DISCLOSURE_PAGE]
    kept: dict[str, Any] = {"incident": str(incident_id)} if incident_id else {}
    links = {
        "first": url_for(".disclosures", **kept) if after else None,
        "next": (
            url_for(".disclosures", apres=items[-1]["number"], **kept)
            if len(found) > DISCLOSURE_PAGE
            else None
        ),
    }
    template = (
        "pages/auditor/_disclosures.html"
        if partial_wanted()
        else "pages/auditor/disclosures.html"
    )
    return (
        render_template(
            template,
            form=form,
            items=[
                {**item, "incident_url": incident_url(item["incident_id"])}
                for item in items
            ],
            links=links,
        ),
        status,
    )


def incident_url(incident_id: UUID | str) -> str:
    """Return the address of an incident's page."""
    return url_for(INCIDENT_PAGE, incident_id=UUID(str(incident_id)))


def _trail_row(item: dict[str, Any], sealed: ChainRow | None) -> dict[str, Any]:
    topic = str(item.get("topic") or "")
    return {
        **item,
        "recorded_at": _instant(item["recorded_at"]),
        "incident_url": (
            incident_url(item["aggregate_id"])
            if topic.startswith(INCIDENT_TOPIC)
            else None
        ),
        "hash": None if sealed is None else sealed.leaf.hex(),
        "short_hash": None if sealed is None else sealed.leaf.hex()[:SHORT_HASH],
        "chain": None if sealed is None else sealed.chain.hex(),
        "short_chain": None if sealed is None else sealed.chain.hex()[:SHORT_HASH],
    }


def _instant(value: datetime | str) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
