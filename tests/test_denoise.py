"""lib.denoise: the exact oracle and the classical thresholds, against brute force and hand-computed values."""

import numpy as np
import pytest

from lib import denoise


def brute_force(noisy, clean, grid):
    """The grid's threshold of least squared error for one signal, and that error (mean per value)."""
    errors = np.array([np.mean((denoise.soft(noisy, t) - clean) ** 2) for t in grid])
    return grid[errors.argmin()], errors.min()


def small_signals():
    """Six fixed signals of 12 values, sparse spikes in noise from low to high."""
    rng = np.random.default_rng(3)
    clean = np.zeros((6, 12))
    clean[:, [2, 7]] = [1.5, -2.0]
    noisy = clean + np.array([0.05, 0.2, 0.5, 1.0, 2.0, 4.0])[:, None] * rng.normal(size=(6, 12))
    return noisy, clean


def test_oracle_by_hand():
    # x = (3, 0.5), clean = (2, 0): zeroing 0.5 costs nothing; for tau in [0.5, 3] the error is (1 - tau)^2 -> tau = 1
    tau, error, zeroes_all = denoise.exact_oracle(np.array([3.0, 0.5]), np.array([2.0, 0.0]))
    np.testing.assert_allclose(tau, [1.0])
    np.testing.assert_allclose(error, [0.0], atol=1e-12)
    assert not zeroes_all[0]


def test_oracle_zeroes_all_when_nothing_is_signal():
    tau, error, zeroes_all = denoise.exact_oracle(np.array([[0.3, -1.2, 0.7]]), np.zeros((1, 3)))
    np.testing.assert_allclose(tau, [1.2])  # the smallest threshold that zeroes everything
    np.testing.assert_allclose(error, [0.0], atol=1e-12)
    assert zeroes_all[0]


def test_oracle_matches_a_fine_grid():
    noisy, clean = small_signals()
    tau, error, _ = denoise.exact_oracle(noisy, clean)
    for row in range(len(noisy)):
        grid = np.linspace(0, np.abs(noisy[row]).max() + 1, 20_001)
        grid_tau, grid_error = brute_force(noisy[row], clean[row], grid)
        assert error[row] <= grid_error + 1e-12  # exact: never worse than any grid point
        assert grid_error - error[row] < 1e-6
        assert abs(grid_tau - tau[row]) < 1e-3 or grid_error - error[row] < 1e-9
        np.testing.assert_allclose(error[row], np.mean((denoise.soft(noisy[row], tau[row]) - clean[row]) ** 2))


@pytest.mark.parametrize("cap_kind", ["mean", "number"])
def test_capped_oracle_matches_a_fine_grid_below_the_cap(cap_kind):
    noisy, clean = small_signals()
    cap = np.mean(np.abs(noisy), axis=1) if cap_kind == "mean" else 0.4
    tau, error, _ = denoise.exact_oracle(noisy, clean, cap=cap)
    caps = np.broadcast_to(cap, (len(noisy),))
    assert np.all(tau <= caps + 1e-12)
    for row in range(len(noisy)):
        grid = np.linspace(0, caps[row], 20_001)
        _, grid_error = brute_force(noisy[row], clean[row], grid)
        assert error[row] <= grid_error + 1e-12 and grid_error - error[row] < 1e-6


def test_capped_oracle_is_never_worse_than_the_cap_itself():
    noisy, clean = small_signals()
    cap = np.mean(np.abs(noisy), axis=1)
    _, error, _ = denoise.exact_oracle(noisy, clean, cap=cap)
    assert np.all(error <= denoise.squared_error(noisy, clean, cap) + 1e-12)


def test_sure_matches_its_formula_on_a_grid():
    noisy, _ = small_signals()
    sigma = np.full(len(noisy), 0.5)
    tau = denoise.sure_threshold(noisy, sigma)
    for row, x in enumerate(noisy):

        def sure(t, x=x):
            return len(x) * 0.25 - 2 * 0.25 * np.sum(np.abs(x) <= t) + np.sum(np.minimum(x**2, t**2))

        grid = np.linspace(0, np.abs(x).max(), 20_001)
        assert sure(tau[row]) <= min(sure(t) for t in grid) + 1e-12


def test_sure_by_hand():
    # x = (0.1, 3), sigma = 1: SURE(0) = 2, SURE(0.1) = 2 - 2 + 0.01 + 0.01 = 0.02, SURE(3) = 2 - 4 + 0.01 + 9 > 0.02
    np.testing.assert_allclose(denoise.sure_threshold(np.array([0.1, 3.0]), 1.0), [0.1])


def test_mad_and_universal_by_hand():
    x = np.array([[1.0, 2.0, 3.0, 4.0, 100.0]])
    # median 3, |x - 3| = 2, 1, 0, 1, 97 -> median 1
    np.testing.assert_allclose(denoise.mad_sigma(x), [1 / 0.6745])
    np.testing.assert_allclose(denoise.universal_threshold(x, 2.0), [2 * np.sqrt(2 * np.log(5))])


def test_bayes_shrink_by_hand():
    x = np.array([[3.0, -1.0, 1.0, -3.0]])  # mean x^2 = 5
    np.testing.assert_allclose(denoise.bayes_shrink_threshold(x, 1.0), [1 / 2])  # sigma_x = 2
    np.testing.assert_allclose(denoise.bayes_shrink_threshold(x, 3.0), [3.0])  # noise explains all: zero all


def test_one_signal_is_one_row():
    noisy, clean = small_signals()
    for function in (denoise.mad_sigma, denoise.universal_threshold, denoise.sure_threshold):
        assert function(noisy[0]).shape == (1,)
    assert denoise.exact_oracle(noisy[0], clean[0])[0].shape == (1,)
