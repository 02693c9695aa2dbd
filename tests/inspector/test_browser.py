"""The inspector in a real browser: Debian's headless Chromium driven by Selenium.

One walk through the UI, as a person giving a demo would: load the demo data from the
controls page, follow links from the home page to an Asleep night and check its
hypnogram against the session's stages, redeliver a webhook and see the new attempt,
open a Kintsugi session and see its prediction, and watch a request arrive in the
journal's live tail. Every page is photographed on the way: into a temporary
directory normally, into ``docs/img/`` with ``EMULATOR_UI_SCREENSHOTS=1`` (how the
pictures in docs/inspector.md are made).

Skipped, saying why, only when Chromium or chromedriver is not installed (and then a
failure under CI, which installs them: ``tests.support.tools``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from emulator.core.secrets import mask
from emulator.inspector.charts import runs
from emulator.settings import Settings
from emulator.testing import EmulatorServer
from tests.support import browser
from tests.support.tools import missing

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KEY = "demo-key"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
WAIT = 15.0


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("EMULATOR_UI_SCREENSHOTS") == "1":
        return DOCS_IMG
    return tmp_path_factory.mktemp("inspector-screenshots")


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    # A running clock from a fixed start: the demo data is the same on every run.
    with EmulatorServer(Settings(seed=4, clock_start="2025-03-01T12:00:00Z")) as emu:
        yield emu


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    why = browser.missing()
    if why is not None:
        missing("chromium and chromedriver", why)  # a visible skip; a failure in CI
    with browser.chromium() as found:
        yield found


def _wait(driver: WebDriver, condition: Any, timeout: float = WAIT) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def _css(driver: WebDriver, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def _all(driver: WebDriver, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    found: list[Any] = driver.find_elements(By.CSS_SELECTOR, selector)
    return found


def _click_link(driver: WebDriver, text: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.LINK_TEXT, text).click()


def _api(server: EmulatorServer, path: str, **params: Any) -> Any:
    response = httpx.get(server.base_url + path, headers={"x-api-key": KEY}, params=params)
    response.raise_for_status()
    return response.json()


def _photo(driver: WebDriver, shots: Path, name: str) -> None:
    browser.full_page_png(driver, shots / f"inspector-{name}.png")


def test_a_demo_walk_through_the_inspector(
    server: EmulatorServer, driver: WebDriver, shots: Path
) -> None:
    base = server.base_url
    _load_demo(driver, base)
    session_id = _to_a_night(driver, shots)
    _check_hypnogram(driver, server, session_id)
    _photo(driver, shots, "asleep-session")
    _gap_night(driver, server, shots)
    _redeliver(driver, server, shots)
    _kintsugi(driver, server, shots)
    _journal_tail(driver, server, shots)
    driver.get(f"{base}/_emulator/ui/controls?tenant={KEY}")
    _photo(driver, shots, "controls")
    _click_link(driver, "Home")
    _wait(driver, lambda d: "Last requests" in d.page_source)
    _photo(driver, shots, "home")


def _load_demo(driver: WebDriver, base: str) -> None:
    driver.get(f"{base}/_emulator/ui/controls")
    _css(driver, "button[data-load-demo]").click()
    _wait(driver, lambda d: f"Demo data loaded for {mask('demo-key')}" in d.page_source)
    assert driver.current_url.startswith(f"{base}/_emulator/ui/?tenant={KEY}")
    line = f"curl -sS -X POST '{base}/_emulator/demo?api_key=demo-key'"
    assert line in _css(driver, ".flash").text


def _to_a_night(driver: WebDriver, shots: Path) -> str:
    """Home -> Asleep users -> the first user -> their latest night; its session id."""
    _click_link(driver, "Asleep users")
    _wait(driver, lambda d: "Asleep users" in d.title)
    _photo(driver, shots, "asleep-users")
    _all(driver, "table.data tbody td a.mono")[0].click()
    _wait(driver, lambda d: "/asleep/users/" in d.current_url)
    _photo(driver, shots, "asleep-user")
    _all(driver, "table.data tbody td.nowrap a")[0].click()
    _wait(driver, lambda d: "/asleep/sessions/" in d.current_url)
    return str(driver.current_url.split("/asleep/sessions/")[1].split("?")[0])


def _check_hypnogram(driver: WebDriver, server: EmulatorServer, session_id: str) -> None:
    stages = _api(server, f"/_emulator/asleep/sessions/{session_id}")["sleep_stages"]
    svg = _css(driver, 'svg[role="img"][aria-label="Hypnogram"]')
    drawn = [
        (int(r.get_attribute("data-stage")), int(r.get_attribute("data-start")),
         int(r.get_attribute("data-length")))
        for r in svg.find_elements("css selector", "rect.seg")
    ]  # fmt: skip
    assert drawn == [(r.value, r.start, r.length) for r in runs(stages) if r.value >= 0]
    gaps = svg.find_elements("css selector", "rect.gap")
    assert len(gaps) == sum(1 for r in runs(stages) if r.value == -1)
    for label in ("Breathing stability", "Snoring"):
        assert _all(driver, f'svg[role="img"][aria-label="{label}"]')


def _gap_night(driver: WebDriver, server: EmulatorServer, shots: Path) -> None:
    """The night with a stretch of missing audio: the gap is drawn."""
    users = _api(server, "/_emulator/asleep/users")["users"]
    normal = next(u for u in users if u["profile"] == "normal")
    nights = _api(server, f"/_emulator/asleep/users/{normal['user_id']}/sessions")["sessions"]
    gap = next(s for s in nights if s["missing_data_ratio"] > 0)
    driver.get(f"{server.base_url}/_emulator/ui/asleep/sessions/{gap['session_id']}?tenant={KEY}")
    assert _all(driver, 'svg[aria-label="Hypnogram"] rect.gap')
    _photo(driver, shots, "asleep-session-gap")


def _redeliver(driver: WebDriver, server: EmulatorServer, shots: Path) -> None:
    _click_link(driver, "Webhooks")
    _wait(driver, lambda d: "Webhook deliveries" in d.page_source)
    _photo(driver, shots, "webhooks")
    before = {group.get_attribute("id") for group in _all(driver, "table.deliveries tbody")}
    first = _all(driver, "button[data-redeliver]")[0]
    original = first.get_attribute("data-redeliver")
    first.click()
    _wait(driver, lambda d: "Redelivered" in d.page_source)
    new_id = str(driver.current_url.split("#")[1])
    assert new_id not in before
    row = _css(driver, f'tbody[id="{new_id}"]')
    assert "redelivery" in (row.get_attribute("class") or "")
    # The new delivery's first attempt, as the page shows it and as the API has it.
    assert _css(driver, f'tbody[id="{new_id}"] td.attempts-count').text.strip() == "1"
    found = httpx.get(f"{server.base_url}/_emulator/callbacks/{new_id}").json()
    assert found["redelivery_of"] == original
    assert found["attempts"][0]["status"] == 200
    assert found["status"] in row.text
    row.find_element("css selector", "summary").click()
    _wait(driver, lambda d: "received" in row.find_element("css selector", ".attempts").text)
    _photo(driver, shots, "webhooks-redelivered")


def _kintsugi(driver: WebDriver, server: EmulatorServer, shots: Path) -> None:
    _click_link(driver, "Kintsugi")
    _wait(driver, lambda d: "Kintsugi Voice sessions" in d.page_source)
    _photo(driver, shots, "kintsugi-sessions")
    sessions = _api(server, "/_emulator/kintsugi/sessions", order="desc", limit=25)["sessions"]
    chosen = next(
        s for s in sessions if s["status"] == "success" and s["feedback"] and
        s["prediction"]["model"] == "unified"
    )  # fmt: skip
    _css(driver, f'a[href*="{chosen["session_id"]}"]').click()
    _wait(driver, lambda d: chosen["session_id"] in d.current_url)
    shown = {
        block.get_attribute("data-category"): block.find_element(
            "css selector", ".prediction-label"
        ).text
        for block in _all(driver, ".label-block")
    }
    expected = {
        c: v.replace("_", " ").capitalize() for c, v in chosen["prediction"]["scores"].items()
    }
    assert shown == expected
    _photo(driver, shots, "kintsugi-session")


def _journal_tail(driver: WebDriver, server: EmulatorServer, shots: Path) -> None:
    _click_link(driver, "Journal")
    _wait(driver, lambda d: "live on" in (_css(d, "[data-live]").get_attribute("class") or ""))
    path = "/v2/predict/users/demo-patient-1"
    driver.execute_script("window.stillTheSamePage = true")
    _traffic(server)
    httpx.get(server.base_url + path, headers={"x-api-key": KEY}).raise_for_status()
    row = _wait(
        driver,
        lambda d: next((r for r in _all(d, "table.journal tbody tr.req") if path in r.text), False),
    )
    assert "200" in row.text
    # It came over the live tail: the page was never reloaded.
    assert driver.execute_script("return window.stillTheSamePage") is True
    row.find_element("css selector", "summary").click()
    _wait(driver, lambda d: "response headers" in row.text.lower())
    assert "x-api-key" in row.text
    assert "demo-key" not in row.text  # masked
    assert len(_all(driver, "table.journal tbody tr.req")) >= 9
    # New rows glow for a moment (a CSS animation headless Chromium may not run on its
    # own): photograph them settled.
    driver.execute_script(
        "document.querySelectorAll('.fresh').forEach(e => e.classList.remove('fresh'))"
    )
    _photo(driver, shots, "journal")


def _traffic(server: EmulatorServer) -> None:
    """What a client under test might send: reads of both APIs, a refusal, a throttle."""
    base, h = server.base_url, {"x-api-key": KEY}
    rule = {"path": "/v1/initiate", "action": "throttle", "status": 429, "times": 1}
    httpx.post(f"{base}/_emulator/faults", json=rule).raise_for_status()
    user = _api(server, "/_emulator/asleep/users")["users"][1]
    session = user["last_session"]["session_id"]
    uh = {**h, "x-user-id": user["user_id"], "timezone": "America/New_York"}
    period = {"start_date": "2025-02-01", "end_date": "2025-02-28"}
    httpx.get(f"{base}/ai/v1/users/{user['user_id']}", headers=h)
    httpx.get(f"{base}/data/v1/sessions", headers=uh, params={"limit": 7})
    httpx.get(f"{base}/data/v3/sessions/{session}", headers=uh)
    httpx.get(f"{base}/data/v1/users/{user['user_id']}/average-stats", headers=uh, params=period)
    httpx.post(
        f"{base}/v2/initiate", headers=h, json={"user_id": "patient-7", "is_initiated": True}
    )
    httpx.post(
        f"{base}/v1/initiate", headers=h, data={"user_id": "patient-8", "is_initiated": "true"}
    )
    httpx.get(f"{base}/data/v3/sessions/{session}", headers=h)  # no x-user-id: 401
    httpx.get(f"{base}/v2/predict/sessions/unknown", headers=h)
