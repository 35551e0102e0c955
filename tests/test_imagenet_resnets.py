"""He et al.'s Table 1 from lib: ResNet-18 to -152 (lib.models.imagenet_resnet) and their costs per stage.

Against keras.applications where Keras has the net (ResNet50, ResNet101, ResNet152: every
stage's parameters, layers and multiply-adds), against torchvision's parameter counts, and
against the multiply-adds He et al. publish. The 224x224 nets are built once per session.
"""

import keras
import pytest

from lib import models
from lib.arguments import ArgumentError

DEPTHS = (18, 34, 50, 101, 152)
# He et al. 2016, Table 1, last row: "FLOPs" (multiply-adds) per 224x224 image, rounded to 0.1e9.
PAPER_MULTIPLY_ADDS = {18: 1.8e9, 34: 3.6e9, 50: 3.8e9, 101: 7.6e9, 152: 11.3e9}
# Our count sums every convolution (projection shortcuts included) and the dense layer; the paper
# does not say what it counts. 2% covers its rounding and that choice (ResNet-34: 3.66e9).
MULTIPLY_ADDS_TOLERANCE = 0.02
# torchvision's counts (its model documentation): learned weights, bias-free convolutions. The paper
# gives no parameter counts; 11.7M and 21.8M, often quoted for ResNet-18 and -34, are these.
TORCHVISION_PARAMETERS = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032, 101: 44_549_160, 152: 60_192_808}
KERAS_APPLICATIONS = {50: "ResNet50", 101: "ResNet101", 152: "ResNet152"}
STAGES = ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "head"]


@pytest.fixture(scope="module")
def nets():
    """depth -> (lib's net at 224x224 with the 1000-class top, its stage_costs table)."""
    built = {depth: models.imagenet_resnet(depth) for depth in DEPTHS}
    return {depth: (model, models.stage_costs(model)) for depth, model in built.items()}


@pytest.fixture(scope="module")
def keras_tables():
    """depth -> stage_costs of keras.applications' net of that depth (random weights, nothing downloaded)."""
    tables = {}
    for depth, name in KERAS_APPLICATIONS.items():
        model = getattr(keras.applications, name)(weights=None)
        tables[depth] = (model.count_params(), models.stage_costs(model))
    return tables


@pytest.mark.parametrize("depth", sorted(KERAS_APPLICATIONS))
def test_every_stage_is_keras_applications(nets, keras_tables, depth):
    model, table = nets[depth]
    total, expected = keras_tables[depth]
    assert model.count_params() == total
    assert table.to_dict() == expected.to_dict()


def test_keras_applications_counts_are_the_documented_ones(keras_tables):
    assert {depth: total for depth, (total, _) in keras_tables.items()} == {
        50: 25_636_712,
        101: 44_707_176,
        152: 60_419_944,
    }


def test_resnet50_is_imagenet_resnet_50():
    a, b = models.resnet50(), models.imagenet_resnet(50)
    describe = [[(layer.name, type(layer).__name__, layer.output.shape) for layer in m.layers] for m in (a, b)]
    assert describe[0] == describe[1]
    assert a.count_params() == b.count_params() and a.name == b.name == "resnet50"


@pytest.mark.parametrize("depth", DEPTHS)
def test_the_stages_add_up_to_the_net(nets, depth):
    model, table = nets[depth]
    kind, units = models.IMAGENET_RESNETS[depth]
    assert list(table.index) == STAGES
    assert table["weighted layers"].sum() == depth
    assert list(table["units"]) == [0, *units, 0]
    assert table["parameters"].sum() == model.count_params()
    assert table["multiply-adds"].sum() == models.multiply_adds(model)
    channels = [64 * (4 if kind == "bottleneck" else 1) * 2**stage for stage in range(4)]
    shapes = [(56, 56, 64)] + [(56 // 2**stage, 56 // 2**stage, c) for stage, c in enumerate(channels)] + [(1000,)]
    assert list(table["output size"]) == shapes


@pytest.mark.parametrize("depth", DEPTHS)
def test_multiply_adds_are_he_et_als(nets, depth):
    _, table = nets[depth]
    assert abs(table["multiply-adds"].sum() / PAPER_MULTIPLY_ADDS[depth] - 1) < MULTIPLY_ADDS_TOLERANCE


@pytest.mark.parametrize("depth", DEPTHS)
def test_learned_parameters_less_conv_biases_are_torchvisions(nets, depth):
    model, table = nets[depth]
    biases = sum(
        layer.bias.shape[0] for layer in model.layers if isinstance(layer, keras.layers.Conv2D) and layer.use_bias
    )
    assert table["learned parameters"].sum() - biases == TORCHVISION_PARAMETERS[depth]
    assert (biases == 0) == (depth < 50)  # the book's basic blocks are bias-free; keras.applications' are not


def test_resnet18_and_34_are_near_the_quoted_counts(nets):
    for depth, quoted in ((18, 11.7e6), (34, 21.8e6)):
        assert abs(nets[depth][1]["learned parameters"].sum() / quoted - 1) < 0.005


@pytest.mark.parametrize("depth", [18, 34])
def test_basic_nets_project_only_where_the_shape_changes(nets, depth):
    model, table = nets[depth]
    projections = [layer.name for layer in model.layers if layer.name.endswith("_0_conv")]
    assert projections == [f"conv{stage}_block1_0_conv" for stage in (3, 4, 5)]  # option B
    assert list(table.loc[["conv2_x", "conv5_x"], "unit"]) == ["3×3, 64 · 3×3, 64", "3×3, 512, /2 · 3×3, 512"]


def test_unit_column_reads_as_he_et_als_table(nets):
    _, table = nets[50]
    assert table.loc["conv1", "unit"] == "7×7, 64, /2 · 3×3 max pool, /2"
    assert table.loc["conv2_x", "unit"] == "1×1, 64 · 3×3, 64 · 1×1, 256"
    assert table.loc["conv4_x", "unit"] == "1×1, 256, /2 · 3×3, 256 · 1×1, 1024"  # v1: the stride on the 1x1
    assert table.loc["head", "unit"] == "average pool · 1000-way dense"


def test_options_of_the_bottleneck_nets():
    v15 = models.imagenet_resnet(101, (64, 64, 3), classes=10, stride_on="3x3")
    assert v15.name == "resnet101_v1_5" and v15.get_layer("conv4_block1_2_conv").strides == (2, 2)
    assert models.stage_costs(v15).loc["conv4_x", "unit"] == "1×1, 256 · 3×3, 256, /2 · 1×1, 1024"
    features = models.imagenet_resnet(18, (64, 64, 3), include_top=False, pooling="avg")
    assert features.output.shape == (None, 512)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"depth": 20}, "depth must be one of 18, 34, 50, 101, 152"),
        ({"depth": 50.0}, "depth must be one of"),
        ({"depth": True}, "depth must be one of"),
        ({"depth": 18, "stride_on": "3x3"}, "stride_on and momentum are options of the bottleneck nets"),
        ({"depth": 34, "momentum": 0.99}, "stride_on and momentum"),
        ({"depth": 50, "input_shape": (16, 16, 3)}, "at least 32x32"),
        ({"depth": 50, "pooling": "max"}, "pooling must be None or 'avg'"),
    ],
)
def test_arguments_are_checked(arguments, message):
    with pytest.raises(ArgumentError, match=message):
        models.imagenet_resnet(**arguments)
