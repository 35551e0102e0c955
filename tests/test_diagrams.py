import pathlib
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from lib import diagrams  # noqa: E402
from lib.plots import PALETTE  # noqa: E402

# Where each diagram is saved (dpi 150), to look at.
SAVED = pathlib.Path("/tmp/diagrams")

# Each diagram -> labels it must show (whitespace, line breaks included, folded to one space).
LABELS = {
    "plain_vs_residual": ["plain unit", "residual unit", "weight layer", "F(x)", "identity x", "F(x) + x"],
    "basic_vs_bottleneck": ["basic unit", "bottleneck unit", "3×3 conv, 64", "1×1 conv, 64", "1×1 conv, 256"],
    "post_vs_pre_activation": ["original (post-activation)", "pre-activation", "BN", "ReLU", "identity x"],
    "shortcut_options": [
        "option A",
        "option B",
        "option C",
        "a unit that changes the shape: 32×32×16 → 16×16×32",
        "a unit that keeps it: 16×16×32 → 16×16×32",
        "subsample ×2, zero-pad to 32 channels (no parameters)",
        "1×1 conv, 32, /2 + BN (576 parameters)",
        "1×1 conv, 32 + BN (1,088 parameters)",
        "identity x",
    ],
    "cifar_network": [
        "ResNet-(6n + 2) for CIFAR-10",
        "image: 32×32×3",
        "stage 1: n units, 16 filters",
        "stage 2: n units, 32 filters, the first /2",
        "stage 3: n units, 64 filters, the first /2",
        "32×32×16",
        "16×16×32",
        "8×8×64",
        "option A: subsample ×2, zero-pad to 32 channels",
        "identity x",
    ],
    "resnet50_network": [
        "ResNet-50",
        "image: 224×224×3",
        "7×7 conv, 64, /2 BN, ReLU",
        "3×3 max pool, /2",
        "conv2_x: 3 units 1×1, 64 · 3×3, 64 · 1×1, 256",
        "conv3_x: 4 units, the first /2 1×1, 128 · 3×3, 128 · 1×1, 512",
        "conv4_x: 6 units, the first /2 1×1, 256 · 3×3, 256 · 1×1, 1024",
        "conv5_x: 3 units, the first /2 1×1, 512 · 3×3, 512 · 1×1, 2048",
        "112×112×64",
        "56×56×256",
        "7×7×2048",
        "1×1 conv, 512, /2 + BN",
        "identity x",
    ],
    "shrinkage_units": [
        "channel-shared (RSBU-CS)",
        "channel-wise (RSBU-CW)",
        "absolute value",
        "global average pool",
        "FC (1 unit)",
        "FC (C units)",
        "sigmoid = α",
        "× mean|f| = τ",
        "soft threshold",
    ],
}


@pytest.fixture(params=sorted(LABELS))
def diagram(request, monkeypatch):
    """(name, the figure it showed), the figure drawn and saved to SAVED."""
    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    plt.close("all")
    getattr(diagrams, request.param)()
    assert len(shown) == 1 and plt.get_fignums() == [shown[0].number]
    fig = shown[0]
    SAVED.mkdir(exist_ok=True)
    fig.savefig(SAVED / f"{request.param}.png", dpi=150)
    fig.canvas.draw()
    yield request.param, fig
    plt.close(fig)


def _texts(ax):
    return [t for t in ax.texts if t.get_text().strip()]


def test_shows_its_labels(diagram):
    name, fig = diagram
    shown = {" ".join(t.get_text().split()) for ax in fig.axes for t in _texts(ax)}
    assert set(LABELS[name]) <= shown


def test_is_a_book_figure(diagram):
    _, fig = diagram
    width, height = fig.get_size_inches()
    assert 9 <= width <= 11 and height > 3
    assert all(t.get_fontsize() >= 9 for ax in fig.axes for t in _texts(ax))


def test_no_two_labels_overlap(diagram):
    _, fig = diagram
    for ax in fig.axes:
        boxes = [(t.get_text(), t.get_window_extent()) for t in _texts(ax)]
        for i, (a, box_a) in enumerate(boxes):
            for b, box_b in boxes[i + 1 :]:
                assert not box_a.overlaps(box_b), (a, b)


def test_labels_fit_in_their_boxes_and_the_figure(diagram):
    _, fig = diagram
    figure = fig.bbox.padded(-1)
    for ax in fig.axes:
        # The boxes in front; a stage's stack of units draws copies of its box behind it (lower zorder).
        patches = [p.get_window_extent() for p in ax.patches if p.get_zorder() >= 3]
        assert len(patches) >= len(ax.patches) / 3
        for text in _texts(ax):
            extent = text.get_window_extent()
            assert figure.x0 <= extent.x0 and extent.x1 <= figure.x1, text.get_text()
            assert figure.y0 <= extent.y0 and extent.y1 <= figure.y1, text.get_text()
            centre = ax.transData.transform(text.get_position())
            for patch in (p.padded(1) for p in patches if p.contains(*centre)):
                assert patch.contains(extent.x0, extent.y0) and patch.contains(extent.x1, extent.y1), text.get_text()


def test_boxes_are_filled_with_palette_colours(diagram):
    _, fig = diagram
    fills = {tuple(round(c, 6) for c in diagrams._fill(kind)) for kind in diagrams.KINDS}
    patches = [p for ax in fig.axes for p in ax.patches]
    assert patches and {tuple(round(c, 6) for c in p.get_facecolor()[:3]) for p in patches} <= fills
    assert set(diagrams.KINDS.values()) <= set(PALETTE)


def test_fills_blend_palette_colours_toward_white():
    for kind, name in diagrams.KINDS.items():
        fill, colour = diagrams._fill(kind), to_rgb(PALETTE[name])
        assert all(c <= f <= 1 for c, f in zip(colour, fill)) and fill != (1.0, 1.0, 1.0)
    assert len({diagrams._fill(kind) for kind in diagrams.KINDS}) == len(diagrams.KINDS)


def _count(text):
    """The whole number in a label such as "(1,088 parameters)"; 0 for "(no parameters)"."""
    found = re.search(r"\(([\d,]+|no) ?\s*parameters\)", " ".join(text.split()))
    assert found, text
    return 0 if found.group(1) == "no" else int(found.group(1).replace(",", ""))


@pytest.mark.parametrize("option", "ABC")
def test_shortcut_options_count_the_parameters_lib_learns(option):
    """What each panel draws is ``lib.blocks.shortcut`` on its unit: the identity, or as many learned parameters."""
    import keras

    from lib import blocks

    units = (((32, 32, 16), 2), ((16, 16, 32), 1))  # the top row's input and stride, the bottom row's
    for (shape, strides), label in zip(units, diagrams.SHORTCUTS[f"option {option}"]):
        inputs = keras.Input(shape)
        outputs = blocks.shortcut(inputs, 32, strides, option, name="unit")
        assert outputs.shape == (None, 16, 16, 32)
        if label.startswith("identity"):
            assert outputs is inputs, (option, label)
            continue
        learned = keras.Model(inputs, outputs).trainable_weights
        assert sum(int(np.prod(weight.shape)) for weight in learned) == _count(label), (option, label)
