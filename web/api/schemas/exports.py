"""Describe the spreadsheets' parameters, and the log of downloads for auditors."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from web.api.schemas.offices import OfficeSummaryQueryArgsSchema
from web.usecases.spreadsheets import LANGUAGES


class SummarySheetArgsSchema(OfficeSummaryQueryArgsSchema):
    lang = fields.String(
        load_default="fr",
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "The language of the figures' labels."},
    )


class ReportArgsSchema(SummarySheetArgsSchema):
    """From and to both, or neither: the report of last month (in Paris)."""


class DownloadSchema(Schema):
    number = fields.Integer()
    actor = fields.String()
    what = fields.String(metadata={"description": "The file, e.g. incidents.csv."})
    parameters = fields.Dict(keys=fields.String(), values=fields.String())
    channel = fields.String()
    at = fields.DateTime()


class DownloadPageSchema(Schema):
    items = fields.List(fields.Nested(DownloadSchema))
    after = fields.Integer()
    limit = fields.Integer()
