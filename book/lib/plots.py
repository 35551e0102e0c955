"""The book's figures. Each function draws one figure and shows it."""

import matplotlib.pyplot as plt
import numpy as np


def training_curves(tables, metric="error", title=None):
    """He et al.-style curves: thin training, bold validation, one colour a net.

    ``tables``: histories from ``lib.train.fit`` (their ``attrs["model"]``
    labels the lines). ``metric``: a column such as ``"error"`` or ``"loss"``.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    for color, table in zip(plt.cm.tab10.colors, tables):
        label = table.attrs.get("model", "")
        ax.plot(
            table["epoch"],
            100 * table[metric] if metric.endswith("error") else table[metric],
            color=color,
            linewidth=1,
            linestyle="--",
            label=f"{label} (train)",
        )
        if f"val_{metric}" in table:
            values = table[f"val_{metric}"]
            ax.plot(
                table["epoch"],
                100 * values if metric.endswith("error") else values,
                color=color,
                linewidth=2.5,
                label=f"{label} (test)",
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{metric} (%)" if metric.endswith("error") else metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    if title:
        ax.set_title(title)
    plt.show()


def gradient_norms(norms, title=None):
    """Per-layer gradient norms, one line a network, log scale.

    ``norms``: mapping from a network's name to a sequence of norms ordered
    from the input layer to the output layer.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, values in norms.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker=".", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("convolution layer (1 = nearest the input)")
    ax.set_ylabel("gradient norm ‖∂L/∂W‖")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    if title:
        ax.set_title(title)
    plt.show()


def image_grid(images, true_labels, predicted_labels=None, class_names=None, columns=5):
    """Images with their true (and predicted) labels; wrong ones in red.

    ``images``: ``(n, h, w)`` or ``(n, h, w, c)`` with values in [0, 1].
    """
    n = len(images)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2 * columns, 2.3 * rows), squeeze=False)
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
            color = "black" if predicted_labels[i] == true_labels[i] else "crimson"
        ax.set_title(text, fontsize=9, color=color)
    plt.tight_layout()
    plt.show()


def _label(index, class_names):
    return class_names[int(index)] if class_names else str(int(index))
