import numpy as np
import pytest
from scipy import stats

from lib import checks


def test_check_exercise_gives_one_verdict_line_whatever_the_reader_wrote(capsys):
    def unfinished():
        raise NotImplementedError

    def broken():
        return 1 / 0

    def judge(value):
        return None if value == 4 else f"got {value}, expected 4"

    for attempt in (lambda: 4, lambda: 5, unfinished, broken):
        assert checks.check_exercise(attempt, judge, "four it is") is None
    assert capsys.readouterr().out.splitlines() == [
        "✓ four it is",
        "✗ got 5, expected 4",
        checks.NOT_YET,
        "✗ your code raised ZeroDivisionError: division by zero",
    ]


# The comparison every chapter decides with: per-seed differences (paired) or Welch, against scipy.stats.
DRSN = [91.2, 88.4, 90.1, 92.7, 89.9]
RESNET = [90.0, 88.9, 88.2, 91.1, 88.3]


def _interval(result, difference, standard_error, df):
    """The 95% interval scipy's t statistic implies: difference ± t(0.975, df) · standard error."""
    half = stats.t.ppf(0.975, df) * standard_error
    return difference - half, difference + half


def test_paired_comparison_matches_scipy_ttest_rel():
    result = checks.compare(DRSN, RESNET, names=("DRSN", "ResNet"))
    reference = stats.ttest_rel(DRSN, RESNET)
    difference = np.mean(DRSN) - np.mean(RESNET)
    standard_error = difference / reference.statistic
    assert result.difference == pytest.approx(difference)
    assert (result.low, result.high) == pytest.approx(_interval(result, difference, standard_error, 4))
    assert (result.low, result.high) == pytest.approx(tuple(reference.confidence_interval(0.95)))
    assert result.n == 5 and result.df == 4 and result.paired
    assert result.resolved == (reference.pvalue < 0.05)


def test_welch_comparison_matches_scipy_ttest_ind():
    first, second = DRSN, [85.0, 87.5, 86.1]
    result = checks.compare(first, second, names=("DRSN", "ConvNet"), paired=False)
    reference = stats.ttest_ind(first, second, equal_var=False)
    assert (result.low, result.high) == pytest.approx(tuple(reference.confidence_interval(0.95)))
    assert result.df == pytest.approx(reference.df)
    assert result.resolved == (reference.pvalue < 0.05) and result.higher == "DRSN"


def test_pairing_resolves_what_two_independent_spreads_cannot():
    # Seed 3 is hard for both nets: the spread over seeds is large, the per-seed gap steady.
    a, b = [70.0, 80.0, 90.0, 60.0, 75.0], [69.0, 79.2, 88.9, 59.1, 74.0]
    assert checks.compare(a, b).resolved
    assert not checks.compare(a, b, paired=False).resolved


def test_the_line_a_reader_quotes():
    # By hand: differences 0.20, 0.19, 0.21; sd 0.01; t(0.975, 2) = 4.303; half-width 4.303 * 0.01 / sqrt(3) = 0.0248.
    result = checks.compare(
        [0.30, 0.31, 0.29], [0.10, 0.12, 0.08], names=("plain", "ResNet"), scale=100, unit=" points"
    )
    expected = "plain - ResNet: +20.00 points, 95% CI [+17.52, +22.48] (paired over 3 seeds): resolved, plain higher"
    assert result.text == expected
    result = checks.compare([0.1, 0.2, 0.3], [0.21, 0.22, 0.23], names=("a", "b"), paired=False)
    assert result.text.startswith("a - b: -0.02, 95% CI [") and result.text.endswith(
        "(Welch, 3 and 3 seeds): unresolved"
    )
    assert result.higher is None


def test_a_lower_setting_can_win_and_scale_applies_to_the_interval():
    result = checks.compare([0.010, 0.011, 0.012], [0.050, 0.052, 0.051], names=("zero-gamma", "default"), scale=100)
    assert result.resolved and result.higher == "default" and result.high < 0
    unscaled = checks.compare([0.010, 0.011, 0.012], [0.050, 0.052, 0.051])
    assert result.low == pytest.approx(100 * unscaled.low)


def test_no_spread_gives_a_point_interval():
    same = checks.compare([1.0, 2.0, 3.0], [0.5, 1.5, 2.5])  # every difference is 0.5
    assert (same.low, same.high) == pytest.approx((0.5, 0.5)) and same.resolved
    tie = checks.compare([1.0, 1.0], [1.0, 1.0], paired=False)
    assert (tie.low, tie.high) == (0.0, 0.0) and not tie.resolved


@pytest.mark.parametrize(
    "first, second, message",
    [
        ([0.1], [0.2], "at least two finite values"),
        ([0.1, np.nan, 0.3], [0.2, 0.3, 0.4], r"positions \[1\] are not finite"),
        ([], [1.0, 2.0], "at least two finite values"),
        ([0.1, 0.2, 0.3], [0.2, 0.3], "one value of each setting per seed"),
    ],
)
def test_too_few_missing_or_unpaired_seeds_are_clear_errors(first, second, message):
    with pytest.raises(ValueError, match=message):
        checks.compare(first, second)
