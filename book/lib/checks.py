"""Claims a chapter makes about its own results, and checkers for exercises."""

import dataclasses

import keras
import numpy as np
from scipy import stats


class ClaimFailed(AssertionError):
    """A chapter's claim did not hold for the run at hand."""


def expect(condition, claim):
    """Print ``✓ claim`` if ``condition`` holds, else raise ``ClaimFailed``.

    The printed text is what nbval compares, so ``claim`` should be words that
    read the same in every profile; the numbers belong in ``condition``.
    """
    if not condition:
        raise ClaimFailed(f"✗ {claim}")
    print(f"✓ {claim}")


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The verdict of ``compare``: a difference of means over seeds with its confidence interval.

    ``difference``, ``low`` and ``high`` are in the caller's units (times
    ``scale``); ``n`` is the number of seeds (pairs when ``paired``, else
    the smaller group); ``df`` the t distribution's degrees of freedom;
    ``resolved`` whether the interval excludes zero; ``text`` one line a
    reader can quote.
    """

    names: tuple
    difference: float
    low: float
    high: float
    n: int
    df: float
    paired: bool
    confidence: float
    resolved: bool
    text: str

    @property
    def higher(self):
        """The name of the setting with the larger mean when resolved, else ``None``."""
        if not self.resolved:
            return None
        return self.names[0] if self.difference > 0 else self.names[1]


def _seed_values(values, name):
    """``values`` as a flat float array, refused with a clear message when a seed is missing or not finite."""
    array = np.asarray(values, dtype=float).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(array))
    if array.size < 2 or bad.size:
        problem = f"seeds at positions {bad.tolist()} are not finite" if bad.size else f"{array.size} given"
        raise ValueError(
            f"compare needs at least two finite values (one per seed) for {name!r}; {problem}. "
            "A diverged run is a result: report it, then compare the seeds that trained, and say so."
        )
    return array


def compare(first, second, names=("first", "second"), *, paired=True, scale=1.0, unit="", confidence=0.95):
    """The book's comparison of two settings over seeds; return a ``Comparison``.

    ``first``, ``second``: one value per seed for each setting. ``paired``
    (the default): the settings were trained on the same seeds in the same
    order (same initialisation seed and data order), so the interval is
    the t interval of the per-seed differences, ``df = n - 1`` (as
    ``scipy.stats.ttest_rel``). ``paired=False``: Welch's interval for two
    independent groups (as ``scipy.stats.ttest_ind(equal_var=False)``).
    The difference is ``mean(first) - mean(second)`` times ``scale``; it is
    *resolved* when its ``confidence`` interval excludes zero. When every
    difference is the same (no spread), the interval is that one point.
    """
    a, b = names
    first, second = _seed_values(first, a), _seed_values(second, b)
    if paired:
        if first.size != second.size:
            raise ValueError(
                f"a paired comparison needs one value of each setting per seed; got {first.size} for {a!r} "
                f"and {second.size} for {b!r}. Pass paired=False for settings not trained on the same seeds."
            )
        differences = first - second
        n, df = differences.size, differences.size - 1
        standard_error = differences.std(ddof=1) / np.sqrt(n)
    else:
        var_a, var_b = first.var(ddof=1) / first.size, second.var(ddof=1) / second.size
        n, standard_error = min(first.size, second.size), np.sqrt(var_a + var_b)
        both = var_a + var_b
        df = both**2 / (var_a**2 / (first.size - 1) + var_b**2 / (second.size - 1)) if both > 0 else np.inf
    difference = scale * (first.mean() - second.mean())
    half_width = scale * stats.t.ppf(0.5 + confidence / 2, df) * standard_error if standard_error > 0 else 0.0
    low, high = difference - half_width, difference + half_width
    resolved = bool(low > 0 or high < 0)
    over = f"paired over {n} seeds" if paired else f"Welch, {first.size} and {second.size} seeds"
    if resolved:
        verdict = f"resolved, {a if difference > 0 else b} higher"
    else:
        verdict = "unresolved"
    text = (
        f"{a} - {b}: {difference:+.2f}{unit}, {100 * confidence:.0f}% CI [{low:+.2f}, {high:+.2f}] ({over}): {verdict}"
    )
    return Comparison(
        (a, b), float(difference), float(low), float(high), n, float(df), paired, confidence, resolved, text
    )


NOT_YET = "✗ not implemented yet: replace `raise NotImplementedError` with your code"


def check_exercise(attempt, judge, success):
    """Run a reader's exercise and print one verdict line, ``✓ success`` or ``✗ what is wrong``.

    ``attempt()`` calls the reader's code and returns what it made; an
    unfinished exercise (``NotImplementedError``) or code that fails is
    reported, not raised. ``judge(result)`` returns ``None`` when the result
    is right, else a sentence saying what differs. Returns nothing, so that a
    checker cell shows the verdict alone.
    """
    try:
        result = attempt()
    except NotImplementedError:
        print(NOT_YET)
        return
    except Exception as error:  # the reader's code, whatever it raises, gets a verdict, not a traceback
        print(f"✗ your code raised {type(error).__name__}: {error}")
        return
    problem = judge(result)
    print(f"✓ {success}" if problem is None else f"✗ {problem}")


def compare_blocks(candidate, reference, input_shape, filters, strides, name="exercise"):
    """Check a reader's block against ``lib``'s on a fixed input; print the verdict (``✓`` or ``✗``).

    Both are called as ``block(x, filters, strides, name)`` on a
    ``keras.Input(input_shape)``. Every layer of the reference that holds
    weights must have a layer of the same name and weight shapes in the
    reader's block (layers without weights, such as a ReLU or option A's
    zero padding, may be written any way); the reference's weights are
    copied into them and both outputs compared on one fixed input.
    """

    def build():
        inputs = keras.Input(input_shape)
        try:
            return keras.Model(inputs, candidate(inputs, filters, strides, name))
        except (ValueError, TypeError) as error:
            return f"your block cannot be built on an input of shape {(None, *input_shape)}: {error}"

    def judge(mine):
        if isinstance(mine, str):
            return mine
        inputs = keras.Input(input_shape)
        theirs = keras.Model(inputs, reference(inputs, filters, strides, name))
        for layer in theirs.layers[1:]:
            if not layer.weights:
                continue
            try:
                target = mine.get_layer(layer.name)
            except ValueError:
                return f"your block has no layer named {layer.name!r}"
            shapes = [tuple(w.shape) for w in target.get_weights()]
            expected_shapes = [tuple(w.shape) for w in layer.get_weights()]
            if shapes != expected_shapes:
                return f"{layer.name!r} has weights of shapes {shapes}, lib's has {expected_shapes}"
            target.set_weights(layer.get_weights())
        x = np.random.default_rng(0).normal(size=(2, *input_shape)).astype("float32")
        expected, got = np.asarray(theirs(x)), np.asarray(mine(x))
        if got.shape != expected.shape or not np.allclose(got, expected, atol=1e-5):
            return f"outputs differ: yours {got.shape}, lib's {expected.shape}"
        return None

    check_exercise(build, judge, "your block matches lib's on a fixed input")
