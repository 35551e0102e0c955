"""How fast ``lib.train.fit`` trains the book's nets under the old and the new settings, as ratios, in one run.

    python scripts/benchmark_fit.py [--rounds 2] [--epochs 3]

Settings (each net and setting in a fresh process, because op determinism,
once on, cannot be turned off; the settings interleaved over ``--rounds``):

- ``old``: what the chapters used before: op determinism on, no XLA, one step per execution;
- ``steps16``: the same with ``steps_per_execution=16``, ``lib.train.fit``'s default now (the
  same losses bit for bit: ``tests/test_train.py``);
- ``xla+steps16``: op determinism off, XLA (``jit_compile=True``), ``steps_per_execution=16``
  (not adopted: no faster on a loaded 2-core CPU, and it costs op determinism).

Nets: chapter 5's Table II ResNet and DRSN-CW (2,048-sample signals, batch
64), chapter 4's one-unit-a-stage 1-D DRSN-CW (256 samples, batch 128) and
ResNet-20 (32x32x1, batch 128: the pace net). Each measurement is the median
of ``--epochs`` epochs after a warm-up epoch, on synthetic data. The
``xla+steps16`` setting also trains twice from one seed and says whether the
two runs' losses are identical, the reproducibility that op determinism would
otherwise guarantee. Prints the machine's pace first and a table of examples
per second with each setting's ratio to ``old``.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
NETS = {
    "ch5 ResNet (2048)": {"input_shape": (2048, 1), "classes": 8, "thresholds": None, "table_two": True, "batch": 64},
    "ch5 DRSN-CW (2048)": {
        "input_shape": (2048, 1),
        "classes": 8,
        "thresholds": "channel",
        "table_two": True,
        "batch": 64,
    },
    "ch4 DRSN-CW (256)": {
        "input_shape": (256, 1),
        "classes": 4,
        "thresholds": "channel",
        "table_two": False,
        "batch": 128,
    },
    "ResNet-20 (32x32)": {"input_shape": (32, 32, 1), "classes": 10, "resnet20": True, "batch": 128},
}
SETTINGS = {
    "old": {"determinism": True, "jit_compile": False, "steps_per_execution": 1},
    "steps16": {"determinism": True, "jit_compile": False, "steps_per_execution": 16},
    "xla+steps16": {"determinism": False, "jit_compile": True, "steps_per_execution": 16},
}


def measure(net, setting, epochs, examples=2048):
    """Examples per second (median of ``epochs``) and, for XLA, whether two seeded runs repeat: run in a child."""
    import time

    sys.path.insert(0, str(ROOT / "book"))
    os.environ["RESNET_BOOK_ACCELERATE"] = "off"
    import lib  # noqa: I001  (first: it imports TensorFlow quietly)
    import keras
    import numpy as np
    import tensorflow as tf

    spec, options = NETS[net], SETTINGS[setting]
    if options["determinism"]:
        tf.config.experimental.enable_op_determinism()

    def build():
        keras.utils.set_random_seed(0)
        if spec.get("resnet20"):
            model = lib.models.cifar_resnet(20, input_shape=spec["input_shape"])
        elif spec["table_two"]:
            model = lib.models.drsn(
                spec["input_shape"], spec["classes"], stem_strides=2, first_strides=2, thresholds=spec["thresholds"]
            )
        else:
            model = lib.models.drsn(
                spec["input_shape"],
                spec["classes"],
                stage_filters=(8, 16, 32),
                units_per_stage=1,
                thresholds=spec["thresholds"],
            )
        model.compile(
            keras.optimizers.Adam(1e-3),
            "sparse_categorical_crossentropy",
            jit_compile=options["jit_compile"],
            steps_per_execution=options["steps_per_execution"],
        )
        return model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(examples, *spec["input_shape"])).astype("float32")
    y = rng.integers(0, spec["classes"], size=examples)
    model = build()
    model.fit(x, y, batch_size=spec["batch"], epochs=1, verbose=0)  # warm-up: tracing and compilation
    speeds = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(x, y, batch_size=spec["batch"], epochs=1, verbose=0)
        speeds.append(examples / (time.perf_counter() - start))
    result = {"speed": statistics.median(speeds)}
    if options["jit_compile"]:
        losses = []
        for _ in range(2):
            model = build()
            losses.append(model.fit(x, y, batch_size=spec["batch"], epochs=2, verbose=0, shuffle=True).history["loss"])
        result["repeats"] = losses[0] == losses[1]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child, args.epochs)))
        return
    pace = subprocess.run([sys.executable, str(ROOT / "scripts" / "pace.py")], capture_output=True, text=True)
    print(pace.stdout.strip())
    found = {(net, setting): [] for net in NETS for setting in SETTINGS}
    repeats = {}
    for _ in range(args.rounds):
        for net in NETS:
            for setting in SETTINGS:
                child = subprocess.run(
                    [sys.executable, __file__, "--epochs", str(args.epochs), "--child", net, setting],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                result = json.loads(child.stdout.strip().splitlines()[-1])
                found[net, setting].append(result["speed"])
                if "repeats" in result:
                    repeats[net] = repeats.get(net, True) and result["repeats"]
    print(f"{'net':20s}" + "".join(f"{s:>22s}" for s in SETTINGS) + "   XLA repeats")
    for net in NETS:
        old = statistics.median(found[net, "old"])
        cells = []
        for setting in SETTINGS:
            speed = statistics.median(found[net, setting])
            cells.append(f"{speed:10,.0f}/s ({speed / old:4.2f}x)")
        print(f"{net:20s}" + "".join(f"{c:>22s}" for c in cells) + f"   {'yes' if repeats.get(net) else 'NO'}")


if __name__ == "__main__":
    main()
