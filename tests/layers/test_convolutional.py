"""The Conv2D / MaxPooling2D / AveragePooling2D layers (``scratchnn/layers/convolutional.py``):
shapes, parameter counts, kernel layout, configs, training, saving, Keras's default names, and
error messages that name the layer. The functions they call are tested in
``tests/functional/test_conv.py``.
"""
import re

import numpy as np
import pytest

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed

from tests.helpers import assert_close, assert_config_round_trip


def _two(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ======================================================================= layers
_LAYER_SHAPE_CASES = [
    (lambda: L.Conv2D(4, 3), (2, 9, 7, 3)),
    (lambda: L.Conv2D(5, (2, 4), strides=2, padding="same"), (2, 9, 7, 3)),
    (lambda: L.Conv2D(2, (3, 2), strides=(3, 1)), (1, 10, 5, 1)),
    (lambda: L.Conv2D(3, 3, dilation_rate=2, padding="same"), (2, 8, 6, 2)),
    (lambda: L.Conv2D(3, (2, 3), dilation_rate=(2, 1)), (2, 8, 6, 2)),
    (lambda: L.MaxPooling2D(), (2, 9, 7, 3)),
    (lambda: L.MaxPooling2D(3, strides=2, padding="same"), (2, 9, 8, 3)),
    (lambda: L.MaxPooling2D((2, 3), strides=1), (1, 5, 6, 2)),
    (lambda: L.AveragePooling2D(), (2, 9, 7, 3)),
    (lambda: L.AveragePooling2D((3, 2), strides=(1, 2), padding="same"), (2, 7, 5, 1)),
]


@pytest.mark.parametrize("make, x_shape", _LAYER_SHAPE_CASES,
                         ids=[str(i) for i in range(len(_LAYER_SHAPE_CASES))])
def test_layer_compute_output_shape_equals_forward_shape(rng, make, x_shape):
    layer = make()
    out = layer(rng.normal(size=x_shape).astype(np.float32))
    assert layer.compute_output_shape((None,) + x_shape[1:]) == (None,) + out.shape[1:]
    assert layer.compute_output_shape(x_shape) == out.shape
    assert out.dtype == np.float32


@pytest.mark.parametrize("kernel_size, cin, filters", [(3, 1, 4), ((2, 5), 3, 7), (1, 6, 2)])
def test_conv2d_parameter_count_and_kernel_layout(kernel_size, cin, filters):
    layer = L.Conv2D(filters, kernel_size)
    layer(np.zeros((1, 6, 6, cin), dtype=np.float32))
    kh, kw = _two(kernel_size)
    assert layer.kernel.shape == (kh, kw, cin, filters)
    assert layer.bias.shape == (filters,)
    assert layer.count_params() == kh * kw * cin * filters + filters
    no_bias = L.Conv2D(filters, kernel_size, use_bias=False)
    no_bias(np.zeros((1, 6, 6, cin), dtype=np.float32))
    assert no_bias.bias is None and len(no_bias.weights) == 1
    assert no_bias.count_params() == kh * kw * cin * filters


def test_pooling_layers_have_no_weights():
    for layer in (L.MaxPooling2D(), L.AveragePooling2D()):
        layer(np.zeros((1, 4, 4, 2), dtype=np.float32))
        assert layer.weights == [] and layer.count_params() == 0


def test_conv2d_layer_computes_activation_of_conv(rng):
    x = rng.normal(size=(2, 6, 5, 3))
    layer = L.Conv2D(4, (3, 2), strides=(1, 2), padding="same", activation="relu",
                     bias_initializer="glorot_uniform", dtype="float64")
    out = layer(x).data
    pre = F.conv2d(Tensor(x, dtype=np.float64), layer.kernel.data, layer.bias.data, strides=(1, 2),
                   padding="same").data
    assert (pre < 0).any() and (pre > 0).any()
    np.testing.assert_allclose(out, np.maximum(pre, 0.0), rtol=1e-12, atol=0)

    plain = L.Conv2D(4, (3, 2), use_bias=False, dtype="float64")
    out = plain(x).data
    np.testing.assert_allclose(out, F.conv2d(Tensor(x, dtype=np.float64), plain.kernel.data).data,
                               rtol=1e-12, atol=0)


def test_layers_compute_what_the_functions_compute(rng):
    x = rng.normal(size=(2, 7, 6, 3))
    pool = L.MaxPooling2D(3, strides=2, padding="same", dtype="float64")
    assert_close(pool(x), F.max_pool2d(Tensor(x, dtype=np.float64), 3, 2, "same").data, rtol=1e-12)
    avg = L.AveragePooling2D((2, 3), dtype="float64")
    assert_close(avg(x), F.avg_pool2d(Tensor(x, dtype=np.float64), (2, 3), None).data, rtol=1e-12)


_CONFIG_LAYERS = [
    lambda: L.Conv2D(6, (3, 2), strides=(2, 1), padding="same", activation="tanh", use_bias=False,
                     kernel_initializer="he_normal", name="conv_cfg"),
    lambda: L.Conv2D(3, 2, dilation_rate=(2, 1), activation="relu", bias_initializer="ones"),
    lambda: L.MaxPooling2D((3, 2), strides=(1, 2), padding="same"),
    lambda: L.AveragePooling2D(3, strides=1),
]


@pytest.mark.parametrize("make", _CONFIG_LAYERS, ids=["conv-a", "conv-b", "maxpool", "avgpool"])
def test_get_config_from_config_round_trip(rng, make):
    layer = make()
    x = rng.normal(size=(2, 8, 7, 3)).astype(np.float32)
    assert_config_round_trip(layer, x)


def _cnn(input_shape=None):
    first = {} if input_shape is None else {"input_shape": input_shape}
    return snn.Sequential([L.Conv2D(4, 3, activation="relu", **first), L.MaxPooling2D(2),
                           L.Conv2D(6, (2, 3), padding="same", activation="relu"), L.Flatten(),
                           L.Dense(3, activation="softmax")])


def _cnn_data(rng, n=24, hw=(10, 9)):
    return rng.normal(size=(n,) + hw + (2,)).astype(np.float32), rng.integers(0, 3, n)


def test_sequential_cnn_trains_and_loss_decreases(rng):
    set_random_seed(0)
    model = _cnn()
    model.compile(optimizer=snn.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x, y = _cnn_data(rng)
    history = model.fit(x, y, epochs=6, batch_size=24, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert all(np.isfinite(losses))
    assert losses[-1] < losses[0] - 0.05, losses
    assert model.layers[0].kernel.shape == (3, 3, 2, 4)
    # output shapes: (10, 9) -conv3-> (8, 7) -pool2-> (4, 3) -same-> (4, 3) x 6 = 72 -> 3
    assert model.count_params() == (3 * 3 * 2 * 4 + 4) + (2 * 3 * 4 * 6 + 6) + (72 * 3 + 3)
    assert model.predict(x, verbose=0).shape == (24, 3)


def test_cnn_save_load_predicts_bit_identically(rng, tmp_path):
    set_random_seed(1)
    model = _cnn(input_shape=(10, 9, 2))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = _cnn_data(rng)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "cnn.scratchnn"
    model.save(path)
    loaded = load_model(path)
    assert [type(a).__name__ for a in loaded.layers] == [type(b).__name__ for b in model.layers]
    expected = model.predict(x, verbose=0)
    got = loaded.predict(x, verbose=0)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_default_layer_names_follow_keras():
    for layer, base in [(L.Conv2D(2, 3), "conv2d"), (L.MaxPooling2D(), "max_pooling2d"),
                        (L.AveragePooling2D(), "average_pooling2d")]:
        assert re.fullmatch(rf"{base}(_\d+)?", layer.name), layer.name


# ======================================================================= bad input
@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 8, 8, 1, 1)], ids=["rank3", "rank5"])
@pytest.mark.parametrize("make", [lambda: L.Conv2D(2, 3, name="bad_rank"),
                                  lambda: L.MaxPooling2D(name="bad_rank"),
                                  lambda: L.AveragePooling2D(name="bad_rank")], ids=["conv", "max", "avg"])
def test_layer_rejects_wrong_rank(make, shape):
    layer = make()
    with pytest.raises(ValueError) as err:
        layer(np.zeros(shape, dtype=np.float32))
    msg = str(err.value)
    assert "'bad_rank'" in msg and type(layer).__name__ in msg
    assert "(batch, height, width, channels)" in msg                # expected
    assert ", ".join(map(str, shape[1:])) + ")" in msg               # received
    assert not layer.built


def test_conv2d_wrong_channel_count_after_build():
    layer = L.Conv2D(2, 3, name="chan")
    layer(np.zeros((1, 8, 8, 1), dtype=np.float32))
    with pytest.raises(ValueError) as err:
        layer(np.zeros((1, 8, 8, 3), dtype=np.float32))
    msg = str(err.value)
    assert "'chan'" in msg and "1 input channels" in msg and "(1, 8, 8, 3)" in msg
    with pytest.raises(ValueError, match=r"kernel of shape \(3, 3, 1, 2\).*\(1, 8, 8, 3\)"):
        F.conv2d(np.zeros((1, 8, 8, 3)), layer.kernel.data)
    assert layer(np.zeros((2, 5, 4, 1), dtype=np.float32)).shape == (2, 3, 2, 2)   # still usable


@pytest.mark.parametrize("layer_args, shape", [((2, 5), (1, 4, 8, 1)), ((2, (3, 9)), (1, 4, 8, 1)),
                                                ((2, 3, 1, "valid", None, 3), (1, 6, 8, 1))],
                         ids=["5x5-on-4x8", "3x9-on-4x8", "dilated-3x3-on-6x8"])
def test_conv2d_kernel_larger_than_input(layer_args, shape):
    layer = L.Conv2D(*layer_args, name="too_big")
    with pytest.raises(ValueError) as err:
        layer(np.zeros(shape, dtype=np.float32))
    msg = str(err.value)
    assert "'too_big'" in msg and format(layer.kernel_size[0]) + "x" in msg
    assert str((None,) + shape[1:]) in msg
    assert not layer.built and layer.weights == []
    same = L.Conv2D(*layer_args[:2], padding="same", dilation_rate=layer.dilation_rate)   # 'same' fits
    assert same(np.zeros(shape, dtype=np.float32)).shape == shape[:3] + (2,)


def test_layer_called_on_too_small_image_after_build_names_layer():
    for layer in (L.Conv2D(2, 3, name="late_small"), L.MaxPooling2D(3, name="late_small")):
        layer(np.zeros((1, 8, 8, 1), dtype=np.float32))
        with pytest.raises(ValueError, match="late_small"):
            layer(np.zeros((1, 2, 2, 1), dtype=np.float32))


@pytest.mark.parametrize("cls", [L.MaxPooling2D, L.AveragePooling2D])
@pytest.mark.parametrize("pool, shape", [(5, (1, 4, 8, 1)), ((1, 9), (1, 4, 8, 1))], ids=["5x5", "1x9"])
def test_pooling_window_producing_empty_output(cls, pool, shape):
    layer = cls(pool, name="empty_pool")
    with pytest.raises(ValueError) as err:
        layer(np.zeros(shape, dtype=np.float32))
    msg = str(err.value)
    ph, pw = _two(pool)
    assert "'empty_pool'" in msg and f"{ph}x{pw}" in msg and "(None, 4, 8, 1)" in msg and "empty" in msg
    assert cls(pool, padding="same")(np.zeros(shape, dtype=np.float32)).shape[1:3] == (
        -(-4 // ph), -(-8 // pw))                                     # 'same' never empties
    fn = F.max_pool2d if cls is L.MaxPooling2D else F.avg_pool2d
    with pytest.raises(ValueError, match=rf"{ph}x{pw}.*4x8.*empty"):
        fn(np.zeros(shape), pool)


_NON_POSITIVE = [
    ("kernel_size", lambda: L.Conv2D(2, 0, name="nonpos")),
    ("kernel_size", lambda: L.Conv2D(2, (3, -1), name="nonpos")),
    ("strides", lambda: L.Conv2D(2, 3, strides=0, name="nonpos")),
    ("strides", lambda: L.Conv2D(2, 3, strides=(1, -2), name="nonpos")),
    ("dilation_rate", lambda: L.Conv2D(2, 3, dilation_rate=0, name="nonpos")),
    ("pool_size", lambda: L.MaxPooling2D(0, name="nonpos")),
    ("pool_size", lambda: L.AveragePooling2D((2, 0), name="nonpos")),
    ("strides", lambda: L.MaxPooling2D(2, strides=0, name="nonpos")),
    ("strides", lambda: L.AveragePooling2D(2, strides=(-1, 1), name="nonpos")),
]
_NON_POSITIVE_IDS = [f"{i}-{arg}" for i, (arg, _) in enumerate(_NON_POSITIVE)]


@pytest.mark.parametrize("argument, make", _NON_POSITIVE, ids=_NON_POSITIVE_IDS)
def test_non_positive_sizes_rejected(argument, make):
    with pytest.raises(ValueError, match=rf"'nonpos': {argument} must be positive, got \(?.*(0|-\d)"):
        make()


@pytest.mark.parametrize("argument, make", _NON_POSITIVE, ids=_NON_POSITIVE_IDS)
def test_non_positive_sizes_error_names_layer(argument, make):
    with pytest.raises(ValueError, match="nonpos"):
        make()


def test_strides_with_dilation_rejected():
    with pytest.raises(ValueError, match=r"Conv2D 'strided_dilated'.*strides > 1 with dilation_rate > 1"):
        L.Conv2D(2, 3, strides=2, dilation_rate=2, name="strided_dilated")
    with pytest.raises(ValueError, match="strides > 1 together with dilation_rate > 1"):
        F.conv2d(np.zeros((1, 8, 8, 1)), np.ones((3, 3, 1, 1)), strides=(1, 2), dilation_rate=(2, 1))


def test_float_kernel_size_rejected_with_value_error():
    with pytest.raises(ValueError, match=r"kernel_size.*3\.0"):
        L.Conv2D(2, 3.0)


@pytest.mark.parametrize("filters", [0, -3, 2.0, True])
def test_conv2d_filters_must_be_positive_int(filters):
    with pytest.raises(ValueError) as err:
        L.Conv2D(filters, 3, name="filt")
    msg = str(err.value)
    assert "'filt'" in msg and "filters must be a positive integer" in msg and repr(filters) in msg


@pytest.mark.parametrize("make", [lambda: L.Conv2D(2, 3, padding="full", name="pad_full"),
                                  lambda: L.MaxPooling2D(padding="full", name="pad_full"),
                                  lambda: L.AveragePooling2D(padding="full", name="pad_full")],
                         ids=["conv", "max", "avg"])
def test_padding_full_rejected(make):
    with pytest.raises(ValueError) as err:
        make()
    msg = str(err.value)
    assert "'pad_full'" in msg and "'valid' or 'same'" in msg and "'full'" in msg


def test_padding_is_case_insensitive_like_keras():
    assert L.Conv2D(2, 3, padding="SAME").padding == "same"
    assert L.MaxPooling2D(padding="Valid").padding == "valid"


@pytest.mark.parametrize("make", [lambda: L.Conv2D(2, 3, data_format="channels_first", name="cf"),
                                  lambda: L.MaxPooling2D(data_format="channels_first", name="cf"),
                                  lambda: L.AveragePooling2D(data_format="channels_first", name="cf")],
                         ids=["conv", "max", "avg"])
def test_channels_first_rejected(make):
    with pytest.raises(ValueError) as err:
        make()
    msg = str(err.value)
    assert "'cf'" in msg and "channels_last" in msg and "'channels_first'" in msg
    assert L.Conv2D(2, 3, data_format="channels_last").get_config()["filters"] == 2


def test_compute_output_shape_wrong_rank_names_layer():
    with pytest.raises(ValueError, match="cos_rank"):
        L.Conv2D(2, 3, name="cos_rank").compute_output_shape((None, 8, 8))


@pytest.mark.parametrize("bad_x, words", [
    (np.zeros((16, 10, 9), dtype=np.float32), "(batch, height, width, channels)"),
    (np.zeros((16, 2, 9, 2), dtype=np.float32), "does not fit"),
    (np.zeros((16, 3, 3, 2), dtype=np.float32), "output would be empty"),     # 1x1 after the conv
], ids=["rank3", "kernel-too-big", "pool-empties"])
def test_failed_first_fit_leaves_sequential_unbuilt_and_usable(rng, bad_x, words):
    set_random_seed(2)
    model = _cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    y = rng.integers(0, 3, 16)
    with pytest.raises(ValueError, match=re.escape(words)):
        model.fit(bad_x, y, epochs=1, verbose=0)
    assert not model.built
    assert all(not layer.built and layer.weights == [] for layer in model.layers)
    x, y = _cnn_data(rng, n=16)
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert model.layers[0].kernel.shape == (3, 3, 2, 4)
    assert model.layers[-1].kernel.shape == (4 * 3 * 6, 3)
    assert model.predict(x, verbose=0).shape == (16, 3)


def test_fit_on_wrong_image_size_names_the_model_input(rng):
    model = snn.Sequential([L.Input((10, 9, 2)), L.Conv2D(4, 3), L.MaxPooling2D(2), L.Flatten(), L.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    weights = model.get_weights()
    with pytest.raises(ValueError) as err:
        model.fit(np.zeros((4, 12, 9, 2), dtype=np.float32), np.zeros((4, 3)), verbose=0)
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert "10, 9, 2)" in str(err.value) and "12, 9, 2)" in str(err.value)


def test_sequential_add_of_too_big_conv_changes_nothing():
    model = snn.Sequential([L.Input((4, 4, 1)), L.Conv2D(2, 3)])
    with pytest.raises(ValueError, match="does not fit"):
        model.add(L.Conv2D(2, 3, name="no_room"))                    # 2x2 left: a 3x3 kernel does not fit
    assert [layer.name for layer in model.layers if layer.name == "no_room"] == []
    model.add(L.Flatten())
    assert model.output_shape == (None, 8)
