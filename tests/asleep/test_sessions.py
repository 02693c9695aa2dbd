"""The Session API: create, upload, close, delete, and the lifecycle rules (§2.1, §3.5)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.asleep.conftest import MEL, Api, wav_chunk
from tests.support.network import RefusingPort


def test_create_returns_documented_id_shape(api: Api) -> None:
    user = api.user()
    r = api.client.post(
        "/ai/v1/sessions",
        headers=api.headers(user),
        json={"start_time": "2025-01-14T18:25:18Z"},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["detail"] == "success"
    session_id = body["result"]["session_id"]
    # asleep-api.md §1.5: the UTC start stamp, then 5 lowercase alphanumerics.
    assert session_id.startswith("20250114182518_")
    assert len(session_id) == 20
    assert session_id[15:].isalnum()
    assert session_id[15:].lower() == session_id[15:]


def test_default_start_is_the_virtual_clock(api: Api) -> None:
    user = api.user()
    session = api.session(user)
    assert session.startswith("20250115025029_")  # the frozen clock_start


def test_created_timezone_comes_from_the_header(api: Api) -> None:
    user = api.user()
    session = api.session(user, tz="Asia/Seoul")
    result = api.result(user, session)
    assert result["session"]["created_timezone"] == "Asia/Seoul"
    assert result["timezone"] == "UTC"


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"start_time": "yesterday"}, 422, "Invalid session start time (YYYY-MM-DDTHH:mm:ssz)"),
        ({"start_time": ""}, 422, "Invalid session start time (YYYY-MM-DDTHH:mm:ssz)"),
        ({"inference_type": "WAV"}, 422, "Invalid parameter"),
        ({"callback_version": "V9"}, 422, "Invalid parameter"),
        ({"service": "emulator:not-a-profile"}, 422, "Invalid parameter"),
        ({"callback_url": "ftp://example.com/x"}, 400, "Invalid callback url"),
        ({"callback_url": "not a url"}, 400, "Invalid callback url"),
    ],
)
def test_create_validation(api: Api, body: dict[str, Any], status: int, detail: str) -> None:
    user = api.user()
    r = api.client.post("/ai/v1/sessions", headers=api.headers(user), json=body)
    assert (r.status_code, r.json()) == (status, {"detail": detail})


def test_create_with_bad_timezone_header(api: Api) -> None:
    user = api.user()
    r = api.client.post("/ai/v1/sessions", headers=api.headers(user, timezone="Mars/Olympus"))
    assert (r.status_code, r.json()) == (400, {"detail": "The invalid timezone is provided"})


def test_upload_accepts_retries_and_out_of_order(api: Api) -> None:
    user = api.user()
    session = api.session(user)
    for seq in (0, 2, 1, 1, 5, 2):
        r = api.upload(user, session, seq)
        assert r.status_code == 200
        assert r.json() == {"detail": "success", "result": {"session_id": session, "seq_num": seq}}
    stored = api.stored(session)
    assert stored.received_count == 4  # 0, 1, 2, 5: retries are not counted twice
    assert stored.last_received_seq_num == 5


@pytest.mark.parametrize("seq", ["-1", "abc", "", "1.5"])
def test_upload_bad_seq_num(api: Api, seq: str) -> None:
    user = api.user()
    session = api.session(user)
    r = api.upload(user, session, seq)
    assert (r.status_code, r.json()) == (422, {"detail": "Not valid parameter"})


def test_upload_without_file(api: Api) -> None:
    user = api.user()
    session = api.session(user)
    r = api.client.post(
        f"/ai/v1/sessions/{session}/upload", headers=api.headers(user), data={"seq_num": "0"}
    )
    assert (r.status_code, r.json()) == (422, {"detail": "Not valid parameter"})
    r = api.client.post(
        f"/ai/v1/sessions/{session}/upload", headers=api.headers(user), json={"seq_num": 0}
    )
    assert r.status_code == 422


def test_upload_bad_melspectrogram(api: Api) -> None:
    user = api.user()
    session = api.session(user)
    r = api.upload(user, session, 0, b"RIFF....WAVEnot really")
    # v1.0 table: upload 422 `Not valid parameter`; the reason rides in a header.
    assert (r.status_code, r.json()) == (422, {"detail": "Not valid parameter"})
    assert r.headers["x-emulator-reason"]
    assert api.upload(user, session, 0).status_code == 200  # nothing was recorded


def test_audio_session_takes_wav_chunks(api: Api) -> None:
    user = api.user()
    session = api.session(user, inference_type="AUDIO")
    assert api.upload(user, session, 0, wav_chunk(30.0)).status_code == 200
    r = api.upload(user, session, 1, wav_chunk(45.0))
    assert r.status_code == 400
    assert r.json()["detail"].startswith("Audio file must be 30 seconds long")


def test_melspectrogram_to_audio_session(api: Api) -> None:
    user = api.user()
    session = api.session(user, inference_type="AUDIO")
    r = api.upload(user, session, 0, MEL)
    assert (r.status_code, r.json()) == (
        400,
        {"detail": "MELSPECTROGRAM file cannot be uploaded. Only AUDIO file can be uploaded."},
    )


def test_upload_to_unknown_or_foreign_session(api: Api) -> None:
    alice, bob = api.user(), api.user()
    session = api.session(alice)
    r = api.upload(bob, session, 0)
    assert (r.status_code, r.json()) == (404, {"detail": "Session does not exist"})
    r = api.upload(alice, "20250101000000_zzzzz", 0)
    assert (r.status_code, r.json()) == (404, {"detail": "Session does not exist"})


def test_close_derives_end_from_the_audio(api: Api) -> None:
    user = api.user()
    session = api.session(user, start_time="2025-01-14T22:00:00Z")
    api.uploads(user, session, range(41))
    r = api.close(user, session, end_time="")  # an empty end_time is an absent one
    assert r.status_code == 200
    assert r.json()["result"] == {"session_id": session, "state": "COMPLETE"}
    s = api.result(user, session)["session"]
    assert s["end_time"] == "2025-01-14T22:20:30+00:00"  # 41 chunks x 30 s
    assert s["unexpected_end_time"] is None
    assert len(s["sleep_stages"]) == 41


def test_close_with_explicit_end_time(api: Api) -> None:
    user = api.user()
    session = api.session(user, start_time="2025-01-14T22:00:00Z")
    api.uploads(user, session, range(40))
    r = api.close(user, session, end_time="2025-01-14T22:25:10Z")
    assert r.status_code == 200
    result = api.result(user, session)
    assert result["session"]["end_time"] == "2025-01-14T22:25:10+00:00"
    stages = result["session"]["sleep_stages"]
    assert len(stages) == 50  # whole epochs of 1510 s
    assert stages[40:] == [-1] * 10  # nothing was uploaded for them
    assert result["missing_data_ratio"] == 0.2
    assert result["stat"]["time_in_bed"] == 1510


@pytest.mark.parametrize("end", ["2025-01-14T21:59:59Z", "2025-01-14T22:00:00Z", "soon"])
def test_close_with_bad_end_time(api: Api, end: str) -> None:
    user = api.user()
    session = api.session(user, start_time="2025-01-14T22:00:00Z")
    r = api.close(user, session, end_time=end)
    assert r.status_code == 400
    assert r.json()["detail"].startswith("[WARNING] Invalid session end time.")


def test_unexpected_close(api: Api) -> None:
    user = api.user()
    session = api.session(user, start_time="2025-01-14T22:00:00Z")
    api.uploads(user, session, range(50))
    r = api.client.post(
        f"/ai/v1/sessions/{session}/close?unexpected=1",
        headers=api.headers(user),
    )
    assert r.status_code == 200
    s = api.result(user, session)["session"]
    # Seed 001: the time of the unexpected close is recorded; end from the last seq_num.
    assert s["unexpected_end_time"] == "2025-01-15T02:50:29+00:00"
    assert s["end_time"] == "2025-01-14T22:25:00+00:00"


def test_unexpected_close_in_body_ignores_end_time(api: Api) -> None:
    user = api.user()
    session = api.session(user, start_time="2025-01-14T22:00:00Z")
    api.uploads(user, session, range(45))
    r = api.close(user, session, unexpected=True, end_time="2025-01-15T01:00:00Z")
    assert r.status_code == 200
    assert api.result(user, session)["session"]["end_time"] == "2025-01-14T22:22:30+00:00"


def test_closed_session_refuses_uploads_and_second_close(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(3))
    r = api.upload(user, session, 3)
    assert (r.status_code, r.json()) == (403, {"detail": "Session already terminated"})
    r = api.close(user, session)
    assert (r.status_code, r.json()) == (403, {"detail": "Sleep session has already ended"})


def test_end_alias_and_form_body(api: Api) -> None:
    user = api.user()
    session = api.session(user)
    api.uploads(user, session, range(2))
    r = api.client.post(
        f"/ai/v1/sessions/{session}/end", headers=api.headers(user), data={"unexpected": "0"}
    )
    assert r.status_code == 200


def test_new_session_terminates_the_open_one(api: Api) -> None:
    user = api.user()
    first = api.session(user, start_time="2025-01-14T22:00:00Z")
    api.uploads(user, first, range(10))
    second = api.session(user)
    r = api.upload(user, first, 10)
    assert (r.status_code, r.json()) == (403, {"detail": "Session already terminated"})
    s = api.result(user, first)["session"]
    assert s["state"] == "COMPLETE"
    assert s["unexpected_end_time"] == "2025-01-15T02:50:29+00:00"
    assert s["end_time"] == "2025-01-14T22:05:00+00:00"
    assert api.upload(user, second, 0).status_code == 200


def test_conflict_policy(make_api: Any) -> None:
    api = make_api(open_session_policy="conflict")
    user = api.user()
    first = api.session(user)
    r = api.client.post("/ai/v1/sessions", headers=api.headers(user))
    assert (r.status_code, r.json()) == (409, {"detail": "Previous sleep session not yet closed"})
    assert api.close(user, first).status_code == 200
    api.session(user)


def test_seq_num_past_24_hours_terminates(api: Api) -> None:
    user = api.user()
    session = api.session(user, start_time="2025-01-14T00:00:00Z")
    api.uploads(user, session, [0, 2879])
    r = api.upload(user, session, 2880)
    assert (r.status_code, r.json()) == (403, {"detail": "Session already terminated"})
    assert api.upload(user, session, 5).status_code == 403
    result = api.result(user, session)
    assert result["session"]["unexpected_end_time"] is not None
    assert result["session"]["end_time"] == "2025-01-15T00:00:00+00:00"  # 2880 chunks
    assert result["stat"] is None  # 2 chunks of 2880: far too many defects
    assert "TOO_MANY_DEFECTS_IN_SLEEP_STAGES" in result["peculiarities"]


def test_session_older_than_24_hours_terminates(api: Api) -> None:
    user = api.user()
    session = api.session(user)
    api.uploads(user, session, range(40))
    api.runtime.clock.advance(86400)
    r = api.upload(user, session, 40)
    assert (r.status_code, r.json()) == (403, {"detail": "Session already terminated"})
    s = api.result(user, session)["session"]
    assert s["unexpected_end_time"] == "2025-01-16T02:50:29+00:00"  # created + 24 h
    assert s["end_time"] == "2025-01-15T03:10:29+00:00"  # still from the audio


def test_delete_session(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(3))
    r = api.client.delete(f"/ai/v1/sessions/{session}", headers=api.headers(user))
    assert (r.status_code, r.content) == (204, b"")
    r = api.client.delete(f"/ai/v1/sessions/{session}", headers=api.headers(user))
    assert (r.status_code, r.json()) == (404, {"detail": "session does not exist"})
    assert api.get(user, session).status_code == 404


def test_delete_session_errors(api: Api) -> None:
    user = api.user()
    session = api.session(user)
    r = api.client.delete(f"/ai/v1/sessions/{session}", headers=api.headers())
    assert (r.status_code, r.json()) == (401, {"detail": "invalid user id"})
    r = api.client.delete(f"/ai/v1/sessions/{session}", headers=api.headers("nope"))
    assert (r.status_code, r.json()) == (401, {"detail": "invalid user id"})
    ghost = "G-20250101000000-" + "a" * 20
    r = api.client.delete(f"/ai/v1/sessions/{session}", headers=api.headers(ghost))
    assert (r.status_code, r.json()) == (404, {"detail": "user not exist"})


def test_callback_url_is_kept_from_create_upload_and_close(
    api: Api, refusing: RefusingPort
) -> None:
    a, b, c = refusing.url("/a"), refusing.url("/b"), refusing.url("/c")
    user = api.user()
    session = api.session(user, callback_url=a, callback_version="v3")
    assert api.stored(session).callback_url == a
    r = api.client.post(
        f"/ai/v1/sessions/{session}/upload",
        headers=api.headers(user),
        data={"seq_num": "0", "callback_url": b},
        files={"file": ("c.npy", MEL)},
    )
    assert r.status_code == 200
    assert api.stored(session).callback_url == b
    assert api.close(user, session, callback_url=c).status_code == 200
    assert api.stored(session).callback_url == c
    assert api.stored(session).callback_version == "V3"


def test_events_reach_registered_hooks(api: Api, refusing: RefusingPort) -> None:
    a = refusing.url("/a")
    seen: list[tuple[str, Any]] = []
    api.runtime.events.subscribe(object, lambda tenant, event: seen.append((tenant, event)))
    user = api.user()
    session = api.session(user, callback_url=a)
    api.uploads(user, session, [*range(45), *range(46, 60)])  # 45 lost: analysis goes on
    api.upload(user, session, 39)  # a retry fires nothing
    api.close(user, session)
    kinds = [(type(e).__name__, getattr(e, "seq_num", None)) for _, e in seen]
    assert kinds == [
        ("InferenceComplete", 39),
        ("InferenceComplete", 49),
        ("InferenceComplete", 59),
        ("SessionComplete", None),
    ]
    assert {tenant for tenant, _ in seen} == {api.key}
    first = seen[0][1]
    assert (first.inference_seq_num, first.callback_url) == (3, a)


def test_cap_termination_event_is_published_despite_the_403(api: Api) -> None:
    seen: list[Any] = []
    api.runtime.events.subscribe(object, lambda t, e: seen.append(e))
    user = api.user()
    session = api.session(user)
    assert api.upload(user, session, 2880).status_code == 403
    assert [type(e).__name__ for e in seen] == ["SessionComplete"]
