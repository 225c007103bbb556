"""Send the pages with security headers and a strict Content-Security-Policy.

Every page gets a fresh nonce (``csp_nonce()`` in templates); a script or a
style element runs only if it carries it. Nothing is loaded from another
origin: htmx and Pico CSS are the application's own static files. Pico's
stylesheet draws its icons as ``data:`` SVG images, hence ``img-src data:``.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

NONCE_BYTES = 16
SESSION_COOKIE = "incidents_session"
SESSION_SECONDS = 12 * 3600  # A working day, then sign in again.
# The JSON API and the Swagger UI page set their own headers.
OWN_POLICY_PREFIXES = ("/api/",)


def csp_nonce() -> str:
    """Return the nonce of the current response's policy."""
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(NONCE_BYTES)
    return nonce


def content_security_policy(nonce: str) -> str:
    """Return the policy of a page whose scripts carry ``nonce``."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "connect-src 'self'",
            # The service worker and the manifest of the installable app.
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def add_security_headers(response: Response) -> Response:
    """Add the headers every answer of the application carries."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault(
        "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
    )
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if not request.path.startswith(OWN_POLICY_PREFIXES):
        headers.setdefault(
            "Content-Security-Policy", content_security_policy(csp_nonce())
        )
    if response.mimetype == "text/html":
        # Pages show incidents: never keep them in a shared or back-button cache.
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Secure the session cookie and add the headers to every answer."""
    # Flask's defaults exist for these keys, so they are set, not defaulted.
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        PERMANENT_SESSION_LIFETIME=SESSION_SECONDS,
    )
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
