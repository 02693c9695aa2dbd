"""Robust measurements of detected speech: pitch, loudness, rhythm, pauses.

Vendors that predict from a voice (Kintsugi) read a `VoiceProfile`: a handful of
numbers about the frames the voice detector kept, chosen to be stable under edits
nobody can hear (a gain change of a few dB, polarity, a little leading silence,
resampling, re-encoding, dither) and to differ between speakers and speaking styles:

* ``pitch_hz``: median fundamental frequency of the pitched voice frames;
* ``pitch_range_st``: interquartile range of that pitch in semitones (flat or lively);
* ``level_dbfs``: median frame level of the voice (a quiet or a loud recording);
* ``loudness_range_db``: how far the loudest frames (95th percentile) rise above the
  median one (loudness dynamics);
* ``speaking_rate_hz``: mean frequency of the loudness envelope inside the stretches
  of speech (Rice's formula: rms of the derivative over rms of the signal, / 2 pi):
  syllables make it rise and fall, about 3 Hz for slow and 5-6 Hz for fast speech;
* ``pause_ratio``: share of the time between the first and last voice frame spent in
  pauses, counting only what each pause lasts beyond `BRIDGE_SECONDS` (long pauses or
  fluent speech; a pause of 0.31 s and one of 0.33 s count almost the same).

Medians, percentiles and ratios over hundreds of frames move very little when single
frames change, which is what the stability rests on; gaps shorter than
`BRIDGE_SECONDS` (between words, at a stop consonant) belong to the stretch of
speech, so a detector decision flipping at the edge of a word does not move the
rhythm or pause measures. Pitch is a normalised cross-correlation estimate per frame
(the strongest lag, moved to a shorter lag of nearly the same strength to avoid
octave errors); frames where it is weak are not pitched.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from emulator.audio import deferred

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from emulator.audio.decode import Floats
else:
    np = deferred.module("numpy")

MIN_PITCH_HZ = 55.0
MAX_PITCH_HZ = 420.0
_MIN_STRENGTH = 0.6  # normalised correlation below this: not a pitched frame
_OCTAVE_TOLERANCE = 0.9  # a shorter lag this close to the best one wins
BRIDGE_SECONDS = 0.32  # shorter gaps are part of the stretch of speech
_MIN_STRETCH_SECONDS = 0.25  # shorter stretches carry no rhythm
_MIN_VOICE_FRAMES = 16  # ~0.5 s: less voice than this gives no profile
_MIN_PITCHED_FRAMES = 8


@dataclass(frozen=True, slots=True)
class VoiceProfile:
    """What the voice sounded like; see the module docstring for each field."""

    voice_seconds: float
    pitch_hz: float
    pitch_range_st: float
    level_dbfs: float
    loudness_range_db: float
    speaking_rate_hz: float
    pause_ratio: float

    def to_json(self) -> dict[str, Any]:
        return {k: round(v, 3) for k, v in asdict(self).items()}


def pitch_track(frames: Floats, rate: float) -> tuple[Floats, Floats]:
    """Per frame (rows): the pitch in Hz (0 when unpitched) and the correlation strength."""
    count, length = frames.shape
    lo = max(2, int(rate / MAX_PITCH_HZ))
    hi = min(length - 4, int(np.ceil(rate / MIN_PITCH_HZ)))
    if count == 0 or hi <= lo + 2:
        empty = np.zeros(count, np.float32)
        return empty, empty
    centred = frames - frames.mean(axis=1, keepdims=True)
    nfft = 1 << int(np.ceil(np.log2(2 * length)))
    spectrum = np.fft.rfft(centred, nfft, axis=1)
    acf = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, nfft, axis=1)[:, : hi + 2]
    # Energies of the two overlapping parts at lag k: x[0:n-k] and x[k:n].
    squares = np.cumsum(np.square(centred, dtype=np.float64), axis=1)
    total = squares[:, -1:]
    lags = np.arange(hi + 2)
    head = np.where(lags < length, squares[:, np.maximum(length - 1 - lags, 0)], 0.0)
    tail = total - np.concatenate((np.zeros((count, 1)), squares[:, : hi + 1]), axis=1)
    nccf = acf / np.sqrt(np.maximum(head * tail, 1e-20))
    return _pick(nccf.astype(np.float32), lo, hi, rate)


def _pick(nccf: Floats, lo: int, hi: int, rate: float) -> tuple[Floats, Floats]:
    rows = np.arange(len(nccf))
    inner = nccf[:, lo : hi + 1]
    is_peak = (inner >= nccf[:, lo - 1 : hi]) & (inner > nccf[:, lo + 1 : hi + 2])
    peaks = np.where(is_peak, inner, np.float32(-1.0))
    best = peaks.max(axis=1)
    # The first (shortest) lag whose peak is within tolerance of the best one.
    first = np.argmax(peaks >= _OCTAVE_TOLERANCE * best[:, None], axis=1)
    strength = peaks[rows, first]
    lag = first + lo
    # Parabolic interpolation around the chosen lag for a finer period.
    left, mid, right = nccf[rows, lag - 1], nccf[rows, lag], nccf[rows, lag + 1]
    curve = left - 2 * mid + right
    shift = np.where(curve < 0, 0.5 * (left - right) / np.where(curve < 0, curve, -1.0), 0.0)
    pitched = strength >= _MIN_STRENGTH
    hz = np.where(pitched, rate / (lag + np.clip(shift, -0.5, 0.5)), 0.0)
    return hz.astype(np.float32), np.maximum(strength, 0.0).astype(np.float32)


def profile(
    level_db: NDArray[np.floating[Any]],
    pitch_hz: NDArray[np.floating[Any]],
    voiced: NDArray[np.bool_],
    frame_seconds: float,
) -> VoiceProfile | None:
    """The profile of the voiced frames (arrays cover the analysed frames, in order);
    None when there is too little voice to describe."""
    count = int(np.count_nonzero(voiced))
    if count < _MIN_VOICE_FRAMES:
        return None
    levels = level_db[voiced].astype(np.float64)
    pitches = pitch_hz[voiced].astype(np.float64)
    pitches = pitches[pitches > 0]
    if len(pitches) < _MIN_PITCHED_FRAMES:
        return None
    p25, p75 = np.percentile(12 * np.log2(pitches), [25, 75])
    median, loud = np.percentile(levels, [50, 95])
    bridge = round(BRIDGE_SECONDS / frame_seconds)
    starts, ends = _stretches(voiced)
    gaps = starts[1:] - ends[:-1]
    paused = int(np.sum(np.maximum(gaps - bridge, 0)))
    return VoiceProfile(
        voice_seconds=count * frame_seconds,
        pitch_hz=float(np.median(pitches)),
        pitch_range_st=float(p75 - p25),
        level_dbfs=float(median),
        loudness_range_db=float(loud - median),
        speaking_rate_hz=_speaking_rate(level_db, _bridged(voiced, bridge), frame_seconds),
        pause_ratio=paused / int(ends[-1] - starts[0]),
    )


def _stretches(mask: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Start and end (exclusive) of each run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return edges[::2], edges[1::2]


def _bridged(voiced: NDArray[np.bool_], frames: int) -> NDArray[np.bool_]:
    """``voiced`` with gaps of at most ``frames`` frames filled in."""
    starts, ends = _stretches(voiced)
    out = voiced.copy()
    for end, start in zip(ends[:-1], starts[1:], strict=True):
        if start - end <= frames:
            out[end:start] = True
    return out


def _speaking_rate(
    level_db: NDArray[np.floating[Any]], speech: NDArray[np.bool_], step: float
) -> float:
    """Mean frequency of the loudness envelope over the stretches of speech (Hz)."""
    envelope = np.power(10.0, np.maximum(level_db.astype(np.float64), -200.0) / 20)
    rises = swings = 0.0
    shortest = max(4, round(_MIN_STRETCH_SECONDS / step))
    for start, end in zip(*_stretches(speech), strict=True):
        if end - start < shortest:
            continue
        stretch = envelope[start:end] - envelope[start:end].mean()
        rises += float(np.sum(np.square(np.diff(stretch))))
        swings += float(np.sum(np.square(stretch)))
    if swings <= 0:
        return 0.0
    return float(np.sqrt(rises / swings) / (2 * np.pi * step))
