"""The Asleep Data API (/data/v1..v3) in the OpenAPI document: its operations.

Single sessions (v3, and the legacy v2 shape), the session list and the average
statistics (asleep-api.md §3.7-§3.9); the shared parts are ``openapi_shared``.
"""

from __future__ import annotations

from typing import Any

from emulator.asleep import openapi_shared as shared
from emulator.core.openapi import Paths, json_response, merge_paths, ref
from emulator.core.openapi_models import parameters_of


def _query(model_name: str) -> list[dict[str, Any]]:
    from emulator.asleep import bodies

    return parameters_of(getattr(bodies, model_name).model_json_schema(), "query")


def _get_session_paths() -> dict[str, dict[str, Any]]:
    errors = (
        shared.error(
            400,
            "`The format of x-user-id is invalid`, `The format of sleep session id {id} is not "
            "valid`, `The invalid timezone is provided`",
        ),
        *shared.KEY_ERRORS,
        shared.error(
            404,
            "`Unable to find the user of id {id}`, `Unable to find the sleep session of id {id}`",
        ),
    )
    shapes = {
        3: ("Get a single session (v3)", "AsleepSessionResult", "seed 001"),
        2: (
            "Get a single session (legacy v2 shape)",
            "AsleepSessionResultV2",
            "asleep-api.md §3.7.2 (v1.0 docs); errors as v3 (INFERRED)",
        ),
    }
    return {
        f"/data/v{version}/sessions/{{session_id}}": {
            "parameters": [shared.SESSION_ID],
            "get": shared.op(
                f"asleep_get_session_v{version}",
                summary,
                source_text,
                (200, json_response("The session", shared.success(ref(result), "OK"))),
                *errors,
                parameters=[shared.USER_HEADER, shared.TZ_HEADER],
            ),
        }
        for version, (summary, result, source_text) in shapes.items()
    }


def _list_paths() -> dict[str, dict[str, Any]]:
    return {
        "/data/v1/sessions": {
            "get": shared.op(
                "asleep_list_sessions",
                "List a user's sessions",
                "asleep-api.md §3.8; 422 INFERRED",
                (
                    200,
                    json_response("The sessions", shared.success(ref("AsleepSessionList"), "OK")),
                ),
                shared.error(
                    400, "`The format of x-user-id is invalid`, `The invalid timezone is provided`"
                ),
                *shared.KEY_ERRORS,
                shared.error(404, "`Unable to find the user of id {id}`"),
                shared.FASTAPI_422,
                parameters=[shared.USER_HEADER, shared.TZ_HEADER, *_query("AsleepListQuery")],
            ),
        },
        "/data/v1/users/{user_id}/average-stats": {
            "parameters": [shared.USER_ID],
            "get": shared.op(
                "asleep_average_stats",
                "Average statistics over a period",
                "asleep-api.md §3.9; error texts [2ND] and INFERRED",
                (
                    200,
                    json_response("The averages", shared.success(ref("AsleepAverageStats"), "OK")),
                ),
                shared.error(
                    400,
                    "`The invalid timezone is provided`, `The period should be less than or "
                    "equal to 100 days`, `The start_date should be less than or equal to the "
                    "end_date` (INFERRED)",
                ),
                *shared.KEY_ERRORS,
                shared.error(404, "`Unable to find the user of id {id}`"),
                shared.FASTAPI_422,
                parameters=[shared.TZ_HEADER, *_query("AsleepPeriodQuery")],
            ),
        },
    }


def paths() -> Paths:
    return merge_paths(_get_session_paths, _list_paths)
