"""Classical envelope diagnosis, the comparator of chapter 5 and of 5b (CWRU), in NumPy.

A bearing defect's impacts ring a structural resonance; band-pass the signal
around it, take the modulus of the analytic signal (the Hilbert envelope),
and the envelope's spectrum shows lines at the rate of the impacts: the
fault's order times the shaft speed (Randall and Antoni 2011). The one
choice is the band, and ``pick_band`` makes it from the data, label-free:
around the frequency where the signal is most impulsive, by its short-time
Fourier spectral kurtosis (Antoni 2006), per signal (a resonance that moves
from signal to signal is followed) or once for a whole set.
``kurtogram_band`` picks among a kurtogram's bands of a few widths instead
(Antoni 2007), or among bands one gives.

Signals ``x`` are ``(n, length)`` or ``(n, length, 1)`` (one channel),
sampled at ``rate`` Hz; every function computes in float64 and treats each
row on its own. A band is a pair ``(low, high)`` in Hz (frequencies strictly
inside it are kept) or an ``(n, 2)`` array, one band a row.

- ``spectral_kurtosis``: per signal and frequency, ``(n, window // 2 + 1)``;
  ``band_kurtosis``, ``kurtogram``: per signal and band, ``(n, b)``.
- ``pick_band``, ``kurtogram_band``: the most impulsive band, ``(n, 2)``, or
  one pair ``(2,)`` pooled over the signals.
- ``band_passed``, ``envelope_spectrum``: the analytic band-passed signal
  ``(n, length)`` and the amplitude spectrum of its envelope.
- ``tone_speed``: each signal's shaft speed ``(n,)`` read off a tone
  (chapter 5's gear mesh).
- ``envelope_features`` with ``feature_names``: ``(n, features)``, the
  envelope spectrum's energy at harmonics of fault orders, and the
  band-passed signal's kurtosis, crest factor and share of the RMS;
  ``sideband_features`` with ``sideband_names``: the energy at a mesh tone
  +- multiples of the shaft rate (gear faults).
- ``fit_logistic``: multinomial logistic regression on standardised
  features (Adam, full batch), deterministic.
"""

import numbers

import numpy as np

from lib.arguments import ArgumentError, whole_number

# The order-line features' half-width: the larger of an absolute width in Hz and a fraction of the centre, so that
# a line whose speed is read to within about 1% still falls inside (chapter 5: 3 Hz or 1%; 5b: 4 Hz or 1.5%).
HALFWIDTH = (3.0, 0.01)
# The envelope spectrum's reference level: its median over these envelope frequencies (Hz), below the mesh tone.
FLOOR_HZ = (10, 600)


def _rows(x):
    """``x`` as float64 ``(n, length)``: from ``(n, length)`` or ``(n, length, 1)``."""
    x = np.asarray(x)
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[..., 0]
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] < 4:
        raise ArgumentError(f"signals must be (n, length) or (n, length, 1) with n >= 1, length >= 4; got {x.shape}.")
    return x.astype(np.float64)


def _rate(rate):
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 < rate < np.inf:
        raise ArgumentError(f"rate must be a positive sampling rate in Hz; got {rate!r}.")
    return float(rate)


def _bands(band, n, rate):
    """``band`` as a float ``(n, 2)`` array of valid bands: from a pair or from ``(n, 2)``."""
    array = np.asarray(band, dtype=np.float64)
    if array.shape == (2,):
        array = np.broadcast_to(array, (n, 2))
    if array.shape != (n, 2):
        raise ArgumentError(
            f"band must be a pair (low, high) in Hz or one per signal, ({n}, 2); got shape {array.shape}."
        )
    if not np.all((0 <= array[:, 0]) & (array[:, 0] < array[:, 1]) & (array[:, 1] <= rate / 2)):
        raise ArgumentError(f"every band must be (low, high) with 0 <= low < high <= {rate / 2:g} Hz; got {band!r}.")
    return array


def kurtogram_bands(rate, levels=2):
    """The bands of a 1/3-binary kurtogram (Antoni 2007) down to ``levels``: float ``(b, 2)`` in Hz.

    Level ``k`` cuts ``(0, rate / 2)`` into ``2**k`` equal bands and, for
    ``k >= 1``, into ``3 * 2**(k - 1)``; ``levels=2`` gives widths from
    ``rate / 2`` down to ``rate / 12`` (6 kHz to 1 kHz at 12 kHz), 16 bands.
    Narrower bands hold fewer independent samples, so their kurtosis is a
    noisier estimate: on chapter 5's 2,048-point signals a third level (down
    to 500 Hz) picked worse bands.
    """
    rate = _rate(rate)
    levels = whole_number(levels, "levels", minimum=0, hint=" It is the kurtogram's depth (0: one band).")
    nyquist = rate / 2
    bands = []
    for level in range(levels + 1):
        for count in (2**level, 3 * 2 ** (level - 1)) if level else (1,):
            edges = np.linspace(0, nyquist, count + 1)
            bands.extend(zip(edges[:-1], edges[1:]))
    return np.array(bands)


def _analytic(spectrum, hertz, low, high):
    """The analytic signal of the band ``(low, high)``: the FFT's positive frequencies inside it, doubled.
    ``spectrum`` ``(n, length)``; ``low``, ``high`` floats or ``(n, 1)``."""
    return np.fft.ifft(2 * spectrum * ((hertz > low) & (hertz < high)), axis=-1)


def band_kurtosis(x, rate, bands, chunk=512):
    """The spectral kurtosis of each signal in each band: float ``(n, b)``.

    ``bands`` ``(b, 2)`` in Hz. For the analytic signal ``c`` of a band (its
    positive frequencies, doubled), ``K = mean|c|^4 / (mean|c|^2)^2 - 2``
    over the signal's length: 0 for Gaussian noise, -1 for a pure tone,
    large for sparse impacts ringing in the band (Antoni 2006's spectral
    kurtosis of a band's complex envelope). ``nan`` where a band holds no
    frequency bin of the signal. ``chunk`` rows at a time, to bound memory.
    """
    x, rate = _rows(x), _rate(rate)
    bands = np.asarray(bands, dtype=np.float64).reshape(-1, 2)
    hertz = np.fft.fftfreq(x.shape[1], 1 / rate)
    kurtosis = np.full((len(x), len(bands)), np.nan)
    for start in range(0, len(x), chunk):
        spectrum = np.fft.fft(x[start : start + chunk], axis=-1)
        for j, (low, high) in enumerate(bands):
            if not np.any((hertz > low) & (hertz < high)):
                continue
            energy = np.abs(_analytic(spectrum, hertz, low, high)) ** 2
            mean = energy.mean(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                kurtosis[start : start + chunk, j] = np.mean(energy**2, axis=1) / mean**2 - 2
    return kurtosis


def kurtogram(x, rate, levels=2):
    """``(bands, kurtosis)``: ``kurtogram_bands(rate, levels)`` ``(b, 2)`` and ``band_kurtosis`` ``(n, b)``."""
    bands = kurtogram_bands(rate, levels)
    return bands, band_kurtosis(x, rate, bands)


def spectral_kurtosis(x, rate, window=32, step=None, chunk=256):
    """The short-time Fourier estimate of the spectral kurtosis (Antoni 2006): ``(hertz, kurtosis)``.

    ``hertz`` ``(window // 2 + 1,)``; ``kurtosis`` ``(n, window // 2 + 1)``:
    per signal and frequency, ``mean|X|^4 / (mean|X|^2)^2 - 2`` over the
    Hann-windowed frames of ``window`` points every ``step`` (default
    ``window // 4``). 0 for stationary Gaussian noise, high where transients
    ring. ``window`` sets the trade: a short one resolves impacts in time,
    a long one frequencies. ``chunk`` rows at a time, to bound memory.
    """
    x, rate = _rows(x), _rate(rate)
    window = whole_number(window, "window", minimum=4, hint=" It is the frame length in points.")
    step = window // 4 if step is None else whole_number(step, "step", hint=" It is the hop between frames.")
    if window > x.shape[1]:
        raise ArgumentError(f"window ({window}) must not exceed the signals' length ({x.shape[1]}).")
    kurtosis = np.empty((len(x), window // 2 + 1))
    for start in range(0, len(x), chunk):  # the frames of all rows at once would take n * length * window floats
        frames = np.lib.stride_tricks.sliding_window_view(x[start : start + chunk], window, axis=1)[:, ::step]
        energy = np.abs(np.fft.rfft(frames * np.hanning(window), axis=-1)) ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            kurtosis[start : start + chunk] = np.mean(energy**2, axis=1) / np.mean(energy, axis=1) ** 2 - 2
    return np.fft.rfftfreq(window, 1 / rate), kurtosis


def _pooled_or_not(score, pooled):
    """Rows ``(n, k)`` of scores, ``-inf`` where undefined: each row's best column ``(n,)``, or with ``pooled``
    the one column whose mean over the rows is largest (as a ``(1,)`` array)."""
    if pooled:
        mean = np.mean(np.where(np.isneginf(score), np.nan, score), axis=0)
        return np.array([np.nanargmax(np.where(np.isnan(mean), -np.inf, mean))])
    return np.argmax(score, axis=1)


def pick_band(x, rate, window=32, halfwidth_hz=None, search_hz=None, pooled=False):
    """The band where the signal is most impulsive, by spectral kurtosis: float ``(n, 2)``, or ``(2,)`` pooled.

    Per signal (default): the frequency ``f`` of largest ``spectral_kurtosis``
    (frames of ``window`` points) within ``search_hz`` ``(low, high)``
    (default: all frequencies), and the band ``f +- halfwidth_hz`` (default
    ``2 * rate / window``, the Hann window's main lobe: 750 Hz for 32 points
    at 12 kHz), shifted to lie inside ``(0, rate / 2)``. No label enters; a
    single new signal gets its own band; a resonance that moves from signal
    to signal is followed. A signal with nothing impulsive (healthy, or
    drowned) gets whatever band its noise makes look most impulsive.
    ``pooled=True``: one band for all the signals, at the frequency whose
    kurtosis averaged over them is largest: steadier when the resonance is
    fixed, to be chosen on a training set and applied to its test set, but it
    cannot follow a resonance that moves.

    The frames are short on purpose: the kurtosis of a frequency is high when
    its energy comes in bursts, so a frame should be no longer than an
    impact's ringing (32 points, 2.7 ms at 12 kHz, for chapter 5's 1.2 ms
    decay); longer frames average several impacts and the peak fades. For a
    strong fault in little noise the peak sits on the resonance's skirt (some
    600-900 Hz off on chapter 5's signals), where the band-passed ringing is
    shorter and so spikier; the impacts are in that band all the same.
    """
    x, rate = _rows(x), _rate(rate)
    hertz, kurtosis = spectral_kurtosis(x, rate, window)
    half = 2 * rate / window if halfwidth_hz is None else halfwidth_hz
    if isinstance(half, bool) or not isinstance(half, numbers.Real) or not 0 < half < rate / 4:
        raise ArgumentError(f"halfwidth_hz must be a number of Hz in (0, {rate / 4:g}); got {halfwidth_hz!r}.")
    low, high = (0.0, rate / 2) if search_hz is None else _bands(search_hz, 1, rate)[0]
    # Not the two bins at either end: a real frame's DC and Nyquist bins are real, and there (and, through the
    # window's main lobe, next to them) Gaussian noise has a kurtosis of up to 1 instead of 0.
    inside = (hertz >= low) & (hertz <= high) & (hertz > hertz[2]) & (hertz < hertz[-3])
    if not inside.any():
        raise ArgumentError(f"search_hz {search_hz!r} holds no frequency of a {window}-point frame; widen it.")
    score = np.where(inside & np.isfinite(kurtosis), kurtosis, -np.inf)
    centre = hertz[_pooled_or_not(score, pooled)]
    centre = np.clip(centre, half, rate / 2 - half)
    bands = np.stack([centre - half, centre + half], axis=1)
    return bands[0] if pooled else bands


def kurtogram_band(x, rate, bands=None, levels=2, pooled=False):
    """The band of largest ``band_kurtosis`` among ``bands``: float ``(n, 2)``, or ``(2,)`` with ``pooled``.

    ``bands`` ``(b, 2)`` in Hz are the candidates (default
    ``kurtogram_bands(rate, levels)``, Antoni 2007's kurtogram); per signal,
    or with ``pooled`` the one band whose kurtosis averaged over the signals
    is largest (see ``pick_band``). In a small probe on chapter 5's signals
    (one seed, 60 training signals a class) its features classified worse
    than ``pick_band``'s with today's fixed resonance (71% against 81% at
    0 dB) and about as well with a resonance drawn from 2-5 kHz.
    """
    x, rate = _rows(x), _rate(rate)
    bands = kurtogram_bands(rate, levels) if bands is None else np.asarray(bands, dtype=np.float64)
    if bands.ndim != 2 or bands.shape[1] != 2 or len(bands) == 0:
        raise ArgumentError(f"bands must be (b, 2), one (low, high) in Hz a row; got shape {bands.shape}.")
    _bands(bands, len(bands), rate)
    kurtosis = np.nan_to_num(band_kurtosis(x, rate, bands), nan=-np.inf)
    if np.all(np.isneginf(kurtosis)):
        raise ArgumentError(f"no band holds a frequency bin of a {x.shape[1]}-point signal at {rate:g} Hz.")
    chosen = bands[_pooled_or_not(kurtosis, pooled)]
    return chosen[0].copy() if pooled else chosen


def band_passed(x, rate, band):
    """The analytic signal of ``x`` band-passed to ``band``: complex ``(n, length)``.

    The FFT's bins strictly inside ``band`` (a pair, or ``(n, 2)`` one per
    signal), the rest zeroed, doubled, transformed back: the real part is
    the band-passed signal, the modulus its Hilbert envelope. The filter is
    ideal and circular (chapter 5's ``band_passed``, the same numbers for a
    pair).
    """
    x, rate = _rows(x), _rate(rate)
    band = np.asarray(band, dtype=np.float64)
    hertz = np.fft.fftfreq(x.shape[1], 1 / rate)
    if band.shape == (2,):
        _bands(band, len(x), rate)
        return np.fft.ifft(2 * np.fft.fft(x, axis=-1) * ((hertz > band[0]) & (hertz < band[1])), axis=-1)
    band = _bands(band, len(x), rate)
    return _analytic(np.fft.fft(x, axis=-1), hertz, band[:, :1], band[:, 1:])


def envelope_spectrum(x, rate, band=None, pad=1):
    """The amplitude spectrum of each signal's Hilbert envelope in ``band``: ``(hertz, amplitude)``.

    ``hertz`` ``(pad * length // 2 + 1,)``, ``amplitude`` ``(n, ...)`` of the
    same length: ``|rfft(e - mean e)| / length`` with ``e`` the envelope,
    zero-padded ``pad`` times for finer bins. ``band`` a pair, ``(n, 2)``, or
    ``None``: ``pick_band`` per signal.
    """
    x, rate = _rows(x), _rate(rate)
    pad = whole_number(pad, "pad", hint=" It is the zero-padding factor.")
    if band is None:
        band = pick_band(x, rate)
    envelope = np.abs(band_passed(x, rate, band))
    length = x.shape[1]
    amplitude = np.abs(np.fft.rfft(envelope - envelope.mean(axis=1, keepdims=True), pad * length, axis=1)) / length
    return np.fft.rfftfreq(pad * length, 1 / rate), amplitude


def tone_speed(x, rate, order, nominal_hz, tolerance=0.05, pad=4):
    """Each signal's shaft speed in Hz, ``(n,)``, read off a tone at ``order`` times it.

    The peak of the zero-padded amplitude spectrum within ``tolerance`` (a
    fraction) of ``order * nominal_hz``, divided by ``order``: chapter 5 reads
    its speed off the gear mesh (``order=GEAR_TEETH``), whose high order
    makes the reading fine.
    """
    x, rate = _rows(x), _rate(rate)
    pad = whole_number(pad, "pad", hint=" It is the zero-padding factor.")
    hertz = np.fft.rfftfreq(pad * x.shape[1], 1 / rate)
    magnitude = np.abs(np.fft.rfft(x, pad * x.shape[1], axis=1))
    centre = order * nominal_hz
    near = np.abs(hertz - centre) < tolerance * centre
    if not near.any():
        raise ArgumentError(f"no frequency bin lies within {tolerance:g} of {centre:g} Hz; widen tolerance or pad.")
    return hertz[near][np.argmax(magnitude[:, near], axis=1)] / order


def feature_names(orders, harmonics=(1, 2, 3)):
    """The names of ``envelope_features``' columns: ``"{h}x {name}"`` per order and harmonic, then three more."""
    return [f"{h}x {name}" for name in orders for h in harmonics] + ["kurtosis", "crest factor", "band RMS share"]


def _per_signal(value, n, name):
    array = np.asarray(value, dtype=np.float64)
    if array.shape not in ((), (n,)):
        raise ArgumentError(f"{name} must be one number or one per signal, ({n},); got shape {array.shape}.")
    return np.broadcast_to(array, (n,))


def envelope_features(
    x, rate, shaft_hz, orders, band=None, *, harmonics=(1, 2, 3), pad=4, halfwidth=HALFWIDTH, floor_hz=FLOOR_HZ
):
    """Classical features of each signal: float ``(n, len(feature_names(orders, harmonics)))``.

    ``shaft_hz``: the shaft speed, one number or ``(n,)``; ``orders``: a
    dict name -> fault rate in shaft orders (one number or ``(n,)`` each, e.g.
    a bearing's BPFO); ``band``: a pair, ``(n, 2)``, or ``None`` for
    ``pick_band`` per signal (its defaults). Columns, in ``feature_names``'
    order: for each order and harmonic ``h``, the log of the envelope
    spectrum's mean power within ``max(halfwidth[0], halfwidth[1] * centre)``
    Hz of ``h * order * shaft_hz`` (zero-padded ``pad`` times), relative to
    its median over ``floor_hz``; then the log of the band-passed signal's
    kurtosis, of its crest factor, and of its RMS over the whole signal's.
    With ``band=(2000, 4000)`` and chapter 5's orders these are chapter 5's
    features, the same numbers (tested).
    """
    x, rate = _rows(x), _rate(rate)
    n, length = x.shape
    pad = whole_number(pad, "pad", hint=" It is the zero-padding factor.")
    shaft = _per_signal(shaft_hz, n, "shaft_hz")
    if not isinstance(orders, dict) or not orders:
        raise ArgumentError(f"orders must be a non-empty dict name -> shaft orders; got {orders!r}.")
    if band is None:
        band = pick_band(x, rate)
    hertz = np.fft.rfftfreq(pad * length, 1 / rate)
    analytic = band_passed(x, rate, band)
    passed, envelope = analytic.real, np.abs(analytic)
    power = np.abs(np.fft.rfft(envelope - envelope.mean(axis=1, keepdims=True), pad * length, axis=1)) ** 2
    floor = np.median(power[:, (hertz > floor_hz[0]) & (hertz < floor_hz[1])], axis=1)
    columns = []
    for name, order in orders.items():
        order = _per_signal(order, n, f"orders[{name!r}]")
        for harmonic in harmonics:
            centre = (harmonic * order * shaft)[:, None]
            inside = np.abs(hertz - centre) < np.maximum(halfwidth[0], halfwidth[1] * centre)
            columns.append(np.log((power * inside).sum(axis=1) / inside.sum(axis=1) / floor))
    rms = np.sqrt(np.mean(passed**2, axis=1))
    columns.append(np.log(np.mean(passed**4, axis=1) / rms**4))
    columns.append(np.log(np.abs(passed).max(axis=1) / rms))
    columns.append(np.log(rms / np.sqrt(np.mean(x**2, axis=1))))
    return np.stack(columns, axis=1)


def sideband_features(x, rate, shaft_hz, mesh_order, sidebands=(1, 2, 3), pad=4, halfwidth=HALFWIDTH):
    """Gear features: float ``(n, len(sidebands))``, the names ``"mesh +-{k}x shaft"``.

    Per ``k``, the log of the power within the half-width (as in
    ``envelope_features``) of ``mesh +- k * shaft_hz`` (both sides), over
    that of the mesh tone at ``mesh = mesh_order * shaft_hz``, in the
    Hann-windowed, zero-padded spectrum (the window keeps the mesh tone's
    leakage off its sidebands). A tooth fault that modulates the mesh once a
    turn raises them.
    """
    x, rate = _rows(x), _rate(rate)
    n, length = x.shape
    pad = whole_number(pad, "pad", hint=" It is the zero-padding factor.")
    shaft = _per_signal(shaft_hz, n, "shaft_hz")[:, None]
    hertz = np.fft.rfftfreq(pad * length, 1 / rate)
    power = np.abs(np.fft.rfft(x * np.hanning(length), pad * length, axis=1)) ** 2

    def near(centre):
        return np.abs(hertz - centre) < np.maximum(halfwidth[0], halfwidth[1] * centre)

    mesh = mesh_order * shaft
    carrier = (power * near(mesh)).sum(axis=1)
    columns = [
        np.log((power * (near(mesh - k * shaft) | near(mesh + k * shaft))).sum(axis=1) / carrier) for k in sidebands
    ]
    return np.stack(columns, axis=1)


def sideband_names(sidebands=(1, 2, 3)):
    """The names of ``sideband_features``' columns."""
    return [f"mesh +-{k}x shaft" for k in sidebands]


def fit_logistic(features, labels, classes=None, steps=3000, l2=1e-3, learning_rate=0.1):
    """Multinomial logistic regression on standardised features; returns a function features -> labels.

    ``features`` ``(n, f)``, ``labels`` int ``(n,)`` in ``range(classes)``
    (default ``labels.max() + 1``). Full-batch Adam for ``steps`` steps from
    zero weights, L2 penalty ``l2`` on the weights: deterministic, the same
    fit as chapters 5 and 5b wrote in their own cells. The returned function
    takes ``(m, f)`` and gives int ``(m,)``, standardised with the training
    features' mean and standard deviation.
    """
    features = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels)
    if features.ndim != 2 or labels.shape != (len(features),):
        raise ArgumentError(f"features must be (n, f) and labels (n,); got {features.shape} and {labels.shape}.")
    if not np.all(np.isfinite(features)):
        raise ArgumentError("features hold nan or infinite values; a log of zero power is the usual cause.")
    classes = int(labels.max()) + 1 if classes is None else whole_number(classes, "classes", minimum=2)
    mean, std = features.mean(axis=0), features.std(axis=0) + 1e-9
    z = (features - mean) / std
    weights, bias = np.zeros((z.shape[1], classes)), np.zeros(classes)
    moments = [[np.zeros_like(weights), np.zeros_like(bias)] for _ in range(2)]
    targets = np.eye(classes)[labels]
    for step in range(1, steps + 1):
        logits = z @ weights + bias
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        error = (p / p.sum(axis=1, keepdims=True) - targets) / len(labels)
        for i, (value, gradient) in enumerate(((weights, z.T @ error + l2 * weights), (bias, error.sum(axis=0)))):
            moments[0][i] = 0.9 * moments[0][i] + 0.1 * gradient
            moments[1][i] = 0.999 * moments[1][i] + 0.001 * gradient**2
            corrected = moments[0][i] / (1 - 0.9**step), moments[1][i] / (1 - 0.999**step)
            value -= learning_rate * corrected[0] / (np.sqrt(corrected[1]) + 1e-8)
    return lambda new: (((np.asarray(new, dtype=np.float64) - mean) / std) @ weights + bias).argmax(axis=1)
