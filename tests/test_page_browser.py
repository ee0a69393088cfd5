"""The page for people in a real browser: Debian's Chromium, headless, driven by Playwright
(``executable_path``: Playwright's own browser download is never used), against ``backclf
serve`` started on a free port.

Each scenario ends by checking that what the page shows equals what ``backclf predict`` gives
for the case the page sent, and saves a screenshot of the final screen under reports/ui/.
Without Chromium these tests skip, except in CI (``CI`` set), where they must run.
"""

from __future__ import annotations

import json
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

# The banner's words for each triage level, as a person should read them (hand-written).
BANNER = {
    "emergency_ambulance": "Call an ambulance now",
    "emergency": "Go to an emergency department now",
    "consultation_24": "See a doctor within 24 hours",
    "consultation": "Book a doctor's appointment",
    "self_care": "Self-care: manage it at home, and see a doctor if it gets worse",
}
# A person with a mechanical strain: what they answer to each question, by its option label
# (a number for a number question); "Don't know" to anything else.
MECHANICAL = {
    "age": "38",
    "trigger": "Lifting something heavy",
    "chronic_strain_history": "No",
    "pain_side": "In the middle",
    "spasm": "No",
    "onset": "Suddenly",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    command = [sys.executable, "-m", "backclf", "serve", "--port", str(port), "--no-access-log"]
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as sink:  # a file, not a pipe nobody reads: the server never blocks
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
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
            process.wait()
            pytest.fail(f"backclf serve did not start: {log.read_text()}")
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=60)
    assert "Traceback" not in log.read_text()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


class Visit:
    """One person's visit: the page, and every case it sent to ``POST /assess``."""

    def __init__(self, page: Page, url: str) -> None:
        self.page, self.url = page, url
        self.sent: list[dict] = []
        self.elsewhere: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _request(self, request) -> None:
        if not request.url.startswith(self.url):
            self.elsewhere.append(request.url)
        elif request.url == f"{self.url}/assess":
            self.sent.append(json.loads(request.post_data))

    def start(self, story: str = "") -> None:
        self.page.goto(self.url)
        if story:
            self.page.fill("#story", story)
        self.page.click("#start-button")
        # the first question, or "no more questions" when the words already say go now
        expect(self.page.locator("#question:not([hidden]), #done:not([hidden])")).to_have_count(1)

    def answer_checklist(self, yes: tuple[str, ...] = ()) -> None:
        for item in self.page.locator("#question-body fieldset.item").all():
            name = "Yes" if item.get_attribute("data-finding") in yes else "No"
            item.get_by_role("radio", name=name, exact=True).check()
        self.next()

    def next(self) -> None:
        answered = len(self.page.locator("#answer-list > li").all())
        self.page.click("#next")
        expect(self.page.locator("#answer-list > li")).to_have_count(answered + 1)

    def answer_until_done(self, answers: dict[str, str]) -> None:
        while self.page.locator("#question").is_visible():
            question = self.page.locator("#question-body")
            kind = question.get_attribute("class")
            if kind == "checklist":
                self.answer_checklist()
                continue
            finding = question.get_attribute("data-finding")
            if kind == "number":
                if finding in answers:
                    self.page.fill("#number", answers[finding])
                else:
                    question.get_by_role("radio", name="Don't know").check()
            else:
                label = answers.get(finding, "Don't know")
                question.get_by_role("radio", name=label, exact=True).check()
            self.next()
        expect(self.page.locator("#done")).to_be_visible()

    def page_case(self) -> dict:
        """The case behind the assessment on screen (the last one the page sent: call once
        the screen shows its answer)."""
        return self.sent[-1]

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=SCREENSHOTS / f"{name}.png",
                             animations="disabled", caret="hide")

    def check_nothing_left_the_page(self) -> None:
        assert self.elsewhere == [], "the page asked another origin"
        assert self.errors == [], "the page's script failed"


@pytest.fixture
def visit(browser, server):
    context = browser.new_context(viewport={"width": 1000, "height": 900}, reduced_motion="reduce")
    visit = Visit(context.new_page(), server)
    yield visit
    visit.check_nothing_left_the_page()
    context.close()


@pytest.fixture(scope="module", autouse=True)
def _predict_process():
    """One ``backclf predict --format json`` process for the module, read a line at a time,
    as the README shows an app doing (spaCy loads once)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "backclf", "predict", "--format", "json"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    PREDICT.append(process)
    yield
    PREDICT.clear()
    process.stdin.close()
    process.wait(timeout=60)


PREDICT: list[subprocess.Popen] = []


def predict(case: dict) -> dict:
    """What ``backclf predict --format json`` says for the case (a separate process)."""
    process = PREDICT[0]
    process.stdin.write(json.dumps(case) + "\n")
    process.stdin.flush()
    return json.loads(process.stdout.readline())


def tab_to(page: Page, element_id: str, most: int = 80) -> None:
    """Press Tab until the element has the focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


def texts(page: Page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


URGENT = ("consultation_24", "emergency", "emergency_ambulance")
GO_NOW = ("emergency", "emergency_ambulance")


def assert_page_shows(page: Page, record: dict) -> None:
    """Everything the page shows is the record's: triage, red flags, cause, differential,
    what was read from the text, the advice and the disclaimer. Before the safety questions
    are answered it shows no reassuring level and no advice; at an emergency, no likely
    cause."""
    level, screened = record["triage"]["level"], record["triage"]["screened"]
    extracted = record.get("extracted") or []
    assert [li.get_attribute("data-finding") for li in page.locator("#understood-list li").all()
            ] == [e["finding"] for e in extracted]
    assert texts(page, "#understood-list q") == [e["span"] for e in extracted]
    if not screened and level not in URGENT:
        expect(page.locator("#banner")).to_be_hidden()
        expect(page.locator("#result")).to_be_hidden()
        expect(page.locator("#unscreened")).to_be_visible()
        return
    expect(page.locator("#banner")).to_be_visible()
    assert page.locator("#banner").get_attribute("data-level") == level
    assert texts(page, "#banner-words")[0].startswith(BANNER[level])
    assert texts(page, "#urgent li") == record["advice"]["urgent"]
    assert texts(page, "#also-tell-list li") == record["advice"]["also_tell"]
    assert page.locator("#banner-unscreened").is_visible() == (not screened)
    if level in GO_NOW:
        expect(page.locator("#cause-section")).to_be_hidden()
        expect(page.get_by_role("heading", name="Likely cause")).to_be_hidden()
    elif record["cause"]:
        assert texts(page, "#cause")[0].startswith(record["cause"]["name"])
    rows = page.locator("#differential li")
    shown = [(r.get_attribute("data-cause"), float(r.get_attribute("data-probability")),
              r.locator(".bar-value").inner_text()) for r in rows.all()]
    assert shown == [(d["id"], d["probability"], f"{d['probability']:.0%}")
                     for d in record["differential"]]
    advice = record["advice"]
    expected_cause = [advice["cause"]] if record["cause"] and advice["cause"] else []
    assert texts(page, "#advice-cause .advice-text") == expected_cause
    assert [li.get_attribute("data-withheld") for li in page.locator("#withheld li").all()
            ] == [w["id"] for w in advice["withheld"]]
    assert texts(page, "#general li") == advice["general"]
    assert texts(page, "#disclaimer-text") == [advice["disclaimer"]]
    expect(page.locator("#disclaimer")).to_be_in_viewport()


# -- scenarios --------------------------------------------------------------------------------


def test_a_mechanical_case_ends_in_self_care_advice(visit, article_text):
    visit.start()
    visit.answer_until_done(MECHANICAL)
    record = predict(visit.page_case())
    assert_page_shows(visit.page, record)
    assert record["triage"]["level"] == "self_care"
    assert visit.page.locator("#banner").get_attribute("data-level") == "self_care"
    advice = texts(visit.page, "#advice-cause .advice-text")
    assert advice and advice[0] in article_text  # the article's own words for the cause
    visit.screenshot("mechanical-self-care")


def test_saddle_numbness_shows_the_emergency_banner_before_any_other_answer(visit):
    page = visit.page
    visit.start()
    numbness = page.locator("#question-body [data-finding=saddle_numbness]")
    numbness.get_by_role("radio", name="Yes", exact=True).check()
    banner = page.locator("#banner")
    expect(banner).to_have_attribute("data-level", "emergency")
    # at once: nothing else answered, still on the first question, the banner on screen
    assert visit.page_case() == {"saddle_numbness": True}
    assert page.locator("#answer-list > li").count() == 0
    expect(banner).to_be_in_viewport()
    expect(banner).to_have_attribute("role", "alert")
    record = predict({"saddle_numbness": True})
    assert_page_shows(page, record)
    assert record["red_flags"] and texts(page, "#urgent li")
    visit.answer_checklist(yes=("saddle_numbness",))
    expect(page.locator("#done")).to_be_visible()  # go now: no more questions
    assert_page_shows(page, predict(visit.page_case()))
    visit.screenshot("saddle-numbness-emergency")


def test_words_with_saddle_numbness_raise_the_flag_before_any_question(visit):
    visit.start("Since this morning I have numbness around my buttocks and groin.")
    expect(visit.page.locator("#banner")).to_have_attribute("data-level", "emergency")
    assert visit.page_case() == {
        "text": "Since this morning I have numbness around my buttocks and groin."
    }
    assert_page_shows(visit.page, predict(visit.page_case()))


def test_a_negated_red_flag_in_the_text_does_not_raise_it(visit):
    story = ("I bent over to tie my shoe and my back seized up. No numbness anywhere, "
             "no fever, and I can pass urine normally.")
    visit.start(story)
    page = visit.page
    record = predict(visit.page_case())
    assert_page_shows(page, record)
    assert not record["red_flags"]
    expect(page.locator("#banner")).to_be_hidden()  # nothing urgent, the screen still open
    # what was understood: the numbness, read as absent
    numbness = page.locator("#understood-list li[data-finding=saddle_numbness]")
    expect(numbness).to_contain_text("numbness")
    expect(numbness).to_contain_text(": no")
    # and, as silence is not a "no", the checklist still asks about it
    expect(page.locator("#question-body [data-finding=saddle_numbness]")).to_be_visible()
    visit.answer_until_done(MECHANICAL)
    assert_page_shows(page, predict(visit.page_case()))
    visit.screenshot("negated-red-flag")


def test_the_interview_can_be_completed_with_the_keyboard_alone(visit):
    page, keyboard = visit.page, visit.page.keyboard
    page.goto(visit.url)
    keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "story"
    keyboard.type("I lifted a heavy box and my lower back hurts. No fever.")
    keyboard.press("Tab")
    keyboard.press("Enter")
    expect(page.locator("#question")).to_be_visible()
    answered = 0
    while not page.locator("#done").is_visible():
        body = page.locator("#question-body")
        kind, finding = body.get_attribute("class"), body.get_attribute("data-finding")
        groups = body.locator("fieldset.item").all() if kind == "checklist" else [body]
        for group in groups:
            if kind == "checklist" and group.evaluate(
                "item => item === item.parentElement.querySelector('fieldset.item')"
                " && !!item.parentElement.querySelector('.none-of-these')"
            ):
                keyboard.press("Tab")  # a group's "No to all of these" comes before its lines
            keyboard.press("Tab")  # into the group: its first option
            labels = [t.strip() for t in group.locator("label.option").all_inner_texts()]
            if kind == "number":
                keyboard.type(MECHANICAL.get(finding, "40"))
                keyboard.press("Tab")  # onto "Don't know", not choosing it
                continue
            wanted = "No" if kind == "checklist" else MECHANICAL.get(finding, "Don't know")
            choice = labels.index(wanted)
            if choice == 0:
                keyboard.press("Space")
            for _ in range(choice):
                keyboard.press("ArrowRight")
        keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "next"
        keyboard.press("Enter")
        answered += 1
        expect(page.locator("#answer-list > li")).to_have_count(answered)
    assert_page_shows(page, predict(visit.page_case()))
    # back with the keyboard: the last answer's "Change" (just before "Start again")
    # reopens that question, with the answer given
    tab_to(page, "restart")
    keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith(
        "Change your answer to")
    keyboard.press("Enter")
    expect(page.locator("#question")).to_be_visible()
    expect(page.locator("#answer-list > li")).to_have_count(answered - 1)
    body = page.locator("#question-body")
    kept = (body.locator("input:checked").count() == 1
            or (body.get_attribute("class") == "number" and page.input_value("#number")))
    assert kept
    tab_to(page, "next")
    keyboard.press("Enter")  # and on again, unchanged
    expect(page.locator("#done")).to_be_visible()
    assert_page_shows(page, predict(visit.page_case()))
    visit.screenshot("keyboard-only")


def test_the_page_works_on_a_phone_sized_screen(browser, server):
    context = browser.new_context(viewport={"width": 375, "height": 812}, reduced_motion="reduce",
                                  is_mobile=True, has_touch=True, device_scale_factor=1)
    visit = Visit(context.new_page(), server)
    visit.start("I twisted while gardening yesterday and now my lower back aches.")
    visit.answer_until_done(MECHANICAL)
    page = visit.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
    for selector in ("#banner", "#differential", "#advice-cause", "#general", "#restart"):
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, selector
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(page.locator("#disclaimer")).to_be_in_viewport()
    page.evaluate("window.scrollTo(0, 0)")
    assert_page_shows(page, predict(visit.page_case()))
    visit.screenshot("phone-375px")
    # start again: back to the first screen, nothing kept
    page.click("#restart")
    expect(page.locator("#start")).to_be_visible()
    expect(page.locator("#banner")).to_be_hidden()
    assert page.locator("#story").input_value() == ""
    visit.check_nothing_left_the_page()
    context.close()


def test_without_the_text_reader_the_page_says_so_plainly(browser, server):
    context = browser.new_context()
    page = context.new_page()
    health = httpx.get(f"{server}/health").json() | {"text": False}
    page.route(f"{server}/health", lambda route: route.fulfill(json=health))
    visit = Visit(page, server)
    page.goto(server)
    expect(page.locator("#story-note")).to_contain_text("cannot read your own words")
    expect(page.locator("#story")).to_be_disabled()
    page.click("#start-button")
    expect(page.locator("#question")).to_be_visible()
    assert "text" not in visit.page_case()
    context.close()


# -- not yet screened; an emergency without a likely cause; the checklist in groups ------------


def test_after_start_no_triage_banner_until_the_safety_questions_are_answered(visit):
    page = visit.page
    visit.start()
    expect(page.locator("#question-body fieldset.item").first).to_be_visible()
    expect(page.locator("#banner")).to_be_hidden()  # not "Self-care" before the screen
    expect(page.locator("#result")).to_be_hidden()
    expect(page.locator("#unscreened")).to_be_visible()
    record = predict(visit.page_case())
    assert record["triage"] == {"level": "self_care", "overridden": False, "screened": False}
    assert_page_shows(page, record)
    # The groups, most urgent first, each with "No to all of these": every line answered.
    titles = texts(page, "#question-body .item-group h3")
    assert titles[0] == "Signs that need help at once" and len(titles) >= 4
    for button in page.locator("#question-body .none-of-these").all():
        button.click()
    assert page.locator("#question-body fieldset.item input:checked").count() == page.locator(
        "#question-body fieldset.item").count()
    expect(page.locator("#banner")).to_be_hidden()  # follow-ups are still to come
    visit.next()
    visit.answer_until_done(MECHANICAL)
    record = predict(visit.page_case())
    assert record["triage"]["screened"]
    assert_page_shows(page, record)
    expect(page.locator("#banner")).to_be_visible()
    visit.screenshot("not-yet-screened-then-self-care")


def test_an_emergency_shows_no_likely_cause_headline(visit):
    page = visit.page
    visit.start("I lifted a box and now I have numbness between my legs.")
    expect(page.locator("#banner")).to_have_attribute("data-level", "emergency")
    record = predict(visit.page_case())
    assert record["cause"] is not None or record["abstained"]
    assert_page_shows(page, record)
    expect(page.get_by_text("Likely cause", exact=True)).to_be_hidden()
    notes = [n.get_attribute("data-note") for n in page.locator("#advice-notes > div").all()]
    assert "travel" in notes  # "do not drive yourself"
    visit.screenshot("emergency-no-cause")
