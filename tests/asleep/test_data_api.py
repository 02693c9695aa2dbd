"""The Data API: get session v3/v2, list sessions, average stats; plans and progression."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from emulator.asleep.documents import STAT_KEYS
from tests.asleep.conftest import Api

# Seed 001 §2.1.6: the documented type of every v3 stat field ("?" = nullable).
STAT_TYPES: dict[str, tuple[type, ...]] = {
    "sleep_time": (str,),
    "wake_time": (str,),
    "sleep_index": (int,),
    "sleep_latency": (int,),
    "wakeup_latency": (int,),
    "light_latency": (int,),
    "deep_latency": (int,),
    "rem_latency": (int,),
    "time_in_bed": (int,),
    "time_in_sleep_period": (int,),
    "time_in_sleep": (int,),
    "time_in_wake": (int,),
    "time_in_light": (int,),
    "time_in_deep": (int,),
    "time_in_rem": (int,),
    "time_in_stable_breath": (int,),
    "time_in_unstable_breath": (int,),
    "time_in_snoring": (int,),
    "time_in_no_snoring": (int,),
    "sleep_efficiency": (float,),
    "sleep_ratio": (float,),
    "wake_ratio": (float,),
    "light_ratio": (float,),
    "deep_ratio": (float,),
    "rem_ratio": (float,),
    "stable_breath_ratio": (float,),
    "unstable_breath_ratio": (float,),
    "snoring_ratio": (float,),
    "no_snoring_ratio": (float,),
    "breathing_index": (float,),
    "breathing_pattern": (str,),
    "waso_count": (int,),
    "longest_waso": (int,),
    "sleep_cycle_count": (int,),
    "sleep_cycle": (int,),
    "sleep_cycle_time": (list,),
    "unstable_breath_count": (int,),
    "snoring_count": (int,),
}


def assert_stat_types(stat: dict[str, Any]) -> None:
    assert list(stat) == list(STAT_KEYS)
    assert set(stat) == set(STAT_TYPES)
    for key, value in stat.items():
        assert value is None or (
            isinstance(value, STAT_TYPES[key]) and not isinstance(value, bool)
        ), (key, value)


def test_v3_shape_of_a_complete_night(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(200), start_time="2025-01-14T22:00:00Z")
    body = api.get(user, session).json()
    assert list(body) == ["detail", "result"]
    assert body["detail"] == "OK"
    result = body["result"]
    assert list(result) == ["timezone", "peculiarities", "missing_data_ratio", "session", "stat"]
    assert result["peculiarities"] == []
    assert result["missing_data_ratio"] == 0.0
    s = result["session"]
    assert list(s) == [
        "id",
        "state",
        "start_time",
        "end_time",
        "unexpected_end_time",
        "created_timezone",
        "sleep_stages",
        "breath_stages",
        "snoring_stages",
    ]
    assert len(s["sleep_stages"]) == len(s["breath_stages"]) == len(s["snoring_stages"]) == 200
    assert set(s["sleep_stages"]) <= {0, 1, 2, 3}
    assert_stat_types(result["stat"])
    assert result["stat"]["time_in_bed"] == 6000


def test_timezone_header_converts_every_timestamp(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(400), start_time="2025-01-14T22:00:00Z")
    result = api.result(user, session, timezone="Asia/Seoul")
    assert result["timezone"] == "Asia/Seoul"
    assert result["session"]["start_time"] == "2025-01-15T07:00:00+09:00"
    assert result["session"]["end_time"] == "2025-01-15T10:20:00+09:00"
    stat = result["stat"]
    for key in ("sleep_time", "wake_time"):
        assert stat[key].endswith("+09:00")
    assert all(t.endswith("+09:00") for t in stat["sleep_cycle_time"])
    utc = api.result(user, session)
    assert utc["session"]["start_time"] == "2025-01-14T22:00:00+00:00"
    moment = datetime.fromisoformat(stat["sleep_time"])
    assert moment == datetime.fromisoformat(utc["stat"]["sleep_time"])


def test_get_session_error_precedence(api: Api) -> None:
    alice, bob = api.user(), api.user()
    session = api.session(alice)
    get = api.client.get
    path = f"/data/v3/sessions/{session}"
    r = get(path, headers={"x-user-id": alice, "timezone": "bad"})
    assert (r.status_code, r.json()) == (401, {"detail": "Unauthorized"})
    r = get(path, headers=api.headers(timezone="bad"))
    assert (r.status_code, r.json()) == (401, {"detail": "invalid user id"})
    r = get(path, headers=api.headers("G-123", timezone="bad"))
    assert (r.status_code, r.json()) == (400, {"detail": "The format of x-user-id is invalid"})
    ghost = "G-20250101000000-" + "b" * 20
    r = get(path, headers=api.headers(ghost, timezone="bad"))
    assert (r.status_code, r.json()) == (404, {"detail": f"Unable to find the user of id {ghost}"})
    r = get("/data/v3/sessions/20230608020315_hz82", headers=api.headers(alice))
    assert (r.status_code, r.json()) == (
        400,
        {"detail": "The format of sleep session id 20230608020315_hz82 is not valid"},
    )
    r = get(path, headers=api.headers(bob, timezone="bad"))
    assert (r.status_code, r.json()) == (
        404,
        {"detail": f"Unable to find the sleep session of id {session}"},
    )
    r = get(path, headers=api.headers(alice, timezone="Not/AZone"))
    assert (r.status_code, r.json()) == (400, {"detail": "The invalid timezone is provided"})
    assert get(path, headers=api.headers(alice)).status_code == 200


def test_realtime_reads_of_an_open_session(api: Api) -> None:
    user = api.user()
    session = api.session(user)
    api.uploads(user, session, range(39))
    result = api.result(user, session)
    assert result["peculiarities"] == ["IN_PROGRESS"]
    assert result["stat"] is None
    assert result["session"]["state"] == "OPEN"
    assert result["session"]["end_time"] is None
    assert result["session"]["sleep_stages"] is None  # no analysis before 20 minutes
    api.uploads(user, session, range(39, 55))
    partial = api.result(user, session)["session"]
    assert len(partial["sleep_stages"]) == 50  # analysed in 5-minute steps
    api.uploads(user, session, range(55, 300))
    live = api.result(user, session)["session"]["sleep_stages"]
    assert api.close(user, session).status_code == 200
    final = api.result(user, session)["session"]["sleep_stages"]
    assert len(live) == len(final) == 300
    # The final analysis only rewrites the wake tail at the end of the night.
    assert live[:250] == final[:250]
    assert live[:50] == partial["sleep_stages"]


def test_no_realtime_polling_plan(make_api: Any) -> None:
    api = make_api(plans={"team-a": {"realtime": False}})
    user = api.user()
    session = api.session(user)
    api.uploads(user, session, range(60))
    result = api.result(user, session)
    assert result["peculiarities"] == ["IN_PROGRESS", "NO_REALTIME_POLLING"]
    assert result["session"]["sleep_stages"] is None
    assert result["session"]["breath_stages"] is None
    assert result["stat"] is None
    api.close(user, session)
    done = api.result(user, session)
    assert done["peculiarities"] == []
    assert done["stat"] is not None


def test_two_stage_plan(make_api: Any) -> None:
    api = make_api(plans={"team-a": {"four_stage": False}})
    user = api.user()
    session = api.night(user, range(120))
    result = api.result(user, session)
    assert set(result["session"]["sleep_stages"]) <= {0, 1}
    stat = result["stat"]
    for key in (
        "time_in_rem",
        "time_in_light",
        "time_in_deep",
        "rem_ratio",
        "light_ratio",
        "deep_ratio",
        "light_latency",
        "deep_latency",
        "rem_latency",
    ):
        assert stat[key] is None, key
    assert stat["time_in_sleep"] > 0


def test_no_breathing_plan(make_api: Any) -> None:
    api = make_api(plans={"team-a": {"breathing": False}})
    user = api.user()
    session = api.night(user, range(120))
    result = api.result(user, session)
    assert result["peculiarities"] == ["NO_BREATHING_STABILITY"]
    assert result["session"]["breath_stages"] is None
    assert result["session"]["snoring_stages"] is not None
    for key in (
        "time_in_stable_breath",
        "time_in_unstable_breath",
        "stable_breath_ratio",
        "unstable_breath_ratio",
        "breathing_pattern",
        "breathing_index",
        "unstable_breath_count",
    ):
        assert result["stat"][key] is None, key
    v2 = api.result(user, session, version=2)
    assert v2["session"]["osa_stages"] is None
    assert v2["stat"]["estimated_ahi"] is None


def test_too_short_session(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(39))
    result = api.result(user, session)
    assert result["peculiarities"] == ["TOO_SHORT_FOR_ANALYSIS"]
    assert result["stat"] is None
    assert len(result["session"]["sleep_stages"]) == 39
    v2 = api.result(user, session, version=2)
    assert v2["validity"] == "INVALID:TOO_SHORT_FOR_ANALYSIS"
    assert v2["stat"] is None


def test_never_slept_profile(api: Api) -> None:
    user = api.user()
    r = api.control("PUT", f"/users/{user}/profile", {"profile": "never_slept"})
    assert r.status_code == 200
    session = api.night(user, range(120))
    result = api.result(user, session)
    assert result["peculiarities"] == ["NEVER_SLEPT"]
    assert set(result["session"]["sleep_stages"]) == {0}
    stat = result["stat"]
    assert stat["sleep_time"] is None
    assert stat["sleep_index"] is None
    assert stat["time_in_sleep"] == 0


def test_service_magic_profile(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(120), service="emulator:never_slept")
    assert api.result(user, session)["peculiarities"] == ["NEVER_SLEPT"]
    info = api.client.get(f"/ai/v1/users/{user}", headers=api.headers()).json()["result"]
    assert info["last_session_info"]["service"] == "emulator:never_slept"


def test_v2_shape(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(120))
    result = api.result(user, session, version=2)
    assert list(result) == ["timezone", "validity", "session", "stat"]
    assert result["validity"] == "VALID"
    assert list(result["session"]) == [
        "id",
        "state",
        "start_time",
        "end_time",
        "sleep_stages",
        "osa_stages",
    ]
    assert set(result["session"]["osa_stages"]) <= {0, 1, 2}
    assert "estimated_ahi" in result["stat"]
    open_session = api.session(user)
    api.uploads(user, open_session, range(3))
    v2 = api.result(user, open_session, version=2)
    assert (v2["validity"], v2["stat"]) == ("IN_PROGRESS", None)


def test_polls_progression(make_api: Any) -> None:
    api = make_api(progression="polls", progression_polls=1)
    user = api.user()
    session = api.night(user, range(60))
    first = api.result(user, session)
    assert (first["session"]["state"], first["peculiarities"]) == ("CLOSED", ["IN_PROGRESS"])
    assert first["stat"] is None
    second = api.result(user, session)
    assert second["session"]["state"] == "COMPLETE"
    assert second["stat"] is not None


def test_manual_progression_and_complete_control(make_api: Any) -> None:
    api = make_api(progression="manual")
    user = api.user()
    session = api.night(user, range(60))
    for _ in range(3):
        assert api.result(user, session)["session"]["state"] == "CLOSED"
    r = api.control("POST", f"/sessions/{session}/complete")
    assert r.json() == {"session_id": session, "state": "COMPLETE"}
    assert api.result(user, session)["session"]["state"] == "COMPLETE"


def test_seconds_progression_on_the_virtual_clock(make_api: Any) -> None:
    api = make_api(progression="seconds", progression_seconds=60.0)
    user = api.user()
    session = api.night(user, range(60))
    assert api.result(user, session)["session"]["state"] == "CLOSED"
    api.runtime.clock.advance(61)
    listed = api.client.get("/data/v1/sessions", headers=api.headers(user)).json()
    assert listed["result"]["sleep_session_list"][0]["state"] == "COMPLETE"
    info = api.client.get(f"/ai/v1/users/{user}", headers=api.headers()).json()
    # Completed when the work finished on the virtual clock, not when looked at.
    assert info["result"]["last_session_info"]["complete_time"] == "2025-01-15T02:51:29"


def test_missing_chunks_become_minus_one(api: Api) -> None:
    user = api.user()
    seqs = [s for s in range(100) if s % 10 != 3]
    session = api.night(user, seqs)
    result = api.result(user, session)
    stages = result["session"]["sleep_stages"]
    assert [i for i, v in enumerate(stages) if v == -1] == list(range(3, 100, 10))
    assert result["session"]["breath_stages"][3] == -1
    assert result["session"]["snoring_stages"][13] == -1
    assert result["missing_data_ratio"] == 0.1
    listed = api.client.get("/data/v1/sessions", headers=api.headers(user)).json()
    assert listed["result"]["sleep_session_list"][0]["last_received_seq_num"] == 99


def test_complete_reads_are_cached_and_identical(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(200))
    first = api.get(user, session).content
    assert api.get(user, session).content == first
    assert api.get(user, session, timezone="Asia/Seoul").content != first
    r = api.control("PUT", f"/sessions/{session}/hypnogram", {"sleep_stages": [0] * 200})
    assert r.status_code == 200
    assert api.result(user, session)["peculiarities"] == ["NEVER_SLEPT"]


# --------------------------------------------------------------------------- list


def _list(api: Api, user: str, **params: Any) -> Any:
    headers = api.headers(user, **({"timezone": params.pop("tz")} if "tz" in params else {}))
    return api.client.get("/data/v1/sessions", headers=headers, params=params)


def test_list_sessions_shape_order_and_paging(api: Api) -> None:
    user = api.user()
    starts = ["2025-01-10T20:00:00Z", "2025-01-12T20:00:00Z", "2025-01-11T20:00:00Z"]
    made = [api.night(user, range(45), start_time=s) for s in starts]
    body = _list(api, user).json()
    assert body["detail"] == "OK"
    items = body["result"]["sleep_session_list"]
    assert [i["session_id"] for i in items] == [made[1], made[2], made[0]]  # DESC default
    assert list(items[0]) == [
        "session_id",
        "state",
        "session_start_time",
        "session_end_time",
        "created_timezone",
        "unexpected_end_time",
        "last_received_seq_num",
        "time_in_bed",
    ]
    assert items[0]["time_in_bed"] == 1350
    assert items[0]["last_received_seq_num"] == 44
    asc = _list(api, user, order_by="ASC", offset=1, limit=1).json()["result"]
    assert [i["session_id"] for i in asc["sleep_session_list"]] == [made[2]]
    assert _list(api, user, limit=0).json()["result"]["sleep_session_list"] == []


def test_list_date_filters_use_the_request_zone(api: Api) -> None:
    user = api.user()
    late = api.night(user, range(45), start_time="2025-01-10T20:00:00Z")  # Jan 11 in Seoul
    early = api.night(user, range(45), start_time="2025-01-10T10:00:00Z")
    utc = _list(api, user, date_gte="2025-01-10", date_lte="2025-01-10").json()["result"]
    assert {i["session_id"] for i in utc["sleep_session_list"]} == {late, early}
    seoul = _list(api, user, tz="Asia/Seoul", date_gte="2025-01-11").json()["result"]
    assert [i["session_id"] for i in seoul["sleep_session_list"]] == [late]
    assert seoul["timezone"] == "Asia/Seoul"
    assert seoul["sleep_session_list"][0]["session_start_time"] == "2025-01-11T05:00:00+09:00"


def test_list_open_session(api: Api) -> None:
    user = api.user()
    session = api.session(user)
    item = _list(api, user).json()["result"]["sleep_session_list"][0]
    assert (item["session_id"], item["state"], item["session_end_time"]) == (session, "OPEN", None)
    assert (item["last_received_seq_num"], item["time_in_bed"]) == (None, 0)


@pytest.mark.parametrize(
    ("params", "kind", "loc"),
    [
        ({"limit": "101"}, "less_than_equal", ["query", "limit"]),
        ({"limit": "-1"}, "greater_than_equal", ["query", "limit"]),
        ({"offset": "-1"}, "greater_than_equal", ["query", "offset"]),
        ({"offset": "x"}, "int_parsing", ["query", "offset"]),
        ({"order_by": "asc"}, "literal_error", ["query", "order_by"]),
        ({"date_gte": "2025-13-01"}, "date_from_datetime_parsing", ["query", "date_gte"]),
        ({"date_lte": "yesterday"}, "date_from_datetime_parsing", ["query", "date_lte"]),
    ],
)
def test_list_validation(api: Api, params: dict[str, str], kind: str, loc: list[str]) -> None:
    user = api.user()
    r = _list(api, user, **params)
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert (problem["type"], problem["loc"], problem["input"]) == (kind, loc, *params.values())


def test_list_bad_timezone(api: Api) -> None:
    user = api.user()
    r = _list(api, user, tz="Nowhere")
    assert (r.status_code, r.json()) == (400, {"detail": "The invalid timezone is provided"})


# --------------------------------------------------------------------------- average stats


def _averages(api: Api, user: str, **params: Any) -> Any:
    headers = api.headers(**({"timezone": params.pop("tz")} if "tz" in params else {}))
    return api.client.get(f"/data/v1/users/{user}/average-stats", headers=headers, params=params)


def test_average_stats(api: Api) -> None:
    user = api.user()
    api.night(user, range(100), start_time="2025-01-10T23:30:00Z")
    api.night(user, range(100), start_time="2025-01-11T00:30:00Z")
    never = api.night(
        user, range(100), start_time="2025-01-12T23:00:00Z", service="emulator:never_slept"
    )
    api.night(user, range(10), start_time="2025-01-13T23:00:00Z")  # too short: left out
    api.night(user, range(100), start_time="2025-03-01T23:00:00Z")  # outside the period
    body = _averages(api, user, start_date="2025-01-01", end_date="2025-01-31").json()
    assert body["detail"] == "OK"
    result = body["result"]
    assert result["period"] == {
        "timezone": "UTC",
        "start_date": "2025-01-01",
        "end_date": "2025-01-31",
    }
    assert result["peculiarities"] == []
    assert [s["id"] for s in result["never_slept_sessions"]] == [never]
    assert len(result["slept_sessions"]) == 2
    averages = result["average_stats"]
    assert averages["start_time"] == "00:00:00"  # 23:30 and 00:30 on a 24-hour circle
    assert isinstance(averages["sleep_efficiency"], float)


def test_average_stats_errors(api: Api) -> None:
    user = api.user()
    ghost = "G-20250101000000-" + "c" * 20
    r = _averages(api, ghost, start_date="2025-01-01", end_date="2025-01-02")
    assert (r.status_code, r.json()) == (404, {"detail": f"Unable to find the user of id {ghost}"})
    r = _averages(api, user, tz="Bad/Zone", start_date="2025-01-01", end_date="2025-01-02")
    assert (r.status_code, r.json()) == (400, {"detail": "The invalid timezone is provided"})
    r = _averages(api, user, start_date="2025-01-01")
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "missing", "loc": ["query", "end_date"], "msg": "Field required", "input": None}
    ]
    r = _averages(api, user, start_date="2025-01-01", end_date="2025-04-11")
    assert (r.status_code, r.json()) == (
        400,
        {"detail": "The period should be less than or equal to 100 days"},
    )
    assert _averages(api, user, start_date="2025-01-01", end_date="2025-04-10").status_code == 200
    r = _averages(api, user, start_date="2025-01-02", end_date="2025-01-01")
    assert r.status_code == 400


def test_average_stats_query_timezone_and_no_breathing(make_api: Any) -> None:
    api = make_api(plans={"team-a": {"breathing": False}})
    user = api.user()
    r = _averages(api, user, start_date="2025-01-01", end_date="2025-01-02", timezone="Asia/Seoul")
    result = r.json()["result"]
    assert result["period"]["timezone"] == "Asia/Seoul"
    assert result["peculiarities"] == ["NO_BREATHING_STABILITY"]
    assert result["average_stats"] is None
