"""The Asleep entries of ``GET /_emulator/scenarios``: everything a test can choose.

A data table (one entry per profile, then the fixed list below) describing the
controls of ``control`` and ``nights``, the magic ``service`` input and the plan.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from emulator.asleep.profiles import Profile
from emulator.asleep.rules import SERVICE_PROFILE_PREFIX

_PROFILE_TEXT: Final = {
    Profile.NORMAL: "an ordinary adult night (~7 h asleep, a few short awakenings)",
    Profile.GOOD_SLEEPER: "quick sleep onset, long consolidated sleep, high sleep_index",
    Profile.INSOMNIA: "long sleep latency, many and long awakenings, short sleep",
    Profile.NEVER_SLEPT: "all wake: peculiarity NEVER_SLEPT, stat with the documented nulls",
    Profile.MILD_UNSTABLE_BREATHING: "breathing_pattern MILDLY_UNSTABLE_BREATH (breathing plan)",
    Profile.MODERATE_UNSTABLE_BREATHING: "breathing_pattern MODERATELY_UNSTABLE_BREATH",
    Profile.SEVERE_UNSTABLE_BREATHING: "breathing_pattern SEVERELY_UNSTABLE_BREATH",
    Profile.HEAVY_SNORER: "snoring through much of the night (snoring_ratio ~0.3-0.5)",
}

_FIXED: Final[tuple[dict[str, Any], ...]] = (
    {
        "name": "asleep-service-profile",
        "kind": "magic-input",
        "description": (
            "Create a session with service 'emulator:<profile>' to generate that one "
            "night with the profile, whatever the user's profile is."
        ),
        "example": {
            "method": "POST",
            "path": "/ai/v1/sessions",
            "body": {"service": f"{SERVICE_PROFILE_PREFIX}{Profile.INSOMNIA.value}"},
        },
    },
    {
        "name": "asleep-hypnogram",
        "kind": "control",
        "description": (
            "Make an exact stage list (-1..3; optional breath/snoring -1..1) the "
            "session's result. Unless the session was closed with an explicit "
            "end_time, the list's length also sets end_time (start + 30 s each)."
        ),
        "example": {
            "method": "PUT",
            "path": "/_emulator/asleep/sessions/{session_id}/hypnogram",
            "headers": {"x-api-key": "<key>"},
            # The night behind the documented stat example (asleep-api.md §3.7.1).
            "body": {"sleep_stages": [0] * 30 + [1] * 18 + [0] * 6 + [1] * 18 + [0] * 48},
        },
    },
    {
        "name": "asleep-profile-get",
        "kind": "control",
        "description": "A user's effective profile and whether a control call chose it.",
        "example": {
            "method": "GET",
            "path": "/_emulator/asleep/users/{user_id}/profile",
            "headers": {"x-api-key": "<key>"},
        },
    },
    {
        "name": "asleep-hypnogram-remove",
        "kind": "control",
        "description": "Drop an injected night: the session's own night comes back.",
        "example": {
            "method": "DELETE",
            "path": "/_emulator/asleep/sessions/{session_id}/hypnogram",
            "headers": {"x-api-key": "<key>"},
        },
    },
    {
        "name": "asleep-complete",
        "kind": "control",
        "description": (
            "Finish the analysis of a CLOSED session now (progression 'manual', "
            "or to skip a 'polls'/'seconds' wait)."
        ),
        "example": {
            "method": "POST",
            "path": "/_emulator/asleep/sessions/{session_id}/complete",
            "headers": {"x-api-key": "<key>"},
        },
    },
    {
        "name": "asleep-synthetic-night",
        "kind": "control",
        "description": (
            "Play a whole night for a user without uploading audio: a real session "
            "(the Data API serves it afterwards), every epoch filled, closed, COMPLETE, "
            "and every webhook queued in order: INFERENCE_COMPLETE per analysis "
            "window, then SESSION_COMPLETE. Optional: version (V1/V2/V3), hours "
            "(default 8, at most 24), start_time (default: ending now), profile, "
            "cadence (5/20/40 minutes). Answers the session_id and the delivery ids."
        ),
        "example": {
            "method": "POST",
            "path": "/_emulator/asleep/users/{user_id}/nights",
            "headers": {"x-api-key": "<key>"},
            "body": {
                "callback_url": "http://127.0.0.1:9000/asleep-webhook",
                "version": "V3",
                "hours": 7.5,
            },
        },
    },
    {
        "name": "asleep-plan",
        "kind": "control",
        "description": (
            "Per-key plan in the --config file: asleep_plan.four_stage (false: 2-stage), "
            "breathing (false: NO_BREATHING_STABILITY), realtime (false: "
            "NO_REALTIME_POLLING); asleep = false answers 403 with asleep_denied."
        ),
        "example": {"config": '[keys."k".asleep_plan]\nfour_stage = false'},
    },
    {
        "name": "callback-failures",
        "kind": "control",
        "description": (
            "Make the emulator's own webhook deliveries misbehave to test a receiver's "
            "idempotency: drop (not sent, retried later), fail_after_send (sent, then "
            "retried: the receiver sees duplicates) or duplicate (every success sent "
            "twice)."
        ),
        "example": (
            "PUT /_emulator/callbacks/failures "
            '{"mode": "fail_after_send", "remaining": 1, "api_key": "my-key"}'
        ),
    },
)


def scenarios() -> list[dict[str, Any]]:
    """Everything a test can choose about Asleep, for ``GET /_emulator/scenarios``."""
    per_profile: list[dict[str, Any]] = [
        {
            "name": f"asleep-profile-{p.value}",
            "kind": "control",
            "description": f"Profile {p.value}: {_PROFILE_TEXT[p]}.",
            "example": {
                "method": "PUT",
                "path": "/_emulator/asleep/users/{user_id}/profile",
                "headers": {"x-api-key": "<key>"},
                "body": {"profile": p.value},
            },
        }
        for p in Profile
    ]
    return [*per_profile, *copy.deepcopy(_FIXED)]
