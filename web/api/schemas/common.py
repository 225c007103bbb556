"""Share the paging of every list: what a query asks, what an answer says."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from web.usecases.bounds import MAX_PAGE

MAX_PAGE_SIZE = 200


class PageQueryArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    page_size = fields.Integer(
        load_default=50, validate=validate.Range(1, MAX_PAGE_SIZE)
    )


class PageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
