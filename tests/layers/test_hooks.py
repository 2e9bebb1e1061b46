"""Looking inside a network through ``Layer``'s public surface (``layers/base.py``):

* ``add_forward_hook(fn)``: ``fn(layer, inputs, outputs)`` after every call of the layer;
* ``add_backward_hook(fn)``: ``fn(layer, grad)`` with d(loss)/d(outputs) during ``backward``;
* ``observed``: whether a hook (or an activity regularizer) watches the layer;
* ``sublayers()`` and ``walk()``: the layers inside a layer, nested models included;
* ``random_generators()``: the generators of its own a layer draws from;
* ``output_activation()``: the name of the activation a layer (or a model) applies last;
* ``fuse_with(next_layer)``: Conv2D + MaxPooling2D run as one op, unless a hook watches either
  layer or the fast kernels are off.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn import regularizers
from scratchnn.autograd import HookHandle, Tensor, no_grad
from scratchnn.backend import fast_kernels, fast_kernels_enabled, set_fast_kernels
from scratchnn.functional import conv as conv_ops
from scratchnn.kernels.conv import FastConv2D
from scratchnn.kernels.conv_pool import FastConv2DMaxPool
from scratchnn.kernels.pooling import FastMaxPool2D
from scratchnn.utils import set_random_seed

from tests.helpers import graph_functions


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def record_calls(log):
    """A forward hook that appends (layer, inputs, outputs) to ``log``."""
    return lambda layer, inputs, outputs: log.append((layer, inputs, outputs))


def mlp():
    set_random_seed(0)
    return snn.Sequential([L.Input((3,)), L.Dense(4, activation="tanh", dtype="float64"),
                           L.Dense(2, dtype="float64")])


# ================================================================== forward hooks
def test_a_forward_hook_sees_the_inputs_and_outputs_of_every_call_in_order(rng):
    layer = L.Dense(2, dtype="float64")
    log = []
    handle = layer.add_forward_hook(record_calls(log))
    assert isinstance(handle, HookHandle)
    first, second = rng.normal(size=(4, 3)), rng.normal(size=(1, 3))
    out1, out2 = layer(first), layer(second)
    assert [entry[0] for entry in log] == [layer, layer]
    np.testing.assert_array_equal(log[0][1].data, first)
    np.testing.assert_array_equal(log[1][1].data, second)
    assert log[0][2] is out1 and log[1][2] is out2


def test_forward_hooks_inside_a_sequential_see_each_layer_in_turn(rng):
    model = mlp()
    log = []
    for layer in model.layers:
        layer.add_forward_hook(record_calls(log))
    x = Tensor(rng.normal(size=(5, 3)), dtype=np.float64)
    out = model(x)
    assert [entry[0] for entry in log] == model.layers
    assert log[0][2] is log[1][1]                      # each layer's output is the next one's input
    assert log[1][2] is out
    assert log[0][1] is x


def test_forward_hooks_see_every_batch_of_predict(rng):
    model = mlp()
    shapes = []
    model.layers[1].add_forward_hook(lambda layer, inputs, outputs: shapes.append(outputs.shape))
    model.predict(rng.normal(size=(10, 3)), batch_size=4, verbose=0)
    assert shapes == [(4, 2), (4, 2), (2, 2)]


class TwoBranches(snn.Model):
    """A subclassed model that calls one sublayer twice."""

    def __init__(self):
        super().__init__()
        self.shared = L.Dense(3, activation="relu", dtype="float64")
        self.head = L.Dense(1, dtype="float64")

    def call(self, x, training=False):
        return self.head(self.shared(x) + self.shared(x * 2.0))


def test_forward_hooks_inside_a_subclassed_model(rng):
    set_random_seed(1)
    model = TwoBranches()
    model(np.zeros((1, 4)))                  # built first (building runs a probe call on zeros)
    log = []
    model.shared.add_forward_hook(record_calls(log))
    model.head.add_forward_hook(record_calls(log))
    model_log = []
    model.add_forward_hook(record_calls(model_log))
    x = Tensor(rng.normal(size=(2, 4)), dtype=np.float64)
    out = model(x)
    assert [entry[0] for entry in log] == [model.shared, model.shared, model.head]
    np.testing.assert_array_equal(log[0][1].data, x)
    np.testing.assert_array_equal(log[1][1].data, x * 2.0)
    np.testing.assert_array_equal(log[2][1].data, log[0][2].data + log[1][2].data)
    assert log[2][2] is out
    assert len(model_log) == 1 and model_log[0][0] is model and model_log[0][2] is out


def test_remove_and_with_take_a_forward_hook_away(rng):
    layer = L.Dense(2)
    log = []
    handle = layer.add_forward_hook(record_calls(log))
    layer(rng.normal(size=(1, 3)))
    handle.remove()
    layer(rng.normal(size=(1, 3)))
    assert len(log) == 1
    with layer.add_forward_hook(record_calls(log)):
        layer(rng.normal(size=(1, 3)))
    layer(rng.normal(size=(1, 3)))
    assert len(log) == 2


def test_a_hook_is_removed_when_its_block_raises(rng):
    layer = L.Dense(2)
    log = []
    with pytest.raises(ZeroDivisionError):
        with layer.add_forward_hook(record_calls(log)), layer.add_backward_hook(lambda l, g: log.append(g)):
            layer(rng.normal(size=(1, 3)))
            raise ZeroDivisionError
    assert not layer.observed
    layer(rng.normal(size=(1, 3)))
    assert len(log) == 1


def test_hooks_must_be_callable():
    layer = L.Dense(2)
    with pytest.raises(TypeError, match="add_forward_hook: hook must be callable, got 'print'"):
        layer.add_forward_hook("print")
    with pytest.raises(TypeError, match="add_backward_hook: hook must be callable, got 3"):
        layer.add_backward_hook(3)


# ================================================================== backward hooks
def test_a_backward_hook_receives_the_gradient_of_the_loss_with_respect_to_the_output(rng):
    model = mlp()
    hidden, head = model.layers
    seen = []
    hidden.add_backward_hook(lambda layer, grad: seen.append((layer, grad.copy())))
    x = rng.normal(size=(4, 3))
    r = rng.normal(size=(4, 2))
    (model(x) * Tensor(r, dtype=np.float64)).sum().backward()
    assert len(seen) == 1 and seen[0][0] is hidden
    # independently: d loss / d hidden = r @ W_head^T (the head is linear)
    np.testing.assert_allclose(seen[0][1], r @ head.kernel.data.T, rtol=1e-13, atol=1e-15)
    # and the same as what retain_grad keeps on the hidden output, run layer by layer
    h = hidden(x).retain_grad()
    (head(h) * Tensor(r, dtype=np.float64)).sum().backward()
    np.testing.assert_array_equal(seen[1][1], h.grad)


def test_a_backward_hook_runs_once_per_call_and_not_without_a_graph(rng):
    layer = L.Dense(2, dtype="float64")
    calls = []
    layer.add_backward_hook(lambda l, grad: calls.append(grad.shape))
    x = rng.normal(size=(3, 4))
    (layer(x).sum() + layer(x[:1]).sum()).backward()
    assert sorted(calls) == [(1, 2), (3, 2)]
    with no_grad():
        layer(x)
    assert len(calls) == 2


def test_fit_reaches_backward_hooks_once_per_step(rng):
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    steps = []
    model.layers[0].add_backward_hook(lambda layer, grad: steps.append(grad.shape))
    model.fit(rng.normal(size=(10, 3)), rng.normal(size=(10, 2)), batch_size=5, epochs=2, verbose=0)
    assert steps == [(5, 4)] * 4


# ================================================================== observed
def test_observed_says_whether_something_watches_the_layer():
    layer = L.Dense(2)
    assert not layer.observed
    with layer.add_forward_hook(lambda *a: None):
        assert layer.observed
    assert not layer.observed
    handle = layer.add_backward_hook(lambda *a: None)
    assert layer.observed
    handle.remove()
    assert not layer.observed
    assert L.Dense(2, activity_regularizer=regularizers.l2(0.1)).observed


# ================================================================== the structure
def test_walk_is_depth_first_through_nested_models_with_each_layer_once():
    a, b, c, d = L.Dense(2), L.Dense(2), L.Dense(2), L.Dense(2)
    inner = snn.Sequential([b, c])
    outer = snn.Sequential([a, inner, d])
    assert outer.sublayers() == [a, inner, d]
    assert inner.sublayers() == [b, c]
    assert list(outer.walk()) == [outer, a, inner, b, c, d]
    assert list(outer.walk(include_self=False)) == [a, inner, b, c, d]
    assert list(a.walk()) == [a] and a.sublayers() == []
    assert list(a.walk(include_self=False)) == []


def test_walk_lists_a_shared_layer_once():
    shared = L.Dense(2)
    left, right = snn.Sequential([shared, L.Dense(2)]), snn.Sequential([shared])
    outer = snn.Sequential([left, right])
    walked = list(outer.walk())
    assert walked.count(shared) == 1
    assert walked == [outer, left, shared, left.layers[1], right]


def test_sublayers_of_a_subclassed_model_in_assignment_order():
    model = TwoBranches()
    assert model.sublayers() == [model.shared, model.head]
    assert list(model.walk()) == [model, model.shared, model.head]


def test_random_generators_are_the_layers_own():
    seeded = L.Dropout(0.5, seed=3)
    generators = seeded.random_generators()
    assert len(generators) == 1 and isinstance(generators[0], np.random.Generator)
    assert L.Dropout(0.5).random_generators() == [] and L.Dense(2).random_generators() == []
    # it is the generator the layer draws its masks from, and the global one is left alone
    before_own = generators[0].bit_generator.state
    before_global = snn.random.generator().bit_generator.state
    seeded(np.ones((4, 6)), training=True)
    assert generators[0].bit_generator.state != before_own
    assert snn.random.generator().bit_generator.state == before_global


def test_a_model_lists_its_layers_generators_through_walk():
    drop = L.Dropout(0.2, seed=1)
    model = snn.Sequential([L.Dense(3), drop, L.Dropout(0.1)])
    found = [g for layer in model.walk() for g in layer.random_generators()]
    assert found == drop.random_generators()


@pytest.mark.parametrize("layer, name", [
    (L.Dense(3, activation="softmax"), "softmax"),
    (L.Dense(3, activation="relu"), "relu"),
    (L.Dense(3), "linear"),
    (L.Softmax(), "softmax"),
    (L.ReLU(), "relu"),
    (L.ReLU(max_value=6), "relu6"),
    (L.ReLU(max_value=4), None),
    (L.ReLU(negative_slope=0.1), None),
    (L.ReLU(threshold=0.5), None),
    (L.LeakyReLU(0.2), "leaky_relu"),
    (L.ELU(), "elu"),
    (L.Activation("tanh"), "tanh"),
    (L.Flatten(), None),
    (L.Dropout(0.5), None),
], ids=lambda v: repr(v) if isinstance(v, (str, type(None))) else type(v).__name__)
def test_output_activation(layer, name):
    assert layer.output_activation() == name


def test_a_models_output_activation_is_its_last_layers():
    assert snn.Sequential([L.Dense(4, activation="relu"), L.Dense(2, activation="sigmoid")]) \
        .output_activation() == "sigmoid"
    assert snn.Sequential([L.Dense(4), L.Softmax()]).output_activation() == "softmax"
    nested = snn.Sequential([L.Dense(4), snn.Sequential([L.Dense(2), L.Activation("tanh")])])
    assert nested.output_activation() == "tanh"
    assert TwoBranches().output_activation() == "linear"
    assert snn.Sequential().output_activation() is None


# ================================================================== fuse_with: Conv2D + MaxPooling2D
def ran_fused(out):
    """Whether the convolution and the pooling ran as one op (the fast kernel with ``pool``)."""
    functions = graph_functions(out)
    convs = [fn for fn in functions if isinstance(fn, (FastConv2D, FastConv2DMaxPool, conv_ops.Conv2D))]
    assert len(convs) == 1
    pools = [fn for fn in functions if isinstance(fn, (FastMaxPool2D, conv_ops.MaxPool2D))]
    return getattr(convs[0], "pool", None) is not None and not pools


def cnn():
    set_random_seed(5)
    return snn.Sequential([L.Input((8, 8, 2)), L.Conv2D(3, 3, activation="relu"), L.MaxPooling2D(2),
                           L.Flatten(), L.Dense(2)])


@pytest.fixture
def image(rng):
    return Tensor(rng.normal(size=(2, 8, 8, 2)).astype(np.float32))


@pytest.fixture(autouse=True)
def fast_kernels_on():
    previous = set_fast_kernels(True)
    yield
    set_fast_kernels(previous)


def test_an_unwatched_conv_and_max_pool_run_as_one_op(image):
    model = cnn()
    conv, pool = model.layers[:2]
    assert conv.fuse_with(pool) is not None
    assert conv.fuse_with(model.layers[3]) is None            # only a MaxPooling2D follows
    assert ran_fused(model(image, training=True))


@pytest.mark.parametrize("watched", ["conv", "pool"])
def test_a_forward_hook_on_either_layer_prevents_fusion_and_sees_the_conv_output(image, watched):
    model = cnn()
    conv, pool = model.layers[:2]
    fused_out = model(image, training=True)
    log = []
    with (conv if watched == "conv" else pool).add_forward_hook(record_calls(log)):
        assert conv.fuse_with(pool) is None
        out = model(image, training=True)
    assert not ran_fused(out)
    # the fused op sums its products in another order: equal to float32 rounding
    np.testing.assert_allclose(out.data, fused_out.data, rtol=1e-6, atol=1e-6)
    layer, inputs, outputs = log[0]
    conv_output = conv(image).data                             # the Conv2D's own, unpooled output
    if watched == "conv":
        np.testing.assert_array_equal(inputs.data, image.data)
        np.testing.assert_array_equal(outputs.data, conv_output)
    else:
        np.testing.assert_array_equal(inputs.data, conv_output)
        assert outputs.shape == (2, 3, 3, 3)
    assert ran_fused(model(image, training=True))             # fused again once the hook is gone


def test_a_backward_hook_prevents_fusion_and_sees_the_conv_output_gradient(image):
    model = cnn()
    conv = model.layers[0]
    grads = []
    with conv.add_backward_hook(lambda layer, grad: grads.append(grad.copy())):
        out = model(image, training=True)
        assert not ran_fused(out)
        out.sum().backward()
    assert len(grads) == 1
    h = conv(image, training=True).retain_grad()              # independently, layer by layer
    rest = h
    for layer in model.layers[1:]:
        rest = layer(rest, training=True)
    rest.sum().backward()
    np.testing.assert_array_equal(grads[0], h.grad)


def test_no_fusion_while_fast_kernels_are_off(image):
    model = cnn()
    conv, pool = model.layers[:2]
    previous = set_fast_kernels(False)
    try:
        assert conv.fuse_with(pool) is None
        assert not ran_fused(model(image, training=True))
    finally:
        set_fast_kernels(previous)
    with fast_kernels(False):
        assert not fast_kernels_enabled()
        assert not ran_fused(model(image, training=True))
    assert fast_kernels_enabled() and ran_fused(model(image, training=True))
