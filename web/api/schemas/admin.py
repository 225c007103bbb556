"""Describe people, their roles and office scopes, and their API tokens."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from incidents import values
from incidents.vocabulary import (
    Role,
)
from web.api.fields import Code, Text
from web.api.schemas.common import PageSchema

NAME_MAX = 64
PASSWORD_MAX = 256
MAX_OFFICES = 100


class RegisterUserSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(max=NAME_MAX))
    role = Code(Role, required=True)
    offices = fields.List(
        Code(),
        allow_none=True,
        validate=validate.Length(min=1, max=MAX_OFFICES),
        metadata={"description": "Office codes; null or absent: every office."},
    )
    display_name = Text(max_length=values.SHORT_TEXT_MAX, allow_none=True)
    password = fields.String(
        load_only=True, validate=validate.Length(max=PASSWORD_MAX), allow_none=True
    )


class IssueTokenSchema(Schema):
    label = Text(max_length=values.SHORT_TEXT_MAX, allow_none=True)


class TokenSchema(Schema):
    id = fields.UUID()
    label = fields.String()


class UserSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    display_name = fields.String()
    role = fields.String()
    offices = fields.List(fields.String(), allow_none=True)
    is_active = fields.Boolean()
    tokens = fields.List(fields.Nested(TokenSchema))
    version = fields.Integer()


class UserPageSchema(PageSchema):
    items = fields.List(fields.Nested(UserSchema))


class IssuedTokenSchema(Schema):
    id = fields.UUID()
    token = fields.String(
        metadata={"description": "The bearer token: shown only this once."}
    )
    label = fields.String()
    user = fields.Nested(UserSchema)
