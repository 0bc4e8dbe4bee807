"""The web page in headless Chromium (Debian's chromium and chromium-driver, through Selenium),
served by uvicorn on 127.0.0.1 from a Libya database whose Al Watiya capture was recorded
months after the rest: the date slider moves the marker from one controller to the other, and
the knowledge slider moves it back."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from timeline.serving.app import create_app
from timeline.store.sql import SqlStore

from .conftest import FIRST_RECORDED

WAIT = 10.0  # seconds for the page to answer a move of a slider


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(libya_two_steps: SqlStore) -> Iterator[str]:
    """The app on 127.0.0.1, in a thread of this process; its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(libya_two_steps), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser(tmp_path: Any) -> Iterator[webdriver.Chrome]:
    """Headless Chromium driven by chromium-driver; skipped (failed under CI=true) without."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true: chromium or chromium-driver is missing (.ci/run installs them)")
        pytest.skip("chromium is not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()


def _move(browser: webdriver.Chrome, slider: str, value: int) -> None:
    # A user's drag ends in an `input` event at the new value; this is that event.
    browser.execute_script(
        "const s = document.getElementById(arguments[0]); s.value = arguments[1];"
        "s.dispatchEvent(new Event('input', {bubbles: true}));",
        slider,
        value,
    )


def _shown(
    browser: webdriver.Chrome, date: str, as_known: str, as_published: str = ""
) -> dict[str, str]:
    """Wait until the map shows `date` as known at `as_known` and published by `as_published`
    ("" for no bound); returns each place's controller as its marker says."""

    def ready(driver: webdriver.Chrome) -> bool:
        state = driver.execute_script(
            "const m = document.getElementById('map');"
            "return [m.dataset.state, m.dataset.date, m.dataset.asKnown, m.dataset.asPublished];"
        )
        return bool(state == ["ready", date, as_known, as_published])

    WebDriverWait(browser, WAIT).until(ready)
    markers = browser.find_elements(By.CSS_SELECTOR, "#map g.place")
    return {
        m.get_attribute("data-place") or "": m.get_attribute("data-controller") or ""
        for m in markers
    }


# What the page does is the browser's and the API's; the API is tested on both backends
# (test_api.py), the page on one.
@pytest.mark.parametrize("libya_two_steps", ["sqlite"], indirect=True)
def test_sliders_move_al_watiya_between_controllers(served: str, browser: webdriver.Chrome) -> None:
    started = time.monotonic()
    browser.get(served + "/")
    WebDriverWait(browser, WAIT).until(
        lambda d: d.execute_script("return document.getElementById('map').dataset.state") == "ready"
    )
    assert browser.title == "Libyan civil war, 2011–2020"

    day = browser.execute_script("return indexOfDay('2020-05-10')")
    _move(browser, "date", day)
    assert _shown(browser, "2020-05-10", "")["al-watiya"] == "lna"
    _move(browser, "date", day + 16)
    assert _shown(browser, "2020-05-26", "")["al-watiya"] == "gna"
    # The briefing beside the map says the same.
    briefing = browser.find_element(By.CSS_SELECTOR, "#briefing table[data-section=control]")
    assert "Al Watiya Air Base Government of National Accord" in briefing.text
    # A holding resting on one outlet is marked, and the mark is explained above the tables.
    assert " *" in briefing.text
    note = browser.find_element(By.CSS_SELECTOR, "#briefing p.maybe").text
    assert "* = the holding rests on a single source" in note

    # Back to what the database knew before the capture was recorded.
    _move(browser, "known", 0)
    first = FIRST_RECORDED.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _shown(browser, "2020-05-26", first)["al-watiya"] == "lna"
    assert browser.find_element(By.ID, "known-label").text == f"as known at {first}"

    # A click on the place shows its history, as known then.
    browser.find_element(By.CSS_SELECTOR, "#place-al-watiya circle.dot").click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "history").is_displayed())
    history = browser.find_element(By.ID, "history").text
    assert "History of Al Watiya Air Base" in history
    assert "2014 .. now: held by Libyan National Army" in history

    # The events of the surrounding days, with their sources as links.
    _move(browser, "known", 1000)
    _shown(browser, "2020-05-26", "")
    links = browser.find_elements(By.CSS_SELECTOR, "#nearby-list .sources a")
    items = browser.find_elements(By.CSS_SELECTOR, "#nearby-list li[data-event]")
    assert items
    assert all(link.get_attribute("href") or "".startswith("http") for link in links)

    # What had been published by 10 May 2020: the capture of 18 May had not been.
    browser.execute_script(
        "const k = document.getElementById('knowledge-kind'); k.value = 'as_published';"
        "k.dispatchEvent(new Event('change', {bubbles: true}));"
    )
    position = browser.execute_script(
        "const span = knowledgeSpan('as_published');"
        "const first = Date.parse(span.first), last = Date.parse(span.last);"
        "return Math.floor(KNOWN_STEPS * (Date.parse('2020-05-10') - first) / (last - first));"
    )
    _move(browser, "known", position)
    published_by = browser.execute_script("return knowledge().as_published")
    assert published_by.startswith("2020-05-0")
    # Before the capture was public, the base is shown with whoever the sources published by
    # then had holding it (the LNA's 2014 holding rests on a later account), never the GNA.
    assert _shown(browser, "2020-05-26", "", published_by)["al-watiya"] != "gna"
    label = browser.find_element(By.ID, "known-label").text
    assert label == f"as published by {published_by}"
    _move(browser, "known", 1000)
    assert _shown(browser, "2020-05-26", "")["al-watiya"] == "gna"

    # Nothing was asked of any other server, and the page logged no error.
    origins = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)"
    )
    assert set(origins) == {served}
    logged = browser.get_log("browser")  # type: ignore[no-untyped-call]
    errors = [e for e in logged if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    assert time.monotonic() - started < 20
