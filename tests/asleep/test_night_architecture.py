"""Generated nights against published sleep architecture (emulator.asleep.architecture).

200 eight-hour nights of the default (``normal``) profile, one emulator seed, 200
sessions, measured from the stage arrays a client receives (tests/support/hypnograms.py
says how).  Each test prints the figures it measured (``pytest -s``); docs/nights.md
quotes them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from statistics import median

import numpy as np
import pytest

from emulator.asleep.architecture import (
    CYCLES_PER_NIGHT,
    DEEP_SHARE,
    EFFICIENCY_PER_DECADE,
    FIRST_CYCLE,
    LATER_CYCLES,
    REM_LATENCY,
    REM_PER_DECADE,
    REM_SHARE,
    TRANSITIONS_LOWEST_QUARTILE,
)
from emulator.asleep.night import DEEP, LIGHT, REM, final_night
from emulator.asleep.profiles import Profile
from emulator.asleep.stats import Stat, compute_stat
from tests.support.hypnograms import Measured, measure

NIGHTS = 200
EIGHT_HOURS = 960


@cache
def _nights(profile: Profile, age: float | None = None, n: int = NIGHTS) -> tuple[Measured, ...]:
    return tuple(
        measure(final_night(0, f"20250115220000_n{i:04d}", profile, EIGHT_HOURS, age=age).sleep)
        for i in range(n)
    )


def _share(nights: tuple[Measured, ...], test: Callable[[Measured], bool]) -> float:
    return sum(1 for night in nights if test(night)) / len(nights)


def test_rem_latency_varies_between_nights() -> None:
    latencies = [n.rem_latency for n in _nights(Profile.NORMAL) if n.rem_latency is not None]
    sd, middle = float(np.std(latencies, ddof=1)), median(latencies)
    skipped = sum(1 for latency in latencies if latency > 150) / len(latencies)
    regular = float(np.std([x for x in latencies if x <= 150], ddof=1))
    print(
        f"\n[architecture] REM latency: median {middle:.1f} min, SD {sd:.1f} min "
        f"({regular:.1f} min without the nights over 150 min), range "
        f"{min(latencies):.0f}-{max(latencies):.0f}, over 150 min (first REM skipped) in "
        f"{skipped:.1%} of {len(latencies)} nights"
    )
    assert len(latencies) == NIGHTS
    assert sd >= 15
    assert regular >= 15  # not only because of the skipped first REMs
    assert REM_LATENCY.contains(middle)  # Carskadon & Dement: 80-100 min
    assert 0.02 <= skipped <= 0.25  # an occasional skipped first REM


def test_cycle_lengths_vary_within_nights() -> None:
    nights = _nights(Profile.NORMAL)
    sds = [n.cycle_sd for n in nights if n.cycle_sd is not None]
    varied = sum(1 for sd in sds if sd >= 10) / len(sds)
    first = median(n.cycles[0] for n in nights if n.cycles)
    later = median(c for n in nights for c in n.cycles[1:])
    counts = np.bincount([len(n.cycles) for n in nights]).tolist()
    print(
        f"\n[architecture] within-night cycle-length SD >= 10 min in {varied:.1%} of "
        f"{len(sds)} nights with >= 3 complete cycles (median SD {median(sds):.1f} min); "
        f"median first cycle {first:.1f} min, later cycles {later:.1f} min; "
        f"complete cycles per night {counts}"
    )
    assert len(sds) >= 0.9 * NIGHTS
    assert varied > 0.5
    assert FIRST_CYCLE.low <= first <= LATER_CYCLES.high
    assert LATER_CYCLES.contains(later)
    assert CYCLES_PER_NIGHT.low - 1 <= median(len(n.cycles) for n in nights) <= 6


def test_deep_sleep_comes_early_and_fades() -> None:
    nights = _nights(Profile.NORMAL)
    front = _share(nights, lambda n: n.deep_first_third > n.deep_last_third)
    late = [n for n in nights if len(n.cycles) >= 4]
    absent = _share(tuple(late), lambda n: n.deep_in_cycles[3] == 0)
    by_cycle = [median(n.deep_in_cycles[k] / 2 for n in late) for k in range(4)]
    print(
        f"\n[architecture] more deep sleep in the first third than the last in {front:.1%} "
        f"of nights; no deep sleep at all in the 4th cycle in {absent:.1%} of "
        f"{len(late)} nights; median deep minutes by cycle {by_cycle}"
    )
    assert front >= 0.95
    assert absent >= 0.5
    assert by_cycle[0] > by_cycle[1] > by_cycle[2] >= by_cycle[3]


def test_rem_episodes_lengthen() -> None:
    nights = _nights(Profile.NORMAL)
    by_period = [
        median(n.rem_minutes[k] for n in nights if len(n.rem_minutes) > k) for k in range(4)
    ]
    longer = _share(
        nights, lambda n: len(n.rem_minutes) >= 3 and n.rem_minutes[-1] > n.rem_minutes[0]
    )
    print(
        f"\n[architecture] median REM minutes by period {by_period}; last REM period "
        f"longer than the first in {longer:.1%} of nights"
    )
    assert by_period[0] < by_period[1] < by_period[2]
    assert longer >= 0.8


def test_stage_shares_are_inside_adult_norms() -> None:
    nights = _nights(Profile.NORMAL)
    deep = median(n.shares[DEEP] for n in nights)
    rem = median(n.shares[REM] for n in nights)
    light = median(n.shares[LIGHT] for n in nights)
    print(
        f"\n[architecture] median shares of TST: deep {deep:.3f} (norm {DEEP_SHARE.low}-"
        f"{DEEP_SHARE.high}), REM {rem:.3f} (norm {REM_SHARE.low}-{REM_SHARE.high}), "
        f"light {light:.3f} ({DEEP_SHARE.source.short})"
    )
    assert DEEP_SHARE.contains(deep)
    assert REM_SHARE.contains(rem)


def test_no_repeated_rem_onset_template() -> None:
    nights = _nights(Profile.NORMAL)
    spreads = [
        float(np.std([n.rem_onsets[k] for n in nights if len(n.rem_onsets) > k])) for k in range(4)
    ]
    pooled = np.array([onset for n in nights for onset in n.rem_onsets])
    bins = np.histogram(pooled, bins=np.arange(60, 430, 10))[0]
    firsts = [np.array(n.rem_onsets[:3]) for n in nights if len(n.rem_onsets) >= 3]
    twins = sum(1 for a, b in itertools.combinations(firsts, 2) if np.all(np.abs(a - b) <= 5)) / (
        len(firsts) * (len(firsts) - 1) / 2
    )
    print(
        f"\n[architecture] REM onset SD by period (min) {[round(s, 1) for s in spreads]}; "
        f"every 10-min bin from 60 to 420 min holds a REM onset: {bool(bins.all())} "
        f"(fullest bin {bins.max() / len(pooled):.1%} of onsets); night pairs whose first "
        f"three REM onsets agree within 5 min: {twins:.3%}"
    )
    assert min(spreads) >= 15
    assert bins.all()
    assert bins.max() / len(pooled) < 0.08
    assert twins < 0.01


def test_awakenings_are_brief_and_heavy_tailed() -> None:
    nights = _nights(Profile.NORMAL)
    bouts = np.array([length for n in nights for length in n.wake_runs])
    awakenings = median(n.awakenings for n in nights)
    waso = median(n.waso for n in nights)
    transitions = median(n.transitions_wnr for n in nights)
    shhs = TRANSITIONS_LOWEST_QUARTILE
    print(
        f"\n[architecture] median {awakenings} awakenings and WASO {waso:.1f} min a night; "
        f"{np.mean(bouts <= 2):.1%} of awakenings last <= 1 min, {np.mean(bouts >= 10):.1%} "
        f">= 5 min; wake/NREM/REM transitions {transitions:.1f}/h of sleep (SHHS lowest "
        f"quartile < {shhs.high}/h, {shhs.source.short})"
    )
    assert 8 <= awakenings <= 30
    assert 10 <= waso <= 60
    assert np.mean(bouts <= 2) > 0.5
    assert np.mean(bouts >= 10) > 0.02
    assert 6 <= transitions <= 14


def test_age_moves_nights_along_published_trends() -> None:
    young, old = _nights(Profile.NORMAL, 30.0), _nights(Profile.NORMAL, 60.0)

    def mid(nights: tuple[Measured, ...], value: Callable[[Measured], float]) -> float:
        return float(np.mean([value(n) for n in nights]))

    deep = (mid(young, lambda n: n.shares[DEEP]), mid(old, lambda n: n.shares[DEEP]))
    rem = (mid(young, lambda n: n.shares[REM]), mid(old, lambda n: n.shares[REM]))
    waso = (mid(young, lambda n: n.waso), mid(old, lambda n: n.waso))
    efficiency = (
        mid(young, lambda n: n.tst / EIGHT_HOURS),
        mid(old, lambda n: n.tst / EIGHT_HOURS),
    )
    latency = (
        mid(young, lambda n: n.rem_latency or 0.0),
        mid(old, lambda n: n.rem_latency or 0.0),
    )
    slope = (efficiency[1] - efficiency[0]) / 3
    rem_slope = (rem[1] - rem[0]) / 3
    print(
        f"\n[architecture] age 30 -> 60: deep {deep[0]:.3f} -> {deep[1]:.3f}, "
        f"REM {rem[0]:.3f} -> {rem[1]:.3f} ({rem_slope:+.4f}/decade, published "
        f"{REM_PER_DECADE.low:+.3f}), WASO {waso[0]:.1f} -> {waso[1]:.1f} min, "
        f"REM latency {latency[0]:.1f} -> {latency[1]:.1f} min, sleep efficiency "
        f"{slope:+.3f}/decade (published {EFFICIENCY_PER_DECADE.low:+.3f})"
    )
    assert deep[1] < deep[0] - 0.03  # SWS -1.9 points/decade (Walsleben et al. 2004)
    assert -0.012 <= rem_slope <= -0.002  # -0.6 points/decade (Floyd et al. 2007)
    assert waso[1] > waso[0]
    assert latency[1] < latency[0]
    assert -0.03 <= slope <= -0.005


@pytest.mark.parametrize(
    "profile",
    [
        Profile.MILD_UNSTABLE_BREATHING,
        Profile.MODERATE_UNSTABLE_BREATHING,
        Profile.SEVERE_UNSTABLE_BREATHING,
    ],
)
def test_apnea_fragments_sleep(profile: Profile) -> None:
    normal, apnea = _nights(Profile.NORMAL, n=60), _nights(profile, n=60)
    rate = (median(n.transitions_wnr for n in normal), median(n.transitions_wnr for n in apnea))
    deep = (median(n.shares[DEEP] for n in normal), median(n.shares[DEEP] for n in apnea))
    print(
        f"\n[architecture] {profile.value}: transitions {rate[1]:.1f}/h (normal {rate[0]:.1f}), "
        f"deep {deep[1]:.3f} (normal {deep[0]:.3f})"
    )
    assert rate[1] > rate[0]
    assert deep[1] < deep[0]


def test_profiles_keep_their_character() -> None:
    good, insomnia = _nights(Profile.GOOD_SLEEPER, n=60), _nights(Profile.INSOMNIA, n=60)
    normal = _nights(Profile.NORMAL, n=60)

    def med(nights: tuple[Measured, ...], value: Callable[[Measured], float]) -> float:
        return float(median(value(n) for n in nights))

    onset = [med(x, lambda n: float(n.onset or 0)) for x in (good, normal, insomnia)]
    waso = [med(x, lambda n: n.waso) for x in (good, normal, insomnia)]
    tst = [med(x, lambda n: n.tst / 2) for x in (good, normal, insomnia)]
    print(
        f"\n[architecture] good / normal / insomnia: onset {onset} epochs, WASO {waso} min, "
        f"TST {tst} min"
    )
    assert onset[0] < onset[1] < onset[2]
    assert waso[0] < waso[1] < waso[2]
    assert tst[0] > tst[1] > tst[2]
    never = final_night(0, "never", Profile.NEVER_SLEPT, EIGHT_HOURS)
    assert not never.sleep.any()


def test_profile_summary_as_the_data_api_reports_it() -> None:
    start = datetime(2025, 1, 15, 22, 0, tzinfo=UTC)
    rows = {}
    for profile in Profile:
        stats = []
        for i in range(60):
            night = final_night(0, f"20250115220000_s{i:04d}", profile, EIGHT_HOURS)
            stat = compute_stat(
                night.sleep,
                night.breath,
                night.snoring,
                start,
                start + timedelta(hours=8),
                four_stage=True,
                breathing=True,
            )
            assert stat is not None
            stats.append(stat)
        rows[profile] = _summary(stats)
    print("\n[architecture] medians over 60 nights, as the Data API's stat reports them:")
    print("| profile | " + " | ".join(SUMMARY_COLUMNS) + " |")
    print("|---" * (len(SUMMARY_COLUMNS) + 1) + "|")
    for profile, row in rows.items():
        print(f"| {profile.value} | " + " | ".join(row) + " |")
    efficiency = {p: float(rows[p][1]) for p in Profile}
    assert efficiency[Profile.GOOD_SLEEPER] > efficiency[Profile.NORMAL]
    assert efficiency[Profile.NORMAL] > efficiency[Profile.INSOMNIA]
    assert rows[Profile.NEVER_SLEPT][0] == "0"


SUMMARY_COLUMNS = (
    "TST (min)",
    "efficiency",
    "sleep latency (min)",
    "REM latency (min)",
    "deep % TST",
    "REM % TST",
    "awakenings",
    "WASO (min)",
    "cycles",
    "breathing index (/h)",
    "snoring ratio",
)


def _summary(stats: list[Stat]) -> tuple[str, ...]:
    slept = [s for s in stats if not s.never_slept]
    if not slept:
        return ("0", "0.00", *["-"] * (len(SUMMARY_COLUMNS) - 2))

    def med(values: list[float | None], digits: int = 1) -> str:
        present = [v for v in values if v is not None]
        return f"{median(present):.{digits}f}" if present else "-"

    def pct(part: int | None, whole: int | None) -> float | None:
        return 100 * part / whole if part is not None and whole else None

    return (
        med([s.time_in_sleep / 60 for s in slept], 0),
        med([s.sleep_efficiency for s in slept], 2),
        med([None if s.sleep_latency is None else s.sleep_latency / 60 for s in slept]),
        med([None if s.rem_latency is None else s.rem_latency / 60 for s in slept]),
        med([pct(s.time_in_deep, s.time_in_sleep) for s in slept]),
        med([pct(s.time_in_rem, s.time_in_sleep) for s in slept]),
        med([s.waso_count for s in slept], 0),
        med([s.time_in_wake / 60 for s in slept]),
        med([s.sleep_cycle_count for s in slept], 0),
        med([s.breathing_index for s in slept]),
        med([s.snoring_ratio for s in slept], 2),
    )
