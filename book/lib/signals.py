"""The synthetic vibration-signal generator and the noise helpers (chapter 5).

``vibration`` simulates a rotating machine sampled at ``SAMPLING_RATE`` Hz:
every sample carries the shaft's harmonics (1x, 2x, 3x) and a gear-mesh tone
at ``GEAR_TEETH`` x, with the shaft speed varying by +-4% from sample to
sample. A fault of ``FAULTS`` adds a train of impacts at its own rate (the
bearing orders of ``BEARING_ORDERS``, or once a turn for a gear tooth), each
impact ringing a structural resonance that decays in ``RESONANCE_DECAY_S``;
``fault_frequency`` gives that rate in Hz. It returns ``(x, y)``: float32
signals ``(8 * n_per_class, length, 1)`` and int64 labels
``(8 * n_per_class,)`` indexing ``VIBRATION_CLASSES``.

``add_noise`` adds noise of one of ``NOISE_KINDS`` (Gaussian, Laplacian, pink)
at an exact signal-to-noise ratio in dB for every sample, and returns float32
of the signal's own shape: ``(length,)``, ``(n, length)`` or
``(n, length, channels)``.

A reader's own recordings are read by ``lib.data.signal_folder``.
"""

import numbers

import numpy as np

# Chapter 5's machine: a shaft turning at about 1,797 rpm (a jitter of +-4% per
# sample models speed and load), sampled at 12 kHz as in the CWRU bearing data.
SAMPLING_RATE = 12_000
SHAFT_HZ = 29.95
# Bearing fault frequencies as multiples of the shaft frequency (a 6205 deep-groove
# ball bearing, 9 balls): outer race (BPFO), inner race (BPFI), ball spin (BSF),
# cage (FTF). A ball defect strikes both races, so it rings at twice BSF.
BEARING_ORDERS = {"BPFO": 3.585, "BPFI": 5.415, "BSF": 2.357, "FTF": 0.398}
GEAR_TEETH = 20
# Structural resonances the impacts excite, in Hz, and their decay time in seconds.
BEARING_RESONANCE_HZ = 3_000
GEAR_RESONANCE_HZ = 1_800
RESONANCE_DECAY_S = 0.0012
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
# Per class: the impacts' rate in shaft orders, their amplitude, what modulates
# them (in shaft orders; 0 = nothing), and which resonance they excite.
FAULTS = {
    "healthy": None,
    "inner race, mild": (BEARING_ORDERS["BPFI"], 1.5, 1.0, BEARING_RESONANCE_HZ),
    "inner race, severe": (BEARING_ORDERS["BPFI"], 3.0, 1.0, BEARING_RESONANCE_HZ),
    "outer race, mild": (BEARING_ORDERS["BPFO"], 1.5, 0.0, BEARING_RESONANCE_HZ),
    "outer race, severe": (BEARING_ORDERS["BPFO"], 3.0, 0.0, BEARING_RESONANCE_HZ),
    "rolling element": (2 * BEARING_ORDERS["BSF"], 2.0, BEARING_ORDERS["FTF"], BEARING_RESONANCE_HZ),
    "gear tooth, chipped": (1.0, 3.0, 0.0, GEAR_RESONANCE_HZ),
    "gear tooth, broken": (1.0, 6.0, 0.0, GEAR_RESONANCE_HZ),
}
NOISE_KINDS = ("gaussian", "laplacian", "pink")


def fault_frequency(name, shaft_hz=SHAFT_HZ):
    """The rate, in Hz, at which the fault of class ``name`` strikes (None when healthy)."""
    if not isinstance(name, str) or name not in FAULTS:
        raise ValueError(f"unknown class {name!r}; choose one of {', '.join(map(repr, VIBRATION_CLASSES))}.")
    if isinstance(shaft_hz, bool) or not isinstance(shaft_hz, numbers.Real) or not 0 < shaft_hz < np.inf:
        raise ValueError(f"shaft_hz must be a positive number of revolutions per second; got {shaft_hz!r}.")
    return None if FAULTS[name] is None else FAULTS[name][0] * shaft_hz


def _impacts(rng, n, length, orders, shaft_hz, modulation, resonance_hz):
    """Impact trains ringing a resonance: ``(n, length)``, one row per sample.

    Impacts arrive every ``1 / (orders * shaft_hz)`` seconds with a random
    first arrival and a jitter of 1% of that period (rollers slip); each one
    excites ``exp(-t / decay) * sin(2 pi f_res t)``. With ``modulation`` > 0,
    their amplitudes follow ``1 + 0.6 cos`` at ``modulation`` shaft orders: the
    inner race carries its defect through the load zone once a turn, a ball
    once per turn of the cage.
    """
    period = SAMPLING_RATE / (orders * shaft_hz)
    count = int(np.ceil(length / period.min())) + 1
    arrivals = rng.uniform(0, period)[:, None] * np.ones(count) + period[:, None] * np.arange(count)
    arrivals += rng.normal(0, 0.01, (n, count)) * period[:, None]
    strength = rng.uniform(0.8, 1.2, (n, count))
    if modulation:
        phase = rng.uniform(0, 2 * np.pi, (n, 1))
        strength *= 1 + 0.6 * np.cos(2 * np.pi * modulation * shaft_hz[:, None] * arrivals / SAMPLING_RATE + phase)
    index = np.round(arrivals).astype(int)
    inside = index < length
    train = np.zeros((n, length))
    np.add.at(train, (np.nonzero(inside)[0], index[inside]), strength[inside])
    t = np.arange(length) / SAMPLING_RATE
    ringing = np.exp(-t / RESONANCE_DECAY_S) * np.sin(2 * np.pi * resonance_hz * t)
    size = 2 * length
    return np.fft.irfft(np.fft.rfft(train, size) * np.fft.rfft(ringing, size), size)[:, :length]


def vibration(n_per_class, length=2048, seed=0):
    """Synthetic machinery vibration, ``n_per_class`` samples of each of ``VIBRATION_CLASSES``.

    Returns ``(x, y)``: float32 signals ``(8 * n_per_class, length, 1)``
    sampled at ``SAMPLING_RATE`` Hz and int64 labels ``(8 * n_per_class,)``,
    shuffled, the same for the same seed. Every sample has the shaft's
    harmonics 1x, 2x, 3x (random phases and amplitudes), a gear-mesh tone at
    ``GEAR_TEETH`` x and a little background noise; a fault adds the impacts
    of ``FAULTS`` (see ``_impacts``). The shaft speed varies by +-4% from
    sample to sample.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SAMPLING_RATE
    signals = []
    for name in VIBRATION_CLASSES:
        shaft_hz = SHAFT_HZ * rng.uniform(0.96, 1.04, n_per_class)
        x = np.zeros((n_per_class, length))
        for order, amplitude in ((1, 0.5), (2, 0.3), (3, 0.15), (GEAR_TEETH, 0.3)):
            phase = rng.uniform(0, 2 * np.pi, (n_per_class, 1))
            scale = amplitude * rng.uniform(0.7, 1.3, (n_per_class, 1))
            x += scale * np.sin(2 * np.pi * order * shaft_hz[:, None] * t + phase)
        if FAULTS[name] is not None:
            orders, amplitude, modulation, resonance_hz = FAULTS[name]
            x += amplitude * _impacts(rng, n_per_class, length, orders, shaft_hz, modulation, resonance_hz)
        x += rng.normal(0, 0.05, x.shape)
        signals.append(x)
    x = np.concatenate(signals)[..., None].astype(np.float32)
    y = np.repeat(np.arange(len(VIBRATION_CLASSES)), n_per_class)
    order = rng.permutation(len(y))
    return x[order], y[order]


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
