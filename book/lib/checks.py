"""Claims a chapter makes about its own results, and checkers for exercises."""

import keras
import numpy as np


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


def compare_seeds(first, second, names=("first", "second"), scale=1.0, unit=""):
    """The book's rule for a comparison over seeds; return its verdict as a dict.

    ``first``, ``second``: one value per seed for each setting (at least two
    each). The difference of the means resolves only when it exceeds twice
    the larger of the two sample standard deviations. Keys: ``gap`` (mean of
    ``first`` minus mean of ``second``, times ``scale``), ``twice_spread``
    (likewise scaled), ``resolved`` and ``text``, one sentence naming both
    settings in ``names`` with the numbers in ``unit``.
    """
    first, second = (np.asarray(values, dtype=float).reshape(-1) for values in (first, second))
    if min(first.size, second.size) < 2 or not (np.isfinite(first).all() and np.isfinite(second).all()):
        raise ValueError(
            f"compare_seeds needs at least two finite values (one per seed) for each setting, and nothing else; "
            f"got {first.size} values ({np.isfinite(first).sum()} finite) and "
            f"{second.size} ({np.isfinite(second).sum()} finite)."
        )
    gap = scale * (first.mean() - second.mean())
    twice_spread = scale * 2 * max(first.std(ddof=1), second.std(ddof=1))
    resolved = bool(abs(gap) > twice_spread)
    a, b = names
    outcome = f"resolved: {a if gap > 0 else b} is higher" if resolved else "unresolved at this budget"
    text = f"{a} - {b}: {gap:+.2f}{unit}, twice the larger spread {twice_spread:.2f}{unit}: {outcome}"
    return {"gap": float(gap), "twice_spread": float(twice_spread), "resolved": resolved, "text": text}


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
