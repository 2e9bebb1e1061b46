"""What every layer promises (``scratchnn/layers/base.py``): ``compute_output_shape`` equals the
shape of the output, ``get_config``/``from_config`` round trips, ``get_weights``/``set_weights``
copy and check, ``Variable.assign``, unknown keyword arguments; and a student's own layer (a
``Layer`` subclass) that trains through backward and passes gradcheck.
"""
import numpy as np
import pytest

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.utils import set_random_seed


def _built_dense(n_in=4, units=3, **kwargs):
    layer = L.Dense(units, **kwargs)
    layer(np.zeros((1, n_in)))
    return layer


def test_unknown_keyword_argument_raises_type_error():
    with pytest.raises(TypeError, match="unitz"):
        L.Dense(3, unitz=4)
    with pytest.raises(TypeError, match="foo"):
        L.Flatten(foo=1)


_SHAPE_CASES = [
    (lambda: L.Dense(7), (3, 4)),
    (lambda: L.Dense(2), (3, 5, 4)),
    (lambda: L.Flatten(), (3, 2, 5)),
    (lambda: L.Reshape((-1, 3)), (2, 12)),
    (lambda: L.Reshape((2, 2, 3)), (2, 12)),
    (lambda: L.Activation("relu"), (3, 4)),
    (lambda: L.Dropout(0.5), (3, 4)),
    (lambda: L.ReLU(max_value=6.0), (3, 4)),
    (lambda: L.LeakyReLU(), (3, 4)),
    (lambda: L.ELU(), (3, 4)),
    (lambda: L.Softmax(axis=1), (3, 4, 2)),
    (lambda: L.Maxout(2), (3, 6)),
    (lambda: L.InputLayer(shape=(4,)), (3, 4)),
]


@pytest.mark.parametrize("make, in_shape", _SHAPE_CASES)
def test_compute_output_shape_matches_actual_output(rng, make, in_shape):
    layer = make()
    predicted = layer.compute_output_shape((None,) + in_shape[1:])
    out = layer(rng.normal(size=in_shape), training=True)
    assert predicted == (None,) + out.shape[1:]
    assert make().compute_output_shape(in_shape) == out.shape


_CONFIG_CASES = [
    lambda: L.Dense(3, activation="softmax", use_bias=False, kernel_regularizer="l1"),
    lambda: L.Flatten(name="my_flatten"),
    lambda: L.Reshape((-1, 2)),
    lambda: L.Activation("sigmoid"),
    lambda: L.Dropout(0.2, seed=4),
    lambda: L.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
    lambda: L.LeakyReLU(alpha=0.2),
    lambda: L.ELU(alpha=0.5),
    lambda: L.Softmax(axis=1),
    lambda: L.Maxout(4),
    lambda: L.InputLayer(shape=(28, 28), batch_size=16),
]


@pytest.mark.parametrize("make", _CONFIG_CASES)
def test_get_config_from_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert type(clone) is type(layer)
    assert clone.get_config() == config
    assert clone.name == layer.name and clone.dtype == layer.dtype


# ========================================================= get/set weights, Variable
def test_get_weights_returns_copies(rng):
    layer = _built_dense(4, 3)
    before = [w.data.copy() for w in layer.weights]
    got = layer.get_weights()
    got[0][...] = 99
    got[1][...] = 99
    for var, ref in zip(layer.weights, before):
        np.testing.assert_array_equal(var.data, ref)
    assert not np.shares_memory(got[0], layer.kernel.data)


def test_set_weights_copies_and_keeps_arrays(rng):
    layer = _built_dense(4, 3)
    kernel_array = layer.kernel.data
    w, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    layer.set_weights([w, b])
    assert layer.kernel.data is kernel_array             # in place
    np.testing.assert_allclose(layer.kernel.data, w.astype(np.float32))
    w[...] = 0                                          # the layer does not alias the input
    assert np.any(layer.kernel.data != 0)
    layer.set_weights([Tensor(np.ones((4, 3))), np.zeros(3)])
    np.testing.assert_array_equal(layer.kernel.data, 1)


@pytest.mark.parametrize("bad", ["count_short", "count_long", "second_shape", "first_shape"])
def test_set_weights_bad_input_raises_and_changes_nothing(rng, bad):
    layer = _built_dense(4, 3)
    before = layer.get_weights()
    good_w = rng.normal(size=(4, 3)) + 5
    good_b = rng.normal(size=3) + 5
    arrays = {"count_short": [good_w],
              "count_long": [good_w, good_b, good_b],
              "second_shape": [good_w, np.ones(4)],          # first array fine, second wrong
              "first_shape": [np.ones((3, 4)), good_b]}[bad]
    with pytest.raises(ValueError) as err:
        layer.set_weights(arrays)
    assert layer.name in str(err.value)
    for var, ref in zip(layer.weights, before):
        np.testing.assert_array_equal(var.data, ref)


def test_variable_assign_in_place():
    v = L.Variable(np.zeros((2, 3), dtype=np.float32), name="v")
    arr = v.data
    v.assign(np.arange(6.0).reshape(2, 3))
    assert v.data is arr
    np.testing.assert_array_equal(arr, np.arange(6.0).reshape(2, 3))
    v.assign(Tensor(np.ones((2, 3))))
    assert v.data is arr and np.all(arr == 1)
    with pytest.raises(ValueError, match="'v'"):
        v.assign(np.ones((3, 2)))
    np.testing.assert_array_equal(arr, 1)
    assert v.trainable and v.requires_grad and v.dtype == np.float32


# ============================================================ a student's layer
class _MyDense(L.Layer):
    """What a student writes: y = tanh(x W + b) with add_weight and ops."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1], self.units), initializer="glorot_uniform")
        self.b = self.add_weight("b", (self.units,), initializer="zeros")

    def call(self, inputs, training=False):
        return F.tanh(F.matmul(inputs, self.w) + self.b)


def test_custom_layer_trains_through_backward(rng):
    set_random_seed(1)
    layer = _MyDense(2, dtype="float64")
    x = rng.normal(size=(64, 3))
    true_w = np.array([[0.8, -0.5], [0.3, 0.9], [-0.6, 0.2]])
    y = np.tanh(x @ true_w + np.array([0.1, -0.2]))
    layer(x)
    assert [w.name.split("/")[-1] for w in layer.trainable_weights] == ["w", "b"]
    assert layer.count_params() == 3 * 2 + 2

    def loss_value():
        return ((layer(x) - y) ** 2).mean()

    first = loss_value().item()
    for _ in range(300):
        for w in layer.trainable_weights:
            w.zero_grad()
        loss = loss_value()
        loss.backward()
        for w in layer.trainable_weights:
            assert w.grad is not None and w.grad.shape == w.shape
            w.data -= 0.5 * w.grad
    last = loss_value().item()
    assert last < 0.01 * first, (first, last)
    np.testing.assert_allclose(layer.w.data, true_w, atol=0.05)


def test_custom_layer_gradcheck(rng):
    layer = _MyDense(3, dtype="float64")
    x = rng.normal(size=(4, 5))
    layer(x)
    assert snn.gradcheck(layer, x)                  # gradient with respect to the input

    def with_weights(inputs, w, b):                 # gradient with respect to the weights
        saved = layer.w, layer.b
        layer.w, layer.b = w, b
        try:
            return layer(inputs)
        finally:
            layer.w, layer.b = saved

    assert snn.gradcheck(with_weights, x, layer.w.data, rng.normal(size=3))


# ============================================================ layers that hold layers
class _Block(L.Layer):
    """A layer whose attributes hold layers: one Dense, a list of two, a dict of two, the first
    Dense again under another name (counted once), and a weight of its own."""

    def __init__(self, units=3, rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rate = units, rate
        self.d1 = L.Dense(units, activation="tanh")
        self.stack = [L.Dense(units, activation="tanh"), L.Dense(units)]
        self.heads = {"a": L.Dense(2), "b": L.Dense(2)}
        self.again = [self.d1]
        self.drop = L.Dropout(rate)

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (), initializer="ones")

    def call(self, inputs, training=False):
        x = self.drop(self.d1(inputs))             # no training=: runs as the block was called
        for layer in self.stack:
            x = layer(x)
        return (self.heads["a"](x) + self.heads["b"](x)) * self.scale

    def get_config(self):
        return {**super().get_config(), "units": self.units, "rate": self.rate}


def _block(x, **kwargs):
    block = _Block(dtype="float64", **kwargs)
    block(x)
    return block


def test_layers_in_attributes_lists_and_dicts_are_tracked_in_order(rng):
    x = rng.normal(size=(5, 4))
    block = _block(x)
    inner = [block.d1, *block.stack, block.heads["a"], block.heads["b"], block.drop]
    assert block.sublayers() == inner                       # d1 assigned twice: listed once
    assert list(block.walk()) == [block] + inner
    expected = [block.scale] + [w for layer in inner[:-1] for w in (layer.kernel, layer.bias)]
    assert [id(w) for w in block.weights] == [id(w) for w in expected]
    assert [id(w) for w in block.trainable_weights] == [id(w) for w in expected]
    assert block.non_trainable_weights == []
    # Keras's count: 1 (scale) + Dense(4->3) + Dense(3->3) * 2 + Dense(3->2) * 2, d1 once
    assert block.count_params() == 1 + (4 * 3 + 3) + 2 * (3 * 3 + 3) + 2 * (3 * 2 + 2)
    assert [a.shape for a in block.get_weights()] == [w.shape for w in expected]


def test_backward_reaches_every_weight_of_the_sublayers(rng):
    x = rng.normal(size=(5, 4))
    block = _block(x)
    (block(x) ** 2).sum().backward()
    assert len(block.trainable_weights) == 11
    for w in block.trainable_weights:
        assert w.grad is not None and np.abs(w.grad).sum() > 0, w.name


def test_fit_trains_the_weights_of_a_block_in_a_model(rng):
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = x[:, :2] - x[:, 2:]
    set_random_seed(0)
    model = snn.Sequential([L.Input(shape=(4,)), _Block(units=8)])
    before = model.get_weights()
    assert len(before) == 1 + 2 * 5
    model.compile(snn.optimizers.Adam(0.01), "mse")
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    for w, w0 in zip(model.get_weights(), before):
        assert not np.array_equal(w, w0)


def test_set_weights_reaches_the_sublayers_and_a_bad_list_changes_nothing(rng):
    x = rng.normal(size=(5, 4))
    block = _block(x)
    new = [w + 1.0 for w in block.get_weights()]
    block.set_weights(new)
    np.testing.assert_array_equal(block.d1.kernel.data, new[1])
    np.testing.assert_array_equal(block.heads["b"].bias.data, new[-1])
    with pytest.raises(ValueError, match="expects 11 weight arrays, got 10"):
        block.set_weights(new[:-1])
    for got, want in zip(block.get_weights(), new):
        np.testing.assert_array_equal(got, want)


def test_freezing_a_block_freezes_its_sublayers(rng):
    x = rng.normal(size=(5, 4))
    block = _block(x)
    block.trainable = False
    assert all(not layer.trainable for layer in block.walk())
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 11
    block.trainable = True
    block.stack[0].trainable = False                        # a frozen sublayer gives no weights
    frozen = {id(block.stack[0].kernel), id(block.stack[0].bias)}
    assert [id(w) for w in block.non_trainable_weights] == [id(block.stack[0].kernel),
                                                           id(block.stack[0].bias)]
    assert len(block.trainable_weights) == 9
    assert not frozen & {id(w) for w in block.trainable_weights}
    assert len(block.weights) == 11                         # the order does not change


def test_training_flag_reaches_sublayers_called_without_it(rng):
    x = rng.normal(size=(200, 4)) + 3.0
    block = _block(x, rate=0.5)
    out_d1 = []
    handle = block.d1.add_forward_hook(lambda layer, inputs, outputs: out_d1.append(outputs))
    dropped = []
    block.drop.add_forward_hook(lambda layer, inputs, outputs: dropped.append(outputs.data == 0))
    with handle:
        block(x)
        block(x, training=True)
    assert len(out_d1) == 2                                 # hooks on a sublayer run
    assert not dropped[0].any() and dropped[1].mean() > 0.3  # dropout only in training
    inner = L.Dropout(0.5)
    inner_off = []
    inner.add_forward_hook(lambda layer, inputs, outputs: inner_off.append(outputs.data == 0))

    class Explicit(L.Layer):
        def __init__(self):
            super().__init__()
            self.inner = inner

        def call(self, inputs, training=False):
            return self.inner(inputs, training=False)         # an explicit flag wins

    Explicit()(np.ones((50, 4)), training=True)
    assert not inner_off[0].any()


def test_regularizers_of_sublayers_are_in_losses_once(rng):
    class Twice(L.Layer):
        def __init__(self):
            super().__init__(dtype="float64")
            self.dense = L.Dense(3, kernel_regularizer=snn.regularizers.L2(0.5))
            self.same = self.dense

        def call(self, inputs, training=False):
            return self.same(self.dense(inputs))

    layer = Twice()
    layer(np.ones((2, 3)))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(layer.losses[0].item(), 0.5 * (layer.dense.kernel.data ** 2).sum())
    model = snn.Sequential([L.Input(shape=(3,)), layer])
    assert len(model.losses) == 1


def test_sublayers_come_in_the_order_layers_were_assigned():
    """Keras's tracking order: an attribute first set to None counts from when it gets a layer; a
    list counts from when it is assigned, with the layers appended to it later."""
    class Late(L.Layer):
        def __init__(self):
            super().__init__()
            self.head = None
            self.extra = []

        def build(self, input_shape):
            self.body = L.Dense(2)
            self.head = L.Dense(3)
            self.extra.append(L.Dense(4))

        def call(self, inputs, training=False):
            return self.head(self.body(inputs)) + self.extra[0](inputs)[..., :3]

    layer = Late()
    layer(np.ones((1, 5)))
    assert layer.sublayers() == [layer.extra[0], layer.body, layer.head]
    assert [w.shape for w in layer.weights] == [(5, 4), (4,), (5, 2), (2,), (2, 3), (3,)]


def test_an_initializer_of_none_is_kerass_default_and_survives_a_round_trip(tmp_path):
    """``Dense(bias_initializer=None)``: the weight gets add_weight's default (Glorot uniform, as
    Keras), the config says None, and the model saves and loads (a file whose config says None
    used to load, then fail to save again)."""
    import scratchnn as snn
    from scratchnn.layers import Dense, Input
    snn.utils.set_random_seed(0)
    model = snn.Sequential([Input((4,)), Dense(3, bias_initializer=None, kernel_initializer=None)])
    dense = model.layers[-1]
    assert dense.get_config()["bias_initializer"] is None
    bias = model.get_weights()[1]
    assert np.all(np.abs(bias) <= np.sqrt(6 / (3 + 1))) and np.any(bias != 0)     # Glorot, not zeros
    path = model.save(tmp_path / "m.scratchnn")
    loaded = snn.models.load_model(path)
    assert loaded.layers[-1].get_config()["bias_initializer"] is None
    loaded.save(tmp_path / "again.scratchnn")
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_variables_are_keras_other_names_for_the_weights():
    """``trainable_variables`` (what TensorFlow's custom loops differentiate), ``variables`` and
    ``non_trainable_variables`` are the weight lists under Keras's other names."""
    model = snn.Sequential([L.Dense(3, input_shape=(2,)), L.BatchNormalization()])
    assert model.trainable_variables == model.trainable_weights and len(model.trainable_variables) == 4
    assert model.non_trainable_variables == model.non_trainable_weights
    assert len(model.non_trainable_variables) == 2
    assert model.variables == model.weights and len(model.variables) == 6
    model.layers[0].trainable = False
    assert len(model.trainable_variables) == 2


def test_a_weights_numpy_is_a_snapshot_not_the_live_array():
    """Weights change in place; ``w.numpy()`` (a copy, as in Keras) keeps the values it was taken
    at, so recording them during training records a history (it recorded the last values only)."""
    layer = _built_dense()
    history = []
    for _ in range(3):
        history.append(layer.kernel.numpy())
        layer.kernel.assign_add(np.ones(layer.kernel.shape, dtype=np.float32))
    np.testing.assert_allclose(history[1] - history[0], 1.0)
    np.testing.assert_allclose(history[2] - history[0], 2.0)
