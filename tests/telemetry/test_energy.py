"""Energy maths on synthetic traces: trapezoid integration of power, counter wrap-around."""

import math

import pytest

from sciml_mlflow.telemetry.energy import PowerIntegrator, WrappingCounter, integrate


def test_constant_power_irregular_sampling_is_exact():
    times = [0.0, 0.3, 1.0, 1.1, 4.0, 10.0]
    assert integrate(times, [250.0] * len(times)) == pytest.approx(2500.0)


def test_linear_ramp_is_exact_with_trapezoid():
    # P(t) = 100 + 20 t over 0..10 s -> 1000 + 10 * 100 = 2000 J; a left Riemann sum would give 1900 J
    times = [float(t) for t in range(11)]
    assert integrate(times, [100 + 20 * t for t in times]) == pytest.approx(2000.0)


def test_noisy_trace_converges_to_mean_power():
    times = [i * 0.01 for i in range(100001)]  # 1000 s at 100 Hz
    watts = [300 + 50 * math.sin(2 * math.pi * t / 7.3) for t in times]
    assert integrate(times, watts) == pytest.approx(300_000, rel=2e-3)


def test_step_change_error_is_bounded_by_one_interval():
    # 100 W for 5 s then 400 W for 5 s, sampled at 1 Hz: true 2500 J, trapezoid error <= half an interval's jump
    times = [float(t) for t in range(11)]
    watts = [100.0 if t < 5.5 else 400.0 for t in times]
    assert abs(integrate(times, watts) - 2500.0) <= 0.5 * 300 * 1.0


def test_out_of_order_and_single_samples_add_nothing():
    acc = PowerIntegrator()
    assert acc.add(5.0, 100.0) == 0.0
    assert acc.add(4.0, 100.0) == 0.0  # older than the last sample: ignored
    assert acc.add(6.0, 100.0) == pytest.approx(100.0)


def test_mismatched_trace_lengths_are_refused():
    with pytest.raises(ValueError, match="expected equal lengths"):
        integrate([0.0, 1.0], [1.0])


def test_counter_wraps_at_max_range():
    c = WrappingCounter(first=990, max_range=1000)
    assert c.update(995) == 5
    assert c.update(10) == 5 + 5 + 10  # 995 -> 1000 (wrap) -> 10
    assert c.update(30) == 40


def test_counter_without_range_uses_new_reading_after_reset():
    c = WrappingCounter(first=500)
    assert c.update(20) == 20
