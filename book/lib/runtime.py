"""One call at the top of every chapter: seeds, the profile, the device and the precision."""

import dataclasses
import os

import keras
import tensorflow as tf

from lib import plots

PROFILE_VARIABLE = "RESNET_BOOK_PROFILE"
PROFILES = ("quick", "full")
ACCELERATE_VARIABLE = "RESNET_BOOK_ACCELERATE"
# auto: mixed precision + XLA when TensorFlow sees a GPU, nothing on a CPU;
# on: forced, on a CPU too (how the GPU path is tested without one); off: never.
ACCELERATE_MODES = ("auto", "on", "off")


class UnknownProfile(ValueError):
    """``RESNET_BOOK_PROFILE`` names no profile the book knows."""

    noun = "a profile"


class UnknownAccelerate(ValueError):
    """``RESNET_BOOK_ACCELERATE`` is none of ``auto``, ``on``, ``off``."""

    noun = "a mode"


@dataclasses.dataclass(frozen=True)
class Run:
    """What ``setup`` decided: the profile, the seed, and whether training is accelerated.

    ``accelerated``: models built after ``setup`` compute in float16 with
    float32 weights (``mixed_float16``), and ``lib.train.fit`` compiles
    training with XLA. ``compile_options`` gives the same XLA choice to a
    chapter that calls ``model.compile`` and ``model.fit`` itself.
    """

    profile: str
    seed: int
    accelerated: bool = False

    def pick(self, quick, full):
        """Return ``quick`` in the quick profile and ``full`` in the full one."""
        return quick if self.profile == "quick" else full

    @property
    def compile_options(self):
        """Keyword arguments for ``model.compile``: ``{"jit_compile": True}`` when accelerated, else ``{}``.

        Also ``{}`` inside the scope of a strategy of several replicas: XLA
        cannot reach variables mirrored on other devices (Keras' own default
        leaves it off there too).
        """
        one_device = tf.distribute.get_strategy().num_replicas_in_sync == 1
        return {"jit_compile": True} if self.accelerated and one_device else {}

    @property
    def precision(self):
        """In words: ``"mixed precision + XLA"`` or ``"float32"``."""
        return "mixed precision + XLA" if self.accelerated else "float32"


def _read_choice(variable, choices, default, error, unset):
    """The value of environment variable ``variable``, lower-cased, one of ``choices`` (``default`` if unset).

    Anything else raises ``error`` naming the variable, its value and the valid ones; ``unset`` says
    what leaving it unset gives.
    """
    value = os.environ.get(variable, default).strip().lower() or default
    if value not in choices:
        raise error(
            f"{variable}={os.environ[variable]!r} is not {error.noun}; use one of {', '.join(choices)} "
            f"(or leave it unset for {unset})."
        )
    return value


def read_profile():
    """The profile named by ``RESNET_BOOK_PROFILE`` (default ``full``)."""
    return _read_choice(PROFILE_VARIABLE, PROFILES, "full", UnknownProfile, "'full'")


def read_accelerate():
    """The mode named by ``RESNET_BOOK_ACCELERATE``: ``auto`` (the default), ``on`` or ``off``."""
    return _read_choice(
        ACCELERATE_VARIABLE,
        ACCELERATE_MODES,
        "auto",
        UnknownAccelerate,
        "'auto': mixed precision and XLA on a GPU only",
    )


def accelerated():
    """Whether this run trains with mixed precision and XLA, as ``RESNET_BOOK_ACCELERATE`` says.

    ``auto``: exactly when TensorFlow sees a GPU; ``on``: always; ``off``: never.
    """
    mode = read_accelerate()
    return mode == "on" or (mode == "auto" and bool(gpus()))


def gpus():
    """The GPUs TensorFlow can compute on (an empty list on a CPU-only machine).

    Physical devices: listing them leaves TensorFlow's runtime uninitialised,
    so a reader can still configure the GPUs after ``setup``.
    """
    return tf.config.list_physical_devices("GPU")


def device_name():
    """A short name of the device TensorFlow will compute on."""
    found = gpus()
    if not found:
        return f"CPU ({os.cpu_count()} cores)"
    name = tf.config.experimental.get_device_details(found[0]).get("device_name", "GPU")
    return f"{len(found)} x {name}" if len(found) > 1 else name


def seed_everything(seed):
    """Seed Python's ``random``, NumPy's global generator and TensorFlow with one number.

    ``keras.utils.set_random_seed`` seeds all three (and Keras' own generator).
    """
    keras.utils.set_random_seed(seed)


def setup(seed=0):
    """Prepare a chapter: profile, seeds, precision, determinism and the figures' style; print one line.

    Not accelerated (``RESNET_BOOK_ACCELERATE=off``, or ``auto`` without a
    GPU): Keras' global dtype policy is ``float32`` and TensorFlow's op
    determinism is on, so a run repeats bit for bit on one machine.
    Accelerated (``on``, or ``auto`` with a GPU): the policy is
    ``mixed_float16``, so build models *after* this call, and op determinism
    stays off, because it rules out XLA (Keras refuses ``jit_compile`` with
    it, and XLA has no deterministic max-pool gradient on a GPU). TensorFlow
    cannot turn determinism off again, so switching to accelerated in a
    kernel that already ran a float32 setup needs a restart for XLA.

    Returns a ``Run``: ``pick(quick=..., full=...)`` chooses a budget,
    ``accelerated`` and ``compile_options`` say how to compile.
    """
    profile = read_profile()
    fast = accelerated()
    seed_everything(seed)
    keras.mixed_precision.set_global_policy("mixed_float16" if fast else "float32")
    if not fast:
        tf.config.experimental.enable_op_determinism()
    plots.use_book_style()
    run = Run(profile=profile, seed=seed, accelerated=fast)
    print(
        f"profile {profile} | seed {seed} | {device_name()} | {run.precision} | "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}"
    )
    return run
