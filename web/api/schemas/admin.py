"""Describe people, their roles and office scopes, and their API tokens."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from incidents import values
from incidents.vocabulary import (
    Role,
)
from web.api.fields import Code, StrictBoolean, Text
from web.api.schemas.common import PageSchema

NAME_MAX = 64
PASSWORD_MAX = 256
MAX_OFFICES = 100
EMAIL_MAX = 254
LANGUAGES = ("fr", "en")


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
    email = Text(
        max_length=EMAIL_MAX,
        allow_none=True,
        metadata={"description": "Where notifications are sent; none: no e-mail."},
    )
    language = Code(
        allow_none=True,
        metadata={"enum": list(LANGUAGES), "description": "fr (default) or en."},
    )


class ChangeUserSchema(Schema):
    email = Text(
        max_length=EMAIL_MAX,
        allow_none=True,
        metadata={"description": "A new address; null removes it."},
    )
    language = Code(metadata={"enum": list(LANGUAGES)})


class IssueTokenSchema(Schema):
    label = Text(max_length=values.SHORT_TEXT_MAX, allow_none=True)


class NotificationPreferencesSchema(Schema):
    severe_incident = fields.Boolean()
    escalation = fields.Boolean()
    follow_up_overdue = fields.Boolean()
    digest = fields.String(metadata={"enum": ["daily", "weekly", "monthly", "off"]})


class ChangeNotificationPreferencesSchema(Schema):
    severe_incident = StrictBoolean()
    escalation = StrictBoolean()
    follow_up_overdue = StrictBoolean()
    digest = Code(metadata={"enum": ["daily", "weekly", "monthly", "off"]})


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
    email = fields.String(allow_none=True)
    language = fields.String()
    notification_preferences = fields.Nested(NotificationPreferencesSchema)
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
