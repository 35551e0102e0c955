"""One call at the top of every chapter: seeds, determinism and the profile."""

import dataclasses
import os
import random

import keras
import numpy as np
import tensorflow as tf

PROFILE_VARIABLE = "RESNET_BOOK_PROFILE"
PROFILES = ("quick", "full")


class UnknownProfile(ValueError):
    """``RESNET_BOOK_PROFILE`` names no profile the book knows."""


@dataclasses.dataclass(frozen=True)
class Run:
    """What ``setup`` decided: the profile and the seed of this run."""

    profile: str
    seed: int

    def pick(self, quick, full):
        """Return ``quick`` in the quick profile and ``full`` in the full one."""
        return quick if self.profile == "quick" else full


def read_profile():
    """The profile named by ``RESNET_BOOK_PROFILE`` (default ``full``)."""
    profile = os.environ.get(PROFILE_VARIABLE, "full").strip().lower() or "full"
    if profile not in PROFILES:
        raise UnknownProfile(
            f"{PROFILE_VARIABLE}={os.environ[PROFILE_VARIABLE]!r} is not a profile; "
            f"use one of {', '.join(PROFILES)} (or leave it unset for 'full')."
        )
    return profile


def device_name():
    """A short name of the device TensorFlow will compute on."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return f"CPU ({os.cpu_count()} cores)"
    details = tf.config.experimental.get_device_details(gpus[0])
    name = details.get("device_name", "GPU")
    return f"{len(gpus)} x {name}" if len(gpus) > 1 else name


def seed_everything(seed):
    """Seed Python, NumPy and Keras (and so TensorFlow) with one number."""
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def setup(seed=0):
    """Prepare a chapter: profile, seeds, op determinism; print one line.

    Returns a ``Run`` whose ``pick(quick=..., full=...)`` chooses a budget.
    """
    profile = read_profile()
    seed_everything(seed)
    tf.config.experimental.enable_op_determinism()
    print(f"profile {profile} | seed {seed} | {device_name()} | TensorFlow {tf.__version__}, Keras {keras.__version__}")
    return Run(profile=profile, seed=seed)
