"""A thin layer over ``model.fit``: tidy histories, measured speed, a live progress line, scaling out."""

import html
import time

import keras
import numpy as np
import pandas as pd
import tensorflow as tf


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


def fit(
    model,
    x,
    y,
    *,
    epochs,
    batch_size=128,
    validation_data=None,
    callbacks=(),
    verbose=0,
    progress=True,
    seed=None,
    log_dir=None,
    best_checkpoint=None,
):
    """Train a compiled model; return its history as a table, one row an epoch.

    Columns: ``epoch``, Keras' metrics (``loss``, ``accuracy``, ``val_...``),
    ``error`` (1 - accuracy, and ``val_error``), ``seconds`` (training pass
    only) and ``images_per_second``. ``table.attrs["model"]`` names the model.
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
    if seed is not None:
        keras.utils.set_random_seed(seed)
    timer = EpochTimer()
    extra = [ProgressLine()] if progress and not verbose else []
    if log_dir is not None:
        extra.append(keras.callbacks.TensorBoard(log_dir=str(log_dir)))
    if best_checkpoint is not None:
        if validation_data is None:
            raise ValueError(
                "best_checkpoint needs validation_data: the best epoch is the one with the lowest val_loss."
            )
        extra.append(keras.callbacks.ModelCheckpoint(str(best_checkpoint), monitor="val_loss", save_best_only=True))
    history = model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        callbacks=[timer, *extra, *callbacks],
        verbose=verbose,
    )
    table = pd.DataFrame(history.history)
    table.insert(0, "epoch", np.arange(1, len(table) + 1))
    for prefix in ("", "val_"):
        if f"{prefix}accuracy" in table:
            table[f"{prefix}error"] = 1.0 - table[f"{prefix}accuracy"]
    table["seconds"] = timer.seconds
    table["images_per_second"] = len(x) / table["seconds"]
    table.attrs["model"] = model.name
    return table


def error_rate(model, x, y, batch_size=256):
    """Fraction of ``x`` that ``model`` classifies wrongly (inference mode)."""
    predictions = model.predict(x, batch_size=batch_size, verbose=0).argmax(axis=-1)
    return float(np.mean(predictions != np.asarray(y).reshape(-1)))


def gpus():
    """The GPUs TensorFlow can compute on (logical devices; an empty list on a CPU-only machine)."""
    return tf.config.list_logical_devices("GPU")


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


def accelerate(mixed_precision=True, xla=True):
    """Mixed precision and XLA, on a GPU only; return the options for ``model.compile``.

    With a GPU: ``mixed_precision`` sets Keras' global policy to ``mixed_float16``
    (build models *after* this call; ``compile`` then adds loss scaling), and ``xla``
    returns ``{"jit_compile": True}``. Without one nothing changes (float32, Keras'
    default compilation, which leaves XLA off on a CPU), and it says so: on a CPU
    float16 is emulated and XLA was measured slower. Prints one line either way.
    """
    if not gpus():
        print("no GPU visible: float32 and Keras' default compilation kept (mixed precision and XLA are for GPUs)")
        return {}
    if mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    print(
        f"GPU visible: policy {keras.mixed_precision.global_policy().name}, "
        f"XLA {'on' if xla else 'left to Keras'} (jit_compile)"
    )
    return {"jit_compile": True} if xla else {}
