"""Synthetic nights: deterministic hypnograms with breathing and snoring stages.

This module owns the stage arrays of a session (asleep-api.md §2.3; seed 001
§2.1.3-2.1.5): ``sleep`` (0 wake, 1 light, 2 deep, 3 REM), ``breath`` (0 stable,
1 unstable) and ``snoring`` (0/1), one value per 30-second epoch, ``-1`` where
an epoch has no data.  It generates them from ``(seed, session_key, profile)``,
applies missing-epoch masks, maps to the 2-stage plan and derives the v1/v2
``osa_stages``.  Pure: no clock, no I/O, no global state.

The generator's key property is that **real-time views are prefixes of the
final result**: epoch ``i`` of the underlying night never depends on how long
the night is.  The architecture is built cycle by cycle from one random stream
(later cycles never change earlier ones; generation just stops once ``n``
epochs are covered) and every per-epoch or per-block draw comes from its own
stream of uniform doubles, where drawing ``m`` values yields the first ``m`` of
drawing ``n > m``.  Only the final result differs from the real-time view: its
last ``k`` epochs (the profile's "wake tail", drawn per session, independent
of the length) are overwritten with wake, because the final analysis sees the
user get up before ending the session.

Determinism across runs and machines: seeds come from BLAKE2b of the parts
(never Python's salted ``hash()``), the bit generator is PCG64, and only
``Generator.random`` (uniform doubles, one 64-bit draw each) is used -- NumPy
does not promise stream compatibility for its other distributions across
releases (NEP 19), so exponentials are made here by inverse transform.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias

from emulator.asleep.profiles import Profile, ProfileParams, StageProbabilities, params_for
from emulator.core import lazy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = lazy.module("numpy")

Stages: TypeAlias = "npt.NDArray[np.int8]"

NO_DATA: Final = -1
WAKE: Final = 0
LIGHT: Final = 1
DEEP: Final = 2
REM: Final = 3
STABLE: Final = 0
UNSTABLE: Final = 1
# pysleep label.py OSA labels, used by the v1/v2 ``osa_stages`` (asleep-api.md §2.3).
NO_EVENT: Final = 0
APNEA: Final = 1
HYPOPNEA: Final = 2

SNORING_BLOCK_EPOCHS: Final = 20
"""Snoring comes in episodes decided per 10-minute block."""
BREATH_BLOCK_EPOCHS: Final = 2
"""Unstable breathing comes in episodes decided per 1-minute block.

Short blocks keep a night's breathing_index close to its profile's target, so
a profile reliably lands in its breathing_pattern band (many small episodes
average out; a few long ones would not).
"""

_SLEEP_VALUES: Final = frozenset({NO_DATA, WAKE, LIGHT, DEEP, REM})
_BINARY_VALUES: Final = frozenset({NO_DATA, 0, 1})


@dataclass(frozen=True, slots=True, eq=False)
class Night:
    """Three equal-length, read-only ``int8`` stage arrays of one session.

    The night takes ownership of the arrays it is given: they are made read-only,
    so a Night can be shared (e.g. cached on a session) without copying.
    """

    sleep: Stages
    breath: Stages
    snoring: Stages

    def __post_init__(self) -> None:
        if not (len(self.sleep) == len(self.breath) == len(self.snoring)):
            raise ValueError("sleep, breath and snoring stages must have the same length")
        for array in (self.sleep, self.breath, self.snoring):
            if array.dtype != np.int8 or array.ndim != 1:
                raise ValueError("stage arrays must be one-dimensional int8 arrays")
            array.flags.writeable = False

    def __len__(self) -> int:
        return len(self.sleep)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Night):
            return NotImplemented
        return (
            np.array_equal(self.sleep, other.sleep)
            and np.array_equal(self.breath, other.breath)
            and np.array_equal(self.snoring, other.snoring)
        )

    __hash__ = None  # type: ignore[assignment]  # arrays are not hashable

    def prefix(self, n_epochs: int) -> Night:
        """The first ``n_epochs`` epochs (all of them if the night is shorter)."""
        return Night(
            self.sleep[:n_epochs].copy(),
            self.breath[:n_epochs].copy(),
            self.snoring[:n_epochs].copy(),
        )

    def to_lists(self) -> tuple[list[int], list[int], list[int]]:
        """Plain Python lists, ready for JSON: ``(sleep, breath, snoring)``."""
        return self.sleep.tolist(), self.breath.tolist(), self.snoring.tolist()


def night_from_stages(
    sleep: Sequence[int] | Stages,
    breath: Sequence[int] | Stages | None = None,
    snoring: Sequence[int] | Stages | None = None,
) -> Night:
    """Wrap caller-supplied stages, e.g. a hypnogram injected via the control API.

    A missing ``breath``/``snoring`` list becomes stable/no-snoring (0) where the
    sleep stage has data and ``-1`` where it has none.  Values are validated
    against the documented codes (seed 001 §2.1.3-2.1.5).
    """
    sleep_array = _checked(sleep, _SLEEP_VALUES, "sleep")
    default = np.where(sleep_array == NO_DATA, NO_DATA, 0).astype(np.int8)
    breath_array = default.copy() if breath is None else _checked(breath, _BINARY_VALUES, "breath")
    snoring_array = (
        default.copy() if snoring is None else _checked(snoring, _BINARY_VALUES, "snoring")
    )
    return Night(sleep_array, breath_array, snoring_array)


def _checked(values: Sequence[int] | Stages, allowed: frozenset[int], name: str) -> Stages:
    array = np.array(values, dtype=np.int64).reshape(-1)
    if not set(np.unique(array).tolist()) <= allowed:
        raise ValueError(f"{name} stages must only contain {sorted(allowed)}")
    return array.astype(np.int8)


# --------------------------------------------------------------------------- generation


def _rng(seed: int, session_key: str, stream: str) -> np.random.Generator:
    """An independent PCG64 stream for one purpose within one session."""
    h = hashlib.blake2b(digest_size=16, person=b"asleep-night")
    for part in (str(seed), session_key, stream):
        data = part.encode()
        h.update(len(data).to_bytes(4, "big"))  # length-prefixed: no ambiguous joins
        h.update(data)
    return np.random.Generator(np.random.PCG64(int.from_bytes(h.digest(), "big")))


def _exponential(u: float | npt.NDArray[np.float64], mean: float) -> npt.NDArray[np.float64]:
    """Inverse-transform exponential draw(s) from uniform(s) in [0, 1)."""
    return -np.log1p(-np.asarray(u, dtype=np.float64)) * mean


def _deep_fraction(cycle: int, params: ProfileParams) -> float:
    # Deep (N3) sleep dominates the first cycles and fades by the third or fourth.
    return params.deep_weight * 0.45 * math.exp(-0.8 * cycle)


def _rem_fraction(cycle: int, params: ProfileParams) -> float:
    # REM periods lengthen through the night (~12 % of the first cycle, ~1/3 later).
    return params.rem_weight * min(0.36, 0.12 + 0.08 * cycle)


def _architecture(params: ProfileParams, rng: np.random.Generator, n_epochs: int) -> Stages:
    """Onset latency, ~90-minute NREM/REM cycles, then the natural awakening."""
    if not params.sleeps:
        return np.zeros(n_epochs, dtype=np.int8)
    onset_u, need_u = rng.random(2)
    onset = min(
        params.onset_max_epochs,
        params.onset_min_epochs + int(_exponential(onset_u, params.onset_mean_extra_epochs)),
    )
    need = params.sleep_need_epochs * (1.0 + params.sleep_need_jitter * (2.0 * need_u - 1.0))
    values: list[int] = [WAKE]
    lengths: list[int] = [onset]
    covered, slept, cycle = onset, 0, 0
    # Stop at n_epochs *or* at the natural awakening; cycle c's draws never depend on n.
    while covered < n_epochs and slept < need:
        u = rng.random(6)
        length = round(params.cycle_epochs * (1.0 + params.cycle_jitter * (2.0 * u[0] - 1.0)))
        deep = round(length * _deep_fraction(cycle, params) * (0.8 + 0.4 * u[1]))
        rem = round(length * _rem_fraction(cycle, params) * (0.8 + 0.4 * u[2]))
        light = max(length - deep - rem, 8)
        light_in = max(4, round(light * (0.55 + 0.2 * u[3])))
        segment_values = [LIGHT, DEEP, LIGHT, REM]
        segment_lengths = [light_in, deep, light - light_in, rem]
        if u[4] < params.cycle_end_wake_prob:
            segment_values.append(WAKE)
            segment_lengths.append(1 + int(u[5] * 4))
        values += segment_values
        lengths += segment_lengths
        covered += sum(segment_lengths)
        slept += sum(segment_lengths)
        cycle += 1
    stages = np.repeat(np.array(values, dtype=np.int8), lengths)[:n_epochs]
    if len(stages) < n_epochs:  # natural awakening: awake for the rest of the session
        stages = np.concatenate([stages, np.zeros(n_epochs - len(stages), dtype=np.int8)])
    return stages


def _by_stage(probabilities: StageProbabilities) -> npt.NDArray[np.float64]:
    # Indexed by sleep stage: wake never snores nor has unstable breathing.
    return np.array([0.0, probabilities.light, probabilities.deep, probabilities.rem])


def base_hypnogram(seed: int, session_key: str, profile: Profile, n_epochs: int) -> Night:
    """The underlying night: no wake tail; epoch ``i`` never depends on ``n_epochs``."""
    if n_epochs < 0:
        raise ValueError("n_epochs must be >= 0")
    params = params_for(profile)
    stages = _architecture(params, _rng(seed, session_key, "architecture"), n_epochs)
    index = np.arange(n_epochs)
    # Columns: stage flicker, awakening start, awakening length, snoring, breathing.
    # random((n, 5)) fills row by row, so row i is the same for every n > i.
    u = _rng(seed, session_key, "epochs").random((n_epochs, 5))

    asleep = stages != WAKE
    # Brief intra-stage flicker: deep and REM are not solid blocks in real hypnograms.
    stages = np.where((stages == DEEP) & (u[:, 0] < 0.08), LIGHT, stages).astype(np.int8)
    stages = np.where((stages == REM) & (u[:, 0] < 0.04), LIGHT, stages).astype(np.int8)

    # Brief awakenings (WASO): a run starting at i covers [i, i + length); a running
    # maximum of run ends marks every covered epoch, causally (only j <= i matter).
    starts = asleep & (u[:, 1] < params.awakening_rate)
    run_lengths = 1 + _exponential(u[:, 2], max(params.awakening_mean_epochs - 1.0, 0.0))
    run_ends = np.where(starts, index + run_lengths.astype(np.int64), 0)
    awake = np.maximum.accumulate(run_ends) > index if n_epochs else np.zeros(0, dtype=bool)
    stages = np.where(awake, WAKE, stages).astype(np.int8)

    snoring_blocks = _rng(seed, session_key, "snoring-blocks").random(
        -(-n_epochs // SNORING_BLOCK_EPOCHS)
    )
    snoring_active = snoring_blocks[index // SNORING_BLOCK_EPOCHS] < params.snoring_episode_rate
    snoring = snoring_active & (u[:, 3] < _by_stage(params.snoring)[stages])

    breath_blocks = _rng(seed, session_key, "breath-blocks").random(
        -(-n_epochs // BREATH_BLOCK_EPOCHS)
    )
    breath_active = breath_blocks[index // BREATH_BLOCK_EPOCHS] < params.breath_episode_rate
    unstable = breath_active & (u[:, 4] < _by_stage(params.breath)[stages])

    return Night(stages, unstable.astype(np.int8), snoring.astype(np.int8))


def wake_tail_epochs(seed: int, session_key: str, profile: Profile) -> int:
    """How many final epochs the final analysis turns into wake (before clipping)."""
    params = params_for(profile)
    (u,) = _rng(seed, session_key, "wake-tail").random(1)
    span = params.wake_tail_max_epochs - params.wake_tail_min_epochs + 1
    return params.wake_tail_min_epochs + int(u * span)


def realtime_night(seed: int, session_key: str, profile: Profile, n_analysed_epochs: int) -> Night:
    """What real-time analysis has produced after ``n_analysed_epochs`` epochs."""
    return base_hypnogram(seed, session_key, profile, n_analysed_epochs)


def final_night(seed: int, session_key: str, profile: Profile, n_epochs: int) -> Night:
    """The final (COMPLETE) result: the underlying night ending in a wake tail.

    Equal to ``realtime_night(..., n)`` on ``[0, min(n, n_epochs - tail))``.
    """
    base = base_hypnogram(seed, session_key, profile, n_epochs)
    tail = min(wake_tail_epochs(seed, session_key, profile), n_epochs)
    if tail == 0:
        return base
    sleep, breath, snoring = base.sleep.copy(), base.breath.copy(), base.snoring.copy()
    for array in (sleep, breath, snoring):
        array[n_epochs - tail :] = 0  # wake, stable, no snoring
    return Night(sleep, breath, snoring)


# --------------------------------------------------------------------------- transforms


def missing_mask(n_epochs: int, missing_epochs: Iterable[int]) -> npt.NDArray[np.bool_]:
    """Boolean mask of length ``n_epochs`` from epoch (= 0-based seq_num) indices.

    Indices outside ``[0, n_epochs)`` are ignored: a chunk that was never part of
    the analysed range cannot be missing from it.
    """
    mask = np.zeros(n_epochs, dtype=bool)
    indices = np.fromiter(missing_epochs, dtype=np.int64)
    mask[indices[(indices >= 0) & (indices < n_epochs)]] = True
    return mask


def apply_missing(night: Night, missing: npt.NDArray[np.bool_] | Iterable[int]) -> Night:
    """Mark missing epochs (e.g. chunks never uploaded) as ``-1`` in all three arrays.

    ``missing`` is a boolean mask of the night's length, or epoch indices.
    """
    if isinstance(missing, np.ndarray) and missing.dtype == np.bool_:
        if missing.shape != (len(night),):
            raise ValueError("missing mask must have the night's length")
        mask = missing
    else:
        mask = missing_mask(len(night), missing)
    return Night(
        np.where(mask, NO_DATA, night.sleep).astype(np.int8),
        np.where(mask, NO_DATA, night.breath).astype(np.int8),
        np.where(mask, NO_DATA, night.snoring).astype(np.int8),
    )


def two_stage_stages(sleep: Stages) -> Stages:
    """Map light/deep/REM to 1 ("sleep") for the 2-stage plan (asleep-api.md §2.3)."""
    return np.where(sleep > WAKE, LIGHT, sleep).astype(np.int8)


def two_stage(night: Night) -> Night:
    """The night as the 2-stage ("Basic") plan reports it: 0 wake, 1 sleep, -1 no data."""
    return Night(two_stage_stages(night.sleep), night.breath.copy(), night.snoring.copy())


def osa_stages(breath: Stages) -> Stages:
    """v1/v2 ``osa_stages`` derived from breathing stability (asleep-api.md §2.3).

    INFERRED mapping onto pysleep's labels (NO_EVENT=0, APNEA=1, HYPOPNEA=2): an
    unstable run of two or more epochs (>= 1 minute) is an apnea, an isolated
    unstable epoch a hypopnea (a shorter, partial event); stable stays NO_EVENT and
    missing stays -1.
    """
    unstable = breath == UNSTABLE
    before = np.concatenate([[False], unstable[:-1]]) if len(breath) else unstable
    after = np.concatenate([unstable[1:], [False]]) if len(breath) else unstable
    isolated = unstable & ~before & ~after
    result = np.where(unstable, APNEA, np.where(breath == NO_DATA, NO_DATA, NO_EVENT))
    return np.where(isolated, HYPOPNEA, result).astype(np.int8)
