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
``(8 * n_per_class,)`` indexing ``VIBRATION_CLASSES``; ``machine_components``
returns the parts of the same signals apart (harmonics, gear sidebands,
impacts, background) with each signal's shaft speed and resonance.

A harder machine, every option off by default (the defaults give the
first edition's signals bit for bit; chapter 5 turns the first two on):
``resonance_hz=(low, high)`` draws each signal's
resonance uniformly from a band (a machine's resonance is not known in
advance, so a fixed band is no free lunch); ``gear_modulation`` makes a
gear tooth fault modulate the mesh tone in amplitude and phase once a turn
(``GEAR_MODULATION``: sidebands at the mesh frequency +- multiples of the
shaft rate), and ``gear_impacts`` scales the gear fault's impacts on the
resonance (0: the sidebands alone tell a gear fault).

``add_noise`` adds noise of one of ``NOISE_KINDS`` (Gaussian, Laplacian, pink)
at an exact signal-to-noise ratio in dB for every sample, set against each
sample's *total* power, and returns float32 of the signal's own shape:
``(length,)``, ``(n, length)`` or ``(n, length, channels)``. For
``vibration``'s signals that power is mostly the shaft harmonics (a mild
fault's impacts carry 3-15% of it), so the noise at 0 dB is some 10 dB above
a mild fault's impacts; and pink noise, its power at low frequencies, leaves
the resonance band almost clean. ``add_noise_against`` sets the SNR against
a power of one's choice instead (a number, e.g. the mean power of a mild
fault's impacts, so that every signal gets the same noise whatever its
class; or each sample's own power, or another array's), counted over all
frequencies or only in a ``band`` (e.g. the band the resonance is drawn from:
then pink and white noise put the same power there). ``band_power`` measures
such a power.

A reader's own recordings are read by ``lib.data.signal_folder``.
"""

import numbers

import numpy as np

from lib.arguments import ArgumentError, whole_number

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
# The harder machine of ``machine_components``, off by default. A band to draw each signal's resonance from
# (``resonance_hz=RESONANCE_BAND_HZ``), uniformly in Hz: below the 6 kHz Nyquist frequency, above the mesh tone.
RESONANCE_BAND_HZ = (2_000, 5_000)
# A damaged tooth modulates the gear-mesh tone while it is in mesh, once a turn: per class, the depth of the
# amplitude modulation and of the phase modulation (radians) at ``gear_modulation=1``. The modulation is a
# Gaussian pulse in the shaft angle, its standard deviation ``GEAR_MODULATION_WIDTH`` turns (one tooth), so
# the mesh tone carries a family of sidebands at the mesh frequency +- 1, 2, 3, ... times the shaft rate.
GEAR_MODULATION = {"gear tooth, chipped": (0.8, 0.4), "gear tooth, broken": (1.6, 0.8)}
GEAR_MODULATION_WIDTH = 1 / GEAR_TEETH


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


def _non_negative(value, name, hint=""):
    """``value`` as a float if it is a finite real number >= 0 (not a bool); otherwise ``ArgumentError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < np.inf:
        raise ArgumentError(f"{name} must be a number >= 0; got {value!r}.{hint}")
    return float(value)


def _resonance_band(resonance_hz):
    """``(low, high)`` in Hz from ``resonance_hz``: one frequency (``low == high``) or a pair ``(low, high)``."""
    hint = (
        f" Give one frequency in Hz (the default, {RESONANCE_HZ}) or a pair (low, high) to draw each signal's"
        f" resonance from, e.g. {RESONANCE_BAND_HZ}, inside (0, {SAMPLING_RATE // 2})."
    )
    if isinstance(resonance_hz, numbers.Real) and not isinstance(resonance_hz, bool):
        low = high = resonance_hz
    elif isinstance(resonance_hz, (tuple, list)) and len(resonance_hz) == 2:
        low, high = resonance_hz
    else:
        raise ArgumentError(f"resonance_hz must be a frequency or a pair of frequencies; got {resonance_hz!r}.{hint}")
    for value in (low, high):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < SAMPLING_RATE / 2:
            raise ArgumentError(
                f"resonance_hz must lie inside (0, {SAMPLING_RATE // 2}) Hz; got {resonance_hz!r}.{hint}"
            )
    if low > high:
        raise ArgumentError(f"resonance_hz's pair must be (low, high) with low <= high; got {resonance_hz!r}.{hint}")
    return float(low), float(high)


def _ringing_impacts(rng, n, length, orders, shaft_hz, modulation, resonance_hz):
    """Impact trains ringing a resonance: ``(n, length)``, one row per sample.

    Impacts arrive on average every ``1 / (orders * shaft_hz)`` seconds, each
    interval jittered on its own (``_arrivals``: the timing drifts like a random
    walk, as slipping rollers make it); each one excites
    ``exp(-t / RESONANCE_DECAY_S) * sin(2 pi f t)`` with a strength drawn from
    0.8 to 1.2, ``f`` being ``resonance_hz``: one frequency, or ``(n,)`` of
    them, one a row. With ``modulation`` > 0, the strengths follow
    ``1 + 0.6 cos`` at ``modulation`` shaft orders: the inner race carries its
    defect through the load zone once a turn, a ball once per turn of the cage.
    The impacts are placed on a grid of samples and convolved with the ringing
    by FFT. The draws from ``rng`` do not depend on the resonance, so the timing
    and strength of every impact are the same whatever it is.
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
    resonance = np.asarray(resonance_hz, dtype=np.float64)
    if resonance.ndim == 0:
        ringing = np.exp(-t / RESONANCE_DECAY_S) * np.sin(2 * np.pi * resonance * t)
    else:
        ringing = np.exp(-t / RESONANCE_DECAY_S) * np.sin(2 * np.pi * resonance[:, None] * t)
    size = 2 * length
    return np.fft.irfft(np.fft.rfft(train, size) * np.fft.rfft(ringing, size), size)[:, :length]


def _tooth_pulse(shaft_hz, t, phase):
    """``(n, length)``: a Gaussian pulse in the shaft angle, 1 when the damaged tooth is mid-mesh, once a turn.

    ``shaft_hz`` ``(n,)``, ``t`` ``(length,)`` in seconds, ``phase`` ``(n,)`` in turns (where in the turn the
    tooth meshes); the pulse's standard deviation is ``GEAR_MODULATION_WIDTH`` turns.
    """
    turns = shaft_hz[:, None] * t + phase[:, None]
    return np.exp(-0.5 * ((turns - np.round(turns)) / GEAR_MODULATION_WIDTH) ** 2)


def machine_components(
    n_per_class, length=2048, seed=0, *, resonance_hz=RESONANCE_HZ, gear_modulation=0.0, gear_impacts=1.0
):
    """The parts of ``vibration``'s signals, for the same arguments, and what made each signal.

    Returns a dict, rows in ``vibration``'s (shuffled) order: float64
    ``(8 * n_per_class, length)`` arrays ``"harmonics"`` (shaft harmonics and
    the plain gear-mesh tone), ``"sidebands"`` (what the gear modulation adds
    to the mesh tone; zero unless ``gear_modulation`` and a gear fault),
    ``"impacts"`` (zero when healthy) and ``"background"``, whose sum is the
    signal; float64 ``(8 * n_per_class,)`` ``"shaft_hz"`` and
    ``"resonance_hz"`` (each signal's shaft speed and resonance); int64
    ``"labels"``.

    Options, all off by default, where the defaults give the first
    edition's signals bit for bit (tested by checksum):

    - ``resonance_hz``: one frequency in Hz (default ``RESONANCE_HZ``), or a
      pair ``(low, high)``, e.g. ``RESONANCE_BAND_HZ``: each signal's
      resonance drawn uniformly from it. Bearing and gear impacts of one
      signal ring the same resonance.
    - ``gear_modulation`` >= 0: a gear tooth fault modulates the mesh tone at
      ``GEAR_TEETH`` x, ``(1 + a p) sin(angle + b p)`` with ``p`` the tooth's
      once-a-turn pulse (``_tooth_pulse``) and ``(a, b)`` the class's
      ``GEAR_MODULATION`` times ``gear_modulation`` (1: the book's depths).
      The spectrum gets sidebands at mesh +- k shaft.
    - ``gear_impacts`` >= 0 scales the gear faults' impacts on the resonance
      (1: today's; 0: the sidebands alone tell a gear fault).

    The options draw from a stream of their own (spawned from ``seed``'s), so
    the shaft speeds, phases, impact times and background of the other parts
    are the same with or without them: the same machines, made harder.
    """
    n_per_class = whole_number(n_per_class, "n_per_class", hint=" It is the number of signals of each class.")
    length = whole_number(length, "length", hint=" It is the number of points in a signal.")
    low, high = _resonance_band(resonance_hz)
    gear_modulation = _non_negative(gear_modulation, "gear_modulation", " 0 is off, 1 the book's GEAR_MODULATION.")
    gear_impacts = _non_negative(gear_impacts, "gear_impacts", " 1 is today's gear impacts, 0 none.")
    rng = np.random.default_rng(seed)
    options = rng.spawn(1)[0]  # leaves rng's own stream as it is
    t = np.arange(length) / SAMPLING_RATE
    keys = ("harmonics", "sidebands", "impacts", "background", "shaft_hz", "resonance_hz")
    parts = {key: [] for key in keys}
    for name in VIBRATION_CLASSES:
        shaft_hz = SHAFT_HZ * rng.uniform(0.96, 1.04, n_per_class)
        resonance = low if low == high else options.uniform(low, high, n_per_class)
        harmonics = np.zeros((n_per_class, length))
        sidebands = np.zeros((n_per_class, length))
        for order, amplitude in SHAFT_HARMONICS:
            phase = rng.uniform(0, 2 * np.pi, (n_per_class, 1))
            scale = amplitude * rng.uniform(0.7, 1.3, (n_per_class, 1))
            angle = 2 * np.pi * order * shaft_hz[:, None] * t + phase
            tone = scale * np.sin(angle)
            harmonics += tone
            if order == GEAR_TEETH and gear_modulation and name in GEAR_MODULATION:
                depth, swing = (gear_modulation * value for value in GEAR_MODULATION[name])
                pulse = _tooth_pulse(shaft_hz, t, options.uniform(0, 1, n_per_class))
                sidebands += scale * (1 + depth * pulse) * np.sin(angle + swing * pulse) - tone
        impacts = np.zeros((n_per_class, length))
        if FAULTS[name] is not None:
            orders, amplitude, modulation = FAULTS[name]
            if name.startswith("gear"):
                amplitude = amplitude * gear_impacts
            impacts = amplitude * _ringing_impacts(rng, n_per_class, length, orders, shaft_hz, modulation, resonance)
        parts["harmonics"].append(harmonics)
        parts["sidebands"].append(sidebands)
        parts["impacts"].append(impacts)
        parts["background"].append(rng.normal(0, 0.05, (n_per_class, length)))
        parts["shaft_hz"].append(shaft_hz)
        parts["resonance_hz"].append(np.broadcast_to(np.float64(resonance), (n_per_class,)))
    labels = np.repeat(np.arange(len(VIBRATION_CLASSES)), n_per_class)
    order = rng.permutation(len(labels))
    result = {key: np.concatenate(value)[order] for key, value in parts.items()}
    result["labels"] = labels[order]
    return result


def vibration(n_per_class, length=2048, seed=0, *, resonance_hz=RESONANCE_HZ, gear_modulation=0.0, gear_impacts=1.0):
    """Synthetic machinery vibration, ``n_per_class`` samples of each of ``VIBRATION_CLASSES``.

    Returns ``(x, y)``: float32 signals ``(8 * n_per_class, length, 1)``
    sampled at ``SAMPLING_RATE`` Hz and int64 labels ``(8 * n_per_class,)``,
    shuffled, the same for the same seed. Every sample has the shaft
    harmonics of ``SHAFT_HARMONICS`` (1x, 2x, 3x and the gear mesh at
    ``GEAR_TEETH`` x; random phases and amplitudes) and a little background
    noise; a fault adds the impacts of ``FAULTS`` (see
    ``_ringing_impacts``), all ringing one resonance. The shaft speed varies by +-4% from sample to
    sample. ``machine_components`` returns the parts apart (their sum is
    this signal) and says what its options do: ``resonance_hz`` (a band to
    draw each signal's resonance from), ``gear_modulation`` (gear faults
    modulate the mesh tone: sidebands at the shaft rate) and
    ``gear_impacts``. Their defaults give the first edition's signals bit
    for bit.

    No noise is added here beyond the background: ``add_noise`` sets an SNR
    against each signal's total power, which is mostly the shaft harmonics';
    ``add_noise_against`` against a power of one's choice.
    """
    parts = machine_components(
        n_per_class,
        length,
        seed,
        resonance_hz=resonance_hz,
        gear_modulation=gear_modulation,
        gear_impacts=gear_impacts,
    )
    x = parts["harmonics"] + parts["sidebands"] + parts["impacts"] + parts["background"]
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


def _as_batch(signal):
    """``signal`` as float64 ``(n, length, channels)`` and its own shape, as ``add_noise`` reads it."""
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim == 1:
        return x[None, :, None], x.shape
    if x.ndim == 2:
        return x[..., None], x.shape
    if x.ndim == 3:
        return x, x.shape
    raise ValueError(f"a signal must be (length,), (n, length) or (n, length, channels); got shape {x.shape}.")


def _band_mask(length, band, rate):
    """The ``rfft`` bins of a ``length``-point signal strictly inside ``band`` ``(low, high)`` Hz."""
    if (
        not isinstance(band, (tuple, list))
        or len(band) != 2
        or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in band)
        or not 0 <= band[0] < band[1] <= rate / 2
    ):
        raise ArgumentError(
            f"band must be a pair (low, high) of frequencies in Hz, 0 <= low < high <= {rate / 2:g}; got {band!r}."
        )
    hertz = np.fft.rfftfreq(length, 1 / rate)
    mask = (hertz > band[0]) & (hertz < band[1])
    if not mask.any():
        raise ArgumentError(
            f"band {band!r} holds no frequency bin of a {length}-point signal at {rate:g} Hz; widen it."
        )
    return mask


def _power(x, band, rate):
    """Per sample of ``x`` ``(n, length, channels)``: the mean power, ``(n, 1, 1)``; over all frequencies (the
    mean square) or, with ``band``, that of the frequencies strictly inside it (Parseval, one-sided spectrum)."""
    if band is None:
        return np.mean(x**2, axis=(1, 2), keepdims=True)
    length = x.shape[1]
    mask = _band_mask(length, band, rate)
    weight = np.where(np.isclose(np.fft.rfftfreq(length, 1 / rate), rate / 2), 1.0, 2.0)  # Nyquist bin once
    spectrum = np.abs(np.fft.rfft(x, axis=1)) ** 2 * (weight * mask)[None, :, None]
    return np.sum(spectrum, axis=(1, 2), keepdims=True) / (length**2 * x.shape[2])


def band_power(signal, band=None, rate=SAMPLING_RATE):
    """The mean power of each sample of ``signal``: ``(n,)`` floats (a float for one signal ``(length,)``).

    ``signal``: ``(length,)``, ``(n, length)`` or ``(n, length, channels)``.
    Without ``band``, the mean of the squared values over a sample's length
    (and channels), the power ``add_noise`` sets its SNR against. With
    ``band`` ``(low, high)`` in Hz, only the part of that power at
    frequencies strictly between ``low`` and ``high`` (by Parseval's theorem
    on the FFT of the whole sample): what a band-pass filter would keep.
    """
    x, shape = _as_batch(signal)
    power = _power(x, band, rate)[:, 0, 0]
    return float(power[0]) if len(shape) == 1 else power


def _noise(rng, shape, kind):
    """Unscaled noise of ``kind`` ``(n, length, channels)``: ``add_noise``'s draws for the same generator."""
    if kind not in NOISE_KINDS:
        raise ValueError(f"unknown noise kind {kind!r}; choose one of {', '.join(NOISE_KINDS)}.")
    if kind == "gaussian":
        return rng.normal(size=shape)
    if kind == "laplacian":
        return rng.laplace(size=shape)
    return _pink(rng, shape)


def add_noise_against(signal, snr_db, reference=None, kind="gaussian", seed=0, *, band=None, rate=SAMPLING_RATE):
    """``signal`` plus noise of ``kind`` whose power is ``snr_db`` dB below a ``reference`` power, per sample.

    ``signal``: ``(length,)``, ``(n, length)`` or ``(n, length, channels)``;
    returns float32 of the same shape. The noise of a sample is scaled so
    that ``10 log10(P_reference / P_noise) = snr_db`` exactly, where
    ``P_noise`` is its mean power (``band_power``) and ``P_reference`` is

    - ``None``: the sample's own power, as in ``add_noise`` (the total power:
      for ``vibration``'s signals mostly the shaft harmonics');
    - a number: that power for every sample, so that every sample gets the
      same noise whatever its class. The way to set the SNR against the
      fault-bearing part without telling the label: e.g. the mean power of a
      mild fault's impacts, ``band_power(parts["impacts"][mild]).mean()``;
    - an ``(n,)`` array: one power per sample;
    - an array of ``signal``'s shape: its power, per sample (e.g. each
      signal's own impacts; then a sample whose reference is all zeros, a
      healthy one, is an error, and the noise level would follow the
      class: prefer a number).

    With ``band`` ``(low, high)`` in Hz, both ``P_noise`` and a reference
    computed from an array count only the frequencies inside the band: an SNR
    in that band (e.g. ``RESONANCE_BAND_HZ``), where pink noise then puts as
    much power as white noise does, instead of sparing it. ``kind`` and
    ``seed`` draw the same noise as ``add_noise``'s, so with ``reference`` and
    ``band`` left out this is ``add_noise``.
    """
    if isinstance(snr_db, bool) or not isinstance(snr_db, numbers.Real) or not np.isfinite(snr_db):
        raise ArgumentError(f"snr_db must be a finite number of decibels; got {snr_db!r}.")
    x, shape = _as_batch(signal)
    noise = _noise(np.random.default_rng(seed), x.shape, kind)
    if reference is None:
        reference_power = _power(x, band, rate)
    elif isinstance(reference, numbers.Real) and not isinstance(reference, bool):
        reference_power = np.full((x.shape[0], 1, 1), float(reference))
    else:
        array = np.asarray(reference, dtype=np.float64)
        if array.shape == (x.shape[0],) and array.shape != shape:
            reference_power = array[:, None, None]
        elif array.shape == shape:
            reference_power = _power(_as_batch(array)[0], band, rate)
        else:
            raise ArgumentError(
                f"reference must be None, a power, {x.shape[0]} powers or an array of the signal's shape {shape}; "
                f"got shape {array.shape}."
            )
    if np.any(~np.isfinite(reference_power)) or np.any(reference_power <= 0):
        raise ValueError(
            "a sample's reference power is zero, negative or not finite: its signal-to-noise ratio is undefined "
            "(a healthy signal has no impacts: give one power for every sample instead)."
        )
    noise_power = _power(noise, band, rate)
    noise *= np.sqrt(reference_power / noise_power / 10 ** (snr_db / 10))
    return (x + noise).reshape(shape).astype(np.float32)
