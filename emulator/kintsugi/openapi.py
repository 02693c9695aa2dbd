"""The Kintsugi Voice part of the OpenAPI document: v1 (/v1) and v2 (/v2).

Written from Kintsugi's documented shapes, not from the emulator's code:

* seed 002 (v1 docs: initiate, predict, feedback, the error codes and the
  ``unsupported_metadata_spec`` context);
* kintsugi-api.md §4 (v2: the Java SDK generated from Kintsugi's spec, "java-gen",
  and kintsugi-python 0.1.8 as it behaves on the wire, "py-sdk").

v1 errors are ``{"error": code[, "context"]}``, v2 errors ``{"message": code[,
"context"]}`` (java-gen ``errors.MessagesResponse``). Where no source gives a status
or a field the emulator's choice is marked ``INFERRED``.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.core.openapi import (
    ApiPart,
    Schema,
    array,
    binary_file,
    body,
    boolean,
    empty_response,
    enum,
    integer,
    item_path,
    json_body,
    json_response,
    obj,
    op,
    ref,
    string,
)
from emulator.kintsugi import control_openapi
from emulator.kintsugi.schemas import (
    ANSWER_COUNTS,
    ETHNICITY_NAMES,
    FALSE_TEXT,
    TRUE_TEXT,
    V1_GENDERS,
    V1_RACES,
    V2_GENDERS,
    V2_RACES,
    ZIPCODE,
)
from emulator.kintsugi.scores import DEPRESSION_BINARY as BINARY
from emulator.kintsugi.shapes import answers, components

TAG: Final = "Kintsugi"


# --------------------------------------------------------------------------- responses


def _v1(status: int, text: str) -> tuple[int, Schema]:
    return status, json_response(text, ref("KintsugiV1Error"))


def _v2(status: int, text: str) -> tuple[int, Schema]:
    return status, json_response(text, ref("KintsugiV2Error"))


def _common(version: int) -> tuple[tuple[int, Schema], ...]:
    err = _v1 if version == 1 else _v2
    return (
        err(400, "`invalid_request`: no X-API-Key (get-started page; code INFERRED)"),
        err(401, "`invalid_api_key`"),
        err(403, "`unauthorized_account`"),
    )


def _body_limits(version: int) -> tuple[tuple[int, Schema], ...]:
    err = _v1 if version == 1 else _v2
    return (
        err(413, "`request_entity_too_large` (INFERRED)"),
        err(408, "`request_timeout`: the body did not arrive in time (emulator)"),
    )


def _session_errors(version: int, *, conflict: bool) -> tuple[tuple[int, Schema], ...]:
    err = _v1 if version == 1 else _v2
    found = [
        err(404, "`nonexistent_initiation`" + ("" if conflict else ", `nonexistent_prediction`")),
        err(
            406,
            "`consent_not_provided`: a session without consent restored from an older state"
            " file, with setting kintsugi.no_consent_error=consent_not_provided",
        ),
    ]
    if conflict:
        found.append(err(409, "`existent_session`"))
    return tuple(found)


def _predict_form(version: int) -> Schema:
    props: dict[str, Schema] = {
        "file": binary_file("WAV, >= 8 kHz, one channel, >= 30 s of voice"),
        "session_id": string(),
    }
    if version == 2:
        props["allowed_sample_rate"] = integer(
            "Hz; the javadoc says 16000..44100, the audio specification 8 kHz and up: "
            "8000..768000 is taken",
            minimum=8000,
            maximum=768000,
        )
    return obj(props, required=("file", "session_id"), additional=True)


# seed 002 field table (v1 display names); form values are text. The emulator also
# takes the v2 spellings, case-insensitively, and Go's ParseBool words (INFERRED).
_BOOL_TEXT: Final = tuple(w for pair in zip(TRUE_TEXT, FALSE_TEXT, strict=True) for w in pair)
_ZIPCODE: Final = string(pattern=ZIPCODE.pattern)


def _op(op_id: str, summary: str, source_text: str, *entries: Any, **extra: Any) -> Schema:
    return op(op_id, summary, source_text, *entries, tag=TAG, **extra)


def _v1_initiate() -> dict[str, dict[str, Any]]:
    form = obj(
        {
            "user_id": string(),
            "is_initiated": enum(_BOOL_TEXT, "the patient's consent (seed: `is-initiated`)"),
            "age": string("integer > 0", pattern=r"^[1-9][0-9]{0,2}$"),
            "gender": enum(V1_GENDERS),
            "race": enum(V1_RACES),
            "ethnicity": enum(ETHNICITY_NAMES),
            "zipcode": _ZIPCODE,
            "language": enum(_BOOL_TEXT, "English is the first language"),
            "weight": string("pounds, integer > 0", pattern=r"^[1-9][0-9]{0,3}$"),
        },
        required=("user_id", "is_initiated"),
        additional=True,
    )
    forms = ("application/x-www-form-urlencoded", "multipart/form-data")
    return {
        "/v1/initiate": {
            "post": _op(
                "kintsugi_v1_initiate",
                "Initiate a session (v1)",
                "seed 002",
                (200, json_response("Initiated", ref("KintsugiSessionId"))),
                *_common(1),
                _v1(406, "`consent_not_provided`: is_initiated false, no session created"),
                _v1(422, "`unsupported_metadata_spec` with `context`"),
                *_body_limits(1),
                request_body=body(dict.fromkeys(forms, form)),
            )
        },
    }


def _v1_predict() -> dict[str, dict[str, Any]]:
    result = ref("KintsugiV1Result")
    return {
        f"/v1/predict/server/depression/{granularity}": {
            "post": _op(
                f"kintsugi_v1_predict_depression_{granularity}",
                f"Predict depression ({granularity}, v1, synchronous)",
                "seed 002 (the example answers 201, its table lists 200)",
                (201, json_response("The prediction", result)),
                (
                    200,
                    json_response(
                        "The prediction (setting kintsugi.v1_predict_status=200)", result
                    ),
                ),
                *_common(1),
                *_session_errors(1, conflict=True),
                _v1(
                    422, "`unsupported_audio_spec`, `unstandard_audio`, `insufficient_audio_length`"
                ),
                *_body_limits(1),
                request_body=body({"multipart/form-data": _predict_form(1)}),
            )
        }
        for granularity in ("binary", "severity")
    }


def _v1_feedback() -> dict[str, dict[str, Any]]:
    # The binary label is a form field (seed 002 sample), the questionnaires JSON.
    label = enum(
        (*BINARY, *(w for w in _BOOL_TEXT if w not in BINARY)),
        "a label; boolean spellings as for every form boolean",
    )
    binary = obj({"session_id": string(), "actual_score": label}, additional=True)
    content: dict[str, dict[str, Schema]] = {
        "depression/binary": dict.fromkeys(
            ("application/x-www-form-urlencoded", "multipart/form-data"), binary
        ),
    }
    for kind in ("phq_2", "phq_9"):
        score = obj({"session_id": string(), "actual_score": answers(kind)}, additional=True)
        content[kind.replace("_", "/")] = {"application/json": score}
    return {
        f"/v1/feedback/server/{suffix}": {
            "patch": _op(
                f"kintsugi_v1_feedback_{suffix.replace('/', '_')}",
                f"Feedback: {suffix.replace('/', '_')} (v1)",
                "seed 002 samples; errors INFERRED",
                (200, empty_response("Stored; no body (seed 002 sample comment)")),
                *_common(1),
                *_session_errors(1, conflict=False),
                _v1(422, "`unsupported_feedback_spec` with `context` (INFERRED)"),
                *_body_limits(1),
                request_body=body(media),
            )
        }
        for suffix, media in content.items()
    }


def _v2_initiate() -> dict[str, dict[str, Any]]:
    metadata = obj(
        {
            "age": integer(minimum=1),
            "gender": enum(V2_GENDERS),
            "race": enum(V2_RACES),
            "ethnicity": enum(ETHNICITY_NAMES),
            "zipcode": _ZIPCODE,
            "language": boolean(),
            "weight": integer("pounds", minimum=1),
        },
        required=(),
        additional=True,
    )
    initiate = obj(
        {"user_id": string(), "is_initiated": boolean(), "metadata": metadata},
        required=("user_id", "is_initiated"),
        additional=True,
    )
    return {
        "/v2/initiate": {
            "post": _op(
                "kintsugi_v2_initiate",
                "Initiate a session (v2)",
                "java-gen InitiateApi; py-sdk (201); errors INFERRED from v1",
                (201, json_response("Initiated", ref("KintsugiSessionId"))),
                *_common(2),
                _v2(406, "`consent_not_provided`: is_initiated false, no session created"),
                _v2(422, "`unsupported_metadata_spec` with `context`"),
                *_body_limits(2),
                request_body=json_body(initiate),
            )
        }
    }


_SUBMITS: Final = {
    "/v2/prediction/": ("kintsugi_v2_predict", "Unified depression and anxiety prediction"),
    "/v2/prediction": (
        "kintsugi_v2_predict_no_slash",
        "Unified prediction (the same, without the SDK's trailing slash)",
    ),
    "/v2/predict/depression/binary": ("kintsugi_v2_predict_depression_binary", "Depression"),
    "/v2/predict/depression/severity": (
        "kintsugi_v2_predict_depression_severity",
        "Depression severity",
    ),
    "/v2/predict/anxiety/severity": ("kintsugi_v2_predict_anxiety_severity", "Anxiety"),
}


def _v2_submits() -> dict[str, dict[str, Any]]:
    refused = _v2(
        422,
        "`unstandard_audio` (no file), `unsupported_audio_spec` (bad allowed_sample_rate, "
        "with `context`), or an audio code with setting kintsugi.v2_audio_failure=reject",
    )
    return {
        path: {
            "post": _op(
                op_id,
                f"{summary} (v2, asynchronous submit)",
                "java-gen PredictSubmitV2Api/V1Api; py-sdk (202); "
                "202 for the per-model submits and the errors INFERRED",
                (202, json_response("Accepted", ref("KintsugiPredictionInitiated"))),
                *_common(2),
                *_session_errors(2, conflict=True),
                refused,
                *_body_limits(2),
                request_body=body({"multipart/form-data": _predict_form(2)}),
            )
        }
        for path, (op_id, summary) in _SUBMITS.items()
    }


def _v2_reads() -> dict[str, dict[str, Any]]:
    record = ref("KintsugiRecordBySession")
    failed = "A failed record (setting kintsugi.failed_record_status=417; 3rd-party hint)"
    return {
        "/v2/predict/sessions/{session_id}": item_path(
            "session_id",
            "From initiate",
            get=_op(
                "kintsugi_v2_prediction_by_session",
                "The prediction record of one session",
                "java-gen PredictGetApi; py-sdk; errors INFERRED",
                (200, json_response("The record", record)),
                (417, json_response(failed, record)),
                *_common(2),
                *_session_errors(2, conflict=False),
            ),
        ),
        "/v2/predict/users/{user_id}": item_path(
            "user_id",
            "The caller's patient id",
            get=_op(
                "kintsugi_v2_predictions_by_user",
                "Every prediction record of a user",
                "java-gen predict.ResponsePredictionRecord; py-sdk",
                (
                    200,
                    json_response(
                        "The records ([] for an unknown user, INFERRED)",
                        array(ref("KintsugiRecord")),
                    ),
                ),
                *_common(2),
            ),
        ),
    }


def _v2_feedback() -> dict[str, dict[str, Any]]:
    scores: dict[str, Schema] = {"depression_binary": enum(BINARY)}
    scores.update({kind: answers(kind) for kind in ANSWER_COUNTS})
    return {
        f"/v2/feedback/{name.replace('_', '/')}": {
            "patch": _op(
                f"kintsugi_v2_feedback_{name}",
                f"Feedback: {name} (v2)",
                "java-gen FeedbackApi; py-sdk; errors INFERRED",
                (200, empty_response("Stored; no body is read by either SDK")),
                *_common(2),
                *_session_errors(2, conflict=False),
                _v2(422, "`unsupported_feedback_spec` with `context` (INFERRED)"),
                *_body_limits(2),
                request_body=json_body(
                    obj({"session_id": string(), "data": data}, additional=True)
                ),
            )
        }
        for name, data in scores.items()
    }


def paths() -> dict[str, dict[str, Any]]:
    return {
        **_v1_initiate(),
        **_v1_predict(),
        **_v1_feedback(),
        **_v2_initiate(),
        **_v2_submits(),
        **_v2_reads(),
        **_v2_feedback(),
        **control_openapi.paths(),
    }


def part() -> ApiPart:
    """This API's part of the OpenAPI document."""
    description = "Kintsugi Voice API v1 and v2"
    return ApiPart(TAG, description, paths, components, "kintsugi", control_openapi.sections)
