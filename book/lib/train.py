"""A thin layer over ``model.fit``: tidy histories, measured speed, XLA when accelerated, a live progress line.

Beside it: nets compiled once for many seeds (``CompiledNets``), and the convergence criteria a protocol fixes
before its runs (``Convergence``, ``Plateau``).
"""

import dataclasses
import html
import math
import time
import warnings

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from lib import runtime
from lib.arguments import whole_number
from lib.runtime import gpus  # the one reading of the devices; `strategy` counts them


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch's training pass (validation excluded)."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_test_begin(self, logs=None):
        self._test_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        end = getattr(self, "_test_start", None)
        if end is None or end < self._start:
            end = time.perf_counter()
        self.seconds.append(end - self._start)


def _notebook_display(data):
    """Show ``data`` (a MIME bundle) as a new output of the running notebook cell.

    Returns IPython's display handle, or ``None`` outside a Jupyter kernel
    (a script, a test), where there is no cell to show it in.
    """
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return None
    return display(data, raw=True, display_id=True)


class ProgressLine(keras.callbacks.Callback):
    """A live one-line progress bar in a notebook cell, emptied when training ends.

    While ``fit`` runs, one output line shows the epoch, step, loss, elapsed
    and remaining time, redrawn in place at most every ``every`` seconds.
    When training ends the line is emptied again: a finished cell keeps
    nothing a reader has to scroll past, and a stored notebook keeps no
    timings, so nbval compares an empty output with an empty output.
    Outside a Jupyter kernel it shows nothing. It reads the loss after each
    step, which makes Keras wait for every step to finish: measure
    throughput without it. ``display``: how a line is first shown (returns a
    handle with ``update``); for tests.
    """

    EMPTY = {"text/plain": "", "text/html": ""}

    def __init__(self, every=1.0, display=_notebook_display):
        super().__init__()
        self.every = every
        self._display = display

    def on_train_begin(self, logs=None):
        self._handle = self._display(self.EMPTY)
        self._start = self._shown = time.perf_counter()
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self._handle is None or now - self._shown < self.every:
            return
        self._shown = now
        self._handle.update(self.line(batch + 1, logs or {}, now - self._start), raw=True)

    def on_train_end(self, logs=None):
        if self._handle is not None:
            self._handle.update(self.EMPTY, raw=True)

    def line(self, step, logs, elapsed):
        """The MIME bundle of the bar after ``step`` steps of the current epoch."""
        epochs, steps = self.params.get("epochs") or 1, self.params.get("steps")
        text = f"epoch {self._epoch + 1}/{epochs}"
        done = None
        if steps:
            done = (self._epoch * steps + step) / (epochs * steps)
            text += f" · step {step}/{steps}"
        names = sorted(logs, key=lambda name: name != "loss")  # loss first, then the metrics
        text += "".join(f" · {name} {float(logs[name]):.4f}" for name in names if np.ndim(logs[name]) == 0)
        text += f" · {elapsed:.0f} s"
        if done:
            text += f", about {elapsed * (1 - done) / done:.0f} s left"
        bar = f'<progress value="{done:.3f}" max="1" style="width: 12em"></progress> ' if done is not None else ""
        return {"text/plain": text, "text/html": f"{bar}<code>{html.escape(text)}</code>"}


def _images_per_epoch(x, y, batch_size, images_per_epoch):
    """How many examples one epoch of ``x`` trains on: arrays by their length, a Dataset by its batches."""
    if isinstance(x, tf.data.Dataset):
        if y is not None or batch_size is not None:
            raise ValueError(
                "a tf.data.Dataset carries its labels and is batched already: pass neither y nor batch_size."
            )
        if images_per_epoch is not None:
            return whole_number(images_per_epoch, "images_per_epoch")
        batches, batch = int(x.cardinality()), tf.nest.flatten(x.element_spec)[0].shape[0]
        if batches > 0 and batch is not None:  # a finite count of full batches (drop_remainder=True)
            return batches * batch
        raise ValueError(
            "fit cannot count the examples of this tf.data.Dataset (its last batch may be short, or its length "
            "is unknown), so it cannot measure images per second: pass images_per_epoch=<examples in one epoch>."
        )
    if images_per_epoch is not None:
        raise ValueError("images_per_epoch is for a tf.data.Dataset; arrays are counted by their length.")
    if not hasattr(x, "shape"):
        raise TypeError(
            f"fit trains on arrays (x, y) or a batched tf.data.Dataset, not {type(x).__name__}; "
            "a generator or keras.utils.PyDataset yields batches that fit cannot count."
        )
    return int(x.shape[0])


def _use_xla(model, jit_compile):
    """Set ``model.jit_compile`` (and drop its compiled functions so that it takes effect); return what Keras kept.

    ``None``: XLA when the run is accelerated (``lib.runtime.accelerated()``)
    and the model lives on one device, else the model's own ``compile``
    choice: under a strategy of several replicas XLA cannot reach the
    variables mirrored on the other devices, and Keras leaves it off there
    too. Keras keeps XLA off for a model with a layer XLA cannot compile
    (``RandomTranslation``) or while op determinism is on; asked for
    explicitly, that is an error.
    """
    if jit_compile is None:
        one_device = model.distribute_strategy.num_replicas_in_sync == 1
        wanted = True if runtime.accelerated() and one_device else None
    else:
        wanted = bool(jit_compile)
    if wanted is not None and wanted != model.jit_compile:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns when it refuses; the refusal is handled here
            model.jit_compile = wanted
        model.train_function = model.test_function = model.predict_function = None
        if jit_compile and not model.jit_compile:
            raise ValueError(
                f"Keras cannot compile {model.name} with XLA: a layer does not support it "
                "(such as RandomTranslation), or op determinism is on (lib.setup turns it on unless accelerated)."
            )
    return bool(model.jit_compile)


def fit(
    model,
    x,
    y=None,
    *,
    epochs,
    batch_size=None,
    images_per_epoch=None,
    validation_data=None,
    callbacks=(),
    verbose=0,
    progress=True,
    seed=None,
    log_dir=None,
    best_checkpoint=None,
    jit_compile=None,
    steps_per_execution=None,
):
    """Train a compiled model; return its history as a table, one row an epoch.

    ``x, y``: arrays, trained on in batches of ``batch_size`` (default 128);
    or ``x`` a batched ``tf.data.Dataset`` of ``(inputs, labels)``, with no
    ``y`` or ``batch_size``. Columns: ``epoch``, Keras' metrics (``loss``,
    ``accuracy``, ``val_...``), ``error`` (1 - accuracy, and ``val_error``),
    ``seconds`` (training pass only) and ``images_per_second``, the examples
    of one epoch over its seconds: ``len(x)`` for arrays; for a Dataset
    ``images_per_epoch``, which may be left out only when every batch is
    full (``batch(..., drop_remainder=True)``) and the length is known.
    ``table.attrs``: ``model`` (its name), ``xla`` (whether XLA compiled the
    training) and ``dtype_policy`` (``float32`` or ``mixed_float16``).

    ``steps_per_execution``: training steps run in one call into TensorFlow
    (Keras' own option, set on the model here). By default 16 on one device,
    which trains the book's nets up to 1.3x faster on a 2-core CPU and gives
    the same losses, bit for bit, as one step a call (``scripts/benchmark_fit.py``
    measures it; ``tests/test_train.py`` checks the losses); under a strategy
    of several replicas, the model's own choice. Callbacks then see one batch
    end a call: pass 1 for a callback that must see every step.
    ``jit_compile``: XLA on (True) or off (False); by default on when the run
    is accelerated (see ``lib.setup``) and the model is not mirrored over
    several devices, else as ``model.compile`` chose.
    In a notebook, ``progress`` draws a live progress line (``ProgressLine``)
    that empties itself when training ends; turn it off to measure speed.
    ``verbose`` is Keras' own output, which replaces the line.
    ``seed`` reseeds Keras first, so two calls with one seed shuffle alike.
    ``log_dir``: write TensorBoard logs there. ``best_checkpoint``: a
    ``.keras`` path where the model is saved whenever its validation loss is
    the best so far. Both are Keras' own callbacks, off by default.
    To train on several GPUs, build and compile the model inside
    ``strategy().scope()``; ``fit`` itself needs nothing more.
    """
    epochs = whole_number(epochs, "epochs")
    if batch_size is not None:
        batch_size = whole_number(batch_size, "batch_size")
    images = _images_per_epoch(x, y, batch_size, images_per_epoch)
    if batch_size is None and not isinstance(x, tf.data.Dataset):
        batch_size = 128
    if best_checkpoint is not None and validation_data is None:
        raise ValueError("best_checkpoint needs validation_data: the best epoch is the one with the lowest val_loss.")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    xla = _use_xla(model, jit_compile)
    if steps_per_execution is None:
        one_device = model.distribute_strategy.num_replicas_in_sync == 1
        steps_per_execution = 16 if one_device else model.steps_per_execution
    steps_per_execution = whole_number(steps_per_execution, "steps_per_execution")
    if model.steps_per_execution != steps_per_execution:
        model.steps_per_execution = steps_per_execution
        model.train_function = model.test_function = model.predict_function = None
    timer = EpochTimer()
    extra = [ProgressLine()] if progress and not verbose else []
    if log_dir is not None:
        extra.append(keras.callbacks.TensorBoard(log_dir=str(log_dir)))
    if best_checkpoint is not None:
        extra.append(keras.callbacks.ModelCheckpoint(str(best_checkpoint), monitor="val_loss", save_best_only=True))
    history = model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        shuffle=not isinstance(x, tf.data.Dataset),  # a Dataset shuffles itself (or not)
        callbacks=[timer, *extra, *callbacks],
        verbose=verbose,
    )
    table = pd.DataFrame(history.history)
    table.insert(0, "epoch", np.arange(1, len(table) + 1))
    for prefix in ("", "val_"):
        if f"{prefix}accuracy" in table:
            table[f"{prefix}error"] = 1.0 - table[f"{prefix}accuracy"]
    table["seconds"] = timer.seconds
    table["images_per_second"] = images / table["seconds"]
    table.attrs.update(model=model.name, xla=xla, dtype_policy=model.dtype_policy.name)
    return table


class CompiledNets:
    """Compiled models kept one per key, each restarted from a freshly built model for every run.

    Keras traces a model's training step into a graph the first time it
    trains, and its evaluation and prediction the first time they run: seconds
    for a small net, longer than an epoch for a deep one on a 2-core CPU. A
    chapter that trains one architecture with several seeds pays that once
    with ``start(key, seed)``: it seeds Keras with ``seed`` and builds
    ``build(key)``. The first time ``key`` comes, it compiles that model with
    ``compile(model, key)``, builds its optimizer and keeps both. Every later
    time it copies the new model's variables (weights, batch-norm statistics,
    the state of its random layers) into the kept one and puts the optimizer's
    variables (step count, moments) back as they were before its first step.
    The arithmetic is that of a model built and compiled anew
    (``tests/test_train.py`` compares the losses, bit for bit), without the
    tracing. A key must name one architecture and one compile (optimizer,
    schedule, loss).

    ``start`` returns the kept model, so a run's model lasts until the next
    ``start`` of its key: keep ``model.get_weights()`` to keep the run.
    """

    def __init__(self, build, compile):
        self.build, self.compile = build, compile
        self._kept = {}  # key: (model, the optimizer's variables before its first step)

    def start(self, key, seed):
        """The model of ``key``, with the weights ``build(key)`` gives under ``seed`` and a fresh optimizer."""
        keras.utils.set_random_seed(seed)
        fresh = self.build(key)
        if key not in self._kept:
            self.compile(fresh, key)
            fresh.optimizer.build(fresh.trainable_variables)
            self._kept[key] = fresh, [variable.numpy() for variable in fresh.optimizer.variables]
            return fresh
        model, optimizer_start = self._kept[key]
        kept_variables = [variable for layer in model.layers for variable in layer.variables]
        new_variables = [variable for layer in fresh.layers for variable in layer.variables]
        if [v.shape for v in kept_variables] != [v.shape for v in new_variables]:
            raise ValueError(f"build({key!r}) gave another architecture than before: one key, one architecture.")
        for kept, new in zip(kept_variables, new_variables):
            kept.assign(new)
        for variable, value in zip(model.optimizer.variables, optimizer_start, strict=True):
            variable.assign(value)
        return model


def _across_tail(values, tail):
    """A history column's value before the last ``tail`` of the epochs and at the last: (before, last)."""
    values = np.asarray(values, dtype=float)
    span = max(1, math.ceil(tail * len(values)))
    if len(values) <= span:
        raise ValueError(
            f"a history of {len(values)} epochs has no last {tail:.0%} to compare with what came before: "
            f"train for more epochs (at least {math.ceil(1 / tail)}, so that the last {tail:.0%} is that share)."
        )
    return values[-span - 1], values[-1]


@dataclasses.dataclass(frozen=True)
class Convergence:
    """A convergence criterion, fixed in a chapter's protocol before its runs.

    A run has converged when its training loss changed by less than
    ``tolerance`` (relative) over the last ``tail`` of its epochs, or, when
    ``accuracy`` is given, when its final training accuracy reached it.
    A comparison whose nets miss it is *early training*: it says how fast a
    net starts, not what the architecture can do. ``str()`` is the
    criterion in words, for the protocol.
    """

    tolerance: float = 0.02
    tail: float = 0.1
    accuracy: float | None = None

    def __post_init__(self):
        if not (0 < self.tolerance < 1 and 0 < self.tail <= 0.5):
            raise ValueError(
                f"Convergence takes tolerance in (0, 1) and tail in (0, 0.5]; got {self.tolerance!r}, {self.tail!r}."
            )
        if self.accuracy is not None and not 0 < self.accuracy <= 1:
            raise ValueError(f"Convergence's accuracy is a fraction in (0, 1]; got {self.accuracy!r}.")

    def __str__(self):
        words = (
            f"the training loss changes by less than {100 * self.tolerance:g}% "
            f"over the last {self.tail:.0%} of the epochs"
        )
        if self.accuracy is not None:
            words += f", or the training accuracy reaches {100 * self.accuracy:g}%"
        return words

    def loss_change(self, history):
        """The relative change of the training loss over the last ``tail`` of ``history``'s epochs."""
        before, last = _across_tail(history["loss"], self.tail)
        return float(abs(before - last) / abs(before)) if before else float("inf")

    def met(self, history):
        """Whether the run of ``history`` (``fit``'s table: one row an epoch) meets the criterion."""
        if self.accuracy is not None and history["accuracy"].iloc[-1] >= self.accuracy:
            return True
        return bool(self.loss_change(history) < self.tolerance)


@dataclasses.dataclass(frozen=True)
class Plateau:
    """A convergence criterion on an accuracy that has stopped moving, fixed in a protocol before its runs.

    A run has converged when ``metric``, a column of ``fit``'s table
    (``"val_accuracy"``: held out; ``"accuracy"``: training), changed by less
    than ``change`` (a fraction: 0.01 is one point) over the last ``tail`` of
    its epochs. For nets that fit their training data, whose loss keeps
    shrinking near zero so that ``Convergence``'s relative change cannot be
    met, it asks whether what a comparison measures has stopped moving.
    ``met`` and ``str()`` as ``Convergence``'s.
    """

    metric: str = "val_accuracy"
    change: float = 0.01
    tail: float = 0.2

    def __post_init__(self):
        if self.metric not in ("accuracy", "val_accuracy"):
            raise ValueError(f"Plateau watches 'accuracy' or 'val_accuracy', not {self.metric!r}.")
        if not (0 < self.change < 1 and 0 < self.tail <= 0.5):
            raise ValueError(
                f"Plateau takes change in (0, 1) and tail in (0, 0.5]; got {self.change!r}, {self.tail!r}."
            )

    def __str__(self):
        what = "held-out accuracy" if self.metric == "val_accuracy" else "training accuracy"
        points = f"{100 * self.change:g} point" + ("" if 100 * self.change == 1 else "s")
        return f"the {what} changes by less than {points} over the last {self.tail:.0%} of the epochs"

    def metric_change(self, history):
        """How much ``metric`` moved over the last ``tail`` of ``history``'s epochs (a fraction, absolute).

        Rounded to six decimals, so that a change of exactly ``change`` (ten signals of a thousand) is not
        taken for less through float32 rounding.
        """
        if self.metric not in history:
            raise ValueError(
                f"the history has no {self.metric!r} column: fit with validation_data and the accuracy metric."
            )
        before, last = _across_tail(history[self.metric], self.tail)
        return round(float(abs(last - before)), 6)  # Keras' float32 accuracies: 0.866 - 0.856 is 0.0099999905

    def met(self, history):
        """Whether the run of ``history`` (``fit``'s table: one row an epoch) meets the criterion."""
        return bool(self.metric_change(history) < self.change)


def error_rate(model, x, y, batch_size=256):
    """Fraction of ``x`` that ``model`` classifies wrongly (inference mode).

    ``y``: integer labels, shape ``(n,)`` or ``(n, 1)``.
    """
    labels = np.asarray(y)
    if labels.ndim > 2 or (labels.ndim == 2 and labels.shape[1] != 1) or len(labels) != len(x):
        raise ValueError(
            f"error_rate takes one integer label per example, shape ({len(x)},) or ({len(x)}, 1), "
            f"not {labels.shape}; for one-hot labels pass labels.argmax(axis=1)."
        )
    predictions = model.predict(x, batch_size=batch_size, verbose=0).argmax(axis=-1)
    return float(np.mean(predictions != labels.reshape(-1)))


def strategy():
    """The distribution strategy to build and train under.

    ``tf.distribute.MirroredStrategy()`` over every GPU when two or more are
    visible, else TensorFlow's default strategy: one device, exactly as
    without any strategy. Build and compile inside its scope; ``fit`` (and
    ``model.fit``) then splits each batch across the replicas and averages
    their gradients::

        with lib.train.strategy().scope():
            model = lib.models.resnet50(...)
            model.compile(...)
    """
    if len(gpus()) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
