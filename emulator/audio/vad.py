"""Voice-activity detection: how many seconds of a WAV are *voice*, not just sound.

Kintsugi rejects a file with fewer than 30 s of voice "after removing silence
and non-voice" (Kintsugi v1 docs, Audio File Specification / 422
``insufficient_audio_length``), so an energy gate is not enough: noise and tones
must not count. The method, on a copy decimated to about 4 kHz:

1. Per 40 ms frame: level (dBFS, DC removed); spectral flatness over 100-1800 Hz
   (noise is flat, voice is not); and periodicity, the highest *local* peak of
   the normalised autocorrelation at 70-400 Hz lags (Boersma's window
   correction) plus its prominence over the dip before it. Pink and brown noise
   have a high but monotonically falling autocorrelation, so they have no
   prominent peak; bins under 60 Hz are dropped first so hum and rumble do not
   dominate.
2. A frame is a voiced candidate when it is above -60 dBFS, 3 dB above the
   quietest frame within +-1.5 s (the adaptive noise floor: steady sounds never
   rise above their own floor), periodic, prominent and not flat.
3. The 100-1800 Hz band level must vary by at least 3 dB (standard deviation)
   within +-0.5 s: speech is modulated at the 2-8 Hz syllable rate, steady tones
   and hums are not.
4. Smoothing: drop single-frame blips, bridge gaps up to 0.32 s (unvoiced
   consonants and inter-word gaps count as speech), then extend each run by
   80 ms (hangover). Pauses between sentences stay uncounted.

Every decision looks at most `horizon_frames` frames away, so a prefix of a file
gives exactly the full result for all frames older than that horizon. That is
what makes stopping early (``stop_after``) safe: the count only grows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, TypeAlias

from emulator.audio import deferred
from emulator.audio.decode import BLOCK_BYTES, Floats, Source
from emulator.audio.resample import factor_for, iter_decimated
from emulator.audio.wav import WavInfo

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
else:
    np = deferred.module("numpy")

Mask: TypeAlias = "NDArray[np.bool_]"
MIN_RATE = 2000  # below this a file cannot carry intelligible speech; it has no voice
_FRAMES_PER_BLOCK = 256
_TINY = 1e-12
_RUMBLE_HZ = 60.0


@dataclass(frozen=True, slots=True)
class VadParams:
    """Thresholds of the detector; the defaults were tuned on espeak-ng speech and noise."""

    analysis_rate: int = 4000
    frame_seconds: float = 0.04
    min_level_dbfs: float = -60.0
    floor_window_seconds: float = 1.5
    floor_margin_db: float = 3.0
    min_pitch_hz: float = 70.0
    max_pitch_hz: float = 400.0
    min_periodicity: float = 0.5
    min_prominence: float = 0.5
    band_hz: tuple[float, float] = (100.0, 1800.0)
    max_flatness: float = 0.3
    modulation_window_seconds: float = 0.5
    min_modulation_db: float = 3.0
    min_run_seconds: float = 0.08
    max_gap_seconds: float = 0.32
    hangover_seconds: float = 0.08


DEFAULT_PARAMS = VadParams()


@dataclass(frozen=True, slots=True)
class FrameFeatures:
    """Per-frame measurements (one entry per analysis frame)."""

    level_db: Floats
    band_db: Floats
    periodicity: Floats
    prominence: Floats
    flatness: Floats
    gated: Mask
    pitch_hz: Floats  # from the same autocorrelation peak; 0 where there is none

    def __len__(self) -> int:
        return len(self.level_db)

    @classmethod
    def concat(cls, parts: list[FrameFeatures]) -> FrameFeatures:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))


@dataclass(frozen=True, slots=True)
class VoiceActivity:
    """The detector's answer: per-frame voice decisions and their total in seconds.

    ``complete`` is False when measuring stopped early; ``seconds`` is then a
    lower bound of the full measure (and at least the ``stop_after`` asked for).
    ``level_db`` and ``pitch_hz`` describe the same frames as ``mask`` (for
    `emulator.audio.features`).
    """

    seconds: float
    frame_seconds: float
    mask: Mask
    complete: bool
    level_db: Floats | None = None
    pitch_hz: Floats | None = None


class _Analyser:
    """Frame feature extraction at one analysis rate (window, FFT size, lag range)."""

    def __init__(self, rate: float, params: VadParams) -> None:
        self.rate = rate
        self.params = params
        self.frame_length = n = max(16, round(params.frame_seconds * rate))
        self.lag_lo = max(2, int(rate / params.max_pitch_hz))
        self.lag_hi = min(n - 3, int(np.ceil(rate / params.min_pitch_hz)))
        # Zero padding to n + lag_hi + 2 keeps the lags we read free of wrap-around.
        self.nfft = 1 << int(np.ceil(np.log2(n + self.lag_hi + 2)))
        self.window = np.hanning(n + 2)[1:-1].astype(np.float32)
        self.window_power = float(np.sum(self.window.astype(np.float64) ** 2))
        window_acf = np.fft.irfft(np.abs(np.fft.rfft(self.window, self.nfft)) ** 2, self.nfft)
        self.window_acf = (window_acf[: self.lag_hi + 2] / window_acf[0]).astype(np.float32)
        hz_per_bin = rate / self.nfft
        low, high = params.band_hz
        self.band = slice(
            int(np.ceil(low / hz_per_bin)), int(min(high, 0.45 * rate) / hz_per_bin) + 1
        )
        self.rumble_bins = int(np.ceil(_RUMBLE_HZ / hz_per_bin))

    def features(self, frames: Floats) -> FrameFeatures:
        count = len(frames)
        mean = frames.mean(axis=1, dtype=np.float64)
        power = np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / frames.shape[1]
        level = 10 * np.log10(np.maximum(power - mean * mean, _TINY))
        gated = level > self.params.min_level_dbfs
        band_db = level.astype(np.float32)
        periodicity = np.zeros(count, np.float32)
        prominence = np.zeros(count, np.float32)
        flatness = np.ones(count, np.float32)
        pitch = np.zeros(count, np.float32)
        if gated.any():
            # Quiet frames can never be voice, so the FFT work is only done on the rest.
            picked = frames if gated.all() else frames[gated]
            spectral = self._spectral(picked)
            band_db[gated], flatness[gated], periodicity[gated], prominence[gated] = spectral[:4]
            pitch[gated] = spectral[4]
        return FrameFeatures(
            level.astype(np.float32), band_db, periodicity, prominence, flatness, gated, pitch
        )

    def _spectral(self, frames: Floats) -> tuple[Floats, Floats, Floats, Floats, Floats]:
        spectrum = np.fft.rfft(frames * self.window, self.nfft, axis=1)
        power = spectrum.real**2 + spectrum.imag**2
        band = power[:, self.band] + np.float32(_TINY)
        band_mean = band.mean(axis=1)
        flatness = np.exp(np.log(band).mean(axis=1)) / band_mean
        band_db = 10 * np.log10(band_mean / self.window_power)
        power[:, : self.rumble_bins] = 0.0
        acf = np.fft.irfft(power, self.nfft, axis=1)[:, : self.lag_hi + 2]
        norm = acf / (acf[:, :1] + np.float32(_TINY)) / self.window_acf
        periodicity, prominence, lag = self._peaks(norm)
        pitch = np.where(lag > 0, self.rate / np.maximum(lag, 1), 0.0).astype(np.float32)
        return band_db, flatness, periodicity, prominence, pitch

    def _peaks(self, norm: Floats) -> tuple[Floats, Floats, Floats]:
        """Highest local autocorrelation peak in the pitch lag range, its prominence and
        its lag (0 where there is no peak)."""
        lo, hi = self.lag_lo, self.lag_hi
        lags = norm[:, lo : hi + 1]
        is_peak = (lags >= norm[:, lo - 1 : hi]) & (lags > norm[:, lo + 1 : hi + 2])
        candidates = np.where(is_peak, lags, np.float32(-np.inf))
        best = candidates.argmax(axis=1)
        rows = np.arange(len(norm))
        peak = candidates[rows, best]
        dip = np.minimum.accumulate(norm[:, 1 : hi + 1], axis=1)[rows, best + lo - 1]
        found = np.isfinite(peak)
        lag = np.where(found, best + lo, 0).astype(np.float32)
        return np.where(found, peak, 0.0), np.where(found, peak - dip, 0.0), lag


def horizon_frames(params: VadParams) -> int:
    """How far (in frames) any decision in `decide` looks; see the module docstring."""
    n = _frame_counts(params)
    return max(n["floor"], n["modulation"]) + n["run"] + n["gap"] + n["hangover"]


def _frame_counts(params: VadParams) -> dict[str, int]:
    step = params.frame_seconds
    return {
        "floor": round(params.floor_window_seconds / step),
        "modulation": round(params.modulation_window_seconds / step),
        "run": max(1, round(params.min_run_seconds / step)),
        "gap": round(params.max_gap_seconds / step),
        "hangover": round(params.hangover_seconds / step),
    }


def decide(features: FrameFeatures, params: VadParams = DEFAULT_PARAMS) -> Mask:
    """Per-frame voice decisions from frame features (finite-support rules only)."""
    if len(features) == 0:
        return np.zeros(0, np.bool_)
    frames = _frame_counts(params)
    level = features.level_db
    floor = _moving_min(level, frames["floor"])
    candidate = (
        features.gated
        & (level > floor + params.floor_margin_db)
        & (features.periodicity >= params.min_periodicity)
        & (features.prominence >= params.min_prominence)
        & (features.flatness <= params.max_flatness)
    )
    modulated = _moving_std(features.band_db, frames["modulation"]) >= params.min_modulation_db
    voiced = _drop_short_runs(candidate & modulated, frames["run"])
    return _extend_runs(_fill_short_gaps(voiced, frames["gap"]), frames["hangover"])


def _moving_min(values: Floats, radius: int) -> Floats:
    padded = np.pad(values, radius, constant_values=np.inf)
    smallest: Floats = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1).min(axis=1)
    return smallest


def _moving_std(values: Floats, radius: int) -> NDArray[np.float64]:
    sums = np.concatenate(([0.0], np.cumsum(values, dtype=np.float64)))
    squares = np.concatenate(([0.0], np.cumsum(np.square(values, dtype=np.float64))))
    index = np.arange(len(values))
    lo, hi = np.maximum(index - radius, 0), np.minimum(index + radius + 1, len(values))
    count = hi - lo
    mean = (sums[hi] - sums[lo]) / count
    variance = np.maximum((squares[hi] - squares[lo]) / count - mean * mean, 0.0)
    deviation: NDArray[np.float64] = np.sqrt(variance)
    return deviation


def _runs(mask: Mask) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Start and end (exclusive) indices of each run of True."""
    edges = np.diff(mask.astype(np.int8), prepend=0, append=0)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _paint(length: int, starts: NDArray[np.intp], ends: NDArray[np.intp]) -> Mask:
    delta = np.zeros(length + 1, np.int32)
    np.add.at(delta, starts, 1)
    np.add.at(delta, ends, -1)
    return np.cumsum(delta[:length]) > 0


def _drop_short_runs(mask: Mask, min_frames: int) -> Mask:
    starts, ends = _runs(mask)
    keep = ends - starts >= min_frames
    return _paint(len(mask), starts[keep], ends[keep])


def _fill_short_gaps(mask: Mask, max_frames: int) -> Mask:
    starts, ends = _runs(mask)
    if len(starts) < 2:
        return mask
    split = starts[1:] - ends[:-1] > max_frames
    new_starts = np.concatenate((starts[:1], starts[1:][split]))
    new_ends = np.concatenate((ends[:-1][split], ends[-1:]))
    return _paint(len(mask), new_starts, new_ends)


def _extend_runs(mask: Mask, frames: int) -> Mask:
    starts, ends = _runs(mask)
    return _paint(len(mask), np.maximum(starts - frames, 0), np.minimum(ends + frames, len(mask)))


def voice_activity(
    data: bytes | bytearray | memoryview,
    *,
    info: WavInfo | None = None,
    params: VadParams = DEFAULT_PARAMS,
    stop_after: float | None = None,
) -> VoiceActivity:
    """Measure voice in a WAV. Raises `AudioFormatError` if ``data`` is not a decodable WAV.

    With ``stop_after``, measuring stops as soon as that many seconds of voice
    are certain (see the module docstring for why that is exact).
    """
    source = Source.open(data, info)
    rate = source.info.sample_rate
    if rate < MIN_RATE:
        return VoiceActivity(0.0, params.frame_seconds, np.zeros(0, np.bool_), True)
    factor = factor_for(rate, params.analysis_rate)
    analyser = _Analyser(rate / factor, params)
    # Frames per block: 256 (10 s), fewer if a block of input would exceed BLOCK_BYTES.
    input_bytes = analyser.frame_length * factor * source.info.channels * 4
    frames_per_block = max(1, min(_FRAMES_PER_BLOCK, BLOCK_BYTES // input_bytes))
    with np.errstate(all="ignore"):  # log10(0), 0/0 on silence are expected and masked
        return _measure(source, analyser, params, frames_per_block, stop_after)


def _measure(
    source: Source,
    analyser: _Analyser,
    params: VadParams,
    frames_per_block: int,
    stop_after: float | None,
) -> VoiceActivity:
    length = analyser.frame_length
    step = length / analyser.rate
    parts: list[FrameFeatures] = []
    analysed = 0
    next_check = (
        horizon_frames(params) + int(np.ceil(stop_after / step)) if stop_after is not None else -1
    )
    for block in iter_decimated(source, params.analysis_rate, length * frames_per_block):
        frames = block[: len(block) // length * length].reshape(-1, length)
        parts.append(analyser.features(frames))
        analysed += len(frames)
        if stop_after is not None and analysed >= next_check:
            found = FrameFeatures.concat(parts)
            settled = decide(found, params)[: max(0, analysed - horizon_frames(params))]
            seconds = float(np.count_nonzero(settled)) * step
            if seconds >= stop_after:
                return _activity(found, settled, step, complete=False)
            next_check = analysed + max(frames_per_block, analysed // 2)  # geometric: O(n)
    if not parts:
        return VoiceActivity(0.0, step, np.zeros(0, np.bool_), True)
    found = FrameFeatures.concat(parts)
    return _activity(found, decide(found, params), step, complete=True)


def _activity(found: FrameFeatures, mask: Mask, step: float, *, complete: bool) -> VoiceActivity:
    count = len(mask)
    seconds = float(np.count_nonzero(mask)) * step
    return VoiceActivity(
        seconds, step, mask, complete, found.level_db[:count], found.pitch_hz[:count]
    )


def voice_seconds(
    data: bytes | bytearray | memoryview,
    *,
    info: WavInfo | None = None,
    params: VadParams = DEFAULT_PARAMS,
    stop_after: float | None = None,
) -> float:
    """Seconds of voice in a WAV (a lower bound >= ``stop_after`` if it stopped early)."""
    return voice_activity(data, info=info, params=params, stop_after=stop_after).seconds
