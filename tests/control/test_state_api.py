"""Snapshots over HTTP: ``GET/PUT /_emulator/state``, byte-identical after reset + restore."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.runtime import Runtime
from emulator.core.secrets import mask
from emulator.core.tables import Namespace
from emulator.settings import KintsugiSettings, Settings
from tests.support.wavs import mel_npy, noise_wav

START = "2025-01-15T02:50:29Z"
KEY_A = {"x-api-key": "team-a"}
KEY_B = {"x-api-key": "team-b"}


def _settings() -> Settings:
    return Settings(
        seed=7,
        clock_start=START,
        clock_frozen=True,
        # Any valid WAV is a prediction; results are there at the first look.
        kintsugi=KintsugiSettings(min_voice_seconds=0.0, progression="immediate"),
    )


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(_settings())) as c:
        yield c


def _ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _world(client: TestClient, headers: dict[str, str]) -> list[str]:
    """Make some state through both vendors' APIs; the URLs that read it back."""
    user = _ok(client.post("/ai/v1/users", headers=headers, json=None), 201)["result"]["user_id"]
    as_user = {**headers, "x-user-id": user}
    session = _ok(client.post("/ai/v1/sessions", headers=as_user, json=None), 201)
    session_id = session["result"]["session_id"]
    for seq in range(3):
        upload = client.post(
            f"/ai/v1/sessions/{session_id}/upload",
            headers=as_user,
            data={"seq_num": str(seq)},
            files={"file": ("chunk.npy", mel_npy(), "application/octet-stream")},
        )
        _ok(upload)
    _ok(client.post(f"/ai/v1/sessions/{session_id}/close", headers=as_user, json=None))

    sid = _ok(
        client.post("/v2/initiate", headers=headers, json={"is_initiated": True, "user_id": "u-1"}),
        201,
    )["session_id"]
    prediction = client.post(
        "/v2/prediction/",
        headers=headers,
        data={"session_id": sid},
        files={"file": ("sample.wav", noise_wav(1))},
    )
    _ok(prediction, 202)
    return [
        f"/ai/v1/users/{user}",
        f"/data/v3/sessions/{session_id}",
        f"/data/v2/sessions/{session_id}",
        "/data/v1/sessions",
        f"/v2/predict/sessions/{sid}",
        "/v2/predict/users/u-1",
    ]


def _read(client: TestClient, urls: list[str], headers: dict[str, str]) -> list[tuple[int, bytes]]:
    found = []
    for url in urls:
        h = dict(headers)
        if url.startswith(("/data/", "/ai/")):
            h["x-user-id"] = urls[0].rsplit("/", 1)[1]
        r = client.get(url, headers=h)
        found.append((r.status_code, r.content))
    return found


def test_snapshot_reset_restore_gives_byte_identical_responses(client: TestClient) -> None:
    urls_a, urls_b = _world(client, KEY_A), _world(client, KEY_B)
    before = _read(client, urls_a, KEY_A) + _read(client, urls_b, KEY_B)
    assert [status for status, _ in before] == [200] * len(before)
    assert before == _read(client, urls_a, KEY_A) + _read(client, urls_b, KEY_B)  # reads are pure
    snapshot = client.get("/_emulator/state")
    assert set(snapshot.json()["tenants"]) == {"team-a", "team-b"}

    client.post("/_emulator/reset")
    gone = _read(client, urls_a, KEY_A)
    assert [status for status, _ in gone] != [200] * len(gone)

    restored = client.put("/_emulator/state", content=snapshot.content)
    assert restored.status_code == 200, restored.text
    assert restored.json()["tenants"] == sorted([mask("team-a"), mask("team-b")])
    after = _read(client, urls_a, KEY_A) + _read(client, urls_b, KEY_B)
    assert after == before
    assert client.get("/_emulator/state").content == snapshot.content

    # New work after a restore continues the restored world (counters, seed) exactly as
    # it would have gone on without the round trip.
    with TestClient(create_app(_settings())) as fresh:
        urls_fresh = _world(fresh, KEY_A)
        _world(fresh, KEY_B)
        more_fresh = _world(fresh, KEY_A)
        expected = _read(fresh, more_fresh, KEY_A)
    assert urls_fresh == urls_a
    more = _world(client, KEY_A)
    assert more == more_fresh
    assert _read(client, more, KEY_A) == expected


def test_one_tenant_can_be_saved_and_loaded_into_another_key(client: TestClient) -> None:
    urls = _world(client, KEY_A)
    _world(client, KEY_B)
    saved = client.get("/_emulator/state?api_key=team-a").json()
    assert set(saved["tenants"]) == {"team-a"}
    assert "clock" not in saved
    b_before = client.get("/_emulator/state?api_key=team-b").json()

    r = client.put("/_emulator/state?api_key=team-c", json=saved)
    assert r.json()["restored"] == "tenant"
    assert r.json()["tenants"] == [mask("team-c")]
    assert _read(client, urls, {"x-api-key": "team-c"}) == _read(client, urls, KEY_A)
    assert client.get("/_emulator/state?api_key=team-b").json() == b_before

    # A whole-world document restored into one key gives the key its own part...
    world = client.get("/_emulator/state").json()
    r = client.put("/_emulator/state?api_key=team-b", json=world)
    assert (r.status_code, r.json()["tenants"]) == (200, [mask("team-b")])
    assert client.get("/_emulator/state?api_key=team-b").json() == b_before
    # ...and one without that key's part is ambiguous.
    r = client.put("/_emulator/state?api_key=team-d", json=world)
    assert r.status_code == 400
    assert "at most one tenant" in r.json()["message"]


def test_restore_brings_back_seed_and_clock(client: TestClient) -> None:
    document = client.get("/_emulator/state").json()
    assert document == {
        "format": "vendor-emulator-state",
        "version": 1,
        "seed": 7,
        "tenants": {},
        "clock": {"now": "2025-01-15T02:50:29+00:00", "frozen": True},
    }
    document["seed"] = 11
    document["clock"] = {"now": "2030-01-01T00:00:00Z", "frozen": True}
    assert client.put("/_emulator/state", json=document).json()["seed"] == 11
    health = client.get("/_emulator/health").json()
    assert (health["seed"], health["now"]) == (11, "2030-01-01T00:00:00+00:00")
    del document["clock"]  # without a clock the clock is left alone
    client.put("/_emulator/state", json=document)
    assert client.get("/_emulator/clock").json()["now"] == "2030-01-01T00:00:00+00:00"


def test_restore_drops_what_vendors_derived_from_the_old_tables(client: TestClient) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    seen: list[str | None] = []
    rt.on_reset.append(seen.append)

    class View:
        def __init__(self, ns: Namespace) -> None:
            self.ns = ns

    old = rt.store.namespace("team-a").state(View, View)
    client.put("/_emulator/state", json=client.get("/_emulator/state").json())
    client.put("/_emulator/state?api_key=team-a", json={**rt.store.snapshot(), "tenants": {}})
    assert seen == [None, "team-a"]
    assert rt.store.namespace("team-a").state(View, View) is not old


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "a state document is a JSON object"),
        ({"format": "other", "version": 1, "tenants": {}}, "not a vendor-emulator state"),
        ({"format": "vendor-emulator-state", "version": 2, "tenants": {}}, "version 1"),
        ({"format": "vendor-emulator-state", "version": 1}, "needs a 'tenants' object"),
        (
            {"format": "vendor-emulator-state", "version": 1, "seed": "7", "tenants": {}},
            "'seed' must be an integer",
        ),
        (
            {"format": "vendor-emulator-state", "version": 1, "tenants": {"k": []}},
            "tenants.k must be an object of tables",
        ),
        (
            {"format": "vendor-emulator-state", "version": 1, "tenants": {"k": {"t": 1}}},
            "tenants.k.t must be an object of rows",
        ),
        (
            {"format": "vendor-emulator-state", "version": 1, "tenants": {"k": {"t": {"r": 1}}}},
            "tenants.k.t.r must be an object",
        ),
        (
            {"format": "vendor-emulator-state", "version": 1, "tenants": {"": {}}},
            "must not be empty",
        ),
        (
            {
                "format": "vendor-emulator-state",
                "version": 1,
                "tenants": {},
                "clock": {"now": "soon"},
            },
            "clock.now is not an ISO 8601 instant",
        ),
    ],
)
def test_malformed_documents_are_400s_that_change_nothing(
    client: TestClient, document: object, message: str
) -> None:
    _world(client, KEY_A)
    before = client.get("/_emulator/state").content
    r = client.put("/_emulator/state", json=document)
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request"
    assert message in r.json()["message"]
    assert client.get("/_emulator/state").content == before


def test_state_needs_a_json_body_and_a_real_key(client: TestClient) -> None:
    assert client.put("/_emulator/state", content=b"").status_code == 400
    assert client.put("/_emulator/state", content=b"{]").status_code == 400
    assert client.get("/_emulator/state?api_key=").status_code == 400
