"""Take the README's screenshot of `timeline serve`: the page on 26 May 2020, with Al Watiya's
history open.

Seeds the shipped timeline into a temporary SQLite database, runs `timeline serve` on it on a
free port of 127.0.0.1, opens the page in headless Chromium through Selenium (Debian's
chromium and chromium-driver; the `serve` and `test` extras), clicks Al Watiya and writes
docs/serve-2020-05-26.png:

    python docs/make_screenshot.py
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from timeline import database  # noqa: E402
from timeline.seeds import load_seed  # noqa: E402
from timeline.store.sql import SqlStore  # noqa: E402

IMAGE = ROOT / "docs" / "serve-2020-05-26.png"
SIZE = (1280, 860)


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(base: str) -> None:
    """Until the server answers."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/timelines", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start") from None
            time.sleep(0.1)


def shoot(base: str) -> None:
    """Open the page, pick the date, open Al Watiya's history, save the screenshot."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={SIZE[0]},{SIZE[1]}")
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        browser.get(f"{base}/#timeline=libya&date=2020-05-26")
        wait = WebDriverWait(browser, 30)
        wait.until(lambda d: d.find_element(By.ID, "map").get_attribute("data-state") == "ready")
        browser.find_element(By.CSS_SELECTOR, "#place-al-watiya circle.dot").click()
        wait.until(lambda d: d.find_element(By.ID, "history").is_displayed())
        browser.save_screenshot(str(IMAGE))
    finally:
        browser.quit()


def main() -> None:
    """Seed, serve, shoot."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'libya.db'}"
        engine = database.open_engine(url)
        load_seed(SqlStore(engine), "libya")
        engine.dispose()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "timeline", "--db", url, "serve", "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base)
            shoot(base)
        finally:
            server.terminate()
            server.wait(30)
    print(f"{IMAGE.relative_to(ROOT)}: {IMAGE.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
