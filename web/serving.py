"""Configure the production server (waitress) for the exposure it has.

A few clients must not exhaust it: many connections are accepted (polled, not
selected, so past 1,024 descriptors), idle or silent ones are closed after a
while, and a body larger than any request needs is refused from its
Content-Length, before it is read (and so never spooled to a temporary file).
"""

from __future__ import annotations

import resource
from typing import Any

CONNECTION_LIMIT = 1000
IDLE_SECONDS = 30  # A connection that sends nothing for this long is closed.
CLEANUP_SECONDS = 5  # How often idle connections are looked for.
HEADER_BYTES = 64 * 1024
# Larger than the application's own limit (64 KiB, answered 413 in JSON), so that
# what waitress refuses on its own is only what no client of ours sends.
BODY_BYTES = 256 * 1024
# Headers and body are kept in memory up to this size, never in a file.
IN_MEMORY_BYTES = HEADER_BYTES + BODY_BYTES + 64 * 1024
FORWARDED_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-proto"})


def waitress_options(
    *,
    threads: int,
    connection_limit: int = CONNECTION_LIMIT,
    idle_seconds: int = IDLE_SECONDS,
    trusted_proxy: str | None = None,
) -> dict[str, Any]:
    """Return the waitress adjustments for one web process."""
    options: dict[str, Any] = {
        "threads": threads,
        "ident": "incidents",
        "connection_limit": connection_limit,
        "channel_timeout": idle_seconds,
        "cleanup_interval": min(CLEANUP_SECONDS, idle_seconds),
        "max_request_header_size": HEADER_BYTES,
        "max_request_body_size": BODY_BYTES,
        "inbuf_overflow": IN_MEMORY_BYTES,
        "asyncore_use_poll": True,
        "backlog": 2048,
    }
    if trusted_proxy:
        # Only the proxy's own connections may say who the visitor is: the
        # visitor's address then reaches the throttle, the logs and the
        # disclosure log. Forwarded headers from anyone else are dropped.
        options.update(
            trusted_proxy=trusted_proxy,
            trusted_proxy_count=1,
            trusted_proxy_headers=set(FORWARDED_HEADERS),
            clear_untrusted_proxy_headers=True,
        )
    return options


def allow_open_files(connection_limit: int) -> None:
    """Raise this process's limit of open files to hold every connection."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connection_limit + 256  # Database files, logs, the listening socket.
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
