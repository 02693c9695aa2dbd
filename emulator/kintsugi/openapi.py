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
    API_KEY_SECURITY,
    ApiPart,
    Schema,
    array,
    binary_file,
    body,
    boolean,
    empty_response,
    enum,
    integer,
    json_body,
    json_response,
    nullable,
    number,
    obj,
    operation,
    path_param,
    ref,
    responses,
    source,
    string,
)

TAG: Final = "Kintsugi"
DEPRESSION_SEVERITY: Final = ("no_to_mild", "mild_to_moderate", "moderate_to_severe")
BINARY: Final = ("false", "true", "additional_consideration_required")
ANXIETY_SEVERITY: Final = ("no_or_minimal", "mild", "moderate", "severe")
# java-gen SessionGender / SessionRace / SessionEthnicity (kintsugi-api.md §4.9).
GENDERS: Final = (
    "male", "female", "non-binary", "transgender female", "transgender male", "other",
    "prefer not to specify",
)  # fmt: skip
RACES: Final = (
    "white", "black or african-american", "asian", "american indian or alaskan native",
    "native Hawaiian or pacific islander", "two or more races", "other", "prefer not to specify",
)  # fmt: skip
ETHNICITIES: Final = (
    "Hispanic, Latino, or Spanish Origin",
    "Not Hispanic, Latino, or Spanish Origin",
)


def _answers(count: int) -> Schema:
    return array(integer(minimum=0, maximum=3), f"{count} answers, each 0..3", minItems=count,
                 maxItems=count)  # fmt: skip


def components() -> dict[str, Schema]:
    context = source(
        {
            "type": "object",
            "additionalProperties": enum(("unprovided", "malformed")),
            "description": "Each offending field, `unprovided` or `malformed`.",
        },
        "seed 002 (unsupported_metadata_spec example)",
    )
    record_props: dict[str, Schema] = {
        "status": enum(
            ("processing", "success", "failed"),
            "`processing`, then a terminal value (names INFERRED)",
        ),
        "created_at": string("when the prediction was submitted (format INFERRED: RFC 3339)"),
        "updated_at": string("when it finished or got feedback (format INFERRED: RFC 3339)"),
        "is_calibrated": boolean(),
        "model_category": string("comma list, e.g. depression,anxiety"),
        "model_granularity": string("e.g. severity, binary"),
        "predicted_score": nullable(ref("KintsugiLabel")),
        "predicted_score_depression": nullable(ref("KintsugiLabel")),
        "predicted_score_anxiety": nullable(ref("KintsugiLabel")),
        "predict_error": nullable(ref("KintsugiPredictError")),
        "actual_score": ref("KintsugiActualScore"),
    }
    record_required = (
        "status", "created_at", "updated_at", "is_calibrated", "model_category",
        "model_granularity", "predicted_score", "predict_error",
    )  # fmt: skip
    return {
        "KintsugiErrorContext": context,
        "KintsugiV1Error": source(
            obj(
                {"error": string("error code"), "context": ref("KintsugiErrorContext")},
                required=("error",),
            ),
            "seed 002 error tables; body layout INFERRED from v2 (kintsugi-api.md §3.6)",
        ),
        "KintsugiV2Error": source(
            obj(
                {"message": string("error code"), "context": ref("KintsugiErrorContext")},
                required=("message",),
            ),
            "java-gen errors.MessagesResponse (kintsugi-api.md §4.8); codes from seed 002",
        ),
        "KintsugiSessionId": source(obj({"session_id": string()}), "seed 002; java-gen"),
        "KintsugiV1Result": source(
            obj(
                {
                    "data": obj(
                        {
                            "name": ref("KintsugiLabel"),
                            "value": integer("the label's index, 0..2", minimum=0),
                        }
                    )
                }
            ),
            'seed 002 example {"data": {"name": "mild_to_moderate", "value": 1}}',
        ),
        "KintsugiPredictionInitiated": source(
            obj({"session_id": string(), "status": string("`processing` (INFERRED value)")}),
            "java-gen PredictResponsePredictionInitiated (kintsugi-api.md §4.2)",
        ),
        "KintsugiLabel": source(
            enum(tuple(dict.fromkeys((*DEPRESSION_SEVERITY, *BINARY, *ANXIETY_SEVERITY)))),
            "seed 002 (severity), regulatory page and v2 enums (binary), "
            "3rd-party (anxiety; INFERRED GAD-7 bands)",
        ),
        "KintsugiPredictError": source(
            obj({"error": string(), "message": string()}),
            "java-gen PredictionPredictError",
        ),
        "KintsugiActualScore": source(
            obj(
                {
                    "depression_binary": enum(BINARY),
                    "anxiety_binary": enum(BINARY),
                    "phq_2": _answers(2),
                    "phq_9": _answers(9),
                    "gad_7": _answers(7),
                },
                required=(),
                description="The feedback stored so far; absent until there is some.",
            ),
            "java-gen PredictionActualScoreFeedback (kintsugi-api.md §4.9)",
        ),
        "KintsugiRecordBySession": source(
            obj(record_props, required=record_required),
            "java-gen predict.ResponsePredictionRecordBySession (no session_id); "
            "py-sdk parser (kintsugi-api.md §4.4, §6.4)",
        ),
        "KintsugiRecord": source(
            obj(
                {"session_id": string(), **record_props},
                required=("session_id", *record_required),
            ),
            "java-gen predict.ResponsePredictionRecord (kintsugi-api.md §4.5)",
        ),
    }


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
        props["allowed_sample_rate"] = number(
            "Hz; the javadoc says 16000..44100, the audio specification 8 kHz and up: "
            "8000..768000 is taken"
        )
    return obj(props, required=("file", "session_id"), additional=True)


# seed 002 field table (v1 display names); form values are text. The emulator also
# takes the v2 spellings, case-insensitively, and Go's ParseBool words (INFERRED).
_BOOL_TEXT: Final = ("true", "false", "True", "False")
V1_GENDERS: Final = (
    "Female", "Male", "Other", "Prefer Not to Specify", "Transgender Female", "Transgender Male",
)  # fmt: skip
V1_RACES: Final = (
    "American Indian or Alaskan Native", "Asian", "Black or African American",
    "Native Hawaiian or Pacific Islander", "Prefer Not to Specify", "Two or More Races", "White",
)  # fmt: skip
_METADATA_TEXT: Final = {
    "age": string("integer > 0", pattern=r"^[1-9][0-9]{0,2}$"),
    "gender": enum(V1_GENDERS),
    "race": enum(V1_RACES),
    "ethnicity": enum(ETHNICITIES),
    "zipcode": string(pattern=r"^[0-9]{5}$"),
    "language": enum(_BOOL_TEXT, "English is the first language"),
    "weight": string("pounds, integer > 0", pattern=r"^[1-9][0-9]{0,3}$"),
}


def paths() -> dict[str, dict[str, Any]]:
    sec = API_KEY_SECURITY
    v1_initiate_form = obj(
        {
            "user_id": string(),
            "is_initiated": enum(_BOOL_TEXT, "the patient's consent (seed: `is-initiated`)"),
            **_METADATA_TEXT,
        },
        required=("user_id", "is_initiated"),
        additional=True,
    )
    v2_initiate = obj(
        {
            "user_id": string(),
            "is_initiated": boolean(),
            "metadata": obj(
                {
                    "age": integer(minimum=1),
                    "gender": enum(GENDERS),
                    "race": enum(RACES),
                    "ethnicity": enum(ETHNICITIES),
                    "zipcode": string(pattern=r"^[0-9]{5}$"),
                    "language": boolean(),
                    "weight": integer("pounds", minimum=1),
                },
                required=(),
                additional=True,
            ),
        },
        required=("user_id", "is_initiated"),
        additional=True,
    )
    out: dict[str, dict[str, Any]] = {
        "/v1/initiate": {
            "post": operation(
                "kintsugi_v1_initiate",
                "Initiate a session (v1)",
                tag=TAG,
                security=sec,
                request_body=body(
                    {
                        "application/x-www-form-urlencoded": v1_initiate_form,
                        "multipart/form-data": v1_initiate_form,
                    }
                ),
                responses=responses(
                    (200, json_response("Initiated", ref("KintsugiSessionId"))),
                    *_common(1),
                    _v1(406, "`consent_not_provided`: is_initiated false, no session created"),
                    _v1(422, "`unsupported_metadata_spec` with `context`"),
                    *_body_limits(1),
                ),
                source_text="seed 002",
            )
        },
    }
    for granularity in ("binary", "severity"):
        out[f"/v1/predict/server/depression/{granularity}"] = {
            "post": operation(
                f"kintsugi_v1_predict_depression_{granularity}",
                f"Predict depression ({granularity}, v1, synchronous)",
                tag=TAG,
                security=sec,
                request_body=body({"multipart/form-data": _predict_form(1)}),
                responses=responses(
                    (201, json_response("The prediction", ref("KintsugiV1Result"))),
                    (
                        200,
                        json_response(
                            "The prediction (setting kintsugi.v1_predict_status=200)",
                            ref("KintsugiV1Result"),
                        ),
                    ),
                    *_common(1),
                    *_session_errors(1, conflict=True),
                    _v1(
                        422,
                        "`unsupported_audio_spec`, `unstandard_audio`, `insufficient_audio_length`",
                    ),
                    *_body_limits(1),
                ),
                source_text="seed 002 (the example answers 201, its table lists 200)",
            )
        }
    feedback_v1: dict[str, tuple[str, Schema, str]] = {
        "depression/binary": (
            "application/x-www-form-urlencoded",
            obj(
                {
                    "session_id": string(),
                    "actual_score": enum(
                        (*BINARY, "True", "False", "TRUE", "FALSE", "t", "f", "T", "F", "1", "0"),
                        "a label; boolean spellings as for every form boolean",
                    ),
                },
                additional=True,
            ),
            "depression_binary",
        ),
        "phq/2": (
            "application/json",
            obj({"session_id": string(), "actual_score": _answers(2)}, additional=True),
            "phq_2",
        ),
        "phq/9": (
            "application/json",
            obj({"session_id": string(), "actual_score": _answers(9)}, additional=True),
            "phq_9",
        ),
    }
    for suffix, (media, schema, name) in feedback_v1.items():
        content = {media: schema}
        if media != "application/json":
            content["multipart/form-data"] = schema
        out[f"/v1/feedback/server/{suffix}"] = {
            "patch": operation(
                f"kintsugi_v1_feedback_{name}",
                f"Feedback: {name} (v1)",
                tag=TAG,
                security=sec,
                request_body=body(content),
                responses=responses(
                    (200, empty_response("Stored; no body (seed 002 sample comment)")),
                    *_common(1),
                    *_session_errors(1, conflict=False),
                    _v1(422, "`unsupported_feedback_spec` with `context` (INFERRED)"),
                    *_body_limits(1),
                ),
                source_text="seed 002 samples; errors INFERRED",
            )
        }
    out["/v2/initiate"] = {
        "post": operation(
            "kintsugi_v2_initiate",
            "Initiate a session (v2)",
            tag=TAG,
            security=sec,
            request_body=json_body(v2_initiate),
            responses=responses(
                (201, json_response("Initiated", ref("KintsugiSessionId"))),
                *_common(2),
                _v2(406, "`consent_not_provided`: is_initiated false, no session created"),
                _v2(422, "`unsupported_metadata_spec` with `context`"),
                *_body_limits(2),
            ),
            source_text="java-gen InitiateApi; py-sdk (201); errors INFERRED from v1",
        )
    }
    submits = {
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
    for path, (op_id, summary) in submits.items():
        out[path] = {
            "post": operation(
                op_id,
                f"{summary} (v2, asynchronous submit)",
                tag=TAG,
                security=sec,
                request_body=body({"multipart/form-data": _predict_form(2)}),
                responses=responses(
                    (202, json_response("Accepted", ref("KintsugiPredictionInitiated"))),
                    *_common(2),
                    *_session_errors(2, conflict=True),
                    _v2(
                        422,
                        "`unstandard_audio` (no file), `unsupported_audio_spec` (bad "
                        "allowed_sample_rate, with `context`), or an audio code with setting "
                        "kintsugi.v2_audio_failure=reject",
                    ),
                    *_body_limits(2),
                ),
                source_text="java-gen PredictSubmitV2Api/V1Api; py-sdk (202); "
                "202 for the per-model submits and the errors INFERRED",
            )
        }
    out["/v2/predict/sessions/{session_id}"] = {
        "parameters": [path_param("session_id", "From initiate")],
        "get": operation(
            "kintsugi_v2_prediction_by_session",
            "The prediction record of one session",
            tag=TAG,
            security=sec,
            responses=responses(
                (200, json_response("The record", ref("KintsugiRecordBySession"))),
                (
                    417,
                    json_response(
                        "A failed record (setting kintsugi.failed_record_status=417; "
                        "3rd-party hint)",
                        ref("KintsugiRecordBySession"),
                    ),
                ),
                *_common(2),
                *_session_errors(2, conflict=False),
            ),
            source_text="java-gen PredictGetApi; py-sdk; errors INFERRED",
        ),
    }
    out["/v2/predict/users/{user_id}"] = {
        "parameters": [path_param("user_id", "The caller's patient id")],
        "get": operation(
            "kintsugi_v2_predictions_by_user",
            "Every prediction record of a user",
            tag=TAG,
            security=sec,
            responses=responses(
                (
                    200,
                    json_response(
                        "The records ([] for an unknown user, INFERRED)",
                        array(ref("KintsugiRecord")),
                    ),
                ),
                *_common(2),
            ),
            source_text="java-gen predict.ResponsePredictionRecord; py-sdk",
        ),
    }
    feedback_v2: dict[str, tuple[Schema, str]] = {
        "depression/binary": (enum(BINARY), "depression_binary"),
        "phq/2": (_answers(2), "phq_2"),
        "phq/9": (_answers(9), "phq_9"),
        "gad/7": (_answers(7), "gad_7"),
    }
    for suffix, (data, name) in feedback_v2.items():
        out[f"/v2/feedback/{suffix}"] = {
            "patch": operation(
                f"kintsugi_v2_feedback_{name}",
                f"Feedback: {name} (v2)",
                tag=TAG,
                security=sec,
                request_body=json_body(
                    obj({"session_id": string(), "data": data}, additional=True)
                ),
                responses=responses(
                    (200, empty_response("Stored; no body is read by either SDK")),
                    *_common(2),
                    *_session_errors(2, conflict=False),
                    _v2(422, "`unsupported_feedback_spec` with `context` (INFERRED)"),
                    *_body_limits(2),
                ),
                source_text="java-gen FeedbackApi; py-sdk; errors INFERRED",
            )
        }
    return out


def part() -> ApiPart:
    """This API's part of the OpenAPI document."""
    return ApiPart(TAG, "Kintsugi Voice API v1 and v2", paths, components)
