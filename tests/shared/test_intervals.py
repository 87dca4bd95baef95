"""Bootstrap intervals from per-item results (mlops_lab.reporting.intervals)."""

from __future__ import annotations

import numpy as np
import pytest

from mlops_lab.reporting.intervals import (
    CHUNK,
    bootstrap,
    grouped_positions,
    in_chunks,
    resampled_positions,
)


def test_blocks_are_runs_of_consecutive_items_wrapping_around() -> None:
    positions = resampled_positions(10, resamples=50, seed=0, block=4)
    assert positions.shape == (50, 10)
    runs = positions[:, :8].reshape(50, 2, 4)
    steps = np.diff(runs, axis=2) % 10
    assert (steps == 1).all()  # every block continues item by item (10 wraps to 0)


def test_interval_of_a_mean_covers_it_and_narrows_with_more_items() -> None:
    rng = np.random.default_rng(1)
    small, large = rng.normal(1.0, 1.0, 40), rng.normal(1.0, 1.0, 4000)
    few = bootstrap(lambda p: small[p].mean(), len(small), 500, seed=0)
    many = bootstrap(lambda p: large[p].mean(), len(large), 500, seed=0)
    assert few.value == pytest.approx(small.mean())
    assert few.low < few.value < few.high
    assert many.high - many.low < (few.high - few.low) / 5  # ~ 1 / sqrt(100)
    assert str(few) == f"{few.value:.3f} [{few.low:.3f}, {few.high:.3f}]"


def test_no_items_is_refused() -> None:
    with pytest.raises(ValueError, match="0 items"):
        resampled_positions(0, 10, 0)


def test_a_batched_figure_gives_the_same_interval_as_one_call_per_resample() -> None:
    values = np.random.default_rng(2).exponential(1.0, 60)
    one_by_one = bootstrap(lambda p: values[p].mean(), 60, 300, seed=4, block=5)
    batched = bootstrap(lambda p: values[p].mean(axis=-1), 60, 300, seed=4, block=5, batched=True)
    assert batched == one_by_one


def test_groups_are_drawn_whole_and_widen_the_interval_when_errors_cluster() -> None:
    groups = np.repeat(np.arange(20), 10)  # 20 families of 10 notes
    positions = grouped_positions(groups, resamples=200, seed=0)
    assert positions.shape == (200, 200)
    # Every run of ten positions is one whole family (families here have ten notes each).
    assert (np.ptp(groups[positions].reshape(200, 20, 10), axis=2) == 0).all()
    # Errors in four whole families: resampling notes says about +-6 points, families +-17.
    errors = np.isin(groups, [0, 1, 2, 3]).astype(float)
    by_note = bootstrap(lambda p: errors[p].mean(), 200, 500, seed=1)
    by_family = bootstrap(lambda p: errors[p].mean(), 200, 500, seed=1, groups=groups)
    assert by_family.value == by_note.value == pytest.approx(0.2)
    assert by_family.high - by_family.low > 2 * (by_note.high - by_note.low)
    with pytest.raises(ValueError, match="0 items"):
        grouped_positions(np.array([]), 10, 0)


def test_bias_correction_moves_the_interval_of_an_inflated_figure_over_it() -> None:
    # |mean| of centred values is 0; every resample's |mean| is above 0, so the plain
    # percentile interval lies wholly above the figure and the corrected one covers it.
    values = np.random.default_rng(3).normal(size=300)
    values -= values.mean()

    def absolute_mean(positions: np.ndarray) -> float:
        return abs(float(values[positions].mean()))

    plain = bootstrap(absolute_mean, len(values), resamples=300, seed=0)
    corrected = bootstrap(absolute_mean, len(values), 300, seed=0, bias_corrected=True)
    assert plain.value == corrected.value == pytest.approx(0.0, abs=1e-12)
    assert plain.low > 0
    assert corrected.low < 0 < corrected.high
    assert corrected.high - corrected.low == pytest.approx(plain.high - plain.low)


def test_a_figure_in_chunks_is_the_figure_on_the_whole_matrix() -> None:
    values = np.random.default_rng(5).normal(size=50)
    positions = resampled_positions(50, resamples=2 * CHUNK + 7, seed=1)
    calls: list[int] = []

    def row_means(rows: np.ndarray) -> np.ndarray:
        calls.append(len(rows))
        return values[rows].mean(axis=1)

    expected = values[positions].mean(axis=1)
    np.testing.assert_array_equal(in_chunks(row_means, positions), expected)
    assert calls == [CHUNK, CHUNK, 7]
