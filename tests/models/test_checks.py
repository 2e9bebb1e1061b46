"""The checks made before training (``scratchnn/models/checks.py``): input shapes and targets
against the loss, with a clear message and nothing changed; the classic-mistake warnings
(from_logits after a softmax, a softmax on one unit, ...).
"""
import warnings

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import losses
from scratchnn.layers import Dense, Flatten
from scratchnn.utils import set_random_seed, to_categorical

from tests.models.helpers import assert_unchanged, blobs, compiled_mlp, state


def test_input_shape_not_matching_the_built_model():
    x, y = blobs(12, n_in=5)
    model = compiled_mlp()
    name = model.layers[0].name
    before = state(model)
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y, verbose=0),
                 lambda: model.predict(x, verbose=0)):
        with pytest.raises(ValueError) as err:
            call()
        message = str(err.value)
        assert name in message and "(None, 4)" in message and "(None, 5)" in message, message
        assert_unchanged(model, before)


@pytest.mark.parametrize("built", [True, False])
@pytest.mark.parametrize("bad, pattern", [(7, r"label 7 .*0 to 2"), (-1, r"label -1 .*0 to 2")])
def test_sparse_labels_out_of_range(built, bad, pattern):
    x, y = blobs(12)
    y = y.copy()
    y[5] = bad
    model = compiled_mlp(built)
    before = state(model)
    with pytest.raises(ValueError, match=pattern):
        model.fit(x, y, verbose=0)
    assert_unchanged(model, before)


@pytest.mark.parametrize("built", [True, False])
def test_sparse_labels_not_integers(built):
    x, y = blobs(12)
    y = y.astype(np.float32)
    y[3] = 1.5
    model = compiled_mlp(built)
    before = state(model)
    with pytest.raises(ValueError, match="integer"):
        model.fit(x, y, verbose=0)
    assert_unchanged(model, before)


@pytest.mark.parametrize("built", [True, False])
def test_one_hot_targets_with_sparse_loss(built):
    x, y = blobs(12)
    model = compiled_mlp(built)
    before = state(model)
    with pytest.raises(ValueError, match="categorical_crossentropy") as err:
        model.fit(x, to_categorical(y, 3), verbose=0)
    assert "loss='categorical_crossentropy'" in str(err.value)
    assert_unchanged(model, before)


@pytest.mark.parametrize("built", [True, False])
def test_integer_labels_with_categorical_loss(built):
    x, y = blobs(12)
    model = compiled_mlp(built)
    model.compile("adam", "categorical_crossentropy")
    before = state(model)
    with pytest.raises(ValueError) as err:
        model.fit(x, y, verbose=0)
    message = str(err.value)
    assert "sparse_categorical_crossentropy" in message and "to_categorical" in message, message
    assert_unchanged(model, before)


# ============================================================================ warnings
def _compile_warnings(model, loss):
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        model.compile("adam", loss)
    return [str(r.message) for r in records if issubclass(r.category, UserWarning)]


@pytest.mark.parametrize("loss", [losses.SparseCategoricalCrossentropy(from_logits=True),
                                  losses.CategoricalCrossentropy(from_logits=True)])
def test_warning_from_logits_after_softmax(loss):
    model = snn.Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    with pytest.warns(UserWarning, match="from_logits=True") as records:
        model.compile("adam", loss)
    messages = [str(r.message) for r in records if "from_logits" in str(r.message)]
    assert len(messages) == 1
    assert "softmax" in messages[0] and "probabilities" in messages[0]
    assert len(_compile_warnings(model, loss)) == 1                 # and again at the next compile


def test_from_logits_mistake_is_reported_once_per_compile_not_per_batch():
    x, y = blobs(16)
    model = snn.Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        model.compile("adam", losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    about_logits = [str(r.message) for r in records if "from_logits" in str(r.message)]
    assert len(about_logits) == 1, about_logits


def test_warning_softmax_on_a_single_unit():
    model = snn.Sequential([Dense(1, activation="softmax", input_shape=(4,))])
    with pytest.warns(UserWarning, match="single output unit") as records:
        model.compile("adam", "binary_crossentropy")
    messages = [str(r.message) for r in records]
    assert len(messages) == 1 and "sigmoid" in messages[0]


@pytest.mark.parametrize("activation, act_name", [("sigmoid", "sigmoid"), (None, "linear"),
                                                  ("linear", "linear")])
@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_warning_non_softmax_output_with_categorical_losses(activation, act_name, loss):
    model = snn.Sequential([Dense(3, activation=activation, input_shape=(4,))])
    with pytest.warns(UserWarning, match="sum to 1") as records:
        model.compile("adam", loss)
    messages = [str(r.message) for r in records]
    assert len(messages) == 1
    assert act_name in messages[0] and "softmax" in messages[0] and loss in messages[0]


def test_no_warning_with_from_logits_on_a_linear_output():
    model = snn.Sequential([Dense(3, input_shape=(4,))])
    assert _compile_warnings(model, losses.SparseCategoricalCrossentropy(from_logits=True)) == []


def test_no_warning_for_the_reference_setup():
    x, y = blobs(16, n_in=12)
    set_random_seed(0)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        model = snn.Sequential([Flatten(input_shape=(3, 4)), Dense(50, activation="relu"),
                                Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x.reshape(16, 3, 4), y, epochs=1, batch_size=8, verbose=0)
        model.evaluate(x.reshape(16, 3, 4), y, verbose=0)
        model.predict(x.reshape(16, 3, 4), verbose=0)
    assert [str(r.message) for r in records] == []


# ======================================================== the binary recipe with two sigmoid units
@pytest.mark.parametrize("built", [True, False])
@pytest.mark.parametrize("label_shape", ["(n,)", "(n, 1)"])
def test_two_sigmoid_units_with_binary_crossentropy_and_0_1_labels_is_refused(built, label_shape):
    """The course notes' binary recipe written with Dense(2, activation='sigmoid'): refused before
    training with the two ways out, instead of a shape error deep in the loss."""
    x, y = blobs(16, k=2)
    y = y.reshape(-1, 1) if label_shape == "(n, 1)" else y
    set_random_seed(0)
    first = Dense(8, activation="relu", input_shape=(4,)) if built else Dense(8, activation="relu")
    model = snn.Sequential([first, Dense(2, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    before = state(model)
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y, verbose=0)):
        with pytest.raises(ValueError) as err:
            call()
        message = str(err.value)
        assert "one class label per sample" in message and "2 units" in message, message
        assert "Dense(1, activation='sigmoid')" in message and "binary_crossentropy" in message
        assert "Dense(2, activation='softmax')" in message and "sparse_categorical_crossentropy" in message
        assert_unchanged(model, before)
    assert model.optimizer.iterations == 0


def test_two_sigmoid_units_with_one_0_1_target_per_unit_still_train():
    """Two independent yes/no labels per sample (multi-label) are what two sigmoid units are for."""
    x, y = blobs(16, k=2)
    targets = np.stack([y, 1 - y], axis=1).astype(np.float32)
    set_random_seed(0)
    model = snn.Sequential([Dense(2, activation="sigmoid", input_shape=(4,))])
    model.compile("adam", "binary_crossentropy")
    model.fit(x, targets, epochs=2, verbose=0)
    assert model.optimizer.iterations == 2
