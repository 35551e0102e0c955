"""The synthetic vibration-signal generator and the noise helpers (chapter 5).

``vibration`` simulates a rotating machine sampled at ``SAMPLING_RATE`` Hz:
every sample carries the shaft's harmonics (1x, 2x, 3x) and a gear-mesh tone
at ``GEAR_TEETH`` x, with the shaft speed varying by +-4% from sample to
sample. A fault of ``FAULTS`` adds a train of impacts at its own rate (the
bearing orders of ``BEARING_ORDERS``, or once a turn for a gear tooth), their
timing drifting like a random walk, each impact ringing the one structural
resonance ``RESONANCE_HZ`` that decays in ``RESONANCE_DECAY_S``;
``fault_frequency`` gives that rate in Hz. ``vibration`` returns ``(x, y)``:
float32 signals ``(8 * n_per_class, length, 1)`` and int64 labels
``(8 * n_per_class,)`` indexing ``VIBRATION_CLASSES``; ``components`` returns
the parts of the same signals apart (harmonics, impacts, background).

``add_noise`` adds noise of one of ``NOISE_KINDS`` (Gaussian, Laplacian, pink)
at an exact signal-to-noise ratio in dB for every sample, and returns float32
of the signal's own shape: ``(length,)``, ``(n, length)`` or
``(n, length, channels)``.

A reader's own recordings are read by ``lib.data.signal_folder``.
"""

import numbers

import numpy as np

from lib.arguments import whole_number

# Chapter 5's machine: a shaft turning at about 1,797 rpm (a jitter of +-4% per
# sample models speed and load), sampled at 12 kHz as in the CWRU bearing data.
SAMPLING_RATE = 12_000
SHAFT_HZ = 29.95
# Bearing fault frequencies as multiples of the shaft frequency (a 6205 deep-groove
# ball bearing, 9 balls): outer race (BPFO), inner race (BPFI), ball spin (BSF),
# cage (FTF). A ball defect strikes both races, so it rings at twice BSF.
BEARING_ORDERS = {"BPFO": 3.585, "BPFI": 5.415, "BSF": 2.357, "FTF": 0.398}
GEAR_TEETH = 20
# The shaft harmonics every sample carries: (order, amplitude), the gear mesh at GEAR_TEETH x.
SHAFT_HARMONICS = ((1, 0.5), (2, 0.3), (3, 0.15), (GEAR_TEETH, 0.3))
# The structural resonance every impact excites, in Hz, and its decay time in seconds. It belongs to the
# transmission path from the defect to the accelerometer, so bearing and gear impacts ring the same one:
# the carrier tells nothing about the fault, only the impacts' rate and modulation do.
RESONANCE_HZ = 3_000
RESONANCE_DECAY_S = 0.0012
# Each interval between two impacts varies by this fraction of the period (a normal draw, rollers slip);
# the arrivals are the running sum of the intervals, so their timing error grows like a random walk.
IMPACT_JITTER = 0.02
VIBRATION_CLASSES = (
    "healthy",
    "inner race, mild",
    "inner race, severe",
    "outer race, mild",
    "outer race, severe",
    "rolling element",
    "gear tooth, chipped",
    "gear tooth, broken",
)
# Per class: the impacts' rate in shaft orders, their amplitude and what modulates them (in shaft orders;
# 0 = nothing). The amplitudes make a mild fault's impacts a small fraction of the shaft harmonics' power.
FAULTS = {
    "healthy": None,
    "inner race, mild": (BEARING_ORDERS["BPFI"], 0.55, 1.0),
    "inner race, severe": (BEARING_ORDERS["BPFI"], 1.2, 1.0),
    "outer race, mild": (BEARING_ORDERS["BPFO"], 0.7, 0.0),
    "outer race, severe": (BEARING_ORDERS["BPFO"], 1.5, 0.0),
    "rolling element": (2 * BEARING_ORDERS["BSF"], 0.6, BEARING_ORDERS["FTF"]),
    "gear tooth, chipped": (1.0, 1.2, 0.0),
    "gear tooth, broken": (1.0, 2.6, 0.0),
}
NOISE_KINDS = ("gaussian", "laplacian", "pink")


def fault_frequency(name, shaft_hz=SHAFT_HZ):
    """The rate, in Hz, at which the fault of class ``name`` strikes (None when healthy)."""
    if not isinstance(name, str) or name not in FAULTS:
        raise ValueError(f"unknown class {name!r}; choose one of {', '.join(map(repr, VIBRATION_CLASSES))}.")
    if isinstance(shaft_hz, bool) or not isinstance(shaft_hz, numbers.Real) or not 0 < shaft_hz < np.inf:
        raise ValueError(f"shaft_hz must be a positive number of revolutions per second; got {shaft_hz!r}.")
    return None if FAULTS[name] is None else FAULTS[name][0] * shaft_hz


def _arrivals(rng, n, length, period):
    """Impact times in samples, ``(n, count)``: a random first arrival, then intervals of ``period`` (one per
    row) each jittered independently by ``IMPACT_JITTER``, summed, so the k-th arrival's error grows like
    ``sqrt(k)``. ``count`` covers ``length`` even when every interval is short."""
    count = int(np.ceil(length / (period.min() * (1 - 5 * IMPACT_JITTER)))) + 1
    intervals = period[:, None] * (1 + IMPACT_JITTER * rng.standard_normal((n, count - 1)))
    first = rng.uniform(0, period)[:, None]
    return np.concatenate([first, first + np.cumsum(intervals, axis=1)], axis=1)


def _impacts(rng, n, length, orders, shaft_hz, modulation):
    """Impact trains ringing the resonance: ``(n, length)``, one row per sample.

    Impacts arrive on average every ``1 / (orders * shaft_hz)`` seconds, each
    interval jittered on its own (``_arrivals``: the timing drifts like a random
    walk, as slipping rollers make it); each one excites
    ``exp(-t / RESONANCE_DECAY_S) * sin(2 pi RESONANCE_HZ t)`` with a strength
    drawn from 0.8 to 1.2. With ``modulation`` > 0, the strengths follow
    ``1 + 0.6 cos`` at ``modulation`` shaft orders: the inner race carries its
    defect through the load zone once a turn, a ball once per turn of the cage.
    """
    period = SAMPLING_RATE / (orders * shaft_hz)
    arrivals = _arrivals(rng, n, length, period)
    strength = rng.uniform(0.8, 1.2, arrivals.shape)
    if modulation:
        phase = rng.uniform(0, 2 * np.pi, (n, 1))
        strength *= 1 + 0.6 * np.cos(2 * np.pi * modulation * shaft_hz[:, None] * arrivals / SAMPLING_RATE + phase)
    index = np.round(arrivals).astype(int)
    inside = index < length
    train = np.zeros((n, length))
    np.add.at(train, (np.nonzero(inside)[0], index[inside]), strength[inside])
    t = np.arange(length) / SAMPLING_RATE
    ringing = np.exp(-t / RESONANCE_DECAY_S) * np.sin(2 * np.pi * RESONANCE_HZ * t)
    size = 2 * length
    return np.fft.irfft(np.fft.rfft(train, size) * np.fft.rfft(ringing, size), size)[:, :length]


def components(n_per_class, length=2048, seed=0):
    """The parts ``vibration`` adds, before the sum: a dict of float64 ``(8 * n_per_class, length)`` arrays
    ``"harmonics"`` (shaft harmonics and gear mesh), ``"impacts"`` (zero when healthy) and ``"background"``,
    plus int64 ``"labels"``, in ``vibration``'s order for the same arguments (their sum is its signal)."""
    n_per_class = whole_number(n_per_class, "n_per_class", hint=" It is the number of signals of each class.")
    length = whole_number(length, "length", hint=" It is the number of points in a signal.")
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SAMPLING_RATE
    parts = {"harmonics": [], "impacts": [], "background": []}
    for name in VIBRATION_CLASSES:
        shaft_hz = SHAFT_HZ * rng.uniform(0.96, 1.04, n_per_class)
        harmonics = np.zeros((n_per_class, length))
        for order, amplitude in SHAFT_HARMONICS:
            phase = rng.uniform(0, 2 * np.pi, (n_per_class, 1))
            scale = amplitude * rng.uniform(0.7, 1.3, (n_per_class, 1))
            harmonics += scale * np.sin(2 * np.pi * order * shaft_hz[:, None] * t + phase)
        impacts = np.zeros((n_per_class, length))
        if FAULTS[name] is not None:
            orders, amplitude, modulation = FAULTS[name]
            impacts = amplitude * _impacts(rng, n_per_class, length, orders, shaft_hz, modulation)
        parts["harmonics"].append(harmonics)
        parts["impacts"].append(impacts)
        parts["background"].append(rng.normal(0, 0.05, (n_per_class, length)))
    labels = np.repeat(np.arange(len(VIBRATION_CLASSES)), n_per_class)
    order = rng.permutation(len(labels))
    result = {key: np.concatenate(value)[order] for key, value in parts.items()}
    result["labels"] = labels[order]
    return result


def vibration(n_per_class, length=2048, seed=0):
    """Synthetic machinery vibration, ``n_per_class`` samples of each of ``VIBRATION_CLASSES``.

    Returns ``(x, y)``: float32 signals ``(8 * n_per_class, length, 1)``
    sampled at ``SAMPLING_RATE`` Hz and int64 labels ``(8 * n_per_class,)``,
    shuffled, the same for the same seed. Every sample has the shaft
    harmonics of ``SHAFT_HARMONICS`` (1x, 2x, 3x and the gear mesh at
    ``GEAR_TEETH`` x; random phases and amplitudes) and a little background
    noise; a fault adds the impacts of ``FAULTS`` (see ``_impacts``), all
    ringing one resonance. The shaft speed varies by +-4% from sample to
    sample. ``components`` returns the three parts apart.
    """
    parts = components(n_per_class, length, seed)
    x = parts["harmonics"] + parts["impacts"] + parts["background"]
    return x[..., None].astype(np.float32), parts["labels"]


def _pink(rng, shape):
    """Noise with a 1/f power spectrum along axis 1 of ``shape`` ``(n, length, channels)``."""
    length = shape[1]
    frequencies = np.fft.rfftfreq(length)
    spectrum = rng.normal(size=(shape[0], len(frequencies), shape[2])) + 1j * rng.normal(
        size=(shape[0], len(frequencies), shape[2])
    )
    gain = np.zeros_like(frequencies)
    gain[1:] = 1 / np.sqrt(frequencies[1:])
    return np.fft.irfft(spectrum * gain[None, :, None], length, axis=1)


def add_noise(signal, snr_db, kind="gaussian", seed=0):
    """``signal`` plus noise of ``kind`` at a signal-to-noise ratio of exactly ``snr_db`` dB per sample.

    ``signal``: ``(length,)``, ``(n, length)`` or ``(n, length, channels)``;
    returns float32 of the same shape. The SNR of a sample is
    ``10 log10(P_signal / P_noise)``, each power the mean of the squared
    values over that sample's own length (and channels), so every sample gets
    its own noise level. ``kind``: ``"gaussian"``, ``"laplacian"`` (heavy
    tails: excess kurtosis 3) or ``"pink"`` (Gaussian with a 1/f power
    spectrum, made in the frequency domain). The same seed gives the same noise.
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"unknown noise kind {kind!r}; choose one of {', '.join(NOISE_KINDS)}.")
    x = np.asarray(signal, dtype=np.float64)
    shape = x.shape
    if x.ndim == 1:
        x = x[None, :, None]
    elif x.ndim == 2:
        x = x[..., None]
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        noise = rng.normal(size=x.shape)
    elif kind == "laplacian":
        noise = rng.laplace(size=x.shape)
    else:
        noise = _pink(rng, x.shape)
    signal_power = np.mean(x**2, axis=(1, 2), keepdims=True)
    if np.any(signal_power == 0):
        raise ValueError("a sample is all zeros: its signal-to-noise ratio is undefined.")
    noise_power = np.mean(noise**2, axis=(1, 2), keepdims=True)
    noise *= np.sqrt(signal_power / noise_power / 10 ** (snr_db / 10))
    return (x + noise).reshape(shape).astype(np.float32)
