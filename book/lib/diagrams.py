"""The book's block and network diagrams, drawn with matplotlib. Each function draws one figure and shows it.

Data flows from top to bottom. Boxes are coloured by kind, the same in every
diagram (``KINDS``): convolutions and weight layers, batch norm, activations,
parameter-free shortcuts, the addition, the threshold sub-network and the soft
threshold. The network diagrams (``cifar_network``, ``resnet50_network``) draw
the steps of a whole network in the weight layers' colour, pooling included,
a stage of several units as a stack of boxes, and the shape of the tensor
beside each arrow. Coordinates are in inches from the top left corner of each
panel.
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.colors import to_rgb
from matplotlib.patches import Circle, FancyBboxPatch

from lib.plots import DPI, PALETTE

# A kind of box -> its PALETTE colour (fills blended toward white, edges a shade darker).
KINDS = {
    "conv": "blue",
    "bn": "orange",
    "relu": "green",
    "shortcut": "purple",
    "add": "vermillion",
    "threshold": "sky",
    "shrink": "yellow",
}
TINT = 0.3  # how much of the palette colour a fill keeps; the rest is white
INK = PALETTE["black"]
FONT = 10
LINE = 0.17  # height of a line of text at FONT, inches
GAP = 0.26  # length of an arrow between two boxes
RADIUS = 0.14  # of the addition node
STACKED, STEP = 2, 0.07  # a stage of units: copies of its box drawn behind it, each this far down and right


@dataclass
class _Node:
    x: float
    y: float
    w: float
    h: float

    @property
    def top(self):
        return self.y - self.h / 2

    @property
    def bottom(self):
        return self.y + self.h / 2


def _fill(kind):
    """The fill of a box of ``kind``: its palette colour blended toward white."""
    return tuple(1 - TINT * (1 - c) for c in to_rgb(PALETTE[KINDS[kind]]))


def _edge(kind):
    """The edge of a box of ``kind``: its palette colour a shade darker (yellow's too)."""
    return tuple(0.8 * c for c in to_rgb(PALETTE[KINDS[kind]]))


def _kind(label):
    """The kind of a box, from its label."""
    if label == "+":
        return "add"
    if label.startswith("BN"):
        return "bn"
    if label == "ReLU":
        return "relu"
    if label == "soft threshold":
        return "shrink"
    return "conv"


def _height(label):
    """The height of the box for ``label``, in inches."""
    return 2 * RADIUS if label == "+" else LINE * (label.count("\n") + 1) + 0.14


def _box(ax, x, y, label, kind=None, w=1.6):
    """A box centred at ``(x, y)`` (``kind`` from the label unless given); returns its node.

    ``label`` "+" draws the addition node, a circle.
    """
    kind = kind or _kind(label)
    if kind == "add":
        ax.add_patch(Circle((x, y), RADIUS, fc=_fill(kind), ec=_edge(kind), lw=1.5, zorder=3))
        ax.text(x, y, "+", ha="center", va="center", fontsize=FONT + 3, color=INK, zorder=4)
        return _Node(x, y, 2 * RADIUS, 2 * RADIUS)
    h = _height(label)
    _frame(ax, x, y, w, h, kind)
    ax.text(x, y, label, ha="center", va="center", fontsize=FONT, color=INK, zorder=4, linespacing=1.2)
    return _Node(x, y, w, h)


def _frame(ax, x, y, w, h, kind, zorder=3):
    """The rounded box of a ``kind``, ``w`` by ``h`` inches, centred at ``(x, y)``, without a label."""
    box = FancyBboxPatch(
        (x - w / 2, y - h / 2),
        w,
        h,
        boxstyle="round,pad=0,rounding_size=0.06",
        fc=_fill(kind),
        ec=_edge(kind),
        lw=1.3,
        zorder=zorder,
    )
    ax.add_patch(box)


def _text(ax, x, y, label, ha="center", **kwargs):
    """A bare label, e.g. the input ``x`` or a note beside a line; returns its node (one line high)."""
    ax.text(x, y, label, ha=ha, va="center", fontsize=FONT, color=INK, zorder=4, **kwargs)
    return _Node(x, y, 0.3, LINE + 0.06)


def _arrow(ax, start, end):
    """An arrow from point ``start`` to point ``end``."""
    props = dict(arrowstyle="-|>", color=INK, lw=1.2, shrinkA=0, shrinkB=0, mutation_scale=12)
    ax.annotate("", xy=end, xytext=start, arrowprops=props, zorder=2)


def _line(ax, *points):
    """A polyline through ``points``, no head."""
    xs, ys = zip(*points)
    ax.plot(xs, ys, color=INK, lw=1.2, zorder=2, solid_capstyle="butt")


def _chain(ax, x, y, labels, w=1.6, after=None, kind=None):
    """Boxes for ``labels`` one below another, the first's top at ``y``, joined by arrows.

    ``after``: a node above, to draw an arrow from into the first box; ``kind``: of every box,
    else each from its label. Returns the nodes.
    """
    nodes = []
    for label in labels:
        node = _box(ax, x, y + _height(label) / 2, label, kind, w)
        if after is not None:
            _arrow(ax, (after.x, after.bottom), (node.x, node.top))
        nodes.append(node)
        after, y = node, node.bottom + GAP
    return nodes


def _unit(ax, x, inp, labels, out="out", side=None, shortcut=None, w=1.6, top=0.75):
    """A residual unit: input text ``inp`` at height ``top``, the ``labels`` in a column, "+" among them, then ``out``.

    The shortcut leaves the input arrow, runs down at ``side`` (x) and enters the "+" from the side;
    ``shortcut`` labels it: a box label (multi-line) or, when it starts with "identity", a note.
    Returns the nodes, input first and output last.
    """
    head = _text(ax, x, top, inp)
    nodes = [head] + _chain(ax, x, head.bottom + 2 * GAP, labels, w=w, after=head)
    nodes.append(_text(ax, x, nodes[-1].bottom + GAP + 0.1, out))
    _arrow(ax, (nodes[-2].x, nodes[-2].bottom), (x, nodes[-1].top))
    if side is not None:
        add = nodes[labels.index("+") + 1]
        _shortcut(ax, (x, head.bottom + GAP), add, side, shortcut)
    return nodes


def _shortcut(ax, fork, add, side, label, w=1.45):
    """The shortcut from point ``fork`` to the addition node ``add``, running down at ``side``.

    ``label``: a box of width ``w`` on the line (blue for a convolution, purple for a parameter-free
    map) or, when it starts with "identity", an italic note beside it.
    """
    edge = add.x + (RADIUS if side > add.x else -RADIUS)
    ax.plot(*fork, "o", color=INK, ms=4, zorder=4)
    _line(ax, fork, (side, fork[1]), (side, add.y))
    _arrow(ax, (side, add.y), (edge, add.y))
    middle = (fork[1] + add.y) / 2
    if label.startswith("identity"):
        ha = "left" if side > add.x else "right"
        _text(ax, side + (0.08 if ha == "left" else -0.08), middle, label, ha=ha, style="italic")
    else:
        _box(ax, side, middle, label, kind="conv" if "conv" in label else "shortcut", w=w)


def _panels(titles, width):
    """A figure of one panel a title, side by side; returns the figure and the axes.

    ``width``: of every panel in inches, or a sequence, one width a panel.
    """
    widths = [width] * len(titles) if isinstance(width, (int, float)) else list(width)
    fig = plt.figure(figsize=(sum(widths), 6), dpi=DPI)
    axes = []
    for i, (title, width) in enumerate(zip(titles, widths)):
        ax = fig.add_axes((sum(widths[:i]) / sum(widths), 0, width / sum(widths), 1))
        ax.set_axis_off()
        ax.set_xlim(0, width)
        ax.text(width / 2, 0.3, title, ha="center", va="center", fontsize=FONT + 1, weight="bold", color=INK)
        axes.append(ax)
    return fig, axes


def _show(fig, axes, nodes):
    """Fit the figure's height to its lowest node and show it."""
    height = max(node.bottom for node in nodes) + 0.25
    fig.set_size_inches(fig.get_size_inches()[0], height)
    for ax in axes:
        ax.set_ylim(height, 0)
    plt.show()


def plain_vs_residual():
    """A plain unit beside a residual unit with an identity shortcut (He et al. 2016, Fig. 2)."""
    fig, (left, right) = _panels(["plain unit", "residual unit"], 4.6)
    plain = _unit(left, 2.1, "x", ["weight layer", "ReLU", "weight layer", "ReLU"])
    residual = _unit(
        right, 2.1, "x", ["weight layer", "ReLU", "weight layer", "+", "ReLU"], side=3.5, shortcut="identity x"
    )
    top, bottom = residual[1].top, residual[3].bottom
    _line(right, (1.22, top), (1.14, top), (1.14, bottom), (1.22, bottom))
    _text(right, 1.06, (top + bottom) / 2, "F(x)", ha="right", style="italic")
    _text(right, 2.1 - RADIUS - 0.12, residual[4].y, "F(x) + x", ha="right", style="italic")
    _show(fig, (left, right), plain + residual)


def basic_vs_bottleneck():
    """The basic unit beside the bottleneck unit of deeper ResNets (He et al. 2016, Fig. 5)."""
    fig, (left, right) = _panels(["basic unit", "bottleneck unit"], 4.6)
    basic = ["3×3 conv, 64", "BN", "ReLU", "3×3 conv, 64", "BN", "+", "ReLU"]
    bottleneck = ["1×1 conv, 64", "BN", "ReLU", "3×3 conv, 64", "BN", "ReLU", "1×1 conv, 256", "BN", "+", "ReLU"]
    a = _unit(left, 2.1, "x: 64 channels", basic, side=3.5, shortcut="identity x")
    b = _unit(right, 2.1, "x: 256 channels", bottleneck, side=3.5, shortcut="identity x")
    _show(fig, (left, right), a + b)


def post_vs_pre_activation():
    """The original unit, activated after the addition, beside the full pre-activation unit, with
    nothing after the addition (He et al. 2016b, "Identity Mappings in Deep Residual Networks", Fig. 4a, 4e).
    """
    fig, (left, right) = _panels(["original (post-activation)", "pre-activation"], 4.6)
    post = ["3×3 conv", "BN", "ReLU", "3×3 conv", "BN", "+", "ReLU"]
    pre = ["BN", "ReLU", "3×3 conv", "BN", "ReLU", "3×3 conv", "+"]
    a = _unit(left, 2.1, "x", post, side=3.5, shortcut="identity x")
    b = _unit(right, 2.1, "x", pre, side=3.5, shortcut="identity x")
    _show(fig, (left, right), a + b)


def _stack(ax, x, y, label, w):
    """A box drawn over ``STACKED`` offset copies of itself, a stage of several units; returns the front node."""
    for copy in range(STACKED, 0, -1):
        _frame(ax, x + STEP * copy, y + STEP * copy, w, _height(label), _kind(label), zorder=3 - 0.1 * copy)
    return _box(ax, x, y, label, w=w)


def _pipeline(ax, x, inp, steps, out, w):
    """A network as a column: text ``inp``, one box per step, text ``out``, joined by arrows.

    ``steps``: (label, shape, stacked) each, ``shape`` written beside the arrow that leaves the box,
    ``stacked`` drawing the box as a stack (a stage of several units). Returns the nodes.
    """
    nodes = [_text(ax, x, 0.75, inp)]
    above, y = nodes[0].bottom, nodes[0].bottom + 2 * GAP  # where the next arrow starts; the next box's top
    for label, shape, stacked in steps:
        node = (_stack if stacked else _box)(ax, x, y + _height(label) / 2, label, w=w)
        _arrow(ax, (x, above), (x, node.top))
        nodes.append(node)
        above = node.bottom + (STACKED * STEP if stacked else 0)  # under a stack's last copy
        _text(ax, x + 0.1, above + (GAP + 0.08) / 2, shape, ha="left")
        y = above + GAP + 0.08
    nodes.append(_text(ax, x, y + LINE / 2, out))
    _arrow(ax, (x, above), (x, nodes[-1].top))
    return nodes


def cifar_network():
    """He et al.'s (2016, Sec. 4.2) CIFAR-10 ResNet of 6n + 2 layers, with its shapes and its shortcuts.

    Left: the whole network, a 3x3 convolution, three stages of n basic units at 32x32x16,
    16x16x32 and 8x8x64, pooling and the classifier. Right: the two kinds of unit, the first of
    stage 2 (and 3), which halves the resolution and doubles the channels with option A's
    parameter-free shortcut, and every other unit, whose shortcut is the identity.
    """
    fig, (left, right) = _panels(["ResNet-(6n + 2) for CIFAR-10", "its two kinds of unit"], (4.2, 6))
    steps = [
        ("3×3 conv, 16\nBN, ReLU", "32×32×16", False),
        ("stage 1: n units,\n16 filters", "32×32×16", True),
        ("stage 2: n units, 32 filters,\nthe first /2", "16×16×32", True),
        ("stage 3: n units, 64 filters,\nthe first /2", "8×8×64", True),
        ("global average pool", "64", False),
        ("10-way dense, softmax", "10", False),
    ]
    network = _pipeline(left, 1.7, "image: 32×32×3", steps, "class probabilities", 2.5)
    first = ["3×3 conv, 32, /2\nBN, ReLU\n3×3 conv, 32\nBN", "+", "ReLU"]
    other = ["3×3 conv, 32\nBN, ReLU\n3×3 conv, 32\nBN", "+", "ReLU"]
    option_a = "option A:\nsubsample ×2,\nzero-pad to 32\nchannels"
    units = _unit(right, 0.9, "x: 32×32×16", first, "out: 16×16×32", 2.45, option_a, w=1.5, top=1.2)
    units += _unit(right, 4.05, "x: 16×16×32", other, "out: 16×16×32", 5.05, "identity x", w=1.5, top=1.2)
    _text(right, 1.25, 0.8, "the first of stage 2 (and 3)", style="italic")
    _text(right, 4.3, 0.8, "every other unit (here in stage 2)", style="italic")
    _show(fig, (left, right), network + units)


def resnet50_network():
    """He et al.'s (2016, Table 1) ResNet-50, with its stages, their shapes and its shortcuts.

    Left: the whole network, the stem (a 7x7 convolution and a 3x3 max-pool, both stride 2), four
    stages of 3, 4, 6 and 3 bottleneck units, pooling and the classifier. Right: the two kinds of
    unit, the first of a stage, whose shortcut is a projection (a 1x1 convolution, strided from
    conv3_x on), and every other unit, whose shortcut is the identity.
    """
    fig, (left, right) = _panels(["ResNet-50", "its two kinds of unit"], (4.2, 6))
    steps = [
        ("7×7 conv, 64, /2\nBN, ReLU", "112×112×64", False),
        ("3×3 max pool, /2", "56×56×64", False),
        ("conv2_x: 3 units\n1×1, 64 · 3×3, 64 · 1×1, 256", "56×56×256", True),
        ("conv3_x: 4 units, the first /2\n1×1, 128 · 3×3, 128 · 1×1, 512", "28×28×512", True),
        ("conv4_x: 6 units, the first /2\n1×1, 256 · 3×3, 256 · 1×1, 1024", "14×14×1024", True),
        ("conv5_x: 3 units, the first /2\n1×1, 512 · 3×3, 512 · 1×1, 2048", "7×7×2048", True),
        ("global average pool", "2048", False),
        ("1000-way dense, softmax", "1000", False),
    ]
    network = _pipeline(left, 1.8, "image: 224×224×3", steps, "class probabilities", 3.3)
    first = ["1×1 conv, 128, /2\nBN, ReLU", "3×3 conv, 128\nBN, ReLU", "1×1 conv, 512\nBN", "+", "ReLU"]
    other = ["1×1 conv, 128\nBN, ReLU", "3×3 conv, 128\nBN, ReLU", "1×1 conv, 512\nBN", "+", "ReLU"]
    projection = "1×1 conv,\n512, /2\n+ BN"  # conv2_x's first unit projects too: 64 -> 256 channels
    units = _unit(right, 0.9, "x: 56×56×256", first, "out: 28×28×512", 2.45, projection, w=1.5, top=1.2)
    units += _unit(right, 4.05, "x: 28×28×512", other, "out: 28×28×512", 5.05, "identity x", w=1.5, top=1.2)
    _text(right, 1.3, 0.8, "the first of conv3_x", style="italic")
    _text(right, 4.2, 0.8, "its 3 others", style="italic")
    _show(fig, (left, right), network + units)


# The three shortcut options (He et al. 2016, Sec. 4.1), drawn on a unit that halves the resolution and doubles
# the channels (16 -> 32) and on one that keeps its shape (32 channels): option -> (shortcut there, shortcut here).
# The counts are the learned parameters (a 1x1 kernel, BN's scale and shift; tests/test_diagrams.py checks them).
SHORTCUTS = {
    "option A": ("subsample ×2,\nzero-pad to 32\nchannels\n(no parameters)", "identity x"),
    "option B": ("1×1 conv, 32, /2\n+ BN\n(576 parameters)", "identity x"),
    "option C": ("1×1 conv, 32, /2\n+ BN\n(576 parameters)", "1×1 conv, 32\n+ BN\n(1,088\nparameters)"),
}


def shortcut_options():
    """He et al.'s (2016, Sec. 4.1) three shortcuts, one column each, on two units (``SHORTCUTS``).

    Top row: a unit that goes from 16 to 32 channels at stride 2, where A subsamples and pads with
    zeros (no parameters) and B and C project with a strided 1x1 convolution. Bottom row: a unit
    that keeps 32 channels, where A and B are the identity and only C projects.
    """
    width, columns = 3.4, list(SHORTCUTS)
    fig = plt.figure(figsize=(width * len(columns), 8), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, width * len(columns))
    rows = [
        ("a unit that changes the shape: 32×32×16 → 16×16×32", "x: 32×32×16", "3×3 conv, 32, /2", 0),
        ("a unit that keeps it: 16×16×32 → 16×16×32", "x: 16×16×32", "3×3 conv, 32", 1),
    ]
    nodes, top = [], 0.3
    for column, name in enumerate(columns):
        ax.text(width * (column + 0.5), top, name, ha="center", va="center", fontsize=FONT + 1, weight="bold")
    for title, inp, first, row in rows:
        top += 0.45
        ax.text(0.15, top, title, ha="left", va="center", fontsize=FONT + 1, style="italic", color=INK)
        row_nodes = []
        for column, name in enumerate(columns):
            branch = f"{first}\nBN, ReLU\n3×3 conv, 32\nBN"
            labels = [branch, "+", "ReLU"]
            x = width * column + 1.0
            row_nodes += _unit(ax, x, inp, labels, "out: 16×16×32", x + 1.55, SHORTCUTS[name][row], 1.5, top + 0.5)
        nodes += row_nodes
        top = max(node.bottom for node in row_nodes) + 0.1
    _show(fig, [ax], nodes)


def shrinkage_units():
    """Zhao et al.'s (2020) residual shrinkage building units, one threshold for all channels (RSBU-CS)
    beside one per channel (RSBU-CW) (Zhao et al. 2020, "Deep Residual Shrinkage Networks", Figs. 4b, 4d).

    A sub-network estimates the threshold τ = α · mean|f| from the branch's output f, and soft
    thresholding sets the features in [-τ, τ] to zero before the addition.
    """
    fig, axes = _panels(["channel-shared (RSBU-CS)", "channel-wise (RSBU-CW)"], 5)
    nodes = []
    for ax, units in zip(axes, ["1 unit", "C units"]):
        x, side = 1.8, 3.85
        head = _text(ax, x, 0.75, "x")
        main = _chain(ax, x, head.bottom + 2 * GAP, ["BN", "ReLU", "conv", "BN", "ReLU", "conv"], w=1.3, after=head)
        fork = main[-1].bottom + 0.3
        ax.plot(x, fork, "o", color=INK, ms=4, zorder=4)
        _text(ax, x + 0.1, fork - 0.1, "f", ha="left", style="italic")
        _line(ax, (x, main[-1].bottom), (x, fork), (side, fork))
        labels = ["absolute value", "global average pool", "FC", "BN, ReLU", f"FC ({units})", "sigmoid = α"]
        subnet = _chain(ax, side, fork + GAP, [*labels, "× mean|f| = τ"], 1.75, _Node(side, fork, 0, 0), "threshold")
        soft = _box(ax, x, subnet[-1].y, "soft threshold", w=1.3)
        _arrow(ax, (x, fork), (x, soft.top))
        left, right = subnet[-1].x - subnet[-1].w / 2, soft.x + soft.w / 2
        _arrow(ax, (left, soft.y), (right, soft.y))
        _text(ax, (left + right) / 2, soft.y - 0.15, "τ", style="italic")
        tail = _chain(ax, x, soft.bottom + GAP, ["+"], after=soft)
        out = _text(ax, x, tail[-1].bottom + GAP + 0.1, "out")
        _arrow(ax, (x, tail[-1].bottom), (x, out.top))
        _shortcut(ax, (x, head.bottom + GAP), tail[-1], 0.95, "identity x")
        nodes += [*main, *subnet, out]
    _show(fig, axes, nodes)
