"""The image layers beyond Conv2D and the 2-D poolings, tested together over one table of layers:
Conv2DTranspose, DepthwiseConv2D, Conv1D (``scratchnn/layers/convolutional.py``), MaxPooling1D,
AveragePooling1D, GlobalAveragePooling1D (mask-aware), GlobalMaxPooling1D, GlobalAveragePooling2D,
GlobalMaxPooling2D (``layers/pooling.py``), UpSampling2D, ZeroPadding2D, Cropping2D
(``layers/reshaping.py``), with the argument checks they share (``layers/images.py``):
shapes, kernel layouts, Keras's names and argument names, configs, training, saving, error
messages. Their functions are tested in ``tests/functional/test_conv_variants.py``.
"""
import math
import re

import numpy as np
import pytest

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import layers as L
from scratchnn.autograd import Tensor, get_mask
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed

from tests.helpers import assert_close, assert_config_round_trip

# ======================================================================= layers: shapes
_LAYER_SHAPE_CASES = [
    (lambda: L.Conv2DTranspose(4, 3), (2, 5, 6, 3)),
    (lambda: L.Conv2DTranspose(2, (2, 3), strides=2, padding="same"), (2, 5, 6, 3)),
    (lambda: L.Conv2DTranspose(2, 1, strides=3), (1, 3, 4, 1)),
    (lambda: L.Conv2DTranspose(3, 4, strides=2, padding="same", output_padding=1), (1, 4, 5, 2)),
    (lambda: L.Conv2DTranspose(3, 3, dilation_rate=2), (1, 4, 5, 2)),
    (lambda: L.DepthwiseConv2D(3), (2, 7, 6, 3)),
    (lambda: L.DepthwiseConv2D((2, 3), strides=2, padding="same", depth_multiplier=3), (2, 7, 6, 2)),
    (lambda: L.DepthwiseConv2D(3, strides=2, dilation_rate=2), (1, 9, 9, 1)),
    (lambda: L.Conv1D(4, 3), (2, 9, 2)),
    (lambda: L.Conv1D(4, 3, strides=2, padding="causal"), (2, 9, 2)),
    (lambda: L.Conv1D(2, 4, strides=3, padding="same"), (2, 10, 1)),
    (lambda: L.Conv1D(2, 3, dilation_rate=3), (2, 10, 1)),
    (lambda: L.MaxPooling1D(), (2, 9, 3)),
    (lambda: L.MaxPooling1D(3, 2, padding="same"), (2, 9, 3)),
    (lambda: L.AveragePooling1D(3, 2, padding="same"), (2, 9, 3)),
    (lambda: L.GlobalAveragePooling1D(), (2, 9, 3)),
    (lambda: L.GlobalMaxPooling1D(keepdims=True), (2, 9, 3)),
    (lambda: L.UpSampling2D((2, 3)), (2, 3, 4, 2)),
    (lambda: L.ZeroPadding2D(((1, 2), (0, 3))), (2, 3, 4, 2)),
    (lambda: L.Cropping2D(((1, 2), (0, 3))), (2, 5, 6, 2)),
    (lambda: L.GlobalAveragePooling2D(), (2, 5, 6, 3)),
    (lambda: L.GlobalMaxPooling2D(keepdims=True), (2, 5, 6, 3)),
]


@pytest.mark.parametrize("make, x_shape", _LAYER_SHAPE_CASES,
                         ids=[str(i) for i in range(len(_LAYER_SHAPE_CASES))])
def test_layer_compute_output_shape_equals_forward_shape(rng, make, x_shape):
    layer = make()
    expected = layer.compute_output_shape((None,) + x_shape[1:])
    out = layer(rng.normal(size=x_shape).astype(np.float32))
    assert (x_shape[0],) + tuple(expected[1:]) == out.shape
    assert out.dtype == np.float32


def test_layer_output_shapes_by_hand_and_with_unknown_sizes():
    assert L.Conv2DTranspose(4, 3, strides=2).compute_output_shape((None, 5, 6, 3)) == (None, 11, 13, 4)
    assert L.Conv2DTranspose(4, 3, strides=2, padding="same").compute_output_shape((8, None, 6, 3)) == (
        8, None, 12, 4)
    assert L.Conv2DTranspose(2, 1, strides=3).compute_output_shape((None, 3, 4, 1)) == (None, 9, 12, 2)
    assert L.DepthwiseConv2D(3, depth_multiplier=2).compute_output_shape((None, None, 6, 3)) == (
        None, None, 4, 6)
    assert L.Conv1D(4, 3, strides=2, padding="causal").compute_output_shape((None, 9, 2)) == (None, 5, 4)
    assert L.Conv1D(4, 3).compute_output_shape((None, None, 2)) == (None, None, 4)
    assert L.UpSampling2D((2, 3)).compute_output_shape((None, None, 4, 2)) == (None, None, 12, 2)
    assert L.Cropping2D(1).compute_output_shape((None, 5, None, 2)) == (None, 3, None, 2)
    assert L.GlobalAveragePooling2D().compute_output_shape((None, None, None, 7)) == (None, 7)


@pytest.mark.parametrize("make, kernel_shape, bias_shape", [
    (lambda: L.Conv2DTranspose(5, (2, 3)), (2, 3, 5, 3), (5,)),
    (lambda: L.DepthwiseConv2D((2, 3), depth_multiplier=4), (2, 3, 3, 4), (12,)),
    (lambda: L.Conv1D(5, 2), (2, 3, 5), (5,)),
], ids=["transpose", "depthwise", "conv1d"])
def test_kernel_layout_and_parameter_count(make, kernel_shape, bias_shape):
    layer = make()
    layer(np.zeros((1, 6, 6, 3) if len(kernel_shape) == 4 else (1, 6, 3), dtype=np.float32))
    assert [w.shape for w in layer.weights] == [kernel_shape, bias_shape]
    assert [w.name.split("/")[-1] for w in layer.weights] == ["kernel", "bias"]
    assert layer.count_params() == math.prod(kernel_shape) + math.prod(bias_shape)


def test_default_names_follow_keras():
    # the names Keras 3 gives these layers (checked with keras.layers.*().name)
    for cls, base in [(L.Conv2DTranspose, "conv2d_transpose"), (L.DepthwiseConv2D, "depthwise_conv2d"),
                      (L.Conv1D, "conv1d"), (L.MaxPooling1D, "max_pooling1d"),
                      (L.UpSampling2D, "up_sampling2d"), (L.ZeroPadding2D, "zero_padding2d"),
                      (L.Cropping2D, "cropping2d"),
                      (L.GlobalAveragePooling2D, "global_average_pooling2d"),
                      (L.GlobalMaxPooling2D, "global_max_pooling2d"),
                      (L.AveragePooling1D, "average_pooling1d"),
                      (L.GlobalAveragePooling1D, "global_average_pooling1d"),
                      (L.GlobalMaxPooling1D, "global_max_pooling1d")]:
        args = {L.Conv2DTranspose: (1, 1), L.DepthwiseConv2D: (1,), L.Conv1D: (1, 1)}.get(cls, ())
        assert re.fullmatch(rf"{base}(_\d+)?", cls(*args).name)


def test_keras_aliases():
    assert L.MaxPool1D is L.MaxPooling1D and L.GlobalAvgPool2D is L.GlobalAveragePooling2D
    assert L.GlobalMaxPool2D is L.GlobalMaxPooling2D
    assert L.AvgPool1D is L.AveragePooling1D and L.GlobalAvgPool1D is L.GlobalAveragePooling1D
    assert L.GlobalMaxPool1D is L.GlobalMaxPooling1D
    import scratchnn.keras.layers as KL
    assert KL.Conv2DTranspose is L.Conv2DTranspose and KL.Cropping2D is L.Cropping2D


def test_layers_compute_activation_of_the_functions(rng):
    x = rng.normal(size=(2, 5, 4, 3))
    layer = L.Conv2DTranspose(2, 3, strides=2, padding="same", activation="relu", dtype="float64")
    out = layer(x)
    expected = F.conv2d_transpose(Tensor(x, dtype=np.float64), layer.kernel, layer.bias, strides=2,
                                  padding="same")
    assert_close(out, np.maximum(expected.data, 0), rtol=1e-12)
    assert (out.data == 0).any() and (out.data > 0).any()
    dw = L.DepthwiseConv2D(3, depth_multiplier=2, activation="tanh", bias_initializer="ones", dtype="float64")
    assert_close(dw(x), np.tanh(F.depthwise_conv2d(Tensor(x, dtype=np.float64), dw.kernel, dw.bias).data),
                 rtol=1e-12)
    seq = rng.normal(size=(2, 8, 3))
    c1 = L.Conv1D(3, 2, padding="causal", activation="sigmoid", dtype="float64")
    assert_close(c1(seq), 1 / (1 + np.exp(-F.conv1d(Tensor(seq, dtype=np.float64), c1.kernel, c1.bias,
                                                     padding="causal").data)), rtol=1e-12)


def test_global_average_pooling1d_uses_the_embedding_mask(rng):
    """The classic text classifier: padding does not dilute the mean, and no mask goes on."""
    ids = np.array([[4, 2, 0, 0], [1, 2, 3, 5]])
    embed = L.Embedding(8, 3, mask_zero=True, dtype="float64")
    pooled = L.GlobalAveragePooling1D()(embed(ids))
    table = embed.embeddings.data
    assert_close(pooled, np.stack([table[[4, 2]].mean(0), table[[1, 2, 3, 5]].mean(0)]), rtol=1e-12)
    assert get_mask(pooled) is None
    with pytest.raises(ValueError, match="'gap_bad' expects sequences of shape \\(batch, steps, channels\\)"):
        L.GlobalAveragePooling1D(name="gap_bad")(np.zeros((2, 3)))


# ======================================================================= layers: config, training, saving
_CONFIG_LAYERS = {
    "transpose": (lambda: L.Conv2DTranspose(3, (3, 2), strides=2, padding="same", output_padding=(1, 1),
                                            activation="relu", kernel_initializer="he_normal", name="ct_cfg"),
                  (2, 4, 5, 3)),
    "depthwise": (lambda: L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2,
                                            depthwise_initializer="he_uniform", use_bias=False),
                  (2, 7, 6, 3)),
    "conv1d": (lambda: L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="tanh"), (2, 9, 3)),
    "maxpool1d": (lambda: L.MaxPooling1D(3, 2, padding="same"), (2, 9, 3)),
    "avgpool1d": (lambda: L.AveragePooling1D(2, 1), (2, 9, 3)),
    "gap1d": (lambda: L.GlobalAveragePooling1D(keepdims=True), (2, 9, 3)),
    "gmp1d": (lambda: L.GlobalMaxPooling1D(), (2, 9, 3)),
    "upsampling": (lambda: L.UpSampling2D((1, 2)), (2, 3, 4, 3)),
    "zeropad": (lambda: L.ZeroPadding2D((1, 2)), (2, 3, 4, 3)),
    "crop": (lambda: L.Cropping2D(((0, 1), (2, 0))), (2, 3, 4, 3)),
    "gap": (lambda: L.GlobalAveragePooling2D(keepdims=True), (2, 3, 4, 3)),
    "gmp": (lambda: L.GlobalMaxPooling2D(), (2, 3, 4, 3)),
}


@pytest.mark.parametrize("name", sorted(_CONFIG_LAYERS))
def test_get_config_from_config_round_trip(rng, name):
    make, x_shape = _CONFIG_LAYERS[name]
    layer = make()
    x = rng.normal(size=x_shape).astype(np.float32)
    assert_config_round_trip(layer, x)


def test_configs_use_keras_argument_names():
    config = L.DepthwiseConv2D(3, depthwise_regularizer="l2").get_config()
    assert {"depthwise_initializer", "depthwise_regularizer", "depthwise_constraint",
            "depth_multiplier"} <= set(config)
    assert config["depthwise_regularizer"] is not None
    assert L.Conv2DTranspose(2, 3).get_config()["output_padding"] is None
    assert L.ZeroPadding2D(2).get_config()["padding"] == [[2, 2], [2, 2]]
    assert L.Cropping2D((1, 2)).get_config()["cropping"] == [[1, 1], [2, 2]]
    assert L.MaxPooling1D().get_config()["strides"] == [2]
    assert L.UpSampling2D().get_config()["interpolation"] == "nearest"


def test_encoder_decoder_trains_and_loss_decreases(rng):
    set_random_seed(0)
    model = snn.Sequential([
        L.Conv2D(6, 3, strides=2, padding="same", activation="relu", input_shape=(8, 8, 1)),   # 8x8 -> 4x4
        L.Conv2DTranspose(1, 3, strides=2, padding="same")])                                   # 4x4 -> 8x8
    model.compile(optimizer=snn.optimizers.Adam(0.01), loss="mse")
    x = rng.normal(size=(16, 8, 8, 1)).astype(np.float32)
    history = model.fit(x, x, epochs=8, batch_size=16, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert all(np.isfinite(losses)) and losses[-1] < 0.9 * losses[0], losses
    assert model.predict(x, verbose=0).shape == x.shape


def test_model_with_every_new_layer_saves_and_loads(rng, tmp_path):
    set_random_seed(1)
    model = snn.Sequential([
        L.ZeroPadding2D(1, input_shape=(6, 6, 2)),
        L.DepthwiseConv2D(3, depth_multiplier=2, activation="relu"), L.Conv2DTranspose(3, 2, strides=2),
        L.Cropping2D(1), L.UpSampling2D(), L.GlobalMaxPooling2D(keepdims=True), L.Reshape((1, 3)),
        L.Conv1D(4, 1), L.MaxPooling1D(1), L.Reshape((1, 1, 4)), L.GlobalAveragePooling2D()])
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(4, 6, 6, 2)).astype(np.float32)
    model.fit(x, np.zeros((4, 4), dtype=np.float32), epochs=1, verbose=0)
    path = tmp_path / "more.scratchnn"
    model.save(path)
    loaded = load_model(path)
    assert [type(a).__name__ for a in loaded.layers] == [type(b).__name__ for b in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ======================================================================= errors
@pytest.mark.parametrize("make, shape, expected", [
    (lambda: L.Conv2DTranspose(2, 3, name="bad"), (1, 8, 8), r"'bad' expects images .*shape \(None, 8, 8\)"),
    (lambda: L.DepthwiseConv2D(3, name="bad"), (1, 8, 8, 1, 1), r"'bad' expects images .*8, 8, 1, 1\)"),
    (lambda: L.Conv1D(2, 3, name="bad"), (1, 8, 8, 1), r"'bad' expects sequences .*\(None, 8, 8, 1\)"),
    (lambda: L.MaxPooling1D(name="bad"), (1, 8), r"'bad' expects sequences .*\(None, 8\)"),
    (lambda: L.UpSampling2D(name="bad"), (1, 8, 8), r"UpSampling2D 'bad' expects images"),
    (lambda: L.ZeroPadding2D(name="bad"), (1, 8, 8), r"ZeroPadding2D 'bad' expects images"),
    (lambda: L.Cropping2D(name="bad"), (1, 8, 8), r"Cropping2D 'bad' expects images"),
    (lambda: L.GlobalAveragePooling2D(name="bad"), (1, 8, 8), r"GlobalAveragePooling2D 'bad' expects images"),
    (lambda: L.GlobalMaxPooling2D(name="bad"), (8, 8), r"GlobalMaxPooling2D 'bad' expects images"),
])
def test_layers_reject_wrong_rank(make, shape, expected):
    with pytest.raises(ValueError, match=expected):
        make()(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("make, first, second", [
    (lambda: L.Conv2DTranspose(2, 3, name="chan"), (1, 5, 5, 3), (1, 5, 5, 2)),
    (lambda: L.DepthwiseConv2D(3, name="chan"), (1, 5, 5, 3), (1, 5, 5, 4)),
    (lambda: L.Conv1D(2, 3, name="chan"), (1, 5, 3), (1, 5, 1)),
])
def test_weighted_layers_reject_other_channel_count_after_build(make, first, second):
    layer = make()
    layer(np.zeros(first, dtype=np.float32))
    with pytest.raises(ValueError) as err:
        layer(np.zeros(second, dtype=np.float32))
    msg = str(err.value)
    assert "'chan'" in msg and f"built for {first[-1]} input channels" in msg and str(second) in msg


@pytest.mark.parametrize("make, shape, expected", [
    (lambda: L.DepthwiseConv2D((3, 5), name="big"), (1, 4, 4, 1),
     r"'big'.*3x5 kernel.*\(None, 4, 4, 1\).*width"),
    (lambda: L.DepthwiseConv2D(3, dilation_rate=2, name="big"), (1, 4, 9, 1), r"'big'.*height"),
    (lambda: L.Conv1D(2, 5, name="big"), (1, 4, 1), r"'big'.*kernel of 5.*\(None, 4, 1\).*longer than the 4"),
    (lambda: L.MaxPooling1D(5, name="big"), (1, 4, 1), r"'big'.*window of 5.*empty"),
    (lambda: L.Cropping2D(((2, 2), (0, 0)), name="big"), (1, 4, 5, 1),
     r"Cropping2D 'big'.*2 \+ 2 along the height must be smaller than the input's 4"),
    (lambda: L.Cropping2D((0, 3), name="big"), (1, 4, 5, 1), r"'big'.*3 \+ 3 along the width.*5"),
])
def test_layers_reject_inputs_too_small(make, shape, expected):
    with pytest.raises(ValueError, match=expected):
        make()(np.zeros(shape, dtype=np.float32))


def test_built_layers_called_on_too_small_input_name_the_layer():
    for layer, good, bad in [(L.DepthwiseConv2D(3, name="late"), (1, 8, 8, 1), (1, 2, 8, 1)),
                             (L.Conv1D(2, 3, name="late"), (1, 8, 1), (1, 2, 1)),
                             (L.MaxPooling1D(3, name="late"), (1, 8, 1), (1, 2, 1)),
                             (L.Cropping2D(2, name="late"), (1, 8, 8, 1), (1, 4, 8, 1))]:
        layer(np.zeros(good, dtype=np.float32))
        with pytest.raises(ValueError, match="'late'"):
            layer(np.zeros(bad, dtype=np.float32))
    same = L.DepthwiseConv2D(5, padding="same")              # 'same' fits any size, as in Keras
    assert same(np.zeros((1, 2, 3, 1), dtype=np.float32)).shape == (1, 2, 3, 1)


@pytest.mark.parametrize("make, expected", [
    (lambda: L.Conv2DTranspose(0, 3), r"filters must be a positive integer, got 0"),
    (lambda: L.Conv2DTranspose(2, (3, 0)), r"kernel_size must be positive"),
    (lambda: L.Conv2DTranspose(2, 3, strides=0), r"strides must be positive"),
    (lambda: L.Conv2DTranspose(2, 3, strides=2, output_padding=2), r"output_padding .* less than the stride"),
    (lambda: L.Conv2DTranspose(2, 3, output_padding=-1, strides=2), r"output_padding .*>= 0"),
    (lambda: L.Conv2DTranspose(2, 3, strides=2, dilation_rate=2), r"strides > 1 with dilation_rate > 1"),
    (lambda: L.Conv2DTranspose(2, 3, padding="causal"), r"padding must be 'valid' or 'same'"),
    (lambda: L.Conv2DTranspose(2, 3, data_format="channels_first"), r"channels_last"),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=0), r"depth_multiplier must be a positive integer"),
    (lambda: L.DepthwiseConv2D(0), r"kernel_size must be positive"),
    (lambda: L.Conv1D(2, 0), r"kernel_size must be positive"),
    (lambda: L.Conv1D(2, (3, 3)), r"kernel_size must be an int or a 1-tuple"),
    (lambda: L.Conv1D(2, 3, strides=2, dilation_rate=2), r"strides > 1 with dilation_rate > 1"),
    (lambda: L.Conv1D(2, 3, groups=2), r"groups=2 is not supported"),
    (lambda: L.Conv1D(2, 3, padding="full"), r"'valid', 'same' or 'causal', got 'full'"),
    (lambda: L.MaxPooling1D(0), r"pool_size must be positive"),
    (lambda: L.MaxPooling1D(2, padding="causal"), r"padding must be 'valid' or 'same'"),
    (lambda: L.UpSampling2D(0), r"size must be positive"),
    (lambda: L.UpSampling2D(interpolation="bilinear"), r"'bilinear' is not implemented, only 'nearest'"),
    (lambda: L.UpSampling2D(interpolation="cubic"), r"must be one of nearest, bilinear"),
    (lambda: L.ZeroPadding2D(-1), r"padding must be non-negative"),
    (lambda: L.ZeroPadding2D((1, 2, 3)), r"padding must be an int, a pair of ints or a pair of"),
    (lambda: L.Cropping2D(((1, -1), (0, 0))), r"cropping must be non-negative"),
    (lambda: L.GlobalMaxPooling2D(data_format="channels_first"), r"channels_last"),
])
def test_bad_arguments_are_rejected_with_the_layer_name(make, expected):
    with pytest.raises(ValueError, match=expected) as err:
        make()
    assert "'" in str(err.value).split(":")[0]          # "<Class> '<name>': ..."


def test_conv2d_transpose_output_padding_without_a_matching_size():
    # 'same', an even kernel and output_padding=0 gives (H - 1)*s, which the strided convolution
    # maps to H - 1, not H: TensorFlow fails at run time, we say so at once.
    with pytest.raises(ValueError, match=r"height would be 6, .*not map back to the input's 4"):
        F.conv2d_transpose(np.zeros((1, 4, 4, 1)), np.zeros((4, 4, 1, 1)), strides=2, padding="same",
                           output_padding=0)
    with pytest.raises(ValueError, match=r"Conv2DTranspose 'odd'.*output_padding"):
        L.Conv2DTranspose(1, 2, padding="same", output_padding=0, name="odd").compute_output_shape(
            (None, 4, 4, 1))
    assert F.conv2d_transpose(np.zeros((1, 4, 4, 1)), np.zeros((4, 4, 1, 1)), strides=2, padding="same",
                              output_padding=1).shape == (1, 7, 7, 1)
