"""Serve interactive API docs (Swagger UI) from the application's own files.

Swagger UI comes from the npm package ``swagger-ui-dist``, copied into
``web/static/swagger-ui/`` (see its VERSION file): the page calls no CDN and
runs no inline script. It reads the OpenAPI document at ``/api/openapi.json``,
or at the application's ``API_DOCS_OPENAPI_URL`` when set.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

OPENAPI_URL = "/api/openapi.json"

# Swagger UI 5.35 runs under this policy with no violation (checked in headless
# Chromium: rendering, "Try it out", "Execute", schemas, "Authorize"). It needs
# no inline script and no inline style; its stylesheet draws a few icons as
# data: images, hence ``img-src data:``.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

bp = Blueprint("docs", __name__, template_folder="templates")


@bp.get("/api/docs")
def api_docs() -> Response:
    """Show the API's OpenAPI document in Swagger UI."""
    openapi_url = current_app.config.get("API_DOCS_OPENAPI_URL", OPENAPI_URL)
    response = current_app.make_response(
        render_template("api_docs.html", openapi_url=openapi_url)
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
