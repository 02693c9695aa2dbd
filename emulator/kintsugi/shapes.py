"""Kintsugi Voice's response shapes: the components of its OpenAPI part.

Declared once: the labels are ``scores``' (the generator's own label sets), the
questionnaire lengths ``schemas.ANSWER_COUNTS`` (what feedback validation checks), the
record's fields are those ``schemas.render_record`` writes. Sources: seed 002 (v1),
the v2 spec's generated Java classes ("java-gen") and kintsugi-python ("py-sdk"),
kintsugi-api.md §4.
"""

from __future__ import annotations

from emulator.core.openapi import (
    Schema,
    array,
    boolean,
    enum,
    integer,
    nullable,
    obj,
    ref,
    source,
    string,
)
from emulator.kintsugi.schemas import ANSWER_COUNTS
from emulator.kintsugi.scores import ANXIETY_SEVERITY, DEPRESSION_SEVERITY
from emulator.kintsugi.scores import DEPRESSION_BINARY as BINARY


def answers(kind: str) -> Schema:
    count = ANSWER_COUNTS[kind]
    return array(integer(minimum=0, maximum=3), f"{count} answers, each 0..3", minItems=count,
                 maxItems=count)  # fmt: skip


def components() -> dict[str, Schema]:
    return {
        **_error_components(),
        **_result_components(),
    }


def _error_components() -> dict[str, Schema]:
    return {
        "KintsugiErrorContext": _context(),
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
    }


def _result_components() -> dict[str, Schema]:
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
                    **{kind: answers(kind) for kind in ANSWER_COUNTS},
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


def _context() -> Schema:
    return source(
        {
            "type": "object",
            "additionalProperties": enum(("unprovided", "malformed")),
            "description": "Each offending field, `unprovided` or `malformed`.",
        },
        "seed 002 (unsupported_metadata_spec example)",
    )
