"""``Model`` (``scratchnn/models/model.py``): subclassing (layers assigned as attributes, or in a
list, are tracked and trained), weights and frozen layers.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import losses, optimizers
from scratchnn.layers import Dense
from scratchnn.utils import set_random_seed

from tests.models.helpers import blobs, mlp


# ============================================================================ subclassing
class TwoLayer(snn.Model):
    def __init__(self, hidden=16, k=3):
        super().__init__()
        self.d1 = Dense(hidden, activation="relu")
        self.d2 = Dense(k, activation="softmax")

    def call(self, x, training=False):
        return self.d2(self.d1(x))


class Blocks(snn.Model):
    def __init__(self):
        super().__init__()
        self.blocks = [Dense(8, activation="relu"), Dense(8, activation="relu")]
        self.head = Dense(3, activation="softmax")

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def test_subclassed_model_trains_with_fit_and_summarizes():
    x, y = blobs(60)
    set_random_seed(0)
    model = TwoLayer()
    assert model.layers == [model.d1, model.d2]
    model.compile(optimizers.Adam(0.02), "sparse_categorical_crossentropy", ["accuracy"])
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert model.built
    ids = [id(w) for w in model.trainable_weights]
    assert len(ids) == 4
    assert ids == [id(model.d1.kernel), id(model.d1.bias), id(model.d2.kernel), id(model.d2.bias)]
    assert model.count_params() == 4 * 16 + 16 + 16 * 3 + 3
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    assert model.evaluate(x, y, verbose=0)[1] > 0.9
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for layer in (model.d1, model.d2):
        assert f"{layer.name} (Dense)" in text
    assert "(None, 16)" in text and "(None, 3)" in text
    assert "Total params: 131" in text


def test_subclassed_model_build_then_summary():
    """``model.build(shape)`` builds the model itself (Keras: ``model.built`` is True after it)."""
    set_random_seed(0)
    model = TwoLayer()
    model.build((None, 4))
    assert model.d1.built and model.d2.built
    assert model.built
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 16)" in text and "(None, 3)" in text
    assert "Total params: 131" in text


def test_layers_in_a_list_attribute_are_tracked_and_trained():
    x, y = blobs(30)
    set_random_seed(0)
    model = Blocks()
    assert model.layers == model.blocks + [model.head]
    model.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    model(x[:2])
    assert len(model.trainable_weights) == 6
    before = [w.data.copy() for w in model.blocks[0].weights]
    model.fit(x, y, epochs=2, batch_size=10, verbose=0)
    after = model.blocks[0].get_weights()
    assert not np.array_equal(before[0], after[0])
    assert model.count_params() == (4 * 8 + 8) + (8 * 8 + 8) + (8 * 3 + 3)


class DictHeads(snn.Model):
    """Layers in a dict and in a private attribute (as keras-hub's blocks hold them) are tracked."""

    def __init__(self):
        super().__init__()
        self._trunk = Dense(8, activation="relu")
        self.heads = {"left": Dense(3), "right": Dense(3)}

    def call(self, x, training=False):
        h = self._trunk(x)
        return self.heads["left"](h) + self.heads["right"](h)


def test_layers_in_a_dict_and_a_private_attribute_are_tracked_and_trained():
    x, y = blobs(30)
    set_random_seed(0)
    model = DictHeads()
    assert model.layers == [model._trunk, model.heads["left"], model.heads["right"]]
    model.compile(optimizers.SGD(0.1), losses.SparseCategoricalCrossentropy(from_logits=True))
    model(x[:2])
    assert len(model.trainable_weights) == 6
    assert model.count_params() == (4 * 8 + 8) + 2 * (8 * 3 + 3)
    before = model.get_weights()
    model.fit(x, y, epochs=2, batch_size=10, verbose=0)
    assert all(not np.array_equal(w, w0) for w, w0 in zip(model.get_weights(), before))


# ============================================================================ weights
def test_get_set_weights_round_trip_and_bad_lists_change_nothing():
    model = mlp()
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(4, 8), (8,), (8, 3), (3,)]
    new = [w + 1.0 for w in weights]
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    got = model.get_weights()
    got[0][...] = 99.0                                # get_weights returns copies
    assert not (model.get_weights()[0] == 99.0).any()

    for bad in (new[:3], new + [new[0]], [new[0], new[1], new[2].T, new[3]]):
        with pytest.raises(ValueError):
            model.set_weights(bad)
        for w, want in zip(model.get_weights(), new):
            np.testing.assert_array_equal(w, want)


def test_frozen_layer_is_unchanged_by_fit_and_count_params():
    x, y = blobs(30)
    set_random_seed(0)
    frozen = Dense(8, activation="relu", input_shape=(4,), trainable=False)
    head = Dense(3, activation="softmax")
    model = snn.Sequential([frozen, head])
    assert model.layers == [frozen, head]
    assert model.count_params() == 4 * 8 + 8 + 8 * 3 + 3
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    before_frozen, before_head = frozen.get_weights(), head.get_weights()
    model.compile(optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=10, verbose=0)
    for w, w0 in zip(frozen.get_weights(), before_frozen):
        np.testing.assert_array_equal(w, w0)
    assert all(not np.array_equal(w, w0) for w, w0 in zip(head.get_weights(), before_head))
