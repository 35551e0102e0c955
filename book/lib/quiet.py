"""Keep TensorFlow's C++ start-up log lines out of notebooks.

TensorFlow writes its oneDNN and CPU-feature notices straight to file
descriptor 2 while it is imported, past Python's ``sys.stderr`` and past
``TF_CPP_MIN_LOG_LEVEL``. Importing it while descriptor 2 points at
``/dev/null`` is the one way that keeps those lines out of stored outputs.
"""

import os
import sys


def import_tensorflow():
    """Import TensorFlow and Keras with C-level stderr silenced; idempotent."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        import keras  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
