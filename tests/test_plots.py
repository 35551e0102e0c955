import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lib import plots  # noqa: E402


def test_gradient_norms_draws_one_line_per_network_on_a_log_axis(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    plots.gradient_norms({"a": [1.0, 2.0, 4.0], "b": [0.5, 0.5]}, title="t")
    fig = plt.gcf()
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel() and fig.dpi == plots.DPI
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["a", "b", "dense classifier"]
    diamonds = [line for line in ax.lines if line.get_marker() == "D" and len(line.get_xdata())]
    # The classifier is each network's last point, a diamond of that network's colour.
    assert [(list(d.get_xdata()), list(d.get_ydata())) for d in diamonds] == [([3], [4.0]), ([2], [0.5])]
    convolutions = [line for line in ax.lines if line.get_marker() == "."]
    assert [list(line.get_ydata()) for line in convolutions] == [[1.0, 2.0], [0.5]]
    plt.close("all")


def test_image_grid_marks_wrong_predictions(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    plots.image_grid(np.zeros((3, 4, 4, 1)), [0, 1, 2], [0, 2, 2], class_names=["a", "b", "c"], columns=2)
    titles = [ax.title for ax in plt.gcf().axes if ax.get_title()]
    assert [t.get_text() for t in titles] == ["true: a\npred: a", "true: b\npred: c", "true: c\npred: c"]
    assert titles[1].get_color() == plots.PALETTE["vermillion"] and titles[0].get_color() == "black"
    plt.close("all")


def test_the_book_style_draws_in_the_palette():
    with matplotlib.rc_context():
        plots.use_book_style()
        fig, ax = plt.subplots()
        lines = [ax.plot([0, 1], [0, i])[0] for i in range(len(plots.CYCLE))]
        assert [line.get_color() for line in lines] == [plots.PALETTE[name] for name in plots.CYCLE]
        assert set(plots.CYCLE) == set(plots.PALETTE) - {"black"}
        plt.close(fig)


def test_learning_curves_draw_a_panel_per_net_and_a_thin_line_per_seed(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    rows = [
        {"net": net, "seed": seed, "epoch": epoch, "accuracy": 0.1 * epoch + seed, "val_accuracy": 0.05 * epoch}
        for net in ("ResNet", "DRSN")
        for seed in (0, 1, 2)
        for epoch in (1, 2, 3)
    ]
    plots.learning_curves(pd.DataFrame(rows), ylabel="accuracy")
    fig = plt.gcf()
    assert [ax.get_title() for ax in fig.axes] == ["ResNet", "DRSN"] and fig.dpi == plots.DPI
    resnet = [line for line in fig.axes[0].lines if len(line.get_xdata())]
    assert len(resnet) == 6  # three seeds, training and held out
    assert {line.get_linestyle() for line in resnet} == {"-", "--"}
    assert {line.get_color() for line in resnet} == {plots.PALETTE["blue"]}
    assert list(resnet[2].get_ydata()) == pytest.approx([1.1, 1.2, 1.3])  # seed 1, training
    labels = [text.get_text() for text in fig.axes[-1].get_legend().get_texts()]
    assert labels == ["training", "held out"]
    plt.close("all")
