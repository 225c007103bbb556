"""Tell whether htmx asks for a region of a page or for the whole page."""

from __future__ import annotations

from flask import request


def partial_wanted() -> bool:
    """Tell whether to answer with the region htmx swaps, not the whole page.

    A history restore (the back button, for a page htmx did not keep) comes
    as an htmx request too, but its answer replaces the whole body.
    """
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )
