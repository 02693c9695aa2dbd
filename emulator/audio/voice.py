"""How much of a WAV is voice, and what that voice sounds like: `measure_voice`.

Two detectors, picked by the ``audio.vad`` setting:

* ``silero`` (default): the Silero VAD network (`emulator.audio.silero`) on 32 ms
  windows of 16 kHz audio streamed from the upload (`emulator.audio.stream`). The
  network hears the recording peak-normalised to -6 dBFS (at most +40 dB): it misses
  much quiet speech otherwise (a -30 dBFS peak lost a sixth of the voice, -40 dBFS
  half), and a fixed level makes its answer independent of the recording's gain.
  Windows quieter than -80 dBFS before that gain (digital silence, dither) are not
  scored: they are not voice, and the network starts afresh after them. A window is
  voice by hysteresis on the speech probability: it turns on at 0.5 and stays on
  down to 0.35 (Silero's own defaults, the thresholds of the 75-file bake-off in
  ../shared/research/vad-bakeoff.md). Voice seconds = voice windows x 32 ms.
* ``heuristic``: the hand-tuned pitch and modulation detector of `emulator.audio.vad`.

Either way analysis starts at the recording's onset, its first sample within 40 dB of
its peak (`emulator.audio.stream.levels`), so leading silence changes nothing, and
measuring stops as soon as ``stop_after`` seconds of voice are found
(the count only grows, so the answer is exact) and never looks past
``max_seconds`` of audio. One thread, fixed thresholds: the same bytes give the
same seconds and the same `VoiceProfile` on every run.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.audio import deferred
from emulator.audio.decode import Source, skip
from emulator.audio.features import VoiceProfile, pitch_track, profile
from emulator.audio.settings import Detector
from emulator.audio.stream import WINDOW, WINDOW_SECONDS, Levels, iter_windows, levels
from emulator.audio.vad import MIN_RATE, voice_activity
from emulator.audio.wav import WavInfo

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from emulator.audio.decode import Floats
    from emulator.audio.silero import Scorer
else:
    np = deferred.module("numpy")

SILENCE_DBFS = -80.0
TARGET_PEAK = 10 ** (-6 / 20)  # the level the network hears
MAX_GAIN = 10 ** (40 / 20)
START = 0.5  # speech probability that starts a voice stretch
CONTINUE = 0.35  # ... and that keeps it going
_PITCH_DECIMATION = 2  # pitch is estimated at 8 kHz: plenty for 55-420 Hz, half the work


@dataclass(frozen=True, slots=True)
class VoiceReport:
    """The measure. ``complete`` is False when it stopped early (``seconds`` then
    reached ``stop_after``) or at ``max_seconds`` (``capped``)."""

    seconds: float
    complete: bool
    capped: bool
    analysed_seconds: float
    detector: Detector
    profile: VoiceProfile | None

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "complete": self.complete,
            "capped": self.capped,
            "analysed_seconds": round(self.analysed_seconds, 3),
            "detector": self.detector,
            "profile": self.profile.to_json() if self.profile else None,
        }


def measure_voice(
    data: bytes | bytearray | memoryview,
    *,
    info: WavInfo | None = None,
    detector: Detector = "silero",
    stop_after: float | None = None,
    max_seconds: float | None = None,
) -> VoiceReport:
    """Voice in a WAV. Raises `AudioFormatError` if ``data`` is not a decodable WAV."""
    source = Source.open(data, info)
    source, capped = _capped(source, max_seconds)
    rate = source.info.sample_rate
    if rate < MIN_RATE or source.info.frames == 0:
        return VoiceReport(0.0, True, capped, 0.0, detector, None)
    found = levels(source)
    source = skip(source, found.onset)  # leading silence: see `levels`
    if detector == "heuristic":
        return _heuristic(source, capped, stop_after)
    return _silero(source, found, capped, stop_after)


def _capped(source: Source, max_seconds: float | None) -> tuple[Source, bool]:
    info = source.info
    if max_seconds is None or info.frames <= max_seconds * info.sample_rate:
        return source, False
    frames = max(0, int(max_seconds * info.sample_rate))
    shorter = dataclasses.replace(info, frames=frames, data_length=frames * info.block_align)
    return Source(source.data, shorter), True


def _heuristic(source: Source, capped: bool, stop_after: float | None) -> VoiceReport:
    activity = voice_activity(source.data, info=source.info, stop_after=stop_after)
    found = None
    if activity.level_db is not None and activity.pitch_hz is not None:
        found = profile(activity.level_db, activity.pitch_hz, activity.mask, activity.frame_seconds)
    analysed = len(activity.mask) * activity.frame_seconds
    return VoiceReport(
        activity.seconds, activity.complete and not capped, capped, analysed, "heuristic", found
    )


def _silero(source: Source, found: Levels, capped: bool, stop_after: float | None) -> VoiceReport:
    from emulator.audio.silero import scoring

    target = math.inf if stop_after is None else max(1, math.ceil(stop_after / WINDOW_SECONDS))
    top = found.peak
    run = _Run(target, min(MAX_GAIN, TARGET_PEAK / top) if top > 0 else 1.0)
    with scoring() as scorer, np.errstate(divide="ignore"):
        for windows in iter_windows(source):
            if run.feed(scorer, windows):
                break
    frames = run.analysed
    return VoiceReport(
        run.voiced * WINDOW_SECONDS,
        run.voiced < target and not capped,
        capped,
        frames * WINDOW_SECONDS,
        "silero",
        run.profile(),
    )


class _Run:
    """The state of one recording's scan: hysteresis, counts, per-window measures."""

    def __init__(self, target: float, gain: float) -> None:
        self.target = target
        self.gain = np.float32(gain)
        self.voiced = 0
        self.analysed = 0
        self.speaking = False
        self.fresh = True  # the network needs a reset before the next scored window
        self.levels: list[Floats] = []
        self.masks: list[NDArray[np.bool_]] = []
        self.pitches: list[Floats] = []

    def feed(self, scorer: Scorer, windows: Floats) -> bool:
        """Score a block of windows; True once the target is reached (stop reading)."""
        power = np.einsum("ij,ij->i", windows, windows, dtype=np.float64) / WINDOW
        level = (10 * np.log10(power)).astype(np.float32)
        audible = (level > SILENCE_DBFS).tolist()
        voiced = np.zeros(len(windows), np.bool_)
        heard = windows * self.gain  # a new C-contiguous array, alive for the loop
        base, step = heard.ctypes.data, heard.strides[0]
        used = len(windows)
        for i, loud in enumerate(audible):
            if not loud:
                self.speaking, self.fresh = False, True
                continue
            if self.fresh:
                scorer.reset()
                self.fresh = False
            probability = scorer.score_at(base + i * step)
            self.speaking = probability >= (CONTINUE if self.speaking else START)
            if self.speaking:
                voiced[i] = True
                self.voiced += 1
                if self.voiced >= self.target:
                    used = i + 1
                    break
        self._keep(windows[:used], level[:used], voiced[:used])
        return self.voiced >= self.target

    def _keep(self, windows: Floats, level: Floats, voiced: NDArray[np.bool_]) -> None:
        self.analysed += len(windows)
        pitch = np.zeros(len(windows), np.float32)
        if voiced.any():
            picked = windows[voiced]
            halved = picked.reshape(len(picked), -1, _PITCH_DECIMATION).mean(axis=2)
            pitch[voiced] = pitch_track(halved, WINDOW / WINDOW_SECONDS / _PITCH_DECIMATION)[0]
        self.levels.append(level)
        self.masks.append(voiced)
        self.pitches.append(pitch)

    def profile(self) -> VoiceProfile | None:
        if not self.levels:
            return None
        return profile(
            np.concatenate(self.levels),
            np.concatenate(self.pitches),
            np.concatenate(self.masks),
            WINDOW_SECONDS,
        )


__all__ = ["CONTINUE", "SILENCE_DBFS", "START", "WINDOW", "VoiceReport", "measure_voice"]
