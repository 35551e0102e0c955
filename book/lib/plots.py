"""The book's figures. Each function draws one figure and shows it."""

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

# Okabe and Ito's colour-blind-safe palette (https://jfly.uni-koeln.de/color/), by name.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
# The order in which a figure's lines and bars take PALETTE's colours (black is kept for text and edges).
CYCLE = ("blue", "vermillion", "green", "orange", "sky", "purple", "yellow")
# The resolution of every figure and diagram of the book (pass dpi=DPI to plt.subplots). nbval compares a figure's
# text, "<Figure size 1050x600 with 1 Axes>", which the dpi scales.
DPI = 150


def use_book_style():
    """Every figure drawn after this call takes ``CYCLE``'s colours in turn.

    ``lib.setup`` calls it, so that every chapter's figures share one palette.
    """
    plt.rcParams["axes.prop_cycle"] = cycler(color=[PALETTE[name] for name in CYCLE])


def gradient_norms(norms, title=None):
    """Per-layer gradient norms, one line a network, log scale, at ``DPI``.

    ``norms``: mapping from a network's name to a sequence of norms ordered
    from the first convolution to the output layer, whose last entry is the
    dense classifier: it is drawn as an open diamond, set apart from the
    convolutions by a dotted line.
    """
    fig, ax = plt.subplots(figsize=(7, 4), dpi=DPI)
    for name, values in norms.items():
        layer = np.arange(1, len(values) + 1)
        (line,) = ax.plot(layer[:-1], values[:-1], marker=".", label=name)
        ax.plot(layer[-2:], values[-2:], color=line.get_color(), linestyle=":")
        ax.plot(layer[-1], values[-1], color=line.get_color(), marker="D", markerfacecolor="none", linestyle="none")
    ax.plot([], [], color="grey", marker="D", markerfacecolor="none", linestyle="none", label="dense classifier")
    ax.set_yscale("log")
    ax.set_xlabel("weighted layer (1 = the first convolution; the last point of each line is the classifier)")
    ax.set_ylabel("gradient norm ‖∂L/∂W‖")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    if title:
        ax.set_title(title)
    plt.show()


def learning_curves(histories, metric="accuracy", ylabel=None, per_epoch="epoch"):
    """The learning curves of one comparison: a panel a net, each seed a thin line, training and held-out.

    ``histories``: one table of ``lib.train.fit`` histories stacked, with
    columns ``net``, ``seed``, ``per_epoch`` and ``metric`` (solid: measured
    on the training data, as the caller logged it: Keras' running value in
    training mode, or an inference-mode probe) and, where there was held-out
    data, ``val_`` + ``metric`` (dashed). Nets keep their order of appearance and
    take ``CYCLE``'s colours; the panels share their y axis.
    """
    nets = list(dict.fromkeys(histories["net"]))
    fig, axes = plt.subplots(1, len(nets), figsize=(3.2 * len(nets) + 1, 3.4), sharey=True, squeeze=False, dpi=DPI)
    for ax, net, colour in zip(axes[0], nets, [PALETTE[name] for name in CYCLE * len(nets)]):
        for _, run in histories[histories["net"] == net].groupby("seed"):
            ax.plot(run[per_epoch], run[metric], color=colour, linewidth=0.8, alpha=0.8)
            if f"val_{metric}" in run:
                ax.plot(run[per_epoch], run[f"val_{metric}"], color=colour, linewidth=0.8, alpha=0.8, linestyle="--")
        ax.set_title(net)
        ax.set_xlabel(per_epoch)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(ylabel or metric)
    axes[0][-1].plot([], [], color="grey", label="training")
    if f"val_{metric}" in histories:
        axes[0][-1].plot([], [], color="grey", linestyle="--", label="held out")
    axes[0][-1].legend(loc="best", fontsize=8)
    plt.tight_layout()
    plt.show()


def image_grid(images, true_labels, predicted_labels=None, class_names=None, columns=5, dpi=DPI):
    """Images with their true (and predicted) labels; wrong ones in vermillion.

    ``images``: ``(n, h, w)`` or ``(n, h, w, c)`` with values in [0, 1].
    ``dpi``: the figure's resolution, the book's ``DPI`` unless told.
    """
    n = len(images)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2 * columns, 2.3 * rows), squeeze=False, dpi=dpi)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        image = np.asarray(images[i])
        ax.imshow(image.squeeze(), cmap="gray" if image.ndim == 2 or image.shape[-1] == 1 else None)
        text = f"true: {_label(true_labels[i], class_names)}"
        color = "black"
        if predicted_labels is not None:
            text += f"\npred: {_label(predicted_labels[i], class_names)}"
            color = "black" if predicted_labels[i] == true_labels[i] else PALETTE["vermillion"]
        ax.set_title(text, fontsize=9, color=color)
    plt.tight_layout()
    plt.show()


def _label(index, class_names):
    return class_names[int(index)] if class_names else str(int(index))
