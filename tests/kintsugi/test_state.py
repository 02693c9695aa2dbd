"""State survives a snapshot round trip; framework-level errors keep the Kintsugi shape."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from emulator.kintsugi.errors import KintsugiShape
from tests.kintsugi.conftest import AUTH, client_for, finished, initiate, record, settings, submit
from tests.support.wavs import noise_wav


def test_snapshot_restore_keeps_sessions_predictions_feedback_and_outcomes() -> None:
    with client_for(settings(progression="polls", progression_polls=2)) as source:
        done, pending, bare = initiate(source, "amy"), initiate(source, "amy"), initiate(source)
        submit(source, done)
        finished(source, done)
        source.patch("/v2/feedback/phq/2", headers=AUTH, json={"data": [1, 1], "session_id": done})
        submit(source, pending)
        assert record(source, pending)["status"] == "processing"  # one of two polls used
        source.put("/_emulator/kintsugi/outcomes/users/amy", headers=AUTH, json={"hold": True})
        expected_done = record(source, done)
        snapshot = source.app.state.runtime.store.snapshot()  # type: ignore[attr-defined]

    document = json.loads(json.dumps(snapshot))  # what a state file would hold
    with client_for(settings(progression="polls", progression_polls=2)) as target:
        target.app.state.runtime.store.restore(document)  # type: ignore[attr-defined]
        assert record(target, done) == expected_done
        # polls=2: two looks see `processing` (one before the snapshot), the third the result.
        assert [record(target, pending)["status"] for _ in range(2)] == ["processing", "success"]
        r = target.get(f"/v2/predict/sessions/{bare}", headers=AUTH)
        assert r.json() == {"message": "nonexistent_prediction"}
        assert [
            s["session_id"] for s in target.get("/v2/predict/users/amy", headers=AUTH).json()
        ] == [
            done,
            pending,
        ]
        outcomes = target.get("/_emulator/kintsugi/outcomes", headers=AUTH).json()["outcomes"]
        assert outcomes == [{"key": "user:amy", "outcome": {"hold": True}}]
        # The id counter continues: no id is handed out twice.
        assert initiate(target) not in (done, pending, bare)


def test_body_over_the_cap_is_413_in_the_version_shape() -> None:
    with client_for(settings(max_body_bytes=2000)) as client:
        sid = initiate(client)
        r = client.post(
            "/v2/prediction/",
            headers=AUTH,
            data={"session_id": sid},
            files={"file": noise_wav(seconds=1.0)},
        )
        assert (r.status_code, r.json()) == (413, {"message": "request_entity_too_large"})
        r = client.post(
            "/v1/predict/server/depression/binary",
            headers=AUTH,
            data={"session_id": sid},
            files={"file": noise_wav(seconds=1.0)},
        )
        assert (r.status_code, r.json()) == (413, {"error": "request_entity_too_large"})


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "invalid_api_key"),
        (403, "unauthorized_account"),
        (429, "too_many_requests"),
        (418, "bad_request"),
        (500, "internal_server_error"),
        (503, "service_unavailable"),
    ],
)
def test_injected_faults_get_a_plausible_code(status: int, code: str) -> None:
    shape = KintsugiShape()
    assert shape.custom("/v2/initiate", status, None).to_body() == {"message": code}
    assert shape.custom("/v1/initiate", status, None).to_body() == {"error": code}
    assert shape.custom("/v2/initiate", status, "custom_code").to_body() == {
        "message": "custom_code"
    }


def test_unknown_prefix_paths_are_not_kintsugi(emulator_client: TestClient) -> None:
    # /v3 is no Kintsugi version: the emulator's own 404 shape, not path_not_found.
    r = emulator_client.get("/v3/initiate", headers=AUTH)
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"
