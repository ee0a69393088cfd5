"""The page for people, as files and routes (no browser): served at ``/`` with its assets,
shut to every other origin, and written so that nothing from the API is parsed as HTML.
The page in a browser: tests/test_page_browser.py."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
from fastapi.testclient import TestClient

from backclf.serve.app import create_app

STATIC = files("backclf.serve") / "static"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url="http://localhost") as c:
        yield c


@pytest.mark.parametrize(
    ("path", "media"),
    [("/", "text/html"), ("/app.css", "text/css"), ("/app.js", "text/javascript")],
)
def test_the_page_and_its_assets_are_served_with_a_strict_policy(client, path, media):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_nothing_else_is_served_from_the_package(client):
    assert client.get("/static/index.html").status_code == 404
    assert client.get("/../pyproject.toml").status_code == 404
    assert client.get("/favicon.ico").status_code == 204  # no icon, and no error in the log


def test_the_page_is_not_part_of_the_api_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not {"/", "/app.css", "/app.js"} & set(paths)


@pytest.mark.parametrize("name", ["index.html", "app.css", "app.js"])
def test_the_page_needs_no_network(name):
    # Works offline: no address outside the server (no CDN, font or analytics).
    text = (STATIC / name).read_text(encoding="utf-8")
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), name
    assert "@import" not in text


def test_the_script_never_parses_api_text_as_html():
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function"):
        assert sink not in script, sink
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<script [^>]*src=\"/app.js\"", html)
    assert not re.search(r"<script>|<script [^>]*>[^<]", html)  # no inline script
    assert " style=" not in html and "onclick" not in html.lower()


def test_every_control_on_the_page_has_a_label():
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    for control in re.findall(r"<(?:textarea|input|select)[^>]*\bid=\"([^\"]+)\"", html):
        assert f'for="{control}"' in html, control
