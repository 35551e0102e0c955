"""The book's figures. Each function draws one figure and shows it."""

import matplotlib.pyplot as plt
import numpy as np


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
