"""Users: create, get, update, delete (asleep-api.md §3.1-§3.4), auth and ids."""

from __future__ import annotations

import re
from typing import Any

import pytest

from emulator.asleep.state import state_of
from tests.asleep.conftest import Api

USER_ID = re.compile(r"G-\d{14}-[A-Za-z]{20}")


def test_create_user_id_shape(api: Api) -> None:
    r = api.client.post("/ai/v1/users", headers=api.headers())
    assert r.status_code == 201
    body = r.json()
    assert body["detail"] == "success"
    user_id = body["result"]["user_id"]
    assert USER_ID.fullmatch(user_id)
    assert user_id.startswith("G-20250115025029-")  # creation time on the virtual clock


def test_two_users_in_the_same_second_differ(api: Api) -> None:
    assert api.user() != api.user()


def test_get_user_without_sessions(api: Api) -> None:
    meta = {"birth_year": 2001, "birth_month": 1, "birth_day": 1, "gender": "male"}
    user = api.user({**meta, "height": 178.6, "weight": 62.1})
    r = api.client.get(f"/ai/v1/users/{user}", headers=api.headers())
    assert r.status_code == 200
    assert r.json() == {
        "detail": "success",
        "result": {
            "user_id": user,
            "to_be_deleted": False,
            "last_session_info": None,
            "metadata": {**meta, "height": 178.6, "weight": 62.1},
        },
    }


def test_last_session_info(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(40), start_time="2023-06-30T22:41:17Z")
    info = api.client.get(f"/ai/v1/users/{user}", headers=api.headers()).json()["result"][
        "last_session_info"
    ]
    # §3.2 example: offset-less times.
    assert info == {
        "session_id": session,
        "inference_type": "MELSPECTROGRAM",
        "service": "NOSERVICE",
        "start_time": "2023-06-30T22:41:17",
        "end_time": "2023-06-30T23:01:17",
        "state": "COMPLETE",
        "complete_time": "2025-01-15T02:50:29",
    }
    newer = api.session(user)
    info = api.client.get(f"/ai/v1/users/{user}", headers=api.headers()).json()["result"][
        "last_session_info"
    ]
    assert (info["session_id"], info["state"], info["end_time"]) == (newer, "OPEN", None)


def test_update_user_replaces_metadata(api: Api) -> None:
    user = api.user({"gender": "female", "height": 160.0})
    r = api.client.put(
        f"/ai/v1/users/{user}", headers=api.headers(), json={"metadata": {"weight": 55.5}}
    )
    assert r.status_code == 200
    expected = {
        "birth_year": None,
        "birth_month": None,
        "birth_day": None,
        "gender": None,
        "height": None,
        "weight": 55.5,
    }
    assert r.json() == {"detail": "success", "result": {"user_id": user, "metadata": expected}}
    r = api.client.put(f"/ai/v1/users/{user}", headers=api.headers(), json={"metadata": None})
    assert r.json()["result"]["metadata"] is None


def test_update_user_requires_metadata_key(api: Api) -> None:
    user = api.user()
    r = api.client.put(f"/ai/v1/users/{user}", headers=api.headers(), json={})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "missing"
    assert r.json()["detail"][0]["loc"] == ["body", "metadata"]


def test_user_not_found_wordings(api: Api) -> None:
    ghost = "G-20250101000000-" + "a" * 20
    r = api.client.get(f"/ai/v1/users/{ghost}", headers=api.headers())
    assert (r.status_code, r.json()) == (404, {"detail": "user does not exist"})
    r = api.client.put(f"/ai/v1/users/{ghost}", headers=api.headers(), json={"metadata": None})
    assert (r.status_code, r.json()) == (404, {"detail": "user not exist"})
    r = api.client.delete(f"/ai/v1/users/{ghost}", headers=api.headers())
    assert (r.status_code, r.json()) == (404, {"detail": "user does not exist"})
    r = api.client.delete("/ai/v1/users/not-an-id", headers=api.headers())
    assert (r.status_code, r.json()) == (401, {"detail": "user_id is invalid"})


def test_delete_user_deletes_sessions(api: Api) -> None:
    user = api.user()
    session = api.night(user, range(3))
    r = api.client.delete(f"/ai/v1/users/{user}", headers=api.headers())
    assert (r.status_code, r.content) == (204, b"")
    assert api.client.get(f"/ai/v1/users/{user}", headers=api.headers()).status_code == 404
    assert api.get(user, session).status_code == 404
    assert session not in state_of(api.runtime.store.namespace(api.key)).sessions


@pytest.mark.parametrize(
    ("metadata", "kind", "loc"),
    [
        ({"birth_year": 1899}, "greater_than_equal", ["body", "metadata", "birth_year"]),
        ({"birth_year": 2026}, "less_than_equal", ["body", "metadata", "birth_year"]),
        ({"birth_month": 13}, "less_than_equal", ["body", "metadata", "birth_month"]),
        ({"birth_day": 0}, "greater_than_equal", ["body", "metadata", "birth_day"]),
        ({"birth_year": "abc"}, "int_parsing", ["body", "metadata", "birth_year"]),
        ({"birth_year": 1990.5}, "int_from_float", ["body", "metadata", "birth_year"]),
        ({"gender": "robot"}, "literal_error", ["body", "metadata", "gender"]),
        ({"height": 301}, "less_than_equal", ["body", "metadata", "height"]),
        ({"height": -1}, "greater_than_equal", ["body", "metadata", "height"]),
        ({"height": 170.25}, "value_error", ["body", "metadata", "height"]),
        ({"weight": "heavy"}, "float_parsing", ["body", "metadata", "weight"]),
        (
            {"birth_year": 2001, "birth_month": 2, "birth_day": 29},
            "value_error",
            ["body", "metadata"],
        ),
        ("text", "model_attributes_type", ["body", "metadata"]),
    ],
)
def test_metadata_validation(api: Api, metadata: Any, kind: str, loc: list[str]) -> None:
    r = api.client.post("/ai/v1/users", headers=api.headers(), json={"metadata": metadata})
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert (problem["type"], problem["loc"]) == (kind, loc)
    assert isinstance(problem["msg"], str)


def test_metadata_reports_every_problem(api: Api) -> None:
    r = api.client.post(
        "/ai/v1/users",
        headers=api.headers(),
        json={"metadata": {"birth_month": 0, "gender": "x", "weight": 2000}},
    )
    assert [p["loc"][-1] for p in r.json()["detail"]] == ["birth_month", "gender", "weight"]
    assert r.json()["detail"][1]["msg"] == (
        "Input should be 'male', 'female', 'non_binary', 'other' or 'prefer_not_to_say'"
    )


def test_leap_day_birth_is_fine(api: Api) -> None:
    user = api.user({"birth_year": 2000, "birth_month": 2, "birth_day": 29})
    assert user


def test_invalid_json_body(api: Api) -> None:
    r = api.client.post(
        "/ai/v1/users", headers={**api.headers(), "content-type": "application/json"}, content="{"
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "json_invalid"


def test_missing_or_unknown_key_is_401(make_api: Any, tmp_path: Any) -> None:
    api = make_api(plans={"team-a": {}})
    r = api.client.post("/ai/v1/users")
    assert (r.status_code, r.json()) == (401, {"detail": "Unauthorized"})
    r = api.client.post("/ai/v1/users", headers={"x-api-key": "stranger"})
    assert (r.status_code, r.json()) == (401, {"detail": "Unauthorized"})


def test_denied_tenant_is_403(make_api: Any) -> None:
    api = make_api(key="expired", denied={"expired": "Quota exceeded"})
    r = api.client.post("/ai/v1/users", headers=api.headers())
    assert (r.status_code, r.json()) == (403, {"detail": "Quota exceeded"})


def test_state_is_per_api_key(make_api: Any) -> None:
    a = make_api(key="key-a")
    user = a.user()
    session = a.night(user, range(2))
    from tests.asleep.conftest import Api as _Api

    b = _Api(a.client, "key-b")
    assert b.client.get(f"/ai/v1/users/{user}", headers=b.headers()).status_code == 404
    r = b.get(user, session)
    assert (r.status_code, r.json()["detail"]) == (404, f"Unable to find the user of id {user}")


def test_unknown_routes_and_methods(api: Api) -> None:
    r = api.client.get("/ai/v1/nothing", headers=api.headers())
    assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})
    r = api.client.patch("/ai/v1/users/x", headers=api.headers())
    assert (r.status_code, r.json()) == (405, {"detail": "Method Not Allowed"})


def test_the_night_takes_the_age_from_the_users_birth_year(api: Api) -> None:
    """Age drives the architecture (less deep sleep with age); the user's metadata says it."""
    old = api.user({"birth_year": 1950})
    young = api.user({"birth_year": 2000})
    unknown = api.user()
    state = state_of(api.runtime.store.namespace(api.key))
    ages = {}
    for user in (old, young, unknown):
        session = api.stored(api.session(user))
        ages[user] = state.age_of(session)
    # The clock of these tests is 2025-01-15 (settings_for).
    assert (ages[old], ages[young], ages[unknown]) == (75.0, 25.0, None)
    session = api.stored(api.session(api.user({"birth_year": 2024})))
    assert state.age_of(session) == 18.0  # the adult figures' floor
