"""The inspector's pages and forms, in-process (no browser): what each shows, how each
refuses, and that every action goes through the control API and shows its curl line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.secrets import mask
from emulator.settings import Settings, WebhookSettings

KEY = "demo-key"
H = {"x-api-key": KEY}
# A loopback base URL whose port refuses: the demo's webhooks (and any redelivery in
# these tests) name this address, and a test never resolves another host.
BASE = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = Settings(
        seed=4,
        clock_start="2025-03-01T12:00:00Z",
        clock_frozen=True,
        webhooks=WebhookSettings(shutdown_grace_seconds=0.2),  # the receiver refuses
    )
    with TestClient(create_app(settings), base_url=BASE) as found:
        found.post("/_emulator/demo")
        yield found


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _users(client: TestClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/_emulator/asleep/users", headers=H).json()["users"]
    return found


@pytest.mark.parametrize(
    "path",
    ["/", "/asleep/users", "/kintsugi/sessions", "/webhooks", "/journal", "/controls"],
)
def test_every_index_page_renders_with_its_timing(client: TestClient, path: str) -> None:
    response = client.get(f"/_emulator/ui{path}", params={"tenant": KEY})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert re.fullmatch(r"app;dur=\d+\.\d", response.headers["server-timing"])
    assert 'href="/_emulator/ui/static/inspector.css' in response.text
    assert "http://" not in response.text.split("<body>")[0].replace(BASE, "")


def test_ui_without_its_slash_goes_home(client: TestClient) -> None:
    response = client.get("/_emulator/ui", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/_emulator/ui/"


def test_home_lists_the_tenant_masked_with_its_counts(client: TestClient) -> None:
    text = _text(client.get("/_emulator/ui/").text)
    assert "de…c48a 6 92 27 25" in text
    assert "demo-key" not in text.replace("tenant=demo-key", "")
    assert "11 delivered" in text
    assert "frozen" in text


def test_a_night_page_draws_its_stages_and_lists_its_webhooks(client: TestClient) -> None:
    user = _users(client)[0]
    session_id = user["last_session"]["session_id"]
    html = client.get(f"/_emulator/ui/asleep/sessions/{session_id}").text
    for label in ("Hypnogram", "Breathing stability", "Snoring"):
        assert f'role="img" aria-label="{label}"' in html
    night = client.get(f"/_emulator/asleep/sessions/{session_id}", headers=H).json()
    stages = night["sleep_stages"]
    hypnogram = html.split('aria-label="Hypnogram"')[1].split("</svg>")[0]
    covered = sum(
        int(n) for n in re.findall(r'class="seg [^"]*"[^>]*data-length="(\d+)"', hypnogram)
    )
    assert covered == sum(1 for s in stages if s >= 0)
    text = _text(html)
    assert "Asia/Seoul" in text
    assert "SESSION_COMPLETE" in text
    assert "Time in bed" in text
    assert "sleep_efficiency" in text


def test_a_users_page_pages_through_nights(client: TestClient) -> None:
    user = _users(client)[0]["user_id"]
    first = client.get(f"/_emulator/ui/asleep/users/{user}").text
    assert "1\N{EN DASH}20 of 28" in _text(first)
    second = client.get(f"/_emulator/ui/asleep/users/{user}", params={"offset": 20}).text
    assert "21\N{EN DASH}28 of 28" in _text(second)


def test_a_kintsugi_page_shows_labels_audio_and_feedback(client: TestClient) -> None:
    sessions = client.get("/_emulator/kintsugi/sessions", headers=H).json()["sessions"]
    chosen = next(s for s in sessions if s["status"] == "success" and s["feedback"])
    text = _text(client.get(f"/_emulator/ui/kintsugi/sessions/{chosen['session_id']}").text)
    labels = [v for v in chosen["prediction"]["scores"].values() if v]
    for label in labels:
        assert label.replace("_", " ").lower() in text.lower()
    assert "Audio verdict" in text
    assert "accepted" in text
    assert "Clinician feedback" in text


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/asleep/sessions/none-such", 404, "no session none-such for this API key"),
        ("/kintsugi/sessions/none-such", 404, "no Kintsugi session none-such"),
        ("/asleep/users/nobody", 404, "no user nobody"),
        ("/no/such/page", 404, "No inspector page at /_emulator/ui/no/such/page"),
    ],
)
def test_refusals_are_pages_with_the_control_apis_words(
    client: TestClient, path: str, status: int, says: str
) -> None:
    response = client.get(f"/_emulator/ui{path}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert says in _text(response.text)


def test_a_bad_zone_is_a_400_page(client: TestClient) -> None:
    session_id = _users(client)[0]["last_session"]["session_id"]
    response = client.get(f"/_emulator/ui/asleep/sessions/{session_id}", params={"tz": "Nowhere"})
    assert response.status_code == 400
    assert "not an IANA zone name" in _text(response.text)


def test_a_control_form_calls_the_api_and_shows_the_curl_line() -> None:
    app = create_app(Settings(clock_start="2025-03-01T12:00:00Z", clock_frozen=True))
    with TestClient(app, base_url=BASE) as client:
        sent = client.post(
            "/_emulator/ui/controls/clock",
            data={"op": "advance", "amount": "2", "unit": "hours"},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == "/_emulator/ui/controls"
        assert client.get("/_emulator/clock").json()["now"] == "2025-03-01T14:00:00+00:00"
        shown = _text(client.get("/_emulator/ui/controls").text)
        assert "Clock: 2025-03-01T14:00:00+00:00 (frozen)." in shown
        assert (
            "curl -sS -X POST http://127.0.0.1:9/_emulator/clock -H 'content-type: "
            "application/json' -d '{\"advance\": 7200}'" in shown
        )
        # Shown once.
        assert "Clock: 2025-03-01T14:00:00" not in _text(client.get("/_emulator/ui/controls").text)


def test_forms_add_and_remove_a_fault_and_refusals_are_shown() -> None:
    with TestClient(create_app(Settings()), base_url=BASE) as client:
        form = {"path": "/v2/*", "action": "throttle", "status": "503", "probability": "0.5"}
        client.post("/_emulator/ui/controls/fault", data=form)
        (rule,) = client.get("/_emulator/faults").json()["rules"]
        assert (rule["path"], rule["action"], rule["status"], rule["probability"]) == (
            "/v2/*", "throttle", 503, 0.5,
        )  # fmt: skip
        client.post("/_emulator/ui/controls/fault-delete", data={"rule_id": rule["id"]})
        assert client.get("/_emulator/faults").json()["rules"] == []
        page = client.post("/_emulator/ui/controls/fault", data={**form, "probability": "7"})
        assert "probability" in _text(page.text)
        assert client.get("/_emulator/faults").json()["rules"] == []


def test_a_form_from_another_site_is_refused() -> None:
    with TestClient(create_app(Settings()), base_url=BASE) as client:
        before = client.get("/_emulator/clock").json()
        page = client.post(
            "/_emulator/ui/controls/clock",
            data={"op": "advance", "amount": "5", "unit": "days"},
            headers={"origin": "http://elsewhere.test"},
        )
        assert "Refused: the form came from elsewhere." in _text(page.text)
        assert client.get("/_emulator/clock").json()["now"][:16] == before["now"][:16]
        # An Origin that is no URL at all names no server of ours: refused, not a 500.
        broken = client.post(
            "/_emulator/ui/controls/clock",
            data={"op": "advance", "amount": "5", "unit": "days"},
            headers={"origin": "http://["},
        )
        assert broken.status_code == 200
        assert "Refused: the form came from elsewhere." in _text(broken.text)
        assert client.get("/_emulator/clock").json()["now"][:16] == before["now"][:16]


def test_the_preview_is_the_curl_line_of_the_fields_being_edited(client: TestClient) -> None:
    line = client.get(
        "/_emulator/ui/controls/preview",
        params={"action": "outcome", "tenant": KEY, "user_id": "p 1", "anxiety_severity": "mild"},
    )
    assert line.status_code == 200
    assert line.text == (
        "curl -sS -X PUT 'http://127.0.0.1:9/_emulator/kintsugi/outcomes/users/p 1' "
        "-H 'x-api-key: demo-key' -H 'content-type: application/json' "
        '-d \'{"anxiety_severity": "mild"}\''
    )
    assert client.get("/_emulator/ui/controls/preview", params={"action": "x"}).status_code == 404
    bad = client.get("/_emulator/ui/controls/preview", params={"action": "clock", "amount": "z"})
    assert bad.status_code == 400


def test_redeliver_makes_a_new_delivery_with_its_first_attempt(client: TestClient) -> None:
    log = client.get("/_emulator/callbacks", params={"brief": "true"}).json()["callbacks"]
    original = log[-1]["id"]
    sent = client.post(
        f"/_emulator/ui/webhooks/{original}/redeliver",
        data={"back": "/_emulator/ui/webhooks?tenant=demo-key"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    after = client.get("/_emulator/callbacks", params={"brief": "true"}).json()["callbacks"]
    copy = after[-1]
    assert copy["redelivery_of"] == original
    assert sent.headers["location"] == f"/_emulator/ui/webhooks?tenant=demo-key#{copy['id']}"
    text = _text(client.get("/_emulator/ui/webhooks", params={"tenant": KEY}).text)
    assert f"Redelivered {original} as {copy['id']}" in text
    assert f"/_emulator/callbacks/{original}/redeliver" in text


def test_a_redirect_back_never_leaves_the_inspector(client: TestClient) -> None:
    log = client.get("/_emulator/callbacks", params={"brief": "true"}).json()["callbacks"]
    sent = client.post(
        f"/_emulator/ui/webhooks/{log[0]['id']}/redeliver",
        data={"back": "https://elsewhere.test/"},
        follow_redirects=False,
    )
    assert sent.headers["location"].startswith("/_emulator/ui/webhooks")


def test_the_failure_switch_form() -> None:
    with TestClient(create_app(Settings()), base_url=BASE) as client:
        form = {"tenant": KEY, "mode": "drop", "remaining": "2"}
        client.post("/_emulator/ui/webhooks/failures", data=form)
        switches = client.get("/_emulator/callbacks/failures").json()["switches"]
        assert switches == [{"mode": "drop", "remaining": 2, "api_key": mask(KEY), "event": None}]
        client.post("/_emulator/ui/webhooks/failures", data={"tenant": KEY, "mode": "off"})
        assert client.get("/_emulator/callbacks/failures").json()["switches"] == []


def test_journal_filters_reach_the_control_api(client: TestClient) -> None:
    client.get("/data/v1/sessions", headers={**H, "x-user-id": "missing"})
    client.get("/v2/predict/users/x", headers=H)
    html = client.get("/_emulator/ui/journal", params={"path": "/v2/", "status": "2xx"}).text
    assert "/v2/predict/users/x" in html
    assert "/data/v1/sessions" not in html
    assert 'data-stream="/_emulator/ui/journal/stream?' in html
