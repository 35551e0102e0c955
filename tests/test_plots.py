import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lib import plots  # noqa: E402


def test_gradient_norms_draws_one_line_per_network_on_a_log_axis(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    plots.gradient_norms({"a": [1.0, 2.0, 4.0], "b": [0.5, 0.5]}, title="t")
    ax = plt.gcf().axes[0]
    assert len(ax.lines) == 2 and ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel()
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
