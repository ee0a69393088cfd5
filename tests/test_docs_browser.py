"""The API documentation works offline: Swagger UI (``/docs``) and ReDoc (``/redoc``) load
their assets from the package (fastapi-offline ships them) and render the OpenAPI document in
Debian's Chromium, headless, driven by Playwright, with every request to anywhere but the
server refused. In Swagger UI, "Try it out" with a misspelt finding shows the server's 422
problem and its suggestion.

Without Chromium these tests skip, except in CI (``CI`` set), where they must run.
Screenshots of both pages are saved under reports/ui/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "reports" / "ui"
CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
)
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip(
        "no Chromium found (install Debian's `chromium`; .ci/run does); in CI these tests run",
        allow_module_level=True,
    )
if CHROMIUM is None:
    pytest.fail("CI is set but no Chromium was found: .ci/run installs it", pytrace=False)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "backclf", "serve", "--port", str(port)],
            stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"backclf serve did not start: {log.read_text()}")
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=60)
    assert "Traceback" not in log.read_text()


class Offline:
    """A browser page that can reach the server and nothing else (as with no network)."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.refused: list[str] = []
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

        def route(request_route) -> None:
            if request_route.request.url.startswith(url):
                request_route.continue_()
            else:
                self.refused.append(request_route.request.url)
                request_route.abort()

        page.route("**/*", route)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


def test_swagger_ui_works_offline_and_shows_the_typo_problem(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    visit = Offline(page, server)
    page.goto(f"{server}/docs")
    for operation in ("assess", "assess_batch", "health", "version"):
        expect(page.locator(f"#operations-default-{operation}")).to_be_visible()
    page.click("#operations-default-assess .opblock-summary")
    page.get_by_role("button", name="Try it out").click()
    page.locator("#operations-default-assess textarea.body-param__text").fill('{"fevr": true}')
    page.get_by_role("button", name="Execute").click()
    live = page.locator("#operations-default-assess .live-responses-table")
    expect(live.locator("tr.response .response-col_status").first).to_have_text("422")
    expect(live).to_contain_text("did you mean 'fever'?")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    live.locator("tr.response").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "docs-swagger-typo.png"), full_page=False)
    assert visit.refused == [] and visit.errors == []
    page.close()


def test_redoc_works_offline(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    visit = Offline(page, server)
    page.goto(f"{server}/redoc")
    expect(page.get_by_role("heading", name="Assess one case").first).to_be_visible()
    expect(page.locator("body")).to_contain_text("Assess many cases")
    page.screenshot(path=str(SCREENSHOTS / "docs-redoc.png"), full_page=False)
    assert visit.refused == [] and visit.errors == []
    page.close()
