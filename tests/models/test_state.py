"""``model.snapshot()`` (``models/state.py``): save everything training changes, put it back.

A tool may train, draw and seed inside ``with model.snapshot():``; afterwards every weight
(BatchNormalization's moving statistics too), every ``.grad`` and ``requires_grad`` flag, the
optimizer (step count, optimizer-wide state such as Nadam's, every slot such as Adam's moments)
and the random generators (the global one, NumPy's legacy state, a seeded Dropout's own) are as
before. The proof that matters: a ``fit`` after the block gives bit-identical results to the
same ``fit`` on a twin model that never entered the block.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import callbacks, layers as L
from scratchnn.models.state import ModelState
from scratchnn.utils import set_random_seed

pytestmark = pytest.mark.usefixtures("restore_global_rng")

DATA = np.random.default_rng(42)
X = DATA.normal(size=(40, 4)).astype(np.float32)
Y = DATA.integers(0, 3, size=40)


def make_model(optimizer="adam", seed=11):
    """A small classifier with BatchNormalization and a seeded Dropout, compiled."""
    set_random_seed(seed)
    model = snn.Sequential([L.Input((4,)), L.Dense(8, activation="relu"), L.BatchNormalization(),
                            L.Dropout(0.3, seed=5), L.Dropout(0.2), L.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def mid_training(optimizer="adam"):
    """The model after one epoch of fit, with gradients of a probe batch left in ``.grad`` and one
    weight marked as not requiring a gradient: every part of the state is non-trivial."""
    model = make_model(optimizer)
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    model.compute_loss(Y[:8], model(X[:8], training=True)).backward()
    model.layers[0].bias.requires_grad = False
    return model


def state_of(model):
    """Everything the snapshot promises to keep, copied."""
    opt = model.optimizer
    return {
        "weights": [w.data.copy() for w in model.weights],
        "grads": [None if w.grad is None else np.array(w.grad) for w in model.weights],
        "requires_grad": [w.requires_grad for w in model.weights],
        "iterations": opt.iterations,
        "global state": opt.global_state(),
        "slots": [(id(var), {name: arr.copy() for name, arr in slots.items()})
                  for var, slots in opt.states()],
        "generator": snn.random.generator(),
        "position": snn.random.generator().bit_generator.state,
        "legacy": np.random.get_state(),
        "own generators": [g.bit_generator.state
                           for layer in model.walk() for g in layer.random_generators()],
    }


def differences(a, b):
    """The names of the parts of two ``state_of`` that differ."""
    differ = []
    for key in a:
        x, y = a[key], b[key]
        if key in ("weights", "grads"):
            same = len(x) == len(y) and all(
                (p is None and q is None) or (p is not None and q is not None and np.array_equal(p, q))
                for p, q in zip(x, y))
        elif key == "slots":
            same = [v for v, _ in x] == [v for v, _ in y] and all(
                s.keys() == t.keys() and all(np.array_equal(s[k], t[k]) for k in s)
                for (_, s), (_, t) in zip(x, y))
        elif key == "generator":
            same = x is y
        elif key == "legacy":
            same = all(np.array_equal(p, q) for p, q in zip(x, y))
        else:
            same = x == y
        if not same:
            differ.append(key)
    return differ


def train_and_seed(model, epochs=2):
    """What a tool may do inside the block: train, draw, reseed everything."""
    model.fit(X, Y, epochs=epochs, batch_size=8, verbose=0)
    model.compute_loss(Y[:4], model(X[:4], training=True)).backward()
    snn.random.generator().normal(size=3)
    set_random_seed(123)                   # replaces the global generator, reseeds NumPy's legacy one


def training_result(model):
    history = model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    return history.history, [w.copy() for w in model.get_weights()], state_of(model)


def assert_same_training(a, b):
    (hist_a, weights_a, state_a), (hist_b, weights_b, state_b) = a, b
    assert hist_a == hist_b
    for p, q in zip(weights_a, weights_b):
        np.testing.assert_array_equal(p, q)
    assert len(state_a["slots"]) == len(state_b["slots"]) and state_a["iterations"] == state_b["iterations"]
    for (_, s), (_, t) in zip(state_a["slots"], state_b["slots"]):
        for name in s:
            np.testing.assert_array_equal(s[name], t[name])


# ================================================================== everything is back after the block
@pytest.mark.parametrize("optimizer", ["adam", "nadam"])
def test_everything_training_changes_is_restored(optimizer):
    model = mid_training(optimizer)
    before = state_of(model)
    assert before["iterations"] > 0 and before["slots"] and before["own generators"]
    assert any(g is not None for g in before["grads"]) and False in before["requires_grad"]
    with model.snapshot() as snapshot:
        assert isinstance(snapshot, ModelState)
        train_and_seed(model)
        inside = state_of(model)
    # the block changed every part (else the test would prove nothing) ...
    changed = set(differences(before, inside))
    assert changed == set(before) - ({"global state"} if optimizer == "adam" else set())
    moving = [i for i, w in enumerate(model.weights) if "moving" in w.name]
    assert len(moving) == 2 and all(not np.array_equal(before["weights"][i], inside["weights"][i])
                                    for i in moving)
    # ... and all of it is back
    assert differences(before, state_of(model)) == []


def test_the_weight_arrays_keep_their_identity():
    model = mid_training()
    arrays = [w.data for w in model.weights]
    with model.snapshot():
        train_and_seed(model)
    assert all(w.data is a for w, a in zip(model.weights, arrays))


@pytest.mark.parametrize("optimizer", ["adam", "nadam"])
def test_fit_after_the_block_equals_fit_on_a_twin_that_never_entered_it(optimizer):
    model = mid_training(optimizer)
    with model.snapshot():
        train_and_seed(model, epochs=3)
    after_block = training_result(model)
    twin = mid_training(optimizer)
    assert_same_training(after_block, training_result(twin))


def test_restore_can_be_called_again_and_again():
    model = mid_training()
    before = state_of(model)
    snapshot = model.snapshot()
    train_and_seed(model)
    snapshot.restore()
    assert differences(before, state_of(model)) == []
    train_and_seed(model, epochs=1)
    snapshot.restore()
    assert differences(before, state_of(model)) == []
    snapshot.restore()
    assert differences(before, state_of(model)) == []


def test_the_state_is_restored_when_the_block_raises():
    model = mid_training()
    before = state_of(model)
    with pytest.raises(RuntimeError, match="tool failed"):
        with model.snapshot():
            train_and_seed(model)
            raise RuntimeError("tool failed")
    assert differences(before, state_of(model)) == []


def test_optimizer_false_leaves_the_optimizer_as_the_block_left_it():
    model = mid_training()
    before = state_of(model)
    with model.snapshot(optimizer=False):
        train_and_seed(model)
        inside = state_of(model)
    after = state_of(model)
    assert after["iterations"] == inside["iterations"] > before["iterations"]
    assert differences(inside, after) == ["weights", "grads", "requires_grad", "generator", "position",
                                          "legacy", "own generators"]
    assert set(differences(before, after)) == {"iterations", "slots"}


def test_random_false_leaves_the_generators_as_the_block_left_them():
    model = mid_training()
    before = state_of(model)
    with model.snapshot(random=False):
        train_and_seed(model)
    assert set(differences(before, state_of(model))) == {"generator", "position", "legacy", "own generators"}


def test_state_the_optimizer_gained_inside_the_block_is_forgotten():
    model = make_model()
    model(X[:2])                                       # built, compiled, never trained
    before = state_of(model)
    assert before["slots"] == [] and before["iterations"] == 0
    with model.snapshot():
        train_and_seed(model)
        assert len(model.optimizer.states()) == len(model.trainable_weights)
    assert model.optimizer.states() == [] and model.optimizer.iterations == 0
    assert differences(before, state_of(model)) == []
    after_block = training_result(model)
    twin = make_model()                    # (reseeds the global generator as make_model did for model)
    twin(X[:2])
    assert_same_training(after_block, training_result(twin))


def test_a_layer_whose_weights_were_untouched_by_the_optimizer_before_the_block():
    """The optimizer held state for some variables only: those the block adds are dropped, the
    others are put back."""
    model = make_model("adam")
    model.layers[0].trainable = False
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)          # no state for the first Dense
    model.layers[0].trainable = True
    before = state_of(model)
    with model.snapshot():
        train_and_seed(model)
    assert differences(before, state_of(model)) == []
    assert all(model.optimizer.state(w) == {} for w in model.layers[0].weights)


# ================================================================== what the snapshot does not yet keep
def make_unbuilt_model(seed=11):
    """The same classifier without an Input: built by its first fit."""
    set_random_seed(seed)
    model = snn.Sequential([L.Dense(8, activation="relu"), L.BatchNormalization(), L.Dropout(0.3, seed=5),
                            L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_a_snapshot_of_an_unbuilt_model_leaves_the_next_fit_unchanged():
    model = make_unbuilt_model()
    assert not model.built
    with model.snapshot():
        model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    assert not model.built and not any(layer.built for layer in model.layers) and not model.weights
    assert_same_training(training_result(model), training_result(make_unbuilt_model()))


def test_a_learning_rate_changed_inside_the_block_is_restored():
    model = mid_training()
    with model.snapshot():
        model.fit(X, Y, epochs=2, batch_size=8, verbose=0,
                  callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: lr * 10.0)])
    assert model.optimizer.learning_rate == pytest.approx(0.001)


def test_a_gradient_modified_in_place_inside_the_block_is_restored():
    model = mid_training()
    before = state_of(model)
    with model.snapshot():
        for w in model.weights:
            if w.grad is not None:
                w.grad *= 0.0
    assert differences(before, state_of(model)) == []
