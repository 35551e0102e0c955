"""lib.envelope: the classical comparator, checked on signals whose resonance and fault rates are known."""

import re

import numpy as np
import pytest

from lib import envelope, signals
from lib.arguments import ArgumentError

RATE = signals.SAMPLING_RATE
# Chapter 5's fault rates, in shaft orders.
ORDERS = {
    "BPFO": signals.BEARING_ORDERS["BPFO"],
    "BPFI": signals.BEARING_ORDERS["BPFI"],
    "2 BSF": 2 * signals.BEARING_ORDERS["BSF"],
    "shaft": 1.0,
}


# Chapter 5's own baseline cells as they are written there (book/05_fault_diagnosis.ipynb, before issue 22),
# the reference lib.envelope must reproduce with a fixed 2-4 kHz band.
def chapter5_band_passed(signal, rate, band=(2000, 4000)):
    hertz = np.fft.fftfreq(signal.shape[-1], 1 / rate)
    return np.fft.ifft(2 * np.fft.fft(signal, axis=-1) * ((hertz > band[0]) & (hertz < band[1])), axis=-1)


def chapter5_envelope_features(x, band=(2000, 4000), pad=4):
    rate = RATE
    x = x[..., 0].astype(np.float64)
    n, length = x.shape
    hertz = np.fft.rfftfreq(pad * length, 1 / rate)
    magnitude = np.abs(np.fft.rfft(x, pad * length, axis=1))
    mesh = signals.GEAR_TEETH * signals.SHAFT_HZ
    near_mesh = np.abs(hertz - mesh) < 0.05 * mesh
    shaft = hertz[near_mesh][np.argmax(magnitude[:, near_mesh], axis=1)] / signals.GEAR_TEETH
    analytic = chapter5_band_passed(x, rate, band)
    passed, envelope_ = analytic.real, np.abs(analytic)
    power = np.abs(np.fft.rfft(envelope_ - envelope_.mean(axis=1, keepdims=True), pad * length, axis=1)) ** 2
    floor = np.median(power[:, (hertz > 10) & (hertz < 600)], axis=1)
    columns = []
    for order in ORDERS.values():
        for harmonic in (1, 2, 3):
            centre = harmonic * order * shaft[:, None]
            inside = np.abs(hertz - centre) < np.maximum(3.0, 0.01 * centre)
            columns.append(np.log((power * inside).sum(axis=1) / inside.sum(axis=1) / floor))
    rms = np.sqrt(np.mean(passed**2, axis=1))
    columns.append(np.log(np.mean(passed**4, axis=1) / rms**4))
    columns.append(np.log(np.abs(passed).max(axis=1) / rms))
    columns.append(np.log(rms / np.sqrt(np.mean(x**2, axis=1))))
    return np.stack(columns, axis=1)


def chapter5_fit_logistic(features, labels, classes=8, steps=3000, l2=1e-3, learning_rate=0.1):
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
    return lambda new: (((new - mean) / std) @ weights + bias).argmax(axis=1)


@pytest.fixture(scope="module")
def chapter5_signals():
    return signals.vibration(3, length=2048, seed=0)


def test_a_fixed_band_gives_chapter_5s_features_exactly(chapter5_signals):
    x, _ = chapter5_signals
    shaft = envelope.tone_speed(x, RATE, signals.GEAR_TEETH, signals.SHAFT_HZ)
    mine = envelope.envelope_features(x, RATE, shaft, ORDERS, band=(2000, 4000))
    np.testing.assert_array_equal(mine, chapter5_envelope_features(x))
    assert mine.shape == (24, len(envelope.feature_names(ORDERS))) == (24, 15)
    assert envelope.feature_names(ORDERS)[:4] == ["1x BPFO", "2x BPFO", "3x BPFO", "1x BPFI"]
    assert envelope.feature_names(ORDERS)[-3:] == ["kurtosis", "crest factor", "band RMS share"]
    as_float64 = x[..., 0].astype(np.float64)
    np.testing.assert_array_equal(envelope.band_passed(x, RATE, (2000, 4000)), chapter5_band_passed(as_float64, RATE))


def test_fit_logistic_is_chapter_5s_fit(chapter5_signals):
    x, y = chapter5_signals
    features = chapter5_envelope_features(x)
    new = features + np.random.default_rng(0).normal(size=features.shape)
    ours = envelope.fit_logistic(features, y, steps=300)
    theirs = chapter5_fit_logistic(features, y, steps=300)
    np.testing.assert_array_equal(ours(new), theirs(new))
    assert ours(features).shape == (24,)
    assert np.mean(ours(features) == y) == 1, "24 clean signals, 15 features: separable"


def test_fit_logistic_refuses_features_it_cannot_fit():
    with pytest.raises(ArgumentError, match="features must be"):
        envelope.fit_logistic(np.zeros((4, 2)), np.zeros(3, int))
    with pytest.raises(ArgumentError, match="nan or infinite"):
        envelope.fit_logistic(np.array([[0.0], [-np.inf]]), np.array([0, 1]))


@pytest.fixture(scope="module")
def moving():
    """Chapter 5's machine with its resonance drawn from 2-5 kHz, and Gaussian noise at 0 dB."""
    parts = signals.machine_components(12, length=2048, seed=3, resonance_hz=signals.RESONANCE_BAND_HZ)
    clean = parts["harmonics"] + parts["sidebands"] + parts["impacts"] + parts["background"]
    return parts, clean, signals.add_noise(clean, 0, "gaussian", seed=1)


def contains(bands, hertz):
    return (bands[:, 0] <= hertz) & (hertz <= bands[:, 1])


def test_the_picked_band_follows_a_resonance_that_moves(moving):
    parts, _, noisy = moving
    bands = envelope.pick_band(noisy, RATE)
    assert bands.shape == (96, 2) and np.allclose(bands[:, 1] - bands[:, 0], 2 * 2 * RATE / 32)
    severe = np.isin(parts["labels"], [2, 4, 7])
    assert contains(bands, parts["resonance_hz"])[severe].mean() >= 0.9
    centres = bands.mean(axis=1)[severe]
    assert np.corrcoef(centres, parts["resonance_hz"][severe])[0, 1] > 0.9
    fixed = np.array([2000, 4000])
    assert contains(np.tile(fixed, (severe.sum(), 1)), parts["resonance_hz"][severe]).mean() < 0.8, (
        "a fixed 2-4 kHz band misses a resonance drawn from 2-5 kHz a third of the time"
    )


def test_a_pooled_band_covers_a_fixed_resonance():
    x, _ = signals.vibration(8, length=2048, seed=4)
    noisy = signals.add_noise(x, -5, "gaussian", seed=2)
    band = envelope.pick_band(noisy, RATE, pooled=True)
    assert band.shape == (2,) and band[0] < signals.RESONANCE_HZ < band[1]
    band = envelope.kurtogram_band(noisy, RATE, pooled=True)
    assert band.shape == (2,) and band[0] < signals.RESONANCE_HZ < band[1]


def test_the_envelope_spectrum_peaks_at_the_fault_rate_in_the_picked_band(moving):
    parts, _, noisy = moving
    for name in ("outer race, severe", "inner race, severe"):
        rows = parts["labels"] == signals.VIBRATION_CLASSES.index(name)
        hertz, amplitude = envelope.envelope_spectrum(noisy[rows], RATE, pad=4)
        assert amplitude.shape == (rows.sum(), 4 * 2048 // 2 + 1) and hertz.shape == amplitude.shape[1:]
        window = (hertz > 50) & (hertz < 300)
        peaks = hertz[window][np.argmax(amplitude[:, window], axis=1)]
        rate = signals.FAULTS[name][0] * parts["shaft_hz"][rows]
        assert np.mean(np.abs(peaks - rate) < 0.03 * rate) >= 0.8, (name, peaks, rate)


def test_spectral_kurtosis_is_zero_for_noise_minus_one_for_a_tone_and_high_where_impacts_ring():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(20, 8192))
    hertz, kurtosis = envelope.spectral_kurtosis(noise, RATE, window=64)
    assert hertz.shape == (33,) and kurtosis.shape == (20, 33)
    assert abs(np.mean(kurtosis[:, 3:-3])) < 0.05
    tone = np.sin(2 * np.pi * 1500 * np.arange(8192) / RATE)[None]
    _, kurtosis = envelope.spectral_kurtosis(tone, RATE, window=64)
    assert kurtosis[0, np.argmin(np.abs(hertz - 1500))] == pytest.approx(-1, abs=0.01)
    parts = signals.machine_components(4, length=4096, seed=0, resonance_hz=4200)
    outer = parts["impacts"][parts["labels"] == signals.VIBRATION_CLASSES.index("outer race, mild")]
    hertz, kurtosis = envelope.spectral_kurtosis(outer + 0.05 * rng.normal(size=outer.shape), RATE, window=32)
    peak = hertz[np.argmax(kurtosis, axis=1)]
    assert np.all(np.abs(peak - 4200) < 1000), peak


def test_band_kurtosis_and_the_kurtogram():
    bands = envelope.kurtogram_bands(RATE, levels=2)
    widths = sorted(set(np.round(bands[:, 1] - bands[:, 0]).astype(int)))
    assert bands.shape == (16, 2) and widths == [1000, 1500, 2000, 3000, 6000]
    assert envelope.kurtogram_bands(RATE, levels=0).tolist() == [[0, 6000]]
    rng = np.random.default_rng(1)
    noise = rng.normal(size=(10, 4096))
    _, kurtosis = envelope.kurtogram(noise, RATE)
    assert kurtosis.shape == (10, 16) and abs(kurtosis.mean()) < 0.1
    t = np.arange(4096) / RATE
    clicks = np.zeros(4096)
    clicks[::400] = 1.0
    ringing = np.convolve(clicks, np.exp(-t[:200] / 0.0012) * np.sin(2 * np.pi * 3000 * t[:200]))[:4096]
    tone = np.sin(2 * np.pi * 1000 * t)
    chosen = envelope.band_kurtosis(np.stack([tone, ringing + 0.1 * noise[0]]), RATE, [(500, 1500), (2500, 3500)])
    assert chosen[0, 0] == pytest.approx(-1, abs=0.01) and chosen[1, 1] > 3
    assert np.isnan(envelope.band_kurtosis(noise[:1, :16], RATE, [(10, 20)])[0, 0]), "no bin inside: undefined"
    picked = envelope.kurtogram_band(np.stack([ringing + 0.1 * noise[0]]), RATE, bands=[(500, 1500), (2500, 3500)])
    assert picked.tolist() == [[2500, 3500]]


def test_tone_speed_reads_each_shaft_off_the_gear_mesh(moving):
    parts, _, noisy = moving
    speed = envelope.tone_speed(noisy, RATE, signals.GEAR_TEETH, signals.SHAFT_HZ)
    assert speed.shape == (96,)
    np.testing.assert_allclose(speed, parts["shaft_hz"], rtol=0.004)


def test_sideband_features_tell_a_modulated_mesh_from_a_healthy_one():
    parts = signals.machine_components(10, length=2048, seed=6, gear_modulation=1.0, gear_impacts=0.0)
    x = parts["harmonics"] + parts["sidebands"] + parts["impacts"] + parts["background"]
    features = envelope.sideband_features(x, RATE, parts["shaft_hz"], signals.GEAR_TEETH)
    assert features.shape == (80, 3) and envelope.sideband_names() == [f"mesh +-{k}x shaft" for k in (1, 2, 3)]
    healthy, chipped = (features[parts["labels"] == label, 0] for label in (0, 6))
    assert chipped.min() > healthy.max()


def test_every_row_is_its_own_and_one_channel_is_accepted(moving):
    parts, _, noisy = moving
    shaft = parts["shaft_hz"]
    both = envelope.envelope_features(noisy, RATE, shaft, ORDERS)
    alone = envelope.envelope_features(noisy[5:6, :, None], RATE, shaft[5:6], ORDERS)
    np.testing.assert_allclose(alone, both[5:6], rtol=1e-10)
    bands = envelope.pick_band(noisy, RATE)
    np.testing.assert_array_equal(envelope.envelope_features(noisy, RATE, shaft, ORDERS, bands), both)
    per_signal_orders = {name: np.full(96, order) for name, order in ORDERS.items()}
    np.testing.assert_array_equal(envelope.envelope_features(noisy, RATE, shaft, per_signal_orders, bands), both)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: envelope.pick_band(x[0], RATE), "signals must be (n, length) or (n, length, 1)"),
        (lambda x: envelope.pick_band(x, 0), "rate must be a positive sampling rate in Hz; got 0."),
        (lambda x: envelope.pick_band(x, RATE, halfwidth_hz=4000), "halfwidth_hz must be a number of Hz in (0, 3000)"),
        (lambda x: envelope.pick_band(x, RATE, window=4096), "window (4096) must not exceed the signals' length"),
        (lambda x: envelope.band_passed(x, RATE, (4000, 2000)), "every band must be (low, high) with 0 <= low < high"),
        (lambda x: envelope.band_passed(x, RATE, np.zeros((3, 2))), "band must be a pair (low, high) in Hz or one per"),
        (lambda x: envelope.kurtogram_band(x, RATE, bands=[1, 2, 3]), "bands must be (b, 2)"),
        (lambda x: envelope.envelope_features(x, RATE, np.ones(3), ORDERS), "shaft_hz must be one number or one per"),
        (lambda x: envelope.envelope_features(x, RATE, 30.0, {}), "orders must be a non-empty dict"),
        (lambda x: envelope.tone_speed(x, RATE, 20, 30.0, tolerance=1e-9), "no frequency bin lies within"),
    ],
)
def test_errors_say_what_to_pass(call, message):
    x = np.random.default_rng(0).normal(size=(4, 512))
    with pytest.raises(ArgumentError, match=re.escape(message)):
        call(x)
