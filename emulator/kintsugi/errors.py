"""Kintsugi Voice errors, in the body shape of the API version addressed.

    EmulatorError
    └── KintsugiError          v1: {"error": code[, "context": {...}]}  (seed 002 tables)
        │                      v2: {"message": code[, "context": {...}]} (errors.MessagesResponse,
        │                          kintsugi-api.md §4.8; the Python SDK reads `message`)
        ├── InvalidRequest             400 invalid_request            get-started; code INFERRED
        ├── InvalidApiKey              401 invalid_api_key            seed
        ├── UnauthorizedAccount        403 unauthorized_account       seed
        ├── NonexistentInitiation      404 nonexistent_initiation     seed
        ├── NonexistentPrediction      404 nonexistent_prediction     INFERRED
        ├── ConsentNotProvided         406 consent_not_provided       seed, 3rd-party; INFERRED
        ├── ExistentSession            409 existent_session           seed
        ├── UnsupportedMetadataSpec    422 unsupported_metadata_spec  seed (+ context)
        ├── UnsupportedFeedbackSpec    422 unsupported_feedback_spec  INFERRED (+ context)
        ├── UnsupportedAudioSpec       422 unsupported_audio_spec     seed
        ├── UnstandardAudio            422 unstandard_audio           seed
        └── InsufficientAudioLength    422 insufficient_audio_length  seed

Every subclass takes ``version=`` (1 or 2), which picks the body key.

The audio guardrails' three codes and their texts are `AUDIO_MESSAGES` (seed 002,
predict 4.0 Responses); `audio_code` maps the neutral `emulator.audio.Problem` of a
rejected upload to one of them. This is the one table of Kintsugi's audio errors.

The server appears to be a Go service (swag-style schema names, kintsugi-api.md §7)
whose unknown-route handler answers 404 ``path_not_found`` (seed 002). Such routers send
a known path with the wrong method to the same handler, so a wrong method is also a 404
``path_not_found`` [INFERRED].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from emulator.audio import Problem
from emulator.core.errors import EmulatorError, RequestError


def version_of(path: str) -> int:
    return 1 if path.startswith("/v1") else 2


class KintsugiError(RequestError):
    def __init__(
        self,
        code: str | None = None,
        *,
        status_code: int | None = None,
        version: int = 2,
        context: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(code, status_code=status_code, error_code=code, headers=headers)
        self.version = version
        self.context = dict(context) if context else None

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {("error" if self.version == 1 else "message"): self.error_code}
        if self.context:
            body["context"] = self.context
        return body


class InvalidRequest(KintsugiError, status=400, code="invalid_request"):
    """No X-API-Key at all. The get-started page: "KV surfaces an invalid request error
    when you do not include an API key and an authentication error when the key is
    invalid" (kintsugi-api.md §2). 400 is what "invalid request" means in HTTP; the code
    string is INFERRED."""


class InvalidApiKey(KintsugiError, status=401, code="invalid_api_key"):
    """An X-API-Key no tenant has (seed 002)."""


class UnauthorizedAccount(KintsugiError, status=403, code="unauthorized_account"):
    """A known key whose tenant has Kintsugi access turned off (seed 002 code)."""


class NonexistentInitiation(KintsugiError, status=404, code="nonexistent_initiation"):
    """No session of this key under that id (seed 002)."""


class NonexistentPrediction(KintsugiError, status=404, code="nonexistent_prediction"):
    """The session exists but no prediction was submitted for it [INFERRED code]."""


class ConsentNotProvided(KintsugiError, status=406, code="consent_not_provided"):
    """Initiate with ``is_initiated=false``: "a session is not created" (seed 002, initiate
    3.3), so no session id is handed out. 406 is the status a third-party client reserves
    for missing consent (kintsugi-api.md §3.1, §4.1); the code string is INFERRED."""


class ExistentSession(KintsugiError, status=409, code="existent_session"):
    """A second prediction for a session that has one (seed 002)."""


class UnsupportedMetadataSpec(KintsugiError, status=422, code="unsupported_metadata_spec"):
    """Initiate metadata missing or malformed; ``context`` names each field (seed 002)."""


class UnsupportedFeedbackSpec(KintsugiError, status=422, code="unsupported_feedback_spec"):
    """Feedback whose score is missing or not one of the allowed values [INFERRED code]."""


class UnsupportedAudioSpec(KintsugiError, status=422, code="unsupported_audio_spec"):
    """Audio, or its declared spec, that does not match the expected one (seed 002)."""


class UnstandardAudio(KintsugiError, status=422, code="unstandard_audio"):
    """An upload that is not a readable WAV (seed 002)."""


class InsufficientAudioLength(KintsugiError, status=422, code="insufficient_audio_length"):
    """Too little voice once silence is removed (seed 002)."""


AUDIO_ERRORS: dict[str, type[KintsugiError]] = {
    cls.error_code: cls for cls in (UnsupportedAudioSpec, UnstandardAudio, InsufficientAudioLength)
}
AUDIO_CODES = tuple(AUDIO_ERRORS)
# seed 002, predict 4.0 Responses. Its table swaps the descriptions of the first two
# codes; the mapping here (not a WAV -> unstandard_audio) is the one the project chose.
AUDIO_MESSAGES = {
    "unstandard_audio": (
        "The provided audio file is not a WAV file. Double check that it is an audio file"
        " and a WAV file instead of an MP3 or other audio format."
    ),
    "unsupported_audio_spec": (
        "The specification of the provided audio does not match the expected specification."
    ),
    "insufficient_audio_length": (
        "The provided audio file does not contain at least {seconds} seconds of voice. While it"
        " may be longer than {seconds} seconds, removing silence and non-voice brings the"
        " length below {seconds} seconds."
    ),
}
# What each failed check of emulator.audio.check_voice is, in Kintsugi's codes.
_AUDIO_PROBLEMS = {
    Problem.NOT_WAV: "unstandard_audio",
    Problem.UNREADABLE: "unstandard_audio",
    Problem.UNSUPPORTED_ENCODING: "unsupported_audio_spec",
    Problem.SAMPLE_RATE_TOO_LOW: "unsupported_audio_spec",
    Problem.TOO_MANY_CHANNELS: "unsupported_audio_spec",
    Problem.TOO_LITTLE_VOICE: "insufficient_audio_length",
}


def audio_code(problem: Problem | None) -> str:
    """Kintsugi's code for a rejected recording (anything unforeseen: not a standard WAV)."""
    return _AUDIO_PROBLEMS.get(problem, "unstandard_audio") if problem else "unstandard_audio"


def audio_message(code: str, min_voice_seconds: float = 30.0) -> str:
    """The text of an audio code, with the voice threshold in force."""
    return AUDIO_MESSAGES[code].format(seconds=f"{min_voice_seconds:g}")


class KintsugiShape:
    """Framework-level failures in Kintsugi's body shape."""

    def not_found(self, path: str) -> EmulatorError:
        return KintsugiError("path_not_found", status_code=404, version=version_of(path))

    def method_not_allowed(self, path: str, allowed: Sequence[str]) -> EmulatorError:
        return KintsugiError("path_not_found", status_code=404, version=version_of(path))

    def payload_too_large(self, path: str, limit: int) -> EmulatorError:
        # Undocumented; a JSON body keeps the SDK's error path working [INFERRED].
        return KintsugiError("request_entity_too_large", status_code=413, version=version_of(path))

    def request_timeout(self, path: str) -> EmulatorError:
        return KintsugiError("request_timeout", status_code=408, version=version_of(path))

    def internal_error(self, path: str) -> EmulatorError:
        return KintsugiError("internal_server_error", status_code=500, version=version_of(path))

    def custom(self, path: str, status: int, code: str | None) -> EmulatorError:
        if code is None:
            code = _DEFAULT_CODES.get(
                status, "bad_request" if status < 500 else "internal_server_error"
            )
        return KintsugiError(code, status_code=status, version=version_of(path))


# The code an injected fault without one gets: the documented code for that status where
# there is one (seed 002), else a plain name [INFERRED].
_DEFAULT_CODES = {
    401: "invalid_api_key",
    403: "unauthorized_account",
    404: "path_not_found",
    408: "request_timeout",
    409: "existent_session",
    413: "request_entity_too_large",
    429: "too_many_requests",
    503: "service_unavailable",
}
