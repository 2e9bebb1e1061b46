"""What a loss says it is for (``Loss.task``, ``Loss.target``, ``Loss.from_logits``), and the
pre-training checks of ``models/checks.py`` that read it instead of guessing from class names:

* integer labels vs one-hot rows, and labels outside ``0 .. classes - 1``, refused before
  any weight changes (for every loss that declares ``target='class_index'``, whatever its name);
* warnings for classic mistakes: ``from_logits=True`` next to a softmax output, a softmax over
  one unit, a categorical cross-entropy over a sigmoid output.

A loss that declares nothing (``LossFunctionWrapper``, task None) gets none of these checks.

Masks: when ``y_pred`` carries a mask (``set_mask``; ``Embedding(mask_zero=True)``'s padding), every
loss counts only the real positions (equal to the loss of those positions picked out by hand, and
to torch's ``ignore_index``), sample weights multiply, a batch of padding alone has loss 0.
"""
import warnings

import numpy as np
import pytest

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import layers as L
from scratchnn import losses
from scratchnn.autograd import Tensor, set_mask
from scratchnn.models import checks
from scratchnn.utils import set_random_seed

from tests.helpers import assert_close, requires_torch, torch

pytestmark = pytest.mark.usefixtures("restore_global_rng")


@pytest.mark.parametrize("cls, task, target", [
    (losses.MeanSquaredError, "regression", "values"),
    (losses.MeanAbsoluteError, "regression", "values"),
    (losses.Huber, "regression", "values"),
    (losses.SumSquaredError, "regression", "values"),
    (losses.BinaryCrossentropy, "binary", "binary"),
    (losses.CategoricalCrossentropy, "multiclass", "one_hot"),
    (losses.SparseCategoricalCrossentropy, "multiclass", "class_index"),
])
def test_each_built_in_loss_declares_its_task_and_target(cls, task, target):
    loss = cls()
    assert (loss.task, loss.target) == (task, target)
    assert loss.from_logits is False


@pytest.mark.parametrize("cls", [losses.BinaryCrossentropy, losses.CategoricalCrossentropy,
                                 losses.SparseCategoricalCrossentropy])
def test_from_logits_reflects_the_argument(cls):
    assert cls(from_logits=True).from_logits is True
    assert cls(from_logits=False).from_logits is False
    assert cls.from_config(cls(from_logits=True).get_config()).from_logits is True


def test_a_wrapped_function_declares_nothing():
    loss = losses.LossFunctionWrapper(lambda y_true, y_pred: (y_pred - y_true) ** 2)
    assert (loss.task, loss.target, loss.from_logits) == (None, None, False)


# ================================================================== the checks read the declaration
class RankedChoice(losses.Loss):
    """A cross-entropy under another name, declaring integer class labels."""
    fn = staticmethod(F.sparse_categorical_crossentropy)
    task, target = "multiclass", "class_index"

    def __init__(self):
        super().__init__(name="ranked_choice")


def classifier(units=3, activation="softmax"):
    set_random_seed(0)
    return snn.Sequential([L.Input((4,)), L.Dense(units, activation=activation)])


X = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)


def test_a_loss_declaring_class_indices_gets_the_label_range_check_before_any_weight_changes():
    model = classifier()
    model.compile(optimizer="sgd", loss=RankedChoice())
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"label 5 is out of range for an output of 3 classes "
                                         r"\(valid labels: 0 to 2\)"):
        model.fit(X, np.array([0, 1, 2, 5, 1, 0]), verbose=0)
    for p, q in zip(before, model.get_weights()):
        np.testing.assert_array_equal(p, q)
    assert model.optimizer.iterations == 0
    with pytest.raises(ValueError, match="label -1 is out of range"):
        model.evaluate(X, np.array([0, 1, 2, -1, 1, 0]), verbose=0)


def test_a_loss_declaring_class_indices_refuses_one_hot_rows_naming_itself():
    model = classifier()
    model.compile(optimizer="sgd", loss=RankedChoice())
    with pytest.raises(ValueError, match=r"y has shape \(6, 3\), like one-hot targets, but the loss is "
                                         r"ranked_choice, which takes integer class labels"):
        model.fit(X, np.eye(3)[[0, 1, 2, 0, 1, 2]], verbose=0)


def test_a_loss_declaring_one_hot_rows_refuses_integer_labels():
    model = classifier()
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"y has shape \(6,\) but the model outputs \(None, 3\) with "
                                         r"categorical_crossentropy\. y looks like integer class labels"):
        model.fit(X, np.array([0, 1, 2, 0, 1, 2]), verbose=0)


def test_a_wrapped_function_gets_no_target_check():
    def distance_to_label(y_true, y_pred):        # compares the label with the sum of the outputs
        return (y_pred.sum(axis=-1, keepdims=True) - y_true) ** 2

    model = classifier()
    model.compile(optimizer="sgd", loss=losses.LossFunctionWrapper(distance_to_label))
    labels = np.array([[7.0], [0.0], [9.0], [1.0], [2.0], [8.0]], dtype=np.float32)   # "out of range"
    history = model.fit(X, labels, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and model.optimizer.iterations == 1


# ================================================================== classic mistakes
def compile_warnings(model, loss):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.compile(optimizer="sgd", loss=loss)
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def test_from_logits_with_a_softmax_output_is_warned_about():
    messages = compile_warnings(classifier(), losses.SparseCategoricalCrossentropy(from_logits=True))
    assert len(messages) == 1
    assert "the loss has from_logits=True but the output layer applies softmax" in messages[0]


def test_softmax_over_one_unit_is_warned_about():
    messages = compile_warnings(classifier(units=1), "binary_crossentropy")
    assert len(messages) == 1 and "softmax over a single output unit always outputs 1.0" in messages[0]


def test_a_categorical_cross_entropy_over_a_sigmoid_is_warned_about():
    messages = compile_warnings(classifier(activation="sigmoid"), "categorical_crossentropy")
    assert len(messages) == 1
    assert ("categorical_crossentropy expects probabilities that sum to 1 (a softmax output), but the "
            "output layer applies sigmoid") in messages[0]
    # the declaration counts, not the name: a multiclass loss under another name is warned about too
    assert any("ranked_choice expects probabilities" in m
               for m in compile_warnings(classifier(activation="sigmoid"), RankedChoice()))


@pytest.mark.parametrize("units, activation, loss", [
    (3, "softmax", "sparse_categorical_crossentropy"),
    (3, None, losses.SparseCategoricalCrossentropy(from_logits=True)),
    (3, None, losses.CategoricalCrossentropy(from_logits=True)),
    (1, "sigmoid", "binary_crossentropy"),
    (1, None, "mse"),
    (3, "sigmoid", losses.LossFunctionWrapper(F.categorical_crossentropy)),   # declares nothing
])
def test_sound_combinations_are_not_warned_about(units, activation, loss):
    assert compile_warnings(classifier(units, activation), loss) == []


def test_classic_mistakes_returns_the_messages():
    sparse = losses.SparseCategoricalCrossentropy
    assert checks.classic_mistakes(sparse(), "softmax", 3) == []
    assert checks.classic_mistakes(None, "softmax", 1) == []
    assert checks.classic_mistakes(sparse(), None, 1) == []               # activation unknown: no guess
    both = checks.classic_mistakes(sparse(from_logits=True), "softmax", 1)
    assert len(both) == 2
    assert len(checks.classic_mistakes(sparse(), "linear", 3)) == 1


# ------------------------------------------------------------------ masks on y_pred
MASK = np.array([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)


def _mean_square(y_true, y_pred):
    """A plain function (wrapped in LossFunctionWrapper): one value per position."""
    return ((y_pred - y_true) * (y_pred - y_true)).mean(axis=-1)


def _targets_and_predictions(name, rng):
    """(y_true, y_pred) for a loss, y_pred of shape (3, 5, 4) as float64 logits or values."""
    z = rng.normal(size=(3, 5, 4))
    if name == "sparse":
        return rng.integers(0, 4, size=(3, 5)), z
    if name == "categorical":
        return np.eye(4)[rng.integers(0, 4, size=(3, 5))], z
    if name == "binary":
        return (rng.random((3, 5, 4)) > 0.5).astype(np.float64), z
    return rng.normal(size=(3, 5, 4)), z


MASKED_LOSSES = {
    "sparse": lambda r: losses.SparseCategoricalCrossentropy(from_logits=True, reduction=r),
    "categorical": lambda r: losses.CategoricalCrossentropy(from_logits=True, reduction=r),
    "binary": lambda r: losses.BinaryCrossentropy(from_logits=True, reduction=r),
    "mse": lambda r: losses.MeanSquaredError(reduction=r),
    "huber": lambda r: losses.Huber(reduction=r),
    "wrapped": lambda r: losses.LossFunctionWrapper(_mean_square, reduction=r),
}


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("name", sorted(MASKED_LOSSES))
def test_a_masked_y_pred_counts_only_its_real_positions(name, reduction, rng):
    """Equal to the same loss on the real positions alone (picked out by hand, no mask)."""
    y, z = _targets_and_predictions(name, rng)
    loss = MASKED_LOSSES[name](reduction)
    got = loss(y, set_mask(Tensor(z, dtype=np.float64), MASK))
    if reduction == "none":
        per_position = MASKED_LOSSES[name]("none")(y, Tensor(z, dtype=np.float64)).data
        np.testing.assert_allclose(got.data, per_position * MASK, rtol=1e-12)
        return
    want = loss(y[MASK], Tensor(z[MASK], dtype=np.float64))         # (8, 4): the 8 real positions
    np.testing.assert_allclose(got.data, want.data, rtol=1e-12)
    unmasked = loss(y, Tensor(z, dtype=np.float64))
    assert not np.isclose(got.data, unmasked.data)


def test_sample_weights_and_the_mask_multiply_and_the_mean_counts_the_real_positions(rng):
    y, z = _targets_and_predictions("sparse", rng)
    weights = np.array([0.5, 2.0, 1.0])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    got = loss(y, set_mask(Tensor(z, dtype=np.float64), MASK), sample_weight=weights)
    per_position = losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(
        y, Tensor(z, dtype=np.float64)).data
    want = (per_position * weights[:, None] * MASK).sum() / MASK.sum()      # Keras: / the real count
    np.testing.assert_allclose(got.data, want, rtol=1e-12)


@requires_torch
def test_masked_sparse_cross_entropy_equals_torch_ignore_index(rng):
    """torch's cross_entropy with ignore_index at the padded positions: the mean over the others,
    value and gradient."""
    y, z = _targets_and_predictions("sparse", rng)
    logits = set_mask(Tensor(z, dtype=np.float64, requires_grad=True), MASK)
    value = losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits)
    value.backward()
    zt = torch.tensor(z, requires_grad=True)
    labels = torch.tensor(np.where(MASK, y, -100))
    want = torch.nn.functional.cross_entropy(zt.permute(0, 2, 1), labels, ignore_index=-100)
    want.backward()
    assert_close(value.data, want.item(), rtol=1e-12, what="loss")
    assert_close(logits.grad, zt.grad.numpy(), rtol=1e-10, atol=1e-15, what="gradient")
    assert not logits.grad[~MASK].any()


def test_a_batch_of_nothing_but_padding_has_loss_zero_and_no_gradient(rng):
    y, z = _targets_and_predictions("sparse", rng)
    logits = set_mask(Tensor(z, dtype=np.float64, requires_grad=True), np.zeros((3, 5), dtype=bool))
    value = losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits)
    value.backward()
    assert value.item() == 0.0
    assert np.isfinite(logits.grad).all() and not logits.grad.any()


def test_a_mask_that_does_not_fit_the_per_sample_losses_is_refused_naming_both_shapes(rng):
    y_pred = set_mask(Tensor(rng.normal(size=(3, 5))), MASK)        # MSE averages the last axis: (3,)
    with pytest.raises(ValueError, match=r"mean_squared_error: y_pred carries a mask of shape \(3, 5\) .* "
                                         r"per-sample losses of shape \(3,\)"):
        losses.MeanSquaredError()(np.zeros((3, 5)), y_pred)


def test_a_loss_subclass_written_as_in_keras_3_overrides_call_and_is_reduced_and_weighted():
    """keras.io's guide writes ``class CustomMSE(keras.losses.Loss)`` with ``call(y_true, y_pred)``
    returning one value per sample; ``__call__`` weights and averages them."""
    from scratchnn.losses import Loss

    class CustomMSE(Loss):
        def __init__(self, factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.factor = factor

        def call(self, y_true, y_pred):
            return ((y_true - y_pred) ** 2).mean(axis=-1) + self.factor * ((0.5 - y_pred) ** 2).mean(axis=-1)

    y_true = np.array([[1.0, 0.0], [0.0, 0.0]], dtype="float32")
    y_pred = Tensor(np.array([[0.5, 0.5], [1.0, 0.0]], dtype="float32"))
    per_sample = ((y_true - y_pred.data) ** 2).mean(-1) + 0.1 * ((0.5 - y_pred.data) ** 2).mean(-1)
    np.testing.assert_allclose(CustomMSE()(y_true, y_pred).data, per_sample.mean(), rtol=1e-6)
    weights = np.array([1.0, 3.0], dtype="float32")
    np.testing.assert_allclose(CustomMSE()(y_true, y_pred, sample_weight=weights).data,
                               (per_sample * weights).mean(), rtol=1e-6)
    assert CustomMSE().name == "custom_mse"
