"""Property tests: random upload patterns keep the documented invariants.

Patterns: gaps (random drops and blocks), retried chunks, out-of-order chunks, early
close, unexpected close, explicit end times (up to 48 h, so TOO_LONG_FOR_ANALYSIS is
reachable), the 24-hour caps (seq_num and age), a new session ending the open one,
very short sessions, every profile and every plan. Driven at the model layer (one
"request" = one model call, rendered through the real schemas), so 24-hour nights
stay fast; ``test_http_state_machine.py`` drives the same rules over HTTP.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pysleep import SleepStageCalculator

from emulator.asleep import analysis, errors, schemas
from emulator.asleep.events import InferenceComplete, analysed_epochs
from emulator.asleep.night import wake_tail_epochs
from emulator.asleep.profiles import Profile
from emulator.asleep.rules import Rules
from emulator.asleep.settings import AsleepPlan
from emulator.asleep.state import AsleepState
from emulator.core.store import Store
from emulator.settings import AsleepSettings

START = int(datetime(2025, 1, 14, 22, 0, tzinfo=UTC).timestamp())
NOW = int(datetime(2025, 1, 15, 8, 0, tzinfo=UTC).timestamp())
ENDINGS = ("close", "unexpected", "explicit", "age", "replaced", "cap")


@dataclass
class Pattern:
    span: int
    uploads: list[int]
    ending: str
    explicit_end: int
    profile: Profile
    plan: AsleepPlan


@st.composite
def patterns(draw: st.DrawFn) -> Pattern:
    span = draw(
        st.one_of(
            st.integers(0, 45),  # very short: around the 20-minute threshold
            st.integers(40, 1000),
            st.integers(2800, 2880),  # the whole 24 hours
        )
    )
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    drop = draw(st.sampled_from([0.0, 0.0, 0.05, 0.2, 0.35, 0.8]))
    kept = [s for s in range(span) if rng.random() >= drop]
    for _ in range(draw(st.integers(0, 3))):  # whole blocks missing (phone in a drawer)
        if kept:
            a = rng.randrange(span)
            kept = [s for s in kept if not a <= s < a + rng.randrange(1, 120)]
    dups = rng.sample(kept, k=min(len(kept), draw(st.integers(0, 20))))
    uploads = kept + dups
    window = draw(st.sampled_from([0, 0, 3, 50]))  # how far chunks may arrive out of order
    if window:
        uploads.sort(key=lambda s: s + rng.random() * window)
    else:
        uploads.sort()
    ending = draw(st.sampled_from(ENDINGS))
    if ending == "cap":
        uploads.append(2880 + draw(st.integers(0, 5)))
    return Pattern(
        span=span,
        uploads=uploads,
        ending=ending,
        explicit_end=draw(st.integers(1, 2 * 86400)),
        profile=draw(st.sampled_from(list(Profile))),
        plan=AsleepPlan(
            four_stage=draw(st.booleans()),
            breathing=draw(st.booleans()),
            realtime=draw(st.booleans()),
            cadence_minutes=draw(st.sampled_from([5, 20, 40])),
        ),
    )


def _record(p: Pattern) -> tuple[AsleepState, Rules, Any, list[dict[str, Any]]]:
    """Play a pattern; the session, and every real-time read taken along the way."""
    state = AsleepState(Store(seed=11).namespace("t"))
    rules = Rules(11, "t", p.plan, AsleepSettings())
    user = state.create_user(rules, NOW, None)
    state.set_profile(user, p.profile)

    def new_session() -> Any:
        return state.create_session(
            rules,
            NOW,
            user,
            start_time=START,
            created_timezone="UTC",
            service="NOSERVICE",
            inference_type="MELSPECTROGRAM",
            callback_url=None,
            callback_version=None,
        )

    session = new_session()
    live: list[dict[str, Any]] = []
    for i, seq in enumerate(p.uploads):
        try:
            state.upload(rules, NOW, session, seq, None)
        except errors.SessionTerminated:
            assert seq >= 2880 or session.state.value != "OPEN"
        if i % 97 == 0 and session.state.value == "OPEN":
            live.append(schemas.session_v3(analysis.read(state, rules, session), UTC, "UTC"))
    if session.state.value == "OPEN":
        if p.ending == "close":
            state.close(rules, NOW, session, end_time=None, unexpected=False, callback_url=None)
        elif p.ending == "unexpected":
            state.close(rules, NOW, session, end_time=None, unexpected=True, callback_url=None)
        elif p.ending == "explicit":
            end = START + p.explicit_end
            state.close(rules, NOW, session, end_time=end, unexpected=False, callback_url=None)
        elif p.ending == "age":
            state.refresh(rules, NOW + 86400, session)
        else:
            new_session()
    return state, rules, session, live


def _check_final(p: Pattern, state: AsleepState, rules: Rules, session: Any) -> dict[str, Any]:
    assert session.state.value == "COMPLETE"
    result = schemas.session_v3(analysis.read(state, rules, session), UTC, "UTC")
    s, stat, labels = result["session"], result["stat"], result["peculiarities"]
    start = datetime.fromisoformat(s["start_time"])
    end = datetime.fromisoformat(s["end_time"])
    tib = int((end - start).total_seconds())
    received = set(p.uploads) & set(range(2880))

    # The timeline comes from the audio unless an explicit end was given.
    if p.ending == "explicit":
        assert tib == p.explicit_end
    else:
        span = max(received) + 1 if received else 0
        assert tib == span * 30
    expect_unexpected = p.ending in ("unexpected", "age", "replaced", "cap")
    assert (s["unexpected_end_time"] is not None) == expect_unexpected

    # Arrays cover the time in bed, one value per whole 30-s epoch.
    stages = s["sleep_stages"]
    n = tib // 30
    assert len(stages) == n
    assert len(s["snoring_stages"]) == n
    assert (s["breath_stages"] is None) == (not p.plan.breathing)
    if s["breath_stages"] is not None:
        assert len(s["breath_stages"]) == n
    # Missing chunks, and only they, are -1 (in every array).
    missing = {i for i, v in enumerate(stages) if v == -1}
    assert missing == set(range(n)) - received
    assert {i for i, v in enumerate(s["snoring_stages"]) if v == -1} == missing
    assert set(stages) <= ({-1, 0, 1, 2, 3} if p.plan.four_stage else {-1, 0, 1})
    ratio = round(len(missing) / n, 2) if n else 0.0
    assert result["missing_data_ratio"] == ratio

    # Peculiarities follow the documented rules (seed 001 §2.1.1, §4.2).
    too_short = tib < 1200
    defective = ratio > 0.3
    slept = any(v > 0 for v in stages)
    assert ("TOO_SHORT_FOR_ANALYSIS" in labels) == too_short
    assert ("TOO_LONG_FOR_ANALYSIS" in labels) == (tib > 86400)
    assert ("TOO_MANY_DEFECTS_IN_SLEEP_STAGES" in labels) == defective
    assert ("NEVER_SLEPT" in labels) == (not slept and not too_short and not defective)
    assert ("NO_BREATHING_STABILITY" in labels) == (not p.plan.breathing)
    assert "IN_PROGRESS" not in labels
    assert "NO_REALTIME_POLLING" not in labels
    assert (stat is None) == (too_short or defective)
    if stat is not None:
        _check_stat(p, stat, stages, start, end, tib)
    return result


def _check_stat(
    p: Pattern, stat: dict[str, Any], stages: list[int], start: datetime, end: datetime, tib: int
) -> None:
    assert stat["time_in_bed"] == tib
    # Durations add up.
    assert stat["time_in_sleep_period"] == stat["time_in_sleep"] + stat["time_in_wake"]
    assert stat["time_in_snoring"] + stat["time_in_no_snoring"] == stat["time_in_sleep_period"]
    if p.plan.breathing:
        pair = stat["time_in_stable_breath"] + stat["time_in_unstable_breath"]
        assert pair == stat["time_in_sleep_period"]
    slept = stat["time_in_sleep"] > 0
    if p.plan.four_stage:
        parts = stat["time_in_light"] + stat["time_in_deep"] + stat["time_in_rem"]
        assert parts == stat["time_in_sleep"]
    else:
        for key in ("time_in_light", "time_in_deep", "time_in_rem", "light_ratio", "rem_latency"):
            assert stat[key] is None
    if not p.plan.breathing:
        for key in ("time_in_stable_breath", "breathing_index", "unstable_breath_count"):
            assert stat[key] is None
    if slept:
        first = next(i for i, v in enumerate(stages) if v != 0)
        last = max(i for i, v in enumerate(stages) if v != 0)
        holes = sum(1 for v in stages[first : last + 1] if v == -1)
        whole = stat["sleep_latency"] + stat["time_in_sleep_period"] + stat["wakeup_latency"]
        assert whole + 30 * holes == 30 * len(stages)
        assert datetime.fromisoformat(stat["sleep_time"]) == start + timedelta(
            seconds=stat["sleep_latency"]
        )
        assert datetime.fromisoformat(stat["wake_time"]) == end - timedelta(
            seconds=stat["wakeup_latency"]
        )
        # Ratios sum to 1.
        assert round(stat["sleep_ratio"] + stat["wake_ratio"], 2) == 1.0
        assert round(stat["snoring_ratio"] + stat["no_snoring_ratio"], 2) == 1.0
        if p.plan.four_stage:
            total = (
                stat["wake_ratio"] + stat["light_ratio"] + stat["deep_ratio"] + stat["rem_ratio"]
            )
            assert round(total, 2) == 1.0
        if p.plan.breathing:
            pair = stat["stable_breath_ratio"] + stat["unstable_breath_ratio"]
            assert round(pair, 2) == 1.0
        assert 50 <= stat["sleep_index"] <= 100
    else:
        for key in ("sleep_time", "wake_time", "sleep_latency", "sleep_index", "wake_ratio"):
            assert stat[key] is None
    if slept and p.plan.four_stage and -1 not in stages and end > start:
        _equals_pysleep(stat, stages, start, end)


def _equals_pysleep(
    stat: dict[str, Any], stages: list[int], start: datetime, end: datetime
) -> None:
    ref = SleepStageCalculator().calculate(stages, start, end)
    for key in (
        "sleep_latency",
        "wakeup_latency",
        "time_in_sleep_period",
        "time_in_sleep",
        "time_in_wake",
        "time_in_light",
        "time_in_deep",
        "time_in_rem",
        "longest_waso",
    ):
        assert stat[key] == int(getattr(ref, key).total_seconds()), key
    for key in ("sleep_efficiency", "sleep_ratio", "wake_ratio", "light_ratio", "deep_ratio"):
        assert stat[key] == getattr(ref, key), key
    assert (stat["waso_count"], stat["sleep_cycle_count"]) == (
        ref.waso_count,
        ref.sleep_cycle_count,
    )
    assert [datetime.fromisoformat(t) for t in stat["sleep_cycle_time"]] == list(
        ref.sleep_cycle_time or []
    )


def _check_live(
    p: Pattern, live: list[dict[str, Any]], final: dict[str, Any], rules: Rules
) -> None:
    tail = wake_tail_epochs(11, final["session"]["id"], p.profile)
    final_stages = final["session"]["sleep_stages"]
    for read in live:
        assert "IN_PROGRESS" in read["peculiarities"]
        assert read["stat"] is None
        assert read["session"]["end_time"] is None
        stages = read["session"]["sleep_stages"]
        if not p.plan.realtime:
            assert "NO_REALTIME_POLLING" in read["peculiarities"]
            assert stages is None
            continue
        if stages is None:
            continue
        assert len(stages) % 10 == 0
        assert len(stages) >= 40
        # Real-time views are prefixes of the final result, up to the wake tail;
        # a chunk that had not arrived yet (out of order) reads -1 until it does.
        same = max(0, min(len(stages), len(final_stages) - tail))
        assert all(v in (-1, final_stages[i]) for i, v in enumerate(stages[:same]))


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(patterns())
def test_random_upload_patterns_keep_the_invariants(p: Pattern) -> None:
    state, rules, session, live = _record(p)
    final = _check_final(p, state, rules, session)
    _check_live(p, live, final, rules)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 400), max_size=120),
    st.sampled_from([5, 20, 40]),
)
def test_inference_events_follow_the_analysis(uploads: list[int], cadence: int) -> None:
    """One INFERENCE_COMPLETE per firing window, in order, whatever the upload order;
    the real-time view covers exactly the windows that fired."""
    state = AsleepState(Store(seed=1).namespace("t"))
    rules = Rules(1, "t", AsleepPlan(cadence_minutes=cadence), AsleepSettings())
    user = state.create_user(rules, NOW, None)
    session = state.create_session(
        rules,
        NOW,
        user,
        start_time=START,
        created_timezone="UTC",
        service="NOSERVICE",
        inference_type="MELSPECTROGRAM",
        callback_url=None,
        callback_version=None,
    )
    for seq in uploads:
        state.upload(rules, NOW, session, seq, None)
    events = [e for e in state.drain() if isinstance(e, InferenceComplete)]
    windows = [e.inference_seq_num for e in events]
    assert windows == sorted(set(windows))
    step = cadence // 5
    assert all(k >= 3 and (k - 3) % step == 0 for k in windows)
    assert all(e.seq_num == 10 * e.inference_seq_num + 9 for e in events)
    span = session.uploaded_span
    expected = [k for k in range(3, span // 10) if (k - 3) % step == 0]
    assert windows == expected
    assert analysed_epochs(span, cadence) == (10 * windows[-1] + 10 if windows else 0)
