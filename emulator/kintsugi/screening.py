"""Screening a Kintsugi recording: the guardrails, and the evidence a prediction reads.

Audio is screened at the HTTP edge with ``emulator.audio.check_voice``, using the
thresholds of the ``kintsugi`` settings (so demos can accept short clips) and the voice
detector of the ``audio`` settings. The same measure yields the `VoiceProfile` the
prediction is read from (`emulator.kintsugi.voice`). Spooled recordings are screened
one at a time: eight 127 MB recordings at once hold one recording's pages, not eight.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import anyio

from emulator.audio import Verdict, audio_fingerprint, check_voice
from emulator.audio.settings import AudioSettings
from emulator.kintsugi.errors import audio_code, audio_message
from emulator.kintsugi.forms import Audio
from emulator.kintsugi.models import Evidence
from emulator.kintsugi.outcomes import Outcome
from emulator.kintsugi.settings import KintsugiSettings

# Voice a prediction is read from: the first 30 s of it, what the guardrail needs anyway.
PROFILE_SECONDS = 30.0

Screened = tuple[dict[str, str] | None, Evidence | None, dict[str, Any] | None]


def screen(
    audio: Audio, outcome: Outcome, s: KintsugiSettings, detection: AudioSettings
) -> Screened:
    """(predict_error, evidence, audio summary): the guardrail failure, or what the
    labels are read from; and what was measured (None for a forced error)."""
    if outcome.error is not None:
        message = audio_message(outcome.error, s.min_voice_seconds)
        return {"error": outcome.error, "message": message}, None, None
    verdict = check_voice(
        audio,
        min_sample_rate=s.min_sample_rate,
        max_channels=s.max_channels,
        min_voice_seconds=s.min_voice_seconds,
        detector=detection.vad,
        max_scan_seconds=detection.max_scan_seconds,
        profile_seconds=PROFILE_SECONDS,
    )
    summary = audio_summary(verdict)
    if not verdict.ok:
        code = audio_code(verdict.problem)
        error = {"error": code, "message": audio_message(code, s.min_voice_seconds)}
        return error, None, summary
    voice = verdict.voice
    profile = voice.profile if voice else None
    # Without a voice to read (only with the threshold lowered) the decoded samples decide.
    fingerprint = None if profile else audio_fingerprint(audio)
    return None, Evidence(voice.to_json() if voice else None, profile, fingerprint), summary


def audio_summary(verdict: Verdict) -> dict[str, Any]:
    """What the guardrails saw, kept with the prediction for the inspector. An accepted
    recording's voice is a lower bound: measuring stops once enough is found."""
    info = verdict.info
    voice = verdict.voice_seconds
    duration = info.duration_seconds
    return {
        "container": str(info.container),
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "duration_seconds": None if duration is None else round(duration, 3),
        "voice_seconds": None if voice is None else round(voice, 2),
        "voice_seconds_at_least": verdict.ok,
        "size_bytes": info.size_bytes,
        "accepted": verdict.ok,
        "reason": verdict.reason,
    }


# Spooled recordings are read one at a time: each one read maps its whole file into
# memory, and eight at once would hold eight (the in-memory ones are small). The wait is
# in the event loop (a limiter of one per loop), not in a worker thread: a queue of
# large uploads must not hold the thread pool the other requests' work runs in.
_ONE_SPOOLED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def limiter_for(audio: Audio, outcome: Outcome) -> anyio.CapacityLimiter | None:
    """The limiter ``screen`` must run under for this recording: one at a time for a
    spooled (memory-mapped) file that will be read, else None (the shared pool)."""
    if not isinstance(audio, memoryview) or outcome.error is not None:
        return None  # small, or a forced error that never reads the audio
    loop = asyncio.get_running_loop()
    found = _ONE_SPOOLED.get(loop)
    if found is None:
        found = _ONE_SPOOLED[loop] = anyio.CapacityLimiter(1)
    return found
