"""The interactive API docs: Swagger UI from our own static files, strict CSP."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask

from web import docs

WEB = Path(docs.__file__).resolve().parent
SWAGGER_UI = WEB / "static" / "swagger-ui"
OPENAPI: dict[str, object] = {
    "openapi": "3.1.0",
    "info": {"title": "Incident log", "version": "v1"},
    "paths": {},
}


class Page(HTMLParser):
    """Collect what a CSP cares about: scripts, styles, links, inline handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []
        self.inline_code: list[str] = []
        self.links: list[str] = []
        self.style_elements = 0
        self.style_attributes: list[str] = []
        self.handlers: list[str] = []
        self.openapi_urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes.get("src"))
            self._in_script = True
        if tag == "style":
            self.style_elements += 1
        if tag == "link":
            self.links.append(attributes.get("href") or "")
        if "style" in attributes:
            self.style_attributes.append(tag)
        self.handlers += [name for name in attributes if name.startswith("on")]
        if "data-openapi-url" in attributes:
            self.openapi_urls.append(attributes["data-openapi-url"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_code.append(data)


def make_app(**config: object) -> Flask:
    app = Flask(__name__, static_folder=str(WEB / "static"))
    app.config.update(TESTING=True, **config)
    app.register_blueprint(docs.bp)

    @app.get("/api/openapi.json")
    def openapi() -> dict[str, object]:
        return OPENAPI

    return app


@pytest.fixture
def app() -> Flask:
    return make_app()


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def test_the_docs_page_loads_swagger_ui_from_our_static_files(app):
    response = app.test_client().get("/api/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = parse(response.get_data(as_text=True))
    assert page.scripts == [
        "/static/swagger-ui/swagger-ui-bundle.js",
        "/static/swagger-ui/init.js",
    ]
    assert "/static/swagger-ui/swagger-ui.css" in page.links
    assert page.openapi_urls == ["/api/openapi.json"]
    assert "//" not in "".join(page.links + [s or "" for s in page.scripts])


def test_the_docs_page_has_no_inline_script_or_style(app):
    page = parse(app.test_client().get("/api/docs").get_data(as_text=True))

    assert None not in page.scripts
    assert page.inline_code == []
    assert page.handlers == []
    assert page.style_elements == 0
    assert page.style_attributes == []


def test_the_docs_page_sends_a_strict_content_security_policy(app):
    response = app.test_client().get("/api/docs")

    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in response.headers["Content-Security-Policy"].split(";")
    }
    assert policy["default-src"] == ["'self'"]
    # Swagger UI needs no inline style; its stylesheet draws icons as data: images.
    assert "style-src" not in policy
    assert "script-src" not in policy
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_every_asset_the_page_names_is_served(app):
    client = app.test_client()
    page = parse(client.get("/api/docs").get_data(as_text=True))

    for url in [*page.links, *(s for s in page.scripts if s)]:
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.content_length, url
    with client.get("/api/openapi.json") as response:
        assert response.get_json() == OPENAPI


def test_the_init_script_starts_swagger_ui_on_the_named_document():
    init = (SWAGGER_UI / "init.js").read_text(encoding="utf-8")

    assert "SwaggerUIBundle(" in init
    assert 'getAttribute("data-openapi-url")' in init
    assert "validatorUrl: null" in init


def test_the_openapi_url_can_be_configured():
    app = make_app(API_DOCS_OPENAPI_URL="/other/openapi.json")

    page = parse(app.test_client().get("/api/docs").get_data(as_text=True))

    assert page.openapi_urls == ["/other/openapi.json"]


def test_the_vendored_swagger_ui_is_the_recorded_version_with_its_licence():
    recorded = (SWAGGER_UI / "VERSION").read_text(encoding="utf-8")
    match = re.match(r"swagger-ui-dist (\d+\.\d+\.\d+) .*Apache-2\.0", recorded)

    assert match, recorded
    bundle = (SWAGGER_UI / "swagger-ui-bundle.js").read_text(encoding="utf-8")
    assert f'PACKAGE_VERSION:"{match[1]}"' in bundle
    assert "Apache License" in (SWAGGER_UI / "LICENSE").read_text(encoding="utf-8")
