import numpy as np
import pytest

from lib import checks


def test_a_gap_beyond_twice_the_larger_spread_resolves():
    # means 0.30 and 0.10; standard deviations 0.01 and 0.02 by hand: twice the larger is 0.04.
    verdict = checks.compare_seeds([0.29, 0.30, 0.31], [0.08, 0.10, 0.12], names=("plain", "resnet"), scale=100)
    assert verdict["gap"] == pytest.approx(20.0) and verdict["twice_spread"] == pytest.approx(4.0)
    assert verdict["resolved"] is True
    assert verdict["text"] == "plain - resnet: +20.00, twice the larger spread 4.00: resolved: plain is higher"


def test_a_gap_inside_the_noise_is_unresolved_whichever_sign():
    # gap -0.02, spreads 0.1 and 0.01: twice the larger (0.2) swamps it.
    verdict = checks.compare_seeds([0.1, 0.2, 0.3], [0.21, 0.22, 0.23], names=("a", "b"), unit=" points")
    assert verdict["gap"] == pytest.approx(-0.02) and not verdict["resolved"]
    assert verdict["text"].endswith("unresolved at this budget") and "-0.02 points" in verdict["text"]


def test_the_lower_setting_can_win():
    verdict = checks.compare_seeds([1.0, 1.1], [5.0, 5.1], names=("zero-gamma", "default"))
    assert verdict["resolved"] and verdict["text"].endswith("default is higher")


@pytest.mark.parametrize("first, second", [([0.1], [0.2, 0.3]), ([0.1, np.nan], [0.2, 0.3]), ([], [1.0, 2.0])])
def test_fewer_than_two_finite_seeds_is_a_clear_error(first, second):
    with pytest.raises(ValueError, match="at least two finite values"):
        checks.compare_seeds(first, second)


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
