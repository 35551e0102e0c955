"""Training throughput of lib's ResNet-50 against keras.applications.ResNet50, on synthetic images.

    python scripts/benchmark_resnet50.py --image-size 64 --batch-size 16 --steps 5         (CPU)
    python scripts/benchmark_resnet50.py --image-size 224 --batch-size 256 --steps 100 \\
        --mixed-precision --xla                                                           (GPU)

Both models train on the same synthetic batch (random images, random labels),
with the same optimizer and loss. Each is warmed up first (tracing and, with
--xla, compiling take seconds to minutes), then timed over ``--steps`` steps;
with ``--rounds`` > 1 the timed runs alternate in order (lib, keras, keras,
lib, ...) and the best run of each counts, so that a busy neighbour on a shared
machine slows both alike. Prints a table with the device, the versions and the
ratio lib / keras. ``benchmark(...)`` does the same from Python and returns the
table (a pandas DataFrame); the chapter on ResNet-50 calls it.
"""

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "book"))
from lib import quiet  # noqa: E402

quiet.import_tensorflow()  # before keras below, so that TensorFlow's start-up lines stay quiet

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tensorflow as tf  # noqa: E402

from lib import models, runtime, train  # noqa: E402

# The settings of a GPU run: ImageNet's resolution, a batch that fills one large GPU.
GPU_SETTINGS = {"image_size": 224, "batch_size": 256, "steps": 100, "mixed_precision": True, "xla": True}
MODELS = {
    "lib.models.resnet50": lambda shape, classes: models.resnet50(shape, classes),
    "keras.applications.ResNet50": lambda shape, classes: keras.applications.ResNet50(
        weights=None, input_shape=shape, classes=classes
    ),
}


def _synthetic(image_size, batch_size, classes, seed=0):
    """One batch of random images and labels, repeated without end."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (batch_size, image_size, image_size, 3)).astype("float32")
    y = rng.integers(0, classes, batch_size)
    return tf.data.Dataset.from_tensors((x, y)).repeat().prefetch(tf.data.AUTOTUNE)


def _compiled(name, image_size, classes, compile_options):
    keras.utils.set_random_seed(0)
    with train.strategy().scope():
        model = MODELS[name]((image_size, image_size, 3), classes)
        model.compile(
            keras.optimizers.SGD(0.01, momentum=0.9), loss="sparse_categorical_crossentropy", **compile_options
        )
    return model


class _StepClock(keras.callbacks.Callback):
    """Seconds from the end of a run's first step to the end of its last: fit's start-up is left out."""

    def on_train_batch_end(self, batch, logs=None):
        if batch == 0:
            self.start = time.perf_counter()

    def on_train_end(self, logs=None):
        self.seconds = time.perf_counter() - self.start


def _seconds(model, data, steps):
    """Seconds per step, timed over ``steps`` steps after one untimed step."""
    clock = _StepClock()
    model.fit(data, epochs=1, steps_per_epoch=steps + 1, shuffle=False, callbacks=[clock], verbose=0)
    return clock.seconds / steps


def benchmark(
    image_size=64,
    batch_size=16,
    steps=5,
    mixed_precision=False,
    xla=False,
    rounds=1,
    warmup_steps=2,
    classes=1000,
):
    """Images per second of a training step, lib's ResNet-50 and keras.applications', as a table.

    One row per model: ``images/s`` and ``seconds per step``, from the best
    of ``rounds`` timed runs of ``steps`` steps (after ``warmup_steps``
    untimed ones, and one more at the start of each run), and ``parameters``;
    ``table.attrs`` hold the ``ratio`` lib / keras, the device, versions and setting.
    ``mixed_precision`` and ``xla`` take effect on a GPU only (``lib.train.accelerate``).
    """
    compile_options = train.accelerate(mixed_precision=mixed_precision, xla=xla) if mixed_precision or xla else {}
    try:
        data = _synthetic(image_size, batch_size, classes)
        compiled = {name: _compiled(name, image_size, classes, compile_options) for name in MODELS}
        policy = keras.mixed_precision.global_policy().name
        for model in compiled.values():
            model.fit(data, epochs=1, steps_per_epoch=warmup_steps, shuffle=False, verbose=0)
        times = {name: [] for name in MODELS}
        for turn in range(rounds):
            order = list(MODELS) if turn % 2 == 0 else list(reversed(MODELS))
            for name in order:
                times[name].append(_seconds(compiled[name], data, steps))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    table = pd.DataFrame(
        [
            {
                "model": name,
                "images/s": batch_size / min(seconds),
                "seconds per step": min(seconds),
                "parameters": compiled[name].count_params(),
            }
            for name, seconds in times.items()
        ]
    ).set_index("model")
    xla_used = ", XLA" if compile_options.get("jit_compile") else ""
    setting = f"{image_size}x{image_size}, batch {batch_size}, {steps} steps x {rounds} round(s), {policy}{xla_used}"
    table.attrs.update(
        {
            "ratio": table.loc["lib.models.resnet50", "images/s"]
            / table.loc["keras.applications.ResNet50", "images/s"],
            "device": runtime.device_name(),
            "versions": f"TensorFlow {tf.__version__}, Keras {keras.__version__}",
            "setting": setting,
        }
    )
    return table


def report(table):
    """The table and its context as text."""
    return (
        f"{table.attrs['device']} | {table.attrs['versions']} | {table.attrs['setting']}\n"
        f"{table.round({'images/s': 1, 'seconds per step': 3}).to_string()}\n"
        f"ratio lib / keras: {table.attrs['ratio']:.3f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1, help="timed runs per model, alternating in order")
    parser.add_argument("--mixed-precision", action="store_true", help="mixed_float16 (GPU only)")
    parser.add_argument("--xla", action="store_true", help="jit_compile=True (GPU only)")
    parser.add_argument("--gpu-settings", action="store_true", help=f"use {GPU_SETTINGS}")
    args = parser.parse_args()
    settings = {
        "image_size": args.image_size,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "mixed_precision": args.mixed_precision,
        "xla": args.xla,
    }
    if args.gpu_settings:
        settings.update(GPU_SETTINGS)
    print(report(benchmark(**settings, rounds=args.rounds)))


if __name__ == "__main__":
    main()
