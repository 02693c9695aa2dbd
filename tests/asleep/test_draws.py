"""Deterministic draws: independent streams, chunk-invariant, the right distributions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.asleep.draws import Uniforms, rng


@given(count=st.integers(min_value=0, max_value=700))
def test_uniforms_are_the_stream_one_at_a_time(count: int) -> None:
    u = Uniforms(rng(5, "session", "purpose"))
    one_by_one = [u() for _ in range(count)]
    assert one_by_one == rng(5, "session", "purpose").random(count).tolist()


def test_streams_differ_by_every_part_and_do_not_run_together() -> None:
    def first(seed: int, key: str, stream: str) -> float:
        return float(rng(seed, key, stream).random())

    base = first(1, "ab", "c")
    assert base == first(1, "ab", "c")
    assert len({base, first(2, "ab", "c"), first(1, "ab", "d"), first(1, "a", "bc")}) == 4


@pytest.mark.parametrize(("mean", "shape"), [(10.0, 0.7), (30.0, 1.0), (160.0, 4.0)])
def test_weibull_has_the_requested_mean(mean: float, shape: float) -> None:
    u = Uniforms(rng(0, "weibull", f"{mean}-{shape}"))
    values = np.array([u.weibull(mean, shape) for _ in range(20_000)])
    assert abs(values.mean() / mean - 1.0) < 0.05
    assert (values > 0).all()


@given(
    mean=st.floats(min_value=0.5, max_value=300.0),
    shape=st.floats(min_value=0.5, max_value=5.0),
    low=st.integers(min_value=0, max_value=5),
    span=st.integers(min_value=0, max_value=50),
)
def test_epochs_are_whole_and_clipped(mean: float, shape: float, low: int, span: int) -> None:
    u = Uniforms(rng(0, "epochs", "clip"))
    for _ in range(20):
        value = u.epochs(mean, shape, low=low, high=low + span)
        assert isinstance(value, int)
        assert low <= value <= low + span


def test_normal_deviates_are_standard() -> None:
    u = Uniforms(rng(0, "normal", "z"))
    values = np.array([u.normal() for _ in range(20_000)])
    assert abs(values.mean()) < 0.03
    assert abs(values.std() - 1.0) < 0.03
