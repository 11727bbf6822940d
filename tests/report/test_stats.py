"""Olympic scoring edge cases and the t-interval, checked against independent computations."""

import math
import statistics

import pytest

from sciml_mlflow.report.stats import aggregate, mean_ci, olympic


def test_olympic_drops_fastest_and_slowest():
    a = olympic([5.0, 1.0, 3.0, 4.0, 100.0])
    assert a.value == pytest.approx((3.0 + 4.0 + 5.0) / 3) and a.n == 3 and a.n_total == 5


def test_one_non_converged_run_is_the_dropped_slowest():
    a = olympic([5.0, None, 3.0, 4.0, 1.0])
    assert a.value == pytest.approx((3.0 + 4.0 + 5.0) / 3) and a.valid  # 1.0 dropped as fastest, None as slowest


def test_two_non_converged_runs_invalidate():
    a = olympic([5.0, None, 3.0, math.nan, 1.0])
    assert a.value is None and not a.valid and "2 runs did not converge" in a.note


def test_too_few_runs_invalidate():
    assert not olympic([1.0, 2.0]).valid
    assert olympic([1.0, 2.0, 3.0]).value == 2.0  # the minimum: one run left


def test_three_runs_with_one_failure_keeps_the_middle():
    assert olympic([2.0, None, 7.0]).value == 7.0  # 2.0 fastest dropped, the failure is the slowest


def test_mean_ci_matches_scipy_interval():
    from scipy import stats

    xs = [0.91, 0.93, 0.95, 0.90, 0.96]
    mean, half = mean_ci(xs, 0.95)
    lo, hi = stats.t.interval(0.95, len(xs) - 1, loc=statistics.fmean(xs), scale=stats.sem(xs))
    assert mean == pytest.approx((lo + hi) / 2) and half == pytest.approx((hi - lo) / 2)
    assert mean_ci([1.0], 0.95) == (1.0, None)


def test_aggregate_skips_missing_values_and_says_so():
    a = aggregate("mean_ci", [1.0, None, 3.0])
    assert a.value == 2.0 and a.n == 2 and a.n_total == 3 and "1 run(s) without a value" in a.note
    assert not aggregate("median", [None, None]).valid
