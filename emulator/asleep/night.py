"""Synthetic nights: deterministic hypnograms with breathing and snoring stages.

This module owns the stage arrays of a session (asleep-api.md §2.3; seed 001
§2.1.3-2.1.5): ``sleep`` (0 wake, 1 light, 2 deep, 3 REM), ``breath`` (0 stable,
1 unstable) and ``snoring`` (0/1), one value per 30-second epoch, ``-1`` where
an epoch has no data.  It generates them from ``(seed, session_key, profile)``
-- the sleep stages with ``emulator.asleep.hypnogram`` (a time-varying
semi-Markov model of published sleep architecture), breathing and snoring
together with ``emulator.asleep.airway`` -- applies missing-epoch masks, maps
to the 2-stage plan and derives the v1/v2 ``osa_stages``.  Pure: no clock, no
I/O, no global state.  docs/nights.md describes the model and its sources.

The generator's key property is that **real-time views are prefixes of the
final result**: epoch ``i`` of the underlying night never depends on how long
the night is.  Sleep stages and airway episodes are built front to back from
their own sequential streams (generation just stops once ``n`` epochs are
covered) and per-epoch draws come from ``random((n, k))``, which fills row by
row (``emulator.asleep.draws``).  Only the final result differs from the
real-time view: its last ``k`` epochs (the profile's "wake tail", drawn per
session, independent of the length) are overwritten with wake, because the
final analysis sees the user get up before ending the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias

from emulator.asleep import draws
from emulator.asleep.airway import breath_and_snoring
from emulator.asleep.hypnogram import DEEP as DEEP
from emulator.asleep.hypnogram import LIGHT as LIGHT
from emulator.asleep.hypnogram import REM as REM
from emulator.asleep.hypnogram import WAKE as WAKE
from emulator.asleep.hypnogram import sleep_stages
from emulator.asleep.profiles import Profile, params_for
from emulator.core import lazy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = lazy.module("numpy")

Stages: TypeAlias = "npt.NDArray[np.int8]"

NO_DATA: Final = -1
STABLE: Final = 0
UNSTABLE: Final = 1
# pysleep label.py OSA labels, used by the v1/v2 ``osa_stages`` (asleep-api.md §2.3).
NO_EVENT: Final = 0
APNEA: Final = 1
HYPOPNEA: Final = 2

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


def base_hypnogram(
    seed: int, session_key: str, profile: Profile, n_epochs: int, *, age: float | None = None
) -> Night:
    """The underlying night: no wake tail; epoch ``i`` never depends on ``n_epochs``.

    ``age`` is the sleeper's age in years; by default it is drawn per night from
    the profile's age range (the emulator does not know the user's).
    """
    if n_epochs < 0:
        raise ValueError("n_epochs must be >= 0")
    params = params_for(profile)
    stages = sleep_stages(
        params, draws.Uniforms(draws.rng(seed, session_key, "architecture")), n_epochs, age=age
    )
    breath, snoring = breath_and_snoring(
        stages,
        params.airway,
        draws.Uniforms(draws.rng(seed, session_key, "airway-episodes")),
        draws.rng(seed, session_key, "airway-epochs").random((n_epochs, 2)),
    )
    return Night(stages, breath, snoring)


def wake_tail_epochs(seed: int, session_key: str, profile: Profile) -> int:
    """How many final epochs the final analysis turns into wake (before clipping)."""
    params = params_for(profile)
    (u,) = draws.rng(seed, session_key, "wake-tail").random(1)
    span = params.wake_tail_max_epochs - params.wake_tail_min_epochs + 1
    return params.wake_tail_min_epochs + int(u * span)


def realtime_night(
    seed: int,
    session_key: str,
    profile: Profile,
    n_analysed_epochs: int,
    *,
    age: float | None = None,
) -> Night:
    """What real-time analysis has produced after ``n_analysed_epochs`` epochs."""
    return base_hypnogram(seed, session_key, profile, n_analysed_epochs, age=age)


def final_night(
    seed: int, session_key: str, profile: Profile, n_epochs: int, *, age: float | None = None
) -> Night:
    """The final (COMPLETE) result: the underlying night ending in a wake tail.

    Equal to ``realtime_night(..., n)`` on ``[0, min(n, n_epochs - tail))``.
    """
    base = base_hypnogram(seed, session_key, profile, n_epochs, age=age)
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
