"""A thin layer over ``model.fit``: tidy histories, measured speed, and the settings that scale it out."""

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
    seed=None,
    log_dir=None,
    best_checkpoint=None,
):
    """Train a compiled model; return its history as a table, one row an epoch.

    Columns: ``epoch``, Keras' metrics (``loss``, ``accuracy``, ``val_...``),
    ``error`` (1 - accuracy, and ``val_error``), ``seconds`` (training pass
    only) and ``images_per_second``. ``table.attrs["model"]`` names the model.
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
    extra = []
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
