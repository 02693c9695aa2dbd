"""Asleep callback payloads: window arithmetic, V1/V2/V3 bodies, and a night end to end.

Sources: seed 000 (v1.0 Callback page) and asleep-api.md §4.6 / §2.2.  The last test
delivers every callback of a generated night through the outbox to a real receiver
on 127.0.0.1 for each version (the HTTP-level night test belongs with the Asleep
routes, once they emit these events).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.asleep.callbacks import (
    DATA_API_FOR_VERSION,
    FIRST_WINDOW,
    SessionStages,
    Version,
    callback_headers,
    due_windows,
    first_window_for,
    inference_complete,
    inference_seq_num,
    last_seq_of,
    night_callbacks,
    night_windows,
    resolve_version,
    session_complete,
    v1_sleep_data,
    valid_callback_url,
    window_fires,
    with_user_id,
)
from emulator.asleep.documents import V2_STAT_KEYS
from emulator.asleep.night import final_night, osa_stages
from emulator.asleep.profiles import Profile
from emulator.asleep.settings import CADENCES
from emulator.asleep.stats import compute_stat, render_v2, render_v3
from emulator.core.outbox import Outbox
from emulator.settings import WebhookSettings
from tests.core.test_outbox import Receiver

USER = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"
SESSION = "20250115025029_fvivn"
VERSIONS: tuple[Version, ...] = ("V1", "V2", "V3")


def ramp(n: int) -> SessionStages:
    """Stages whose value is their own epoch index: slices are easy to check."""
    values = list(range(n))
    return SessionStages(
        sleep=values,
        breath=[1000 + v for v in values],
        snoring=[2000 + v for v in values],
        osa=[3000 + v for v in values],
    )


# --------------------------------------------------------------------------- windows


def test_the_documented_example_seq_39_is_inference_seq_num_3() -> None:
    assert last_seq_of(3) == 39
    assert inference_seq_num(39) == 3
    assert FIRST_WINDOW == 3
    assert first_window_for(1200) == 3  # the documented 20 minutes
    assert first_window_for(300) == 0  # a 5-minute threshold (§9.2)
    assert first_window_for(1201) == 4


@pytest.mark.parametrize(
    ("cadence", "expected"),
    [
        (5, list(range(3, 24))),
        (20, [3, 7, 11, 15, 19, 23]),
        (40, [3, 11, 19]),
    ],
)
def test_which_windows_fire_per_cadence(cadence: int, expected: list[int]) -> None:
    # Two hours and 3 chunks: windows 0..23 are complete, window 24 is not.
    assert night_windows(243, cadence) == expected
    assert [k for k in range(40) if window_fires(k, cadence) and last_seq_of(k) < 243] == expected


def test_nothing_fires_before_20_minutes() -> None:
    assert due_windows(None, 5) == []
    assert due_windows(-1, 5) == []
    assert due_windows(38, 5) == []
    assert due_windows(39, 5) == [3]
    assert due_windows(39, 5, last_notified=3) == []


def test_bad_cadence_is_refused() -> None:
    with pytest.raises(ValueError, match="cadence"):
        due_windows(100, 10)


@given(
    cadence=st.sampled_from(CADENCES),
    progress=st.lists(st.integers(min_value=-1, max_value=700), max_size=30),
    first=st.integers(min_value=0, max_value=5),
)
def test_due_windows_fire_each_window_once_in_order(
    cadence: int, progress: list[int], first: int
) -> None:
    """Bursts, repeats and stale (smaller) progress: each firing window exactly once."""
    emitted: list[int] = []
    last: int | None = None
    for seq in progress:
        due = due_windows(seq, cadence, last, first_window=first)
        assert due == sorted(due)
        assert all(window_fires(k, cadence, first_window=first) for k in due)
        emitted.extend(due)
        if due:
            last = due[-1]
    high = max(progress, default=-1)
    expected = [
        k
        for k in range(200)
        if window_fires(k, cadence, first_window=first) and last_seq_of(k) <= high
    ]
    assert emitted == expected


@given(
    cadence=st.sampled_from(CADENCES),
    a=st.integers(min_value=-1, max_value=600),
    b=st.integers(min_value=-1, max_value=600),
)
def test_due_windows_split_anywhere_equals_all_at_once(cadence: int, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    first = due_windows(lo, cadence)
    rest = due_windows(hi, cadence, first[-1] if first else None)
    assert first + rest == due_windows(hi, cadence)


# --------------------------------------------------------------------------- INFERENCE_COMPLETE


def test_v3_inference_complete_shape_and_window() -> None:
    body = inference_complete("V3", user_id=USER, session_id=SESSION, window=6, stages=ramp(100))
    assert list(body) == ["event", "version", "data"]
    assert body["event"] == "INFERENCE_COMPLETE"
    assert body["version"] == "V3"
    data = body["data"]
    assert list(data) == [
        "user_id",
        "session_id",
        "seq_num",
        "inference_seq_num",
        "sleep_stages",
        "breath_stages",
        "snoring_stages",
    ]
    assert (data["user_id"], data["session_id"]) == (USER, SESSION)
    assert (data["seq_num"], data["inference_seq_num"]) == (69, 6)
    assert data["sleep_stages"] == list(range(60, 70))  # the 10 values of window 6
    assert data["breath_stages"] == [1000 + v for v in range(60, 70)]
    assert data["snoring_stages"] == [2000 + v for v in range(60, 70)]


def test_v2_inference_complete_sends_the_previous_20_minutes() -> None:
    body = inference_complete("V2", user_id=USER, session_id=SESSION, window=6, stages=ramp(100))
    assert list(body) == ["callback_event", "callback_version", "callback_data"]
    assert (body["callback_event"], body["callback_version"]) == ("INFERENCE_COMPLETE", "V2")
    data = body["callback_data"]
    assert list(data) == [
        "user_id",
        "session_id",
        "seq_num",
        "inference_seq_num",
        "stage_list",
        "breath_stages",
    ]
    # "if inference_seq_num is 6, you get back 40 values from 3 to 6" (seed 000 §1.3.1)
    assert data["stage_list"] == list(range(30, 70))
    assert data["breath_stages"] == [1000 + v for v in range(30, 70)]


def test_v1_inference_complete_has_no_version_key_and_osa() -> None:
    body = inference_complete("V1", user_id=USER, session_id=SESSION, window=3, stages=ramp(40))
    assert list(body) == ["callback_event", "callback_data"]
    data = body["callback_data"]
    assert list(data) == [
        "user_id",
        "session_id",
        "seq_num",
        "inference_seq_num",
        "stage_list",
        "osa_stage_list",
    ]
    assert (data["seq_num"], data["inference_seq_num"]) == (39, 3)
    assert data["stage_list"] == list(range(40))
    assert data["osa_stage_list"] == [3000 + v for v in range(40)]


def test_plan_dependent_arrays_are_null() -> None:
    bare = SessionStages(sleep=[0] * 40)
    v3 = inference_complete("V3", user_id=USER, session_id=SESSION, window=3, stages=bare)["data"]
    assert (v3["breath_stages"], v3["snoring_stages"]) == (None, None)
    v2 = inference_complete("V2", user_id=USER, session_id=SESSION, window=3, stages=bare)
    assert v2["callback_data"]["breath_stages"] is None
    v1 = inference_complete("V1", user_id=USER, session_id=SESSION, window=3, stages=bare)
    assert v1["callback_data"]["osa_stage_list"] is None


def test_legacy_frame_is_clipped_at_the_session_start() -> None:
    body = inference_complete("V2", user_id=USER, session_id=SESSION, window=1, stages=ramp(20))
    assert body["callback_data"]["stage_list"] == list(range(20))


def test_a_window_past_the_stages_is_an_error() -> None:
    with pytest.raises(ValueError, match="window needs 50"):
        inference_complete("V3", user_id=USER, session_id=SESSION, window=4, stages=ramp(45))
    with pytest.raises(ValueError, match="version"):
        inference_complete("V4", user_id=USER, session_id=SESSION, window=3, stages=ramp(40))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- SESSION_COMPLETE

V3_RESULT: dict[str, Any] = {
    "timezone": "UTC",
    "peculiarities": ["NO_BREATHING_STABILITY"],
    "missing_data_ratio": 0.0,
    "session": {
        "id": SESSION,
        "state": "COMPLETE",
        "start_time": "2025-01-15T02:50:29+00:00",
        "end_time": "2025-01-15T03:50:29+00:00",
        "unexpected_end_time": None,
        "created_timezone": "UTC",
        "sleep_stages": [0, 1, 2],
        "breath_stages": None,
        "snoring_stages": [0, 0, 1],
    },
    "stat": {"sleep_time": "2025-01-15T03:05:29+00:00", "time_in_bed": 3600},
}


def test_v3_session_complete_is_the_get_result_plus_user_id() -> None:
    body = session_complete("V3", user_id=USER, session_id=SESSION, result=V3_RESULT)
    assert list(body) == ["event", "version", "data"]
    assert (body["event"], body["version"]) == ("SESSION_COMPLETE", "V3")
    assert body["data"] == {**V3_RESULT, "user_id": USER}
    # Where the doc example has it: after missing_data_ratio, before session.
    assert list(body["data"]) == [
        "timezone",
        "peculiarities",
        "missing_data_ratio",
        "user_id",
        "session",
        "stat",
    ]
    body["data"]["session"]["sleep_stages"].append(9)
    assert V3_RESULT["session"]["sleep_stages"] == [0, 1, 2]  # the input is not aliased


def test_with_user_id_without_a_session_key_appends_it() -> None:
    assert list(with_user_id({"a": 1, "user_id": "old"}, USER).items()) == [
        ("a", 1),
        ("user_id", USER),
    ]


def test_v2_session_complete_wraps_the_v3_result_as_sleep_data() -> None:
    body = session_complete("V2", user_id=USER, session_id=SESSION, result=V3_RESULT)
    assert list(body) == ["callback_event", "callback_version", "callback_data"]
    assert (body["callback_event"], body["callback_version"]) == ("SESSION_COMPLETE", "V2")
    assert body["callback_data"] == {
        "user_id": USER,
        "session_id": SESSION,
        "sleep_data": V3_RESULT,
    }
    assert DATA_API_FOR_VERSION["V2"] == "/data/v3"


def test_v1_sleep_data_is_seed_000s_flat_object() -> None:
    v2_result = {
        "timezone": "UTC",
        "validity": "VALID",
        "session": {
            "id": SESSION,
            "state": "COMPLETE",
            "start_time": "2025-01-15T02:50:29+00:00",
            "end_time": "2025-01-15T03:50:29+00:00",
            "sleep_stages": [0, 1],
            "osa_stages": [0, 2],
        },
        "stat": {key: i for i, key in enumerate(V2_STAT_KEYS)},
    }
    body = session_complete("V1", user_id=USER, session_id=SESSION, result=v2_result)
    assert list(body) == ["callback_event", "callback_data"]
    data = body["callback_data"]
    assert list(data) == ["user_id", "session_id", "sleep_data"]
    sleep_data = data["sleep_data"]
    assert list(sleep_data)[:6] == [
        "session_id",
        "state",
        "session_start_time",
        "session_end_time",
        "sleep_stages",
        "osa_stages",
    ]
    assert sleep_data["session_start_time"] == "2025-01-15T02:50:29+00:00"
    assert sleep_data["osa_stages"] == [0, 2]
    assert list(sleep_data)[6:] == list(V2_STAT_KEYS)
    assert all(sleep_data[k] == v2_result["stat"][k] for k in V2_STAT_KEYS)  # type: ignore[index]
    # An INVALID session has no stat: every metric is null.
    invalid = v1_sleep_data({**v2_result, "stat": None})
    assert all(invalid[k] is None for k in V2_STAT_KEYS)
    assert DATA_API_FOR_VERSION["V1"] == "/data/v2"


# --------------------------------------------------------------------------- transport helpers


def test_headers_are_the_documented_two_plus_content_type() -> None:
    assert callback_headers("key", USER) == {
        "x-api-key": "key",
        "x-user-id": USER,
        "Content-Type": "application/json",
    }


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://backend.example.com/asleep/hook", True),
        ("http://127.0.0.1:8000/cb?x=1", True),
        ("ftp://example.com/x", False),
        ("example.com/hook", False),
        ("https://", False),
        ("http://host:99999/", False),
        ("http://exa mple.com/", False),
        ("", False),
        ("https://e.com/" + "a" * 3000, False),
    ],
)
def test_callback_url_validation(url: str, ok: bool) -> None:
    assert valid_callback_url(url) is ok


def test_version_resolution() -> None:
    assert resolve_version(None) == "V3"
    assert resolve_version(None, "V1") == "V1"
    assert resolve_version("v2", "V3") == "V2"
    with pytest.raises(ValueError, match="callback_version"):
        resolve_version("V4")


# --------------------------------------------------------------------------- a whole night


def night_result(version: Version, n_epochs: int, seed: int = 7) -> tuple[SessionStages, Any]:
    """A generated night and the Data API result it would render (stand-in for the routes)."""
    night = final_night(seed, SESSION, Profile.NORMAL, n_epochs)
    sleep, breath, snoring = night.to_lists()
    osa = [int(v) for v in osa_stages(night.breath)]
    start = datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC)
    end = start + timedelta(seconds=30 * n_epochs)
    stat = compute_stat(sleep, breath, snoring, start, end, four_stage=True, breathing=True)
    assert stat is not None

    def render(dt: datetime) -> str:
        return dt.isoformat(timespec="seconds")

    stages = SessionStages(sleep=sleep, breath=breath, snoring=snoring, osa=osa)
    session: dict[str, Any]
    if version == "V1":  # the /data/v2 result
        session = {
            "id": SESSION,
            "state": "COMPLETE",
            "start_time": render(start),
            "end_time": render(end),
            "sleep_stages": sleep,
            "osa_stages": osa,
        }
        return stages, {
            "timezone": "UTC",
            "validity": "VALID",
            "session": session,
            "stat": render_v2(stat, render),
        }
    session = {
        "id": SESSION,
        "state": "COMPLETE",
        "start_time": render(start),
        "end_time": render(end),
        "unexpected_end_time": None,
        "created_timezone": "UTC",
        "sleep_stages": sleep,
        "breath_stages": breath,
        "snoring_stages": snoring,
    }
    return stages, {
        "timezone": "UTC",
        "peculiarities": [],
        "missing_data_ratio": 0.0,
        "session": session,
        "stat": render_v3(stat, render),
    }


def test_same_seed_same_bodies() -> None:
    def bodies(seed: int) -> bytes:
        stages, result = night_result("V3", 200, seed)
        events = night_callbacks(
            "V3",
            user_id=USER,
            session_id=SESSION,
            cadence_minutes=5,
            stages=stages,
            result=result,
        )
        return json.dumps(events, separators=(",", ":")).encode()

    assert bodies(7) == bodies(7)
    assert bodies(7) != bodies(8)


@pytest.mark.e2e
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("cadence", [5, 20])
def test_a_night_of_callbacks_reaches_a_real_receiver(version: Version, cadence: int) -> None:
    n_epochs = 8 * 120 + 7  # eight hours and a partial window
    stages, result = night_result(version, n_epochs)
    events = night_callbacks(
        version,
        user_id=USER,
        session_id=SESSION,
        cadence_minutes=cadence,
        stages=stages,
        result=result,
    )

    with Receiver() as receiver:

        async def deliver() -> None:
            outbox = Outbox(WebhookSettings(timeout_seconds=2), seed=7)
            await outbox.start()
            for event, body in events:
                outbox.submit(
                    api_key="team-a",
                    session_id=SESSION,
                    user_id=USER,
                    event=event,
                    url=receiver.url,
                    body=body,
                    headers=callback_headers("team-a", USER),
                )
            assert await outbox.flush(20)
            await outbox.stop()
            assert {d.status for d in outbox.deliveries()} == {"delivered"}

        asyncio.run(deliver())

    got = [r.json() for r in receiver.received]
    assert all(r.headers["x-api-key"] == "team-a" for r in receiver.received)
    assert all(r.headers["x-user-id"] == USER for r in receiver.received)
    assert all(r.headers["content-type"] == "application/json" for r in receiver.received)
    event_key, data_key = (
        ("event", "data") if version == "V3" else ("callback_event", "callback_data")
    )
    inference = [b[data_key] for b in got if b[event_key] == "INFERENCE_COMPLETE"]
    # Count and order: every firing window of the night, ascending, then SESSION_COMPLETE last.
    assert [d["inference_seq_num"] for d in inference] == night_windows(n_epochs, cadence)
    assert [b[event_key] for b in got][-1] == "SESSION_COMPLETE"
    assert len(got) == len(inference) + 1
    # Window contents equal the matching slice of the final stages.
    for d in inference:
        k = d["inference_seq_num"]
        assert d["seq_num"] == 10 * k + 9
        if version == "V3":
            window = slice(10 * k, 10 * k + 10)
            assert d["sleep_stages"] == list(stages.sleep[window])
            assert d["breath_stages"] == list(stages.breath[window])  # type: ignore[index]
            assert d["snoring_stages"] == list(stages.snoring[window])  # type: ignore[index]
        else:
            frame = slice(10 * (k - 3), 10 * k + 10)
            assert d["stage_list"] == list(stages.sleep[frame])
            other = "breath_stages" if version == "V2" else "osa_stage_list"
            source = stages.breath if version == "V2" else stages.osa
            assert d[other] == list(source[frame])  # type: ignore[index]
    final = got[-1]
    if version == "V3":
        assert final["data"] == {**result, "user_id": USER}
    elif version == "V2":
        assert final["callback_data"] == {
            "user_id": USER,
            "session_id": SESSION,
            "sleep_data": result,
        }
    else:
        assert final["callback_data"]["sleep_data"] == v1_sleep_data(result)
        assert (
            final["callback_data"]["sleep_data"]["sleep_stages"]
            == result["session"]["sleep_stages"]
        )
