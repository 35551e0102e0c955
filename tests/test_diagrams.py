import pathlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
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
        "subsample ×2, zero-pad channels",
        "1×1 conv, 32, stride 2 + BN (only where the shape changes)",
        "1×1 conv + BN on every unit",
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
        patches = [p.get_window_extent() for p in ax.patches]
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
