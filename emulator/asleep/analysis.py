"""What a session reads as: its stages, peculiarities, missing-data ratio and stat.

This module owns combining a session's state with the customer's plan (asleep-api.md
§2.3, §3.7.1, §4.1-§4.2) into one ``Reading``, using the pure generators
(``night``, ``peculiarities``, ``stats``):

* COMPLETE: the final night kept on the session; the stat is computed lazily and
  memoised on the state view (it is derived, never persisted).
* OPEN / CLOSED: ``IN_PROGRESS``; with real-time polling the partial night analysed
  so far (a prefix of the final one, analysis starting at 20 minutes and advancing
  at the plan's cadence), else ``NO_REALTIME_POLLING`` and null stages.
* The 2-stage plan maps light/deep/REM to 1; without the breathing plan
  ``breath_stages`` is null.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.asleep.entities import Session, fit
from emulator.asleep.events import analysed_epochs
from emulator.asleep.night import Night, apply_missing, osa_stages, realtime_night, two_stage
from emulator.asleep.peculiarities import (
    PeculiarityResult,
    SessionState,
    Validity,
    derive_peculiarities,
    missing_data_ratio,
    v2_validity,
)
from emulator.asleep.rules import Rules
from emulator.asleep.state import AsleepState
from emulator.asleep.stats import Stat, compute_stat, has_sleep
from emulator.asleep.timefmt import aware


@dataclass(frozen=True, slots=True)
class Reading:
    """One session as a Data API read of this plan sees it."""

    session: Session
    night: Night | None  # as served (plan-mapped); None: stage arrays are null
    peculiarities: PeculiarityResult
    missing_data_ratio: float
    stat: Stat | None

    @property
    def breath_served(self) -> bool:
        return self.night is not None and "NO_BREATHING_STABILITY" not in self.labels

    @property
    def labels(self) -> list[str]:
        return self.peculiarities.as_list()


def realtime(state: AsleepState, rules: Rules, session: Session) -> Night | None:
    """The night analysed so far, or None before the first analysis (20 min)."""
    analysed = analysed_epochs(
        session.uploaded_span, rules.plan.cadence_minutes, rules.first_window
    )
    if analysed == 0:
        return None
    injected = state.hypnograms.get(session.session_id)
    if injected is not None:
        return fit(injected.night(), analysed)
    profile = state.profile_of(rules, session)
    age = state.age_of(session)
    night = realtime_night(rules.seed, session.session_id, profile, analysed, age=age)
    return apply_missing(night, ~session.received_mask(analysed))


def analysed_night(state: AsleepState, rules: Rules, session: Session) -> Night | None:
    """The partial night in the plan's coding (2-stage: 0/1), or None before analysis.

    What a real-time read serves; ``INFERENCE_COMPLETE`` windows are slices of it.
    """
    night = realtime(state, rules, session)
    if night is not None and not rules.plan.four_stage:
        night = two_stage(night)
    return night


def read(state: AsleepState, rules: Rules, session: Session) -> Reading:
    plan = rules.plan
    if session.state is SessionState.COMPLETE:
        night = session.final()
        assert night is not None  # kept on completion
        ratio = missing_data_ratio(night.sleep)
        result = derive_peculiarities(
            state=SessionState.COMPLETE,
            time_in_bed_seconds=session.time_in_bed,
            missing_data_ratio=ratio,
            slept=has_sleep(night.sleep),
            breathing_plan=plan.breathing,
            realtime_polling=plan.realtime,
            thresholds=rules.thresholds,
        )
        stat = None if result.stat_is_null else _stat(state, rules, session, night)
        served = night if plan.four_stage else two_stage(night)
        return Reading(session, served, result, ratio, stat)

    partial = analysed_night(state, rules, session) if plan.realtime else None
    if partial is not None:
        ratio = missing_data_ratio(partial.sleep)
    else:
        span = session.uploaded_span
        ratio = round((span - session.received_count) / span, 2) if span else 0.0
    result = derive_peculiarities(
        state=session.state,
        time_in_bed_seconds=session.time_in_bed,
        missing_data_ratio=ratio,
        slept=partial is not None and has_sleep(partial.sleep),
        breathing_plan=plan.breathing,
        realtime_polling=plan.realtime,
        thresholds=rules.thresholds,
    )
    return Reading(session, partial, result, ratio, None)


def _stat(state: AsleepState, rules: Rules, session: Session, night: Night) -> Stat | None:
    plan = rules.plan
    memo = state.stats.setdefault(session.session_id, {})
    key = (plan.four_stage, plan.breathing)
    if key in memo:
        found: Stat | None = memo[key]
        return found
    assert session.end_time is not None
    stat = (
        compute_stat(
            night.sleep,
            night.breath,
            night.snoring,
            aware(session.start_time),
            aware(session.end_time),
            four_stage=plan.four_stage,
            breathing=plan.breathing,
        )
        if session.end_time > session.start_time
        else None
    )
    memo[key] = stat
    return stat


def validity(reading: Reading, rules: Rules) -> Validity:
    """The v1.0-era ``validity`` of a ``/data/v2`` read (asleep-api.md §3.7.2)."""
    night = reading.night
    osa_ratio = None
    if night is not None and rules.plan.breathing:
        osa_ratio = missing_data_ratio(osa_stages(night.breath))
    return v2_validity(
        state=reading.session.state,
        time_in_bed_seconds=reading.session.time_in_bed,
        missing_data_ratio=reading.missing_data_ratio,
        osa_missing_data_ratio=osa_ratio,
        thresholds=rules.thresholds,
    )
