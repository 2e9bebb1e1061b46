"""``Sequential`` (``scratchnn/models/sequential.py``): building (and undoing a failed build), and
running a Conv2D followed by a MaxPooling2D as one op (``F.conv2d_max_pool``) with the same
result as the two layers, in training and in inference.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn import regularizers
from scratchnn.autograd import Tensor
from scratchnn.kernels import conv as conv_module
from scratchnn.kernels.conv_pool import FastConv2DMaxPool
from scratchnn.kernels import pooling as pooling_module
from scratchnn.inspect import layer_activations
from scratchnn.layers import Dense
from scratchnn.utils import set_random_seed

from tests.helpers import graph_functions


# ======================================================================= Sequential runs the pair as one op
def _cnn(activation="relu", regularize=False, dtype=None):
    set_random_seed(3)
    return snn.Sequential([
        L.Input((12, 12, 1)),
        L.Conv2D(4, 3, activation=activation, dtype=dtype,
                 activity_regularizer=regularizers.l2(0.01) if regularize else None),
        L.MaxPooling2D(2, dtype=dtype),
        L.Conv2D(6, 3, activation=activation, padding="same", dtype=dtype,
                 activity_regularizer=regularizers.l2(0.01) if regularize else None),
        L.MaxPooling2D(2, dtype=dtype), L.Flatten(), L.Dense(3, activation="softmax", dtype=dtype)])


#: The ops a fused Conv2D + MaxPooling2D runs as: FastConv2DMaxPool when the pooling windows tile
#: the convolution output (every pooling here), FastConv2D(pool=...) otherwise.
FUSED_OPS = (conv_module.FastConv2D, FastConv2DMaxPool)


def _assert_fused_equals_plain(a, c, dtype=np.float32):
    """The fused op computes the same numbers as the two layers, its products summed over the
    windows in another order: equal to the rounding of the dtype."""
    tol = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-13}[np.dtype(dtype).name]
    scale = max(1.0, float(np.max(np.abs(np.asarray(c, dtype=np.float64)))))
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(c, np.float64), rtol=tol,
                               atol=tol * scale)


def _layer_by_layer(model, x):
    """The model's layers called one at a time (never fused)."""
    out = x
    for layer in model.layers:
        out = layer(out, training=True)
    return out


def test_sequential_runs_conv_and_max_pool_as_one_op_with_the_same_result(rng):
    model = _cnn()
    x = Tensor(rng.normal(size=(5, 12, 12, 1)).astype(np.float32))
    fused = model(x, training=True)
    convs = [fn for fn in graph_functions(fused) if isinstance(fn, FUSED_OPS)]
    assert len(convs) == 2 and all(fn.pool is not None for fn in convs)
    assert not any(isinstance(fn, pooling_module.FastMaxPool2D) for fn in graph_functions(fused))
    plain = _layer_by_layer(model, x)
    assert not any(isinstance(fn, FastConv2DMaxPool) or getattr(fn, "pool", None)
                   for fn in graph_functions(plain) if isinstance(fn, FUSED_OPS))
    _assert_fused_equals_plain(fused.data, plain.data)
    grads = []
    for out in (fused, plain):
        for w in model.trainable_weights:
            w.grad = None
        (out * Tensor(np.arange(out.size, dtype=np.float32).reshape(out.shape) % 7)).sum().backward()
        grads.append([np.array(w.grad) for w in model.trainable_weights])
    for a, c in zip(*grads):
        _assert_fused_equals_plain(a, c)


def test_fused_training_equals_unfused_training(rng, monkeypatch):
    """fit (and predict, evaluate) give the same numbers whether or not the pairs are fused (to
    float32 rounding after three epochs of Adam)."""
    x = rng.normal(size=(64, 12, 12, 1)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    results = []
    for fuse in (True, False):
        if not fuse:
            monkeypatch.setattr(L.Conv2D, "fuse_with", lambda self, next_layer: None)
        model = _cnn()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        results.append((history.history["loss"], [w.copy() for w in model.get_weights()],
                        model.predict(x, verbose=0), model.evaluate(x, y, verbose=0)))
    (loss_f, w_f, p_f, e_f), (loss_u, w_u, p_u, e_u) = results
    # the same numbers to float32 rounding: the fused op sums its products in another order
    np.testing.assert_allclose(loss_f, loss_u, rtol=1e-5)
    np.testing.assert_allclose(e_f, e_u, rtol=1e-5)
    for a, c in zip(w_f, w_u):
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(p_f, p_u, rtol=1e-4, atol=1e-6)
    assert loss_f[-1] < loss_f[0]


@pytest.mark.parametrize("case", ["tanh", "activity-regularizer", "subclass", "average-pool"])
def test_sequential_fuses_only_what_it_may(rng, case):
    """Another activation, an activity regularizer (it needs the conv's own output), a Conv2D
    subclass with its own call, or a pooling that is not max: the layers run one by one."""
    if case == "tanh":
        model = _cnn(activation="tanh")
    elif case == "activity-regularizer":
        model = _cnn(regularize=True)
    else:
        class Doubled(L.Conv2D):
            def call(self, inputs, training=False):
                return super().call(inputs, training) * 2.0
        conv = Doubled(4, 3, activation="relu") if case == "subclass" else L.Conv2D(4, 3, activation="relu")
        pool = L.MaxPooling2D(2) if case == "subclass" else L.AveragePooling2D(2)
        model = snn.Sequential([L.Input((12, 12, 1)), conv, pool, L.Flatten(), L.Dense(2)])
    x = Tensor(rng.normal(size=(2, 12, 12, 1)).astype(np.float32))
    out = model(x, training=True)
    assert not any(isinstance(fn, FastConv2DMaxPool) or getattr(fn, "pool", None)
                   for fn in graph_functions(out) if isinstance(fn, FUSED_OPS))
    np.testing.assert_array_equal(out.data, _layer_by_layer(model, x).data)
    if case == "activity-regularizer":
        assert model.layers[0].activity_losses and model.layers[2].activity_losses   # from conv outputs


def test_inspecting_a_fused_pair_sees_each_layer(rng):
    """``layer_activations`` records each layer's own output, so the Conv2D's full-size ReLU
    output is there, and the pool's is the maximum of it."""
    model = _cnn()
    x = rng.normal(size=(2, 12, 12, 1)).astype(np.float32)
    acts = layer_activations(model, x)
    conv_out, pool_out = acts[model.layers[0].name], acts[model.layers[1].name]
    assert conv_out.shape == (2, 10, 10, 4) and (conv_out >= 0).all()
    np.testing.assert_array_equal(pool_out, conv_out.reshape(2, 5, 2, 5, 2, 4).max(axis=(2, 4)))
    np.testing.assert_array_equal(model.predict(x, verbose=0), _layer_by_layer(model, Tensor(x)).data)


def test_fused_pair_checks_the_input_like_the_layers(rng):
    model = _cnn()
    with pytest.raises(ValueError, match=r"Conv2D '.*' was built for 1 input channels, got input of shape "
                                         r"\(2, 12, 12, 3\)"):
        model(rng.normal(size=(2, 12, 12, 3)).astype(np.float32))
    small = snn.Sequential([L.Input((None, None, 1)), L.Conv2D(2, 3, activation="relu"), L.MaxPooling2D(4),
                            L.GlobalMaxPooling2D()])
    assert small(rng.normal(size=(1, 9, 9, 1)).astype(np.float32)).shape == (1, 2)
    with pytest.raises(ValueError, match=r"MaxPooling2D '.*': a 4x4 window with padding 'valid' does not fit "
                                         r"input of shape \(1, 3, 3, 2\)"):
        small(rng.normal(size=(1, 5, 5, 1)).astype(np.float32))


@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_sequential_call_on_arrays_converts_them_like_the_layers(rng, dtype):
    """``model.call`` on a NumPy array or a nested list: the fused pair converts it to the
    Conv2D's dtype, as ``Layer.__call__`` does for the layers called one by one."""
    set_random_seed(0)
    model = snn.Sequential([L.Input((8, 8, 1)), L.Conv2D(2, 3, activation="relu", dtype=dtype),
                            L.MaxPooling2D(2, dtype=dtype)])
    x = rng.normal(size=(2, 8, 8, 1))
    for inputs in (x.astype(dtype), x.astype(dtype).tolist()):
        fused = model.call(inputs)
        convs = [fn for fn in graph_functions(fused) if isinstance(fn, FUSED_OPS)]
        assert len(convs) == 1 and convs[0].pool is not None                # the fused op ran
        plain = _layer_by_layer(model, inputs)
        assert fused.dtype == plain.dtype == np.dtype(dtype)
        _assert_fused_equals_plain(fused.data, plain.data, dtype)


def test_call_then_max_pool_builds_and_checks_like_calling_the_layers(rng):
    """Called on unbuilt layers it builds them (as ``Layer.__call__`` does), then gives
    ``pool(conv(x))``; a pooling layer that is not a MaxPooling2D is refused, not max-pooled."""
    set_random_seed(0)
    conv, pool = L.Conv2D(3, 3, activation="relu"), L.MaxPooling2D(2, padding="same")
    x = rng.normal(size=(2, 9, 9, 2)).astype(np.float32)
    fused = conv.call_then_max_pool(x, pool)
    assert conv.built and pool.built and conv.kernel.shape == (3, 3, 2, 3)
    assert pool.input_shape == (None, 7, 7, 3)
    np.testing.assert_array_equal(fused.data, pool(conv(x)).data)
    with pytest.raises(TypeError, match=r"call_then_max_pool: pool must be a MaxPooling2D layer, got "
                                        r"AveragePooling2D"):
        conv.call_then_max_pool(x, L.AveragePooling2D(2))


def test_failed_fit_leaves_sequential_without_a_stale_output_shape():
    m = snn.Sequential([Dense(4), Dense(3, activation="softmax")])
    m.compile("adam", "categorical_crossentropy")
    with pytest.raises(ValueError):
        m.fit(np.ones((8, 5), np.float32), np.zeros(8, dtype=int), verbose=0)
    m.add(Dense(2))
    assert not m.built and m.count_params() == 0


def test_sequential_build_marks_the_model_built_and_undoes_a_failed_build():
    m = snn.Sequential([snn.layers.Dense(3), snn.layers.Dense(2)])
    m.build((None, 4))
    assert m.built and m.input_shape == (None, 4) and m.output_shape == (None, 2)
    bad = snn.Sequential([snn.layers.Dense(3), snn.layers.Reshape((7,))])
    with pytest.raises(ValueError):
        bad.build((None, 4))
    assert not bad.built and not bad.layers[0].built and bad.layers[0].weights == []


def test_a_built_sequential_first_gives_the_input_shape():
    """The TensorFlow tutorials' ``data_augmentation = Sequential([RandomFlip(..., input_shape=...),
    ...])`` put first in a model: the model knows its input shape and builds at once (Keras does)."""
    augmentation = snn.Sequential([L.RandomFlip("horizontal", input_shape=(8, 8, 3)), L.RandomRotation(0.1)])
    model = snn.Sequential([augmentation, L.Conv2D(2, 3), L.Flatten(), L.Dense(4)])
    assert model.built and model.input_shape == (None, 8, 8, 3) and model.output_shape == (None, 4)
    assert model.count_params() == 3 * 3 * 3 * 2 + 2 + 72 * 4 + 4
    unbuilt = snn.Sequential([snn.Sequential([L.Dense(3)]), L.Dense(2)])
    assert not unbuilt.built
