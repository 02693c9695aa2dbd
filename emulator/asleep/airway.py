"""Breathing stability and snoring of a synthetic night, drawn together.

This module owns turning a night's sleep stages and a profile's ``Airway``
parameters (``emulator.asleep.profiles``) into the ``breath`` (0 stable,
1 unstable) and ``snoring`` (0/1) stages (asleep-api.md §2.3).  One latent
process drives both, so they are correlated with each other, with the
profile's severity and with the sleep stage:

* *airway episodes* (Weibull on/off spells, drawn front to back from their own
  stream) are when the airway narrows: inside them the sleeper snores and has
  unstable breathing; an unstable epoch snores more often than a stable one
  (the snore that ends an obstructive event);
* a per-night severity factor moves a night's event rate and snoring together
  (night-to-night variability of one sleeper);
* the sleep stage scales both: snoring mostly in N3 and N2, less in REM
  (PLoS One 2024, ``architecture.SNORING_STAGES_2024``); instability more in
  REM, when the upper airway is most prone to collapse, and least in N3
  (Bonsignore et al. 2024);
* wake (and missing) epochs neither snore nor carry unstable breathing.

Per-epoch draws come from ``random((n, 2))``, which fills row by row, and the
episodes from a sequential stream, so epoch ``i`` never depends on ``n``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from emulator.asleep.draws import Uniforms
from emulator.asleep.profiles import Airway
from emulator.core import lazy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = lazy.module("numpy")

# Indexed by sleep stage (0 wake, 1 light, 2 deep, 3 REM); INFERRED magnitudes of
# the published directions above.
UNSTABLE_BY_STAGE: Final = (0.0, 1.0, 0.45, 1.6)
SNORING_BY_STAGE: Final = (0.0, 1.0, 1.15, 0.45)
_EPOCHS_PER_MINUTE: Final = 2


def episodes(airway: Airway, u: Uniforms, n_epochs: int) -> tuple[float, npt.NDArray[np.bool_]]:
    """The night's severity factor and its airway-episode mask over *sleep time*.

    Index ``k`` of the mask is the ``k``-th epoch of sleep: the episode clock
    stands still while the sleeper is awake, so a night's share of sleep spent in
    episodes does not depend on how much of it was wake.
    """
    severity = 1.0 + airway.night_spread * (2.0 * u() - 1.0)
    values: list[bool] = []
    lengths: list[int] = []
    covered = 0
    while covered < n_epochs:
        gap = u.epochs(airway.gap_minutes * _EPOCHS_PER_MINUTE, 1.5)
        spell = u.epochs(airway.episode_minutes * _EPOCHS_PER_MINUTE, 2.0)
        values += [False, True]
        lengths += [gap, spell]
        covered += gap + spell
    mask = np.repeat(np.array(values, dtype=bool), lengths)[:n_epochs]
    return severity, mask


def recurring_events(
    rate: npt.NDArray[np.float64], jitter: npt.NDArray[np.float64], phase: float
) -> npt.NDArray[np.bool_]:
    """Epochs where an event falls, at ``rate`` events per epoch.

    Obstructive events recur (every minute or two in a cluster), so they are not
    drawn as independent coin flips: an event falls each time the running sum of
    the (jittered) rate crosses an integer.  A night's count then tracks its
    expected value closely, which keeps each breathing profile inside its AHI
    band night after night.  Causal: a running sum only looks back.
    """
    jittered = np.minimum(rate * (0.5 + jitter), 1.0)
    total = phase + np.cumsum(jittered)
    return np.floor(total) > np.floor(total - jittered)


def breath_and_snoring(
    stages: npt.NDArray[np.int8],
    airway: Airway,
    episode_draws: Uniforms,
    epoch_draws: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """``(breath, snoring)`` for ``stages``; ``epoch_draws`` has shape ``(n, 2)``."""
    phase = episode_draws()
    severity, by_sleep_time = episodes(airway, episode_draws, len(stages))
    asleep = stages > 0
    # Causal: epoch i reads the episode state of the sleep time elapsed before it.
    sleep_time: npt.NDArray[np.intp] = np.cumsum(asleep) - asleep
    inside = by_sleep_time[sleep_time] & asleep if len(stages) else asleep
    by_stage = np.clip(stages, 0, 3)
    unstable_scale = np.array(UNSTABLE_BY_STAGE)[by_stage]
    snoring_scale = np.array(SNORING_BY_STAGE)[by_stage]

    p_unstable = np.where(inside, airway.unstable * severity, 0.0) * unstable_scale
    unstable = recurring_events(np.minimum(p_unstable, 0.97), epoch_draws[:, 0], phase)

    in_episode = np.where(
        unstable, airway.snoring_when_unstable, airway.snoring * np.sqrt(severity)
    )
    p_snoring = np.where(inside, in_episode, airway.background_snoring) * snoring_scale
    snoring = epoch_draws[:, 1] < np.minimum(p_snoring, 0.97)
    return unstable.astype(np.int8), snoring.astype(np.int8)
