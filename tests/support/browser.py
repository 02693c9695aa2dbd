"""A headless Chromium for browser tests: Debian's ``chromium`` and ``chromedriver``.

Nothing is downloaded: Selenium Manager is told to stay offline (``SE_OFFLINE``) and
is never needed, because both paths are given. The browser starts with a fresh
profile and with every background service that would reach the network switched
off; the pages it loads are served on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMEDRIVER: Final = Path("/usr/bin/chromedriver")
FLAGS: Final = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    # No name is resolved but the loopback pages' own (strace caught the built-in
    # resolver asking the machine's DNS server, and DNS-over-HTTPS probes to a public
    # resolver's address): tests talk only to 127.0.0.1 / ::1.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--disable-features=Translate,OptimizationHints,MediaRouter,DnsOverHttps,AsyncDns,"
    "NetworkTimeServiceQuerying,CertificateTransparencyComponentUpdater",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-pings",
    "--dns-prefetch-disable",
    "--disable-ipv6",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def missing() -> str | None:
    """Why a browser test cannot run here, or None when it can."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is missing: apt-get install chromium chromium-driver"
    return None


@contextmanager
def chromium(width: int = 1360, height: int = 900) -> Iterator[WebDriver]:
    """A headless Chromium driven over chromedriver, closed (and its profile removed) after."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    profile = tempfile.mkdtemp(prefix="inspector-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def full_page_png(driver: WebDriver, path: Path, width: int = 1360) -> None:
    """A screenshot of the whole page, not only the window (through the DevTools
    protocol: the viewport is stretched to the document's height for the shot)."""
    height = driver.execute_script(
        "return Math.ceil(Math.max(document.body.scrollHeight,"
        " document.documentElement.scrollHeight))"
    )
    metrics = {"width": width, "height": int(height), "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(path))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
