"""Shared set-up: hypothesis without memory, and a headless Chromium for the explorer
pages (one per test module)."""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# The suite's outcome must not depend on a previous run or on the machine's speed: no
# example database (a case that once failed is not replayed on this machine only), the
# same examples every run, and no check that times the test (deadline, too_slow).
settings.register_profile(
    "backproplab",
    database=None,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("backproplab")

# The Ctrl-C tests need Python's own SIGINT handler. A test run started in the background
# by a shell without job control inherits SIGINT ignored, and Python then keeps it ignored
# (so would every `python -m nn` the tests start): put the handler Python installs itself.
signal.signal(signal.SIGINT, signal.default_int_handler)

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # Chromium refuses to run as root with its sandbox
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--window-size=1200,900",
)


class Browser:
    """A selenium Chrome driver with the checks the page tests share."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def open(self, path: Path) -> None:
        """Load a saved page from its file, forgetting the logs of earlier pages."""
        self.driver.get_log("browser")
        self.driver.get_log("performance")
        self.driver.get(path.resolve().as_uri())

    def run(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def requested_urls(self) -> list[str]:
        """Every URL the page asked for since `open` (the DevTools network log)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Debian's Chromium driven headless through its own chromedriver.

    Both paths are given to selenium, so selenium-manager never runs (it would try to
    download a browser and a driver). `make setup` installs the two packages
    (scripts/ensure-chromium.sh); a test run without them fails and says so.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.fail(
            "the explorer tests need Chromium and chromedriver on PATH: run `make setup` "
            "(it calls scripts/ensure-chromium.sh) or `sudo apt-get install chromium "
            "chromium-driver`"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.get("about:blank")  # the start page's own requests land in the logs before this
    try:
        yield Browser(driver)
    finally:
        driver.quit()
