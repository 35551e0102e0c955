"""This machine's pace: ResNet-20 training images per second (batch 128, 32x32x1, float32).

    python scripts/pace.py

The book's reference pace is about 375 images/s (a 2-core CPU). Every time the
book's tooling reports is given beside this number, so that runs on machines of
different speed compare by ratios. Prints one line; takes about 20 s on a CPU.
"""

import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "book"))
os.environ.setdefault("RESNET_BOOK_ACCELERATE", "off")

import numpy as np  # noqa: E402

import lib  # noqa: E402

REFERENCE_PACE = 375.0  # ResNet-20 training images/s, batch 128, 32x32x1, on the book's 2-core reference CPU


def pace(steps=12, batch_size=128):
    """ResNet-20 training images per second on synthetic 32x32x1 data, after one warm-up epoch."""
    import keras

    keras.utils.set_random_seed(0)
    model = lib.models.cifar_resnet(20, input_shape=(32, 32, 1))
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(steps * batch_size, 32, 32, 1)).astype("float32")
    y = rng.integers(0, 10, size=len(x))
    model.fit(x[: batch_size * 2], y[: batch_size * 2], batch_size=batch_size, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return len(x) / (time.perf_counter() - start)


if __name__ == "__main__":
    speed = pace()
    print(
        f"pace: ResNet-20 trains at {speed:.0f} images/s here "
        f"(reference {REFERENCE_PACE:.0f}; ratio {speed / REFERENCE_PACE:.2f})"
    )
