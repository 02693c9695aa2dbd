"""Kintsugi's wire format: request bodies in, JSON bodies out, for v1 and v2.

Parsing never raises on the first bad field: every problem is collected into the
``context`` of one 422, each field named ``unprovided`` or ``malformed`` (seed 002,
initiate §4.0). v1 sends text fields (form-encoded or multipart: the seed's Python
sample sends a urlencoded form, its JavaScript sample multipart), v2 sends JSON with
the demographics under ``metadata`` (kintsugi-api.md §4.1). Unknown fields are ignored
(integrators add their own, e.g. `consent_timestamp`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emulator.kintsugi.errors import UnsupportedFeedbackSpec, UnsupportedMetadataSpec
from emulator.kintsugi.models import Session
from emulator.kintsugi.scores import DEPRESSION_BINARY, Category, label_value

UNPROVIDED = "unprovided"
MALFORMED = "malformed"
ZIPCODE = re.compile(r"^[0-9]{5}$")
_DIGITS = re.compile(r"^[0-9]+$")
# Go's strconv.ParseBool set: the server looks like a Go service (kintsugi-api.md §7),
# and Python's `requests` sends a form True as "True" (the seed's own sample does).
TRUE_TEXT = ("true", "True", "TRUE", "t", "T", "1")
FALSE_TEXT = ("false", "False", "FALSE", "f", "F", "0")
_TRUE = set(TRUE_TEXT)
_FALSE = set(FALSE_TEXT)


def _folded(*names: str) -> frozenset[str]:
    return frozenset(n.casefold() for n in names)


# The v1 docs' display names (seed 002 field table) and the v2 spec's enum values
# (java-gen SessionGender/SessionRace/SessionEthnicity, §4.9) differ in case and
# spelling; both are accepted, case-insensitively, in either version [INFERRED: the
# seed's own curl sends `gender=male&race=white` against a table listing "Male", "White"].
V1_GENDERS = (
    "Female", "Male", "Other", "Prefer Not to Specify", "Transgender Female", "Transgender Male",
)  # fmt: skip
V2_GENDERS = (
    "male", "female", "non-binary", "transgender female", "transgender male", "other",
    "prefer not to specify",
)  # fmt: skip
V1_RACES = (
    "American Indian or Alaskan Native", "Asian", "Black or African American",
    "Native Hawaiian or Pacific Islander", "Prefer Not to Specify", "Two or More Races", "White",
)  # fmt: skip
V2_RACES = (
    "white", "black or african-american", "asian", "american indian or alaskan native",
    "native Hawaiian or pacific islander", "two or more races", "other", "prefer not to specify",
)  # fmt: skip
ETHNICITY_NAMES = ("Hispanic, Latino, or Spanish Origin", "Not Hispanic, Latino, or Spanish Origin")
GENDERS = _folded(*V1_GENDERS, *V2_GENDERS)
RACES = _folded(*V1_RACES, *V2_RACES)
ETHNICITIES = _folded(*ETHNICITY_NAMES)
METADATA_FIELDS = ("age", "gender", "race", "ethnicity", "zipcode", "language", "weight")


@dataclass(frozen=True, slots=True)
class InitiateRequest:
    user_id: str
    consent: bool
    metadata: dict[str, Any]


# -- v1 / v2 initiate -------------------------------------------------------------


def _text_bool(raw: str) -> bool | None:
    return True if raw in _TRUE else False if raw in _FALSE else None


def _text_positive(raw: str) -> int | None:
    # Go's strconv.Atoi: an int64 or an error, so past 2**63 - 1 it is malformed (and
    # a 5,000-digit string would exceed Python's int() limit: it was a 500).
    if not _DIGITS.match(raw) or len(raw) > 19:
        return None
    return int(raw) if 0 < int(raw) < 2**63 else None


def _json_positive(raw: Any) -> int | None:
    # JSON integers only: Go's encoding/json refuses "39" and 39.5 for an int field.
    ok = isinstance(raw, int) and not isinstance(raw, bool) and raw > 0
    return raw if ok else None


def _enum(allowed: frozenset[str]) -> Callable[[Any], str | None]:
    def check(raw: Any) -> str | None:
        return raw if isinstance(raw, str) and raw.casefold() in allowed else None

    return check


def _zipcode(raw: Any) -> str | None:
    return raw if isinstance(raw, str) and ZIPCODE.match(raw) else None


_TEXT_CHECKS: dict[str, Callable[[Any], Any]] = {
    "age": lambda raw: _text_positive(raw),
    "weight": lambda raw: _text_positive(raw),
    "language": lambda raw: _text_bool(raw),
    "zipcode": _zipcode,
    "gender": _enum(GENDERS),
    "race": _enum(RACES),
    "ethnicity": _enum(ETHNICITIES),
}
_JSON_CHECKS: dict[str, Callable[[Any], Any]] = {
    "age": _json_positive,
    "weight": _json_positive,
    "language": lambda raw: raw if isinstance(raw, bool) else None,
    "zipcode": _zipcode,
    "gender": _enum(GENDERS),
    "race": _enum(RACES),
    "ethnicity": _enum(ETHNICITIES),
}


def _metadata(
    values: Mapping[str, Any], checks: Mapping[str, Callable[[Any], Any]], context: dict[str, str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in METADATA_FIELDS:
        if name not in values or values[name] is None:
            continue
        # An empty optional value is "empty or invalid" (seed 002, 422 note): malformed.
        parsed = checks[name](values[name])
        if parsed is None:
            context[name] = MALFORMED
        else:
            out[name] = parsed
    return out


def _user_id(raw: Any, context: dict[str, str]) -> str:
    if raw is None or raw == "":
        context["user_id"] = UNPROVIDED
        return ""
    if not isinstance(raw, str):
        context["user_id"] = MALFORMED
        return ""
    # Any string is a valid user_id: emulator directives in it never make it malformed
    # (emulator.kintsugi.outcomes; a stray one is named in a response header instead).
    return raw


def parse_initiate_v1(form: Mapping[str, str]) -> InitiateRequest:
    """Form fields of POST /v1/initiate (seed 002 §3.3)."""
    context: dict[str, str] = {}
    user_id = _user_id(form.get("user_id"), context)
    raw_consent = form.get("is_initiated")
    consent = _text_bool(raw_consent) if raw_consent else None
    if consent is None:
        context["is_initiated"] = MALFORMED if raw_consent else UNPROVIDED
    metadata = _metadata(form, _TEXT_CHECKS, context)
    if context:
        raise UnsupportedMetadataSpec(version=1, context=context)
    return InitiateRequest(user_id, bool(consent), metadata)


def parse_initiate_v2(body: Any) -> InitiateRequest:
    """JSON of POST /v2/initiate (java-gen InitiateNewInitiateRequest, §4.1)."""
    context: dict[str, str] = {}
    doc: Mapping[str, Any] = body if isinstance(body, dict) else {}
    user_id = _user_id(doc.get("user_id"), context)
    consent = doc.get("is_initiated")
    if not isinstance(consent, bool):
        context["is_initiated"] = UNPROVIDED if consent is None else MALFORMED
    raw_meta = doc.get("metadata")
    metadata: dict[str, Any] = {}
    if isinstance(raw_meta, dict):
        metadata = _metadata(raw_meta, _JSON_CHECKS, context)
    elif raw_meta is not None:
        context["metadata"] = MALFORMED
    if context:
        raise UnsupportedMetadataSpec(version=2, context=context)
    return InitiateRequest(user_id, bool(consent), metadata)


def parse_json(raw: bytes) -> Any:
    """A JSON body whatever the Content-Type says (the Python SDK sends none, §6.3);
    ``None`` when it is not JSON at all."""
    try:
        return json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting is not a crash
        return None


# -- feedback ---------------------------------------------------------------------

ANSWER_COUNTS = {"phq_2": 2, "phq_9": 9, "gad_7": 7}


def parse_feedback(kind: str, raw: Any, *, field: str, version: int, text: bool = False) -> Any:
    """The score of one feedback call: a binary label, or the questionnaire answers
    (each 0..3: java-gen PredictionValidFeedbackInt, §4.7).

    ``text`` marks a form field (v1 binary feedback): there ``True``/``TRUE``/``1`` and
    the other spellings Go's ParseBool takes mean ``true``, as for every boolean form
    field (`_text_bool`); the seed's own Python sample posts ``"true"``."""
    if raw is None:
        raise UnsupportedFeedbackSpec(version=version, context={field: UNPROVIDED})
    if kind == "depression_binary" and text and isinstance(raw, str):
        flag = _text_bool(raw)
        raw = raw if flag is None else ("true" if flag else "false")
    if kind == "depression_binary":
        ok = isinstance(raw, str) and raw in DEPRESSION_BINARY
    else:
        ok = (
            isinstance(raw, list)
            and len(raw) == ANSWER_COUNTS[kind]
            and all(isinstance(a, int) and not isinstance(a, bool) and 0 <= a <= 3 for a in raw)
        )
    if not ok:
        raise UnsupportedFeedbackSpec(version=version, context={field: MALFORMED})
    return list(raw) if isinstance(raw, list) else raw


# -- rendering --------------------------------------------------------------------


def timestamp(ts: float) -> str:
    """RFC 3339 in UTC with a `Z`, fraction trimmed as Go's time.Time JSON does [INFERRED]."""
    moment = datetime.fromtimestamp(ts, UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def render_v1_result(session: Session) -> dict[str, Any]:
    """POST /v1/predict/... body: ``{"data": {"name", "value"}}`` (seed 002 example)."""
    prediction = session.prediction
    assert prediction is not None
    model = prediction.spec
    category = model.categories[0]
    label = prediction.scores[category]
    return {"data": {"name": label, "value": label_value(model, category, label)}}


def render_record(session: Session, *, finished: bool, with_session_id: bool) -> dict[str, Any]:
    """A v2 prediction record (predict.ResponsePredictionRecord[BySession], §4.4-§4.5).

    Every field kintsugi-python reads is always present, `model_category` included
    for failed records (§6.4); scores are null until the result is visible. The
    by-session model has no `session_id` (java-gen), so it is only in by-user items.
    """
    prediction = session.prediction
    assert prediction is not None
    model = prediction.spec
    if not finished:
        status, updated = "processing", prediction.submitted_at
    else:
        status = "failed" if prediction.error else "success"
        updated = prediction.completed_at or prediction.submitted_at
    if session.feedback_at is not None:
        updated = max(updated, session.feedback_at)
    scores: dict[str, str | None] = {
        c: (prediction.scores.get(c) if finished else None) for c in Category
    }
    record: dict[str, Any] = {"session_id": session.session_id} if with_session_id else {}
    record.update(
        {
            "status": status,
            "created_at": timestamp(prediction.submitted_at),
            "updated_at": timestamp(updated),
            "is_calibrated": False,
            "model_category": model.category_field,
            "model_granularity": model.granularity.value,
            # The pre-Dec-2024 single score (kintsugi-python <= 0.1.6): the first category's.
            "predicted_score": scores[model.categories[0]],
            **{f"predicted_score_{c.value}": scores[c] for c in model.categories},
            "predict_error": prediction.error if finished else None,
        }
    )
    if session.feedback:
        # Absent rather than null: kintsugi-python parses any present actual_score.
        record["actual_score"] = session.ordered_feedback()
    return record
