"""The book's block diagrams, drawn with matplotlib. Each function draws one figure and shows it.

Data flows from top to bottom. Boxes are coloured by kind, the same in every
diagram (``KINDS``): convolutions and weight layers, batch norm, activations,
parameter-free shortcuts, the addition, the threshold sub-network and the soft
threshold. Coordinates are in inches from the top left corner of each panel.
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
    colour = tuple(0.8 * c for c in to_rgb(PALETTE[KINDS[kind]]))  # edges a shade darker, yellow's too
    if kind == "add":
        ax.add_patch(Circle((x, y), RADIUS, fc=_fill(kind), ec=colour, lw=1.5, zorder=3))
        ax.text(x, y, "+", ha="center", va="center", fontsize=FONT + 3, color=INK, zorder=4)
        return _Node(x, y, 2 * RADIUS, 2 * RADIUS)
    h = _height(label)
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0,rounding_size=0.06",
            fc=_fill(kind),
            ec=colour,
            lw=1.3,
            zorder=3,
        )
    )
    ax.text(x, y, label, ha="center", va="center", fontsize=FONT, color=INK, zorder=4, linespacing=1.2)
    return _Node(x, y, w, h)


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


def _unit(ax, x, inp, labels, out="out", side=None, shortcut=None, w=1.6):
    """A residual unit: input text ``inp``, the ``labels`` in a column, "+" among them, then ``out``.

    The shortcut leaves the input arrow, runs down at ``side`` (x) and enters the "+" from the side;
    ``shortcut`` labels it: a box label (multi-line) or, when it starts with "identity", a note.
    Returns the nodes, input first and output last.
    """
    head = _text(ax, x, 0.75, inp)
    nodes = [head] + _chain(ax, x, head.bottom + 2 * GAP, labels, w=w, after=head)
    nodes.append(_text(ax, x, nodes[-1].bottom + GAP + 0.1, out))
    _arrow(ax, (nodes[-2].x, nodes[-2].bottom), (x, nodes[-1].top))
    if side is not None:
        add = nodes[labels.index("+") + 1]
        _shortcut(ax, (x, head.bottom + GAP), add, side, shortcut)
    return nodes


def _shortcut(ax, fork, add, side, label):
    """The shortcut from point ``fork`` to the addition node ``add``, running down at ``side``."""
    edge = add.x + (RADIUS if side > add.x else -RADIUS)
    ax.plot(*fork, "o", color=INK, ms=4, zorder=4)
    _line(ax, fork, (side, fork[1]), (side, add.y))
    _arrow(ax, (side, add.y), (edge, add.y))
    middle = (fork[1] + add.y) / 2
    if label.startswith("identity"):
        ha = "left" if side > add.x else "right"
        _text(ax, side + (0.08 if ha == "left" else -0.08), middle, label, ha=ha, style="italic")
    else:
        _box(ax, side, middle, label, kind="conv" if "conv" in label else "shortcut", w=1.45)


def _panels(titles, width):
    """A figure of one panel a title, each ``width`` inches wide; returns the figure and the axes."""
    fig = plt.figure(figsize=(width * len(titles), 6), dpi=DPI)
    axes = []
    for i, title in enumerate(titles):
        ax = fig.add_axes((i / len(titles), 0, 1 / len(titles), 1))
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


def shortcut_options():
    """He et al.'s (2016, Sec. 4.1) three shortcuts for a unit that goes from 16 to 32 channels at stride 2.

    A subsamples and pads with zeros (no parameters); B projects with a 1×1 convolution
    where the shape changes; C projects on every unit.
    """
    shortcuts = {
        "option A": "subsample ×2,\nzero-pad\nchannels",
        "option B": "1×1 conv, 32,\nstride 2 + BN\n(only where the\nshape changes)",
        "option C": "1×1 conv + BN\non every unit",
    }
    fig, axes = _panels(list(shortcuts), 3.4)
    branch = "3×3 conv, 32, /2\nBN, ReLU\n3×3 conv, 32\nBN"
    nodes = []
    for ax, shortcut in zip(axes, shortcuts.values()):
        nodes += _unit(ax, 1.0, "x: 16 channels", [branch, "+", "ReLU"], "out: 32 channels", 2.55, shortcut, w=1.5)
    _show(fig, axes, nodes)


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
