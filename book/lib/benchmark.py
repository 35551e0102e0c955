"""Training throughput: images per second of a training step, on synthetic data already in memory.

Chapter 3 compares ``lib``'s ResNet-50 with ``keras.applications``'; chapter 6
measures the book's networks on a CPU and a GPU. Both use ``training_speed``.
A model trains in the precision of the global policy in force when it was
built (``lib.setup`` sets ``mixed_float16`` on an accelerated run), and with
XLA when ``compile_options`` say so (``run.compile_options``).
"""

import time

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from lib import models, runtime, train

# What a GPU run of the ResNet-50 comparison measures: ImageNet's resolution, a batch that fills one large GPU.
GPU_SETTINGS = {"image_size": 224, "batch_size": 256, "steps": 100}


class _StepClock(keras.callbacks.Callback):
    """Seconds from the end of a run's first step to the end of its last: fit's start-up is left out."""

    def on_train_batch_end(self, batch, logs=None):
        if batch == 0:
            self.start = time.perf_counter()

    def on_train_end(self, logs=None):
        self.seconds = time.perf_counter() - self.start


class _Timed:
    """A model compiled for timing, on one synthetic batch repeated without end."""

    def __init__(self, model, batch_size, compile_options, seed=0):
        rng = np.random.default_rng(seed)
        x = rng.uniform(0, 1, (batch_size, *model.input.shape[1:])).astype("float32")
        y = rng.integers(0, model.output.shape[-1], batch_size)
        self.data = tf.data.Dataset.from_tensors((x, y)).repeat().prefetch(tf.data.AUTOTUNE)
        self.model, self.batch_size = model, batch_size
        model.compile(keras.optimizers.SGD(0.01, momentum=0.9), "sparse_categorical_crossentropy", **compile_options)

    def fit(self, steps, callbacks=()):
        self.model.fit(self.data, epochs=1, steps_per_epoch=steps, shuffle=False, callbacks=list(callbacks), verbose=0)

    def images_per_second(self, steps):
        """Timed over ``steps`` steps after one untimed step."""
        clock = _StepClock()
        self.fit(steps + 1, [clock])
        return self.batch_size * steps / clock.seconds


def training_speed(model, batch_size=128, steps=20, rounds=1, warmup_steps=2, compile_options=None):
    """Images per second of ``model``'s training step: the best of ``rounds`` runs of ``steps`` steps.

    ``model``: a Keras model with a softmax over classes, ``(batch, ...)`` ->
    ``(batch, classes)``; it is compiled here (SGD, sparse cross-entropy, and
    ``compile_options``) and trained on one batch of random inputs and labels,
    after ``warmup_steps`` untimed steps (tracing, and XLA's compiling).
    """
    timed = _Timed(model, batch_size, compile_options or {})
    timed.fit(warmup_steps)
    return max(timed.images_per_second(steps) for _ in range(rounds))


def resnet50_versus_keras(image_size=64, batch_size=16, steps=5, rounds=1, warmup_steps=2, compile_options=None):
    """``lib.models.resnet50`` against ``keras.applications.ResNet50`` (1000 classes), as a table.

    One row per model: ``images/s`` and ``seconds per step`` from the best of
    ``rounds`` runs, and ``parameters``. The runs alternate in order (lib,
    keras, keras, lib, ...), so that a busy neighbour on a shared machine
    slows both alike. ``table.attrs``: the ``ratio`` lib / keras, the
    ``device``, the ``versions`` and the ``setting``.
    """
    shape = (image_size, image_size, 3)
    builders = {
        "lib.models.resnet50": lambda: models.resnet50(shape),
        "keras.applications.ResNet50": lambda: keras.applications.ResNet50(weights=None, input_shape=shape),
    }
    timed = {}
    for name, build in builders.items():
        keras.utils.set_random_seed(0)
        with train.strategy().scope():
            timed[name] = _Timed(build(), batch_size, compile_options or {})
        timed[name].fit(warmup_steps)
    speeds = {name: [] for name in timed}
    for turn in range(rounds):
        for name in list(timed) if turn % 2 == 0 else reversed(list(timed)):
            speeds[name].append(timed[name].images_per_second(steps))
    table = pd.DataFrame(
        [
            {
                "model": name,
                "images/s": max(speeds[name]),
                "seconds per step": batch_size / max(speeds[name]),
                "parameters": timed[name].model.count_params(),
            }
            for name in timed
        ]
    ).set_index("model")
    precision = timed["lib.models.resnet50"].model.dtype_policy.name
    precision += ", XLA" if (compile_options or {}).get("jit_compile") else ""
    table.attrs.update(
        {
            "ratio": table["images/s"].iloc[0] / table["images/s"].iloc[1],
            "device": runtime.device_name(),
            "versions": f"TensorFlow {tf.__version__}, Keras {keras.__version__}",
            "setting": f"{image_size}x{image_size}, batch {batch_size}, {steps} steps x {rounds} round(s), {precision}",
        }
    )
    return table


def report(table):
    """``resnet50_versus_keras``'s table and its context, as text."""
    return (
        f"{table.attrs['device']} | {table.attrs['versions']} | {table.attrs['setting']}\n"
        f"{table.round({'images/s': 1, 'seconds per step': 3}).to_string()}\n"
        f"ratio lib / keras: {table.attrs['ratio']:.3f}"
    )
