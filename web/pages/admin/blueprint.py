"""The admin's blueprint."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("administration", __name__)
