"""Published sleep-architecture figures the synthetic nights are built on.

This module owns every published number (and published qualitative finding)
that the night generator (``emulator.asleep.hypnogram``, ``emulator.asleep.airway``)
and its tests use, each with its source, in one place.  The generator's own
knobs (``emulator.asleep.profiles``) are tuned so that the nights it produces
reproduce these figures; tests/asleep/test_night_architecture.py measures them
on generated nights and docs/nights.md lists what was measured.

Nothing here comes from Asleep: the vendor documents the stage codes and the
statistics (asleep-api.md §2.3, §5), not what real nights look like.  Asleep's
4-stage coding maps onto polysomnography as wake = W, light = N1 + N2,
deep = N3 (R&K stages 3 + 4), REM = REM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Source:
    """A citable publication."""

    short: str
    citation: str
    doi: str | None = None


@dataclass(frozen=True, slots=True)
class Figure:
    """A published value or range (``low == high`` for a single value)."""

    low: float
    high: float
    unit: str
    source: Source
    note: str = ""

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


# --------------------------------------------------------------------------- sources

KEMP_1986: Final = Source(
    "Kemp & Kamphuisen 1986",
    "Kemp B, Kamphuisen HAC. Simulation of human hypnograms using a Markov chain "
    "model. Sleep 1986;9(3):405-414.",
    "10.1093/sleep/9.3.405",
)
YANG_HURSCH_1973: Final = Source(
    "Yang & Hursch 1973",
    "Yang MCK, Hursch CJ. The use of a semi-Markov model for describing sleep "
    "patterns. Biometrics 1973;29(4):667-676.",
    "10.2307/2529133",
)
WANG_2013: Final = Source(
    "Wang et al. 2013",
    "Wang C, Alvarez SA, Ruiz C, Moonis M. Computational modeling of sleep stage "
    "dynamics using Weibull semi-Markov chains. Proceedings of HEALTHINF 2013 "
    "(BIOSTEC), SciTePress.",
)
BIANCHI_2012: Final = Source(
    "Bianchi et al. 2012",
    "Bianchi MT, Eiseman NA, Cash SS, Mietus J, Peng CK, Thomas RJ. Probabilistic "
    "sleep architecture models in patients with and without sleep apnea. J Sleep Res "
    "2012;21(3):330-341.",
    "10.1111/j.1365-2869.2011.00937.x",
)
LAFFAN_2010: Final = Source(
    "Laffan et al. 2010",
    "Laffan A, Caffo B, Swihart BJ, Punjabi NM. Utility of sleep stage transitions in "
    "assessing sleep continuity. Sleep 2010;33(12):1681-1686.",
    "10.1093/sleep/33.12.1681",
)
LO_2002: Final = Source(
    "Lo et al. 2002",
    "Lo CC, Nunes Amaral LA, Havlin S, Ivanov PCh, Penzel T, Peter JH, Stanley HE. "
    "Dynamics of sleep-wake transitions during sleep. Europhys Lett 2002;57(5):625-631.",
)
CARSKADON_DEMENT_2005: Final = Source(
    "Carskadon & Dement 2005",
    "Carskadon MA, Dement WC. Normal human sleep: an overview. In: Kryger MH, Roth T, "
    "Dement WC (eds). Principles and Practice of Sleep Medicine, 4th ed. Philadelphia: "
    "Elsevier Saunders; 2005:13-23.",
)
OHAYON_2004: Final = Source(
    "Ohayon et al. 2004",
    "Ohayon MM, Carskadon MA, Guilleminault C, Vitiello MV. Meta-analysis of "
    "quantitative sleep parameters from childhood to old age in healthy individuals: "
    "developing normative sleep values across the human lifespan. Sleep "
    "2004;27(7):1255-1273.",
    "10.1093/sleep/27.7.1255",
)
WALSLEBEN_2004: Final = Source(
    "Walsleben et al. 2004",
    "Walsleben JA, Kapur VK, Newman AB, Shahar E, Bootzin RR, Rosenberg CE, "
    "O'Connor G, Nieto FJ. Sleep and reported daytime sleepiness in normal subjects: "
    "the Sleep Heart Health Study. Sleep 2004;27(2):293-298.",
)
FLOYD_2007: Final = Source(
    "Floyd et al. 2007",
    "Floyd JA, Janisse JJ, Jenuwine ES, et al. Changes in REM-sleep percentage over "
    "the adult lifespan. Sleep 2007;30(7):829-836.",
)
FEINBERG_FLOYD_1979: Final = Source(
    "Feinberg & Floyd 1979",
    "Feinberg I, Floyd TC. Systematic trends across the night in human sleep cycles. "
    "Psychophysiology 1979;16(3):283-291.",
)
SNORING_STAGES_2024: Final = Source(
    "PLoS One 2024 (snoring by stage)",
    "Exploring the dynamics of snoring in relation to sleep stages: implications for "
    "gender differences, sleep position, and upper airway collapsibility. PLoS One "
    "2024;19(1):e0295232 (PMID 38295094).",
    "10.1371/journal.pone.0295232",
)
BONSIGNORE_2024: Final = Source(
    "Bonsignore et al. 2024",
    "Bonsignore MR, Mazzuca E, Baiamonte P, Bouckaert B, Verbeke W, Pevernagie DA. "
    "REM sleep obstructive sleep apnoea. Eur Respir Rev 2024;33(171):230166.",
    "10.1183/16000617.0166-2023",
)
AASM_AHI: Final = Source(
    "AASM 1999",
    "American Academy of Sleep Medicine Task Force. Sleep-related breathing disorders "
    "in adults: recommendations for syndrome definition and measurement techniques in "
    "clinical research. Sleep 1999;22(5):667-689.",
)

# --------------------------------------------------------------------------- night shape

REM_LATENCY: Final = Figure(
    80, 100, "min", CARSKADON_DEMENT_2005, "first REM episode after sleep onset, young adults"
)
FIRST_CYCLE: Final = Figure(70, 100, "min", CARSKADON_DEMENT_2005, "first NREM-REM cycle")
LATER_CYCLES: Final = Figure(90, 120, "min", CARSKADON_DEMENT_2005, "second and later cycles")
CYCLES_PER_NIGHT: Final = Figure(4, 6, "cycles", CARSKADON_DEMENT_2005, "a full night")
# Qualitative findings the generator reproduces (and the tests check):
# - N3 concentrates in the first cycles and may disappear altogether in late cycles;
#   REM episodes lengthen across the night (Carskadon & Dement 2005).
# - Cycle durations follow a curvilinear trend across the night, the middle cycles
#   longer than the first and the fourth, a trend that may not show on a single
#   night (Feinberg & Floyd 1979).
# - A stationary Markov chain cannot produce the decline of slow-wave sleep or the
#   REM-NREM periodicity: rates must vary with time and between subjects and nights
#   (Kemp & Kamphuisen 1986); the 2 -> 3 transition probability changes hour by
#   hour while 1 -> 2 stays stable (Yang & Hursch 1973).
# - Bout durations are not geometric: Weibull bouts fit wake, NREM and REM
#   (Wang et al. 2013); wake bouts are heavy-tailed, sleep bouts close to
#   exponential with a time scale that changes across the night (Lo et al. 2002).
# - REM periods themselves are interrupted: REM bouts need two exponentials,
#   NREM and WASO three (Bianchi et al. 2012).

TRANSITIONS_LOWEST_QUARTILE: Final = Figure(
    0,
    7.76,
    "/h of sleep",
    LAFFAN_2010,
    "wake/NREM/REM transitions, Sleep Heart Health Study (n = 5,684): lowest quartile",
)

# --------------------------------------------------------------------------- stage shares (of TST)

DEEP_SHARE: Final = Figure(
    0.13, 0.23, "of TST", CARSKADON_DEMENT_2005, "stages 3 + 4 (3-8 % + 10-15 %), young adults"
)
REM_SHARE: Final = Figure(0.20, 0.25, "of TST", CARSKADON_DEMENT_2005, "adults")
LIGHT_SHARE: Final = Figure(
    0.47, 0.60, "of TST", CARSKADON_DEMENT_2005, "stage 1 (2-5 %) + stage 2 (45-55 %)"
)

# --------------------------------------------------------------------------- age (adults)
# Ohayon et al. 2004 (65 studies, 3,577 subjects): in adults, total sleep time, sleep
# efficiency, % slow-wave sleep, % REM and REM latency decrease with age; sleep latency,
# % stage 1, % stage 2 and wake after sleep onset increase.  Slopes per decade:

SWS_PER_DECADE: Final = Figure(
    -0.019, -0.019, "of TST / decade", WALSLEBEN_2004, "men; SHHS normative group, n = 470"
)
REM_PER_DECADE: Final = Figure(
    -0.006, -0.006, "of TST / decade", FLOYD_2007, "linear over most of adulthood"
)
EFFICIENCY_PER_DECADE: Final = Figure(-0.016, -0.016, "/ decade", WALSLEBEN_2004)
TST_PER_DECADE: Final = Figure(-6.0, -6.0, "min / decade", WALSLEBEN_2004)
AROUSAL_INDEX_PER_DECADE: Final = Figure(0.8, 0.8, "/h per decade", WALSLEBEN_2004)

# --------------------------------------------------------------------------- breathing and snoring
# - Snoring time is predominant in N3 and N2 and less in REM, in adults and children
#   (SNORING_STAGES_2024: 93 adults, 47 children, AHI < 15/h).
# - The upper airway is most prone to collapse in REM (atonia); respiratory events are
#   longer and more desaturating in REM than in NREM (Bonsignore et al. 2024).
# - Severe OSA fragments sleep: faster stage transitions and extra transition paths
#   (Bianchi et al. 2012).

AHI_MILD: Final = Figure(5, 15, "events/h", AASM_AHI)
AHI_MODERATE: Final = Figure(15, 30, "events/h", AASM_AHI)
AHI_SEVERE: Final = Figure(30, float("inf"), "events/h", AASM_AHI)
