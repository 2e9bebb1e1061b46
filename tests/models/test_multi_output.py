"""Models with several inputs and outputs: ``x`` and ``y`` as lists or dicts of arrays, a loss,
a loss weight and metrics per output, Keras 3's log names and ``evaluate`` order.

The numbers are checked against the losses computed by hand (NumPy) on ``predict``'s outputs:
``loss = sum_k w_k loss_k``, each ``<name>_loss`` unweighted, as Keras 3 logs them.
"""
import json

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import optimizers
from scratchnn.layers import Dense
from scratchnn.models import data as _data
from scratchnn.utils import set_random_seed
from tests.models.helpers import assert_weights_close, mlp


class TwoHeads(snn.Model):
    """One input, two outputs: 3 class probabilities and 1 value (a list, or a dict by name)."""

    def __init__(self, as_dict=False, seed=0, build=True):
        super().__init__()
        set_random_seed(seed)
        self.trunk = Dense(6, activation="relu")
        self.cls = Dense(3, activation="softmax")
        self.reg = Dense(1)
        self.as_dict = as_dict
        if build:                         # the same weights for the same seed
            self(np.zeros((1, 4), np.float32))

    def call(self, inputs, training=False):
        h = self.trunk(inputs)
        if self.as_dict:
            return {"reg": self.reg(h), "cls": self.cls(h)}
        return [self.cls(h), self.reg(h)]


class TwoInputs(snn.Model):
    """Two inputs (a list ``[a, b]`` or a dict ``{"a": ..., "b": ...}``), one output."""

    def __init__(self, seed=0, build=True):
        super().__init__()
        set_random_seed(seed)
        self.da = Dense(5, activation="tanh")
        self.db = Dense(5, activation="tanh")
        self.out = Dense(1)
        if build:
            self([np.zeros((1, 4), np.float32), np.zeros((1, 4), np.float32)])

    def call(self, inputs, training=False):
        a, b = (inputs["a"], inputs["b"]) if isinstance(inputs, dict) else inputs
        return self.out(self.da(a) + self.db(b))


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y_cls = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)
    y_reg = (x[:, 2:3] - x[:, 3:4]).astype(np.float32)
    return x, y_cls, y_reg


def scce(p, labels):
    p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    return float(np.mean(-np.log(p[np.arange(len(labels)), labels])))


def mse(pred, target):
    return float(np.mean((pred.astype(np.float64) - target) ** 2))


# ============================================================== the loss of several outputs
def test_the_loss_is_the_weighted_sum_of_the_output_losses_and_each_is_logged_unweighted():
    x, yc, yr = data()
    model = TwoHeads()
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5])
    logs = model.evaluate(x, [yc, yr], batch_size=16, verbose=0, return_dict=True)   # batches 16, 16, 8
    p_cls, p_reg = model.predict(x, verbose=0)
    assert set(logs) == {"loss", "output_1_loss", "output_2_loss"}
    assert logs["output_1_loss"] == pytest.approx(scce(p_cls, yc), rel=1e-5)
    assert logs["output_2_loss"] == pytest.approx(mse(p_reg, yr), rel=1e-5)
    assert logs["loss"] == pytest.approx(scce(p_cls, yc) + 0.5 * mse(p_reg, yr), rel=1e-5)
    # evaluate's list: loss, then the per-output losses (Keras 3's order)
    values = model.evaluate(x, [yc, yr], batch_size=16, verbose=0)
    assert values == pytest.approx([logs["loss"], logs["output_1_loss"], logs["output_2_loss"]])


def test_one_loss_is_applied_to_every_output_and_loss_weights_may_be_a_dict():
    x, _, yr = data()
    model = TwoHeads(as_dict=True)
    model.compile("sgd", "mse", loss_weights={"reg": 3.0})          # 'cls' keeps the weight 1
    y = {"cls": np.tile(yr, (1, 3)), "reg": yr}
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    out = model.predict(x, verbose=0)
    assert logs["cls_loss"] == pytest.approx(mse(out["cls"], y["cls"]), rel=1e-5)
    assert logs["reg_loss"] == pytest.approx(mse(out["reg"], yr), rel=1e-5)
    assert logs["loss"] == pytest.approx(logs["cls_loss"] + 3.0 * logs["reg_loss"], rel=1e-5)


def test_an_output_without_a_loss_is_not_trained_on_and_not_logged():
    x, yc, _ = data()
    model = TwoHeads(as_dict=True)
    model.compile("sgd", {"cls": "sparse_categorical_crossentropy"})
    logs = model.evaluate(x, {"cls": yc, "reg": np.zeros((len(x), 1))}, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)["cls"]
    assert logs == pytest.approx({"loss": scce(p, yc)}, rel=1e-5)
    reg_before = model.reg.get_weights()
    model.fit(x, {"cls": yc, "reg": np.zeros((len(x), 1))}, epochs=2, verbose=0)
    for w, w0 in zip(model.reg.get_weights(), reg_before):
        np.testing.assert_array_equal(w, w0)           # no gradient reaches the head without a loss


def test_sample_weight_applies_to_every_output_or_per_output():
    x, yc, yr = data()
    w = np.linspace(0.0, 2.0, len(x)).astype(np.float32)
    model = TwoHeads()
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"])
    p_cls, p_reg = model.predict(x, verbose=0)
    p = np.clip(p_cls.astype(np.float64), 1e-7, 1 - 1e-7)
    ce = -np.log(p[np.arange(len(yc)), yc])
    se = ((p_reg.astype(np.float64) - yr) ** 2)[:, 0]
    both = model.evaluate(x, [yc, yr], sample_weight=w, batch_size=len(x), verbose=0, return_dict=True)
    # Keras's sum_over_batch_size: sum(w * l) / N
    assert both["output_1_loss"] == pytest.approx(np.mean(w * ce), rel=1e-5)
    assert both["output_2_loss"] == pytest.approx(np.mean(w * se), rel=1e-5)
    only_reg = model.evaluate(x, [yc, yr], sample_weight=[np.ones_like(w), w], batch_size=len(x),
                              verbose=0, return_dict=True)
    assert only_reg["output_1_loss"] == pytest.approx(np.mean(ce), rel=1e-5)
    assert only_reg["output_2_loss"] == pytest.approx(np.mean(w * se), rel=1e-5)


# ============================================================== metrics and log names
def test_history_keys_are_keras_3_names_with_metrics_by_output_name():
    x, yc, yr = data()
    model = TwoHeads(as_dict=True)
    model.compile("adam", {"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  metrics={"cls": "accuracy", "reg": ["mae", "mse"]})
    y = {"cls": yc, "reg": yr}
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y))
    train = {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae", "reg_mse"}
    assert set(history.history) == train | {"val_" + k for k in train}
    assert all(len(v) == 2 for v in history.history.values())
    logs = model.evaluate(x, {"cls": yc, "reg": yr}, verbose=0, return_dict=True)
    out = model.predict(x, verbose=0)
    assert logs["cls_accuracy"] == pytest.approx(np.mean(out["cls"].argmax(-1) == yc))
    assert logs["reg_mae"] == pytest.approx(np.mean(np.abs(out["reg"] - yr)), rel=1e-5)
    # Keras 3's evaluate order: loss, the per-output losses, then the metrics sorted by name
    assert model.metrics_names == ["loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae", "reg_mse"]
    values = model.evaluate(x, {"cls": yc, "reg": yr}, verbose=0)
    assert values == pytest.approx([logs[k] for k in model.metrics_names])


def test_a_metrics_list_gives_each_output_its_own_metrics_in_order():
    x, yc, yr = data()
    model = TwoHeads()
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"], metrics=["accuracy", ["mae", "mse"]],
                  weighted_metrics=[[], ["mae"]])
    logs = model.evaluate(x, [yc, yr], verbose=0, return_dict=True)
    assert set(logs) == {"loss", "output_1_loss", "output_2_loss", "output_1_accuracy", "output_2_mae",
                         "output_2_mse", "output_2_weighted_mae"}
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics", "output_1_loss", "output_2_loss"]


def test_a_flat_metrics_list_of_another_length_is_refused_as_keras_3_refuses_it():
    x, yc, yr = data()
    model = TwoHeads(build=False)
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"], metrics=["accuracy"])
    with pytest.raises(ValueError, match=r"metrics has 1 entries but the model has 2 outputs \(output_1, "
                                         r"output_2\).*metrics=\{'output_1': \[\.\.\.\]"):
        model.fit(x, [yc, yr], verbose=0)
    assert not model.built and model.optimizer.iterations == 0


def test_output_names_set_by_the_model_name_its_list_outputs():
    """A functional model sets ``output_names``; a list output then takes those names, and the
    loss and targets may be dicts by name."""
    x, yc, yr = data()
    model = TwoHeads()
    model.output_names = ["kind", "size"]
    model.compile("sgd", {"size": "mse", "kind": "sparse_categorical_crossentropy"},
                  metrics={"kind": ["accuracy"]})
    history = model.fit(x, {"kind": yc, "size": yr}, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "kind_loss", "size_loss", "kind_accuracy"}
    p_cls, p_reg = model.predict(x, verbose=0)
    logs = model.evaluate(x, [yc, yr], verbose=0, return_dict=True)       # a list: in output order
    assert logs["size_loss"] == pytest.approx(mse(p_reg, yr), rel=1e-5)
    assert logs["kind_loss"] == pytest.approx(scce(p_cls, yc), rel=1e-5)


# ============================================================== predict and training
def test_predict_returns_the_structure_of_call():
    x, _, _ = data(n=70)
    for as_dict in (False, True):
        model = TwoHeads(as_dict=as_dict)
        out = model.predict(x, batch_size=32, verbose=0)          # 3 batches, concatenated per output
        direct = model(x)
        if as_dict:
            assert isinstance(out, dict) and list(out) == ["reg", "cls"]
            pairs = [(out[k], direct[k].data) for k in out]
        else:
            assert isinstance(out, list) and len(out) == 2
            pairs = [(o, d.data) for o, d in zip(out, direct)]
        for o, d in pairs:
            np.testing.assert_allclose(o, d, rtol=1e-6, atol=1e-7)
    batch = model.predict_on_batch(x[:5])
    assert set(batch) == {"reg", "cls"} and batch["cls"].shape == (5, 3)


def test_several_inputs_as_a_list_or_a_dict_train_the_same_and_the_loss_falls():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(64, 4)).astype(np.float32), rng.normal(size=(64, 4)).astype(np.float32)
    y = (a[:, :1] * b[:, 1:2] + a[:, 1:2]).astype(np.float32)
    as_list, as_dict = TwoInputs(), TwoInputs()
    for model in (as_list, as_dict):
        model.compile(optimizers.Adam(0.01), "mse")
    set_random_seed(5)
    h1 = as_list.fit([a, b], y, batch_size=16, epochs=5, verbose=0)
    set_random_seed(5)
    h2 = as_dict.fit({"a": a, "b": b}, y, batch_size=16, epochs=5, verbose=0)
    assert_weights_close(as_list, as_dict)
    assert h1.history["loss"] == pytest.approx(h2.history["loss"])
    assert h1.history["loss"][-1] < 0.7 * h1.history["loss"][0]
    np.testing.assert_allclose(as_list.predict((a, b), verbose=0),
                               as_dict.predict({"a": a, "b": b}, verbose=0), rtol=1e-6)


def test_the_arrays_of_a_structure_are_shuffled_together():
    n = 50
    idx = np.arange(n)
    x = {"a": np.stack([idx, idx], axis=1).astype(np.float32), "b": idx[:, None] * 10}
    y = [idx, -idx]
    batches = _data.ArrayData(x, y, sample_weight=idx * 2, batch_size=16, shuffle=True)
    seen = []
    for xb, yb, wb in batches.batches(np.random.default_rng(0)):
        first = xb["a"][:, 0]
        assert xb["b"].dtype == np.float32            # each input converted to float32 per batch
        np.testing.assert_array_equal(xb["b"][:, 0], first * 10)
        np.testing.assert_array_equal(yb[0], first)
        np.testing.assert_array_equal(yb[1], -first)
        np.testing.assert_array_equal(wb, first * 2)
        seen.extend(first.tolist())
    assert sorted(seen) == list(range(n)) and seen != list(range(n))


def test_validation_split_takes_the_last_samples_of_every_array():
    x, yc, yr = data(n=50)
    (tx, ty, tw), (vx, vy, vw) = _data.validation_split_arrays(({"a": x, "b": x * 2}, [yc, yr], None), 0.2)
    assert tx["a"].shape == (40, 4) and vx["b"].shape == (10, 4) and tw is None and vw is None
    np.testing.assert_array_equal(vx["b"], x[40:] * 2)
    np.testing.assert_array_equal(vy[1], yr[40:])
    model = TwoHeads()
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"])
    history = model.fit(x, [yc, yr], validation_split=0.2, epochs=1, verbose=0)
    assert {"val_loss", "val_output_1_loss", "val_output_2_loss"} <= set(history.history)


def test_the_loss_equals_a_twin_trained_on_the_weighted_sum_written_by_hand():
    """``fit`` with two losses and weights updates the weights exactly as a custom loss that writes
    the same weighted sum (the gradients of the sum go to both heads)."""
    x, yc, yr = data(n=32)

    class ByHand(TwoHeads):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            ce = snn.losses.SparseCategoricalCrossentropy()(y[0], y_pred[0])
            return ce + snn.losses.MeanSquaredError()(y[1], y_pred[1]) * 0.25

    model, twin = TwoHeads(), ByHand()
    model.compile(optimizers.SGD(0.1), ["sparse_categorical_crossentropy", "mse"], loss_weights=[1, 0.25])
    twin.compile(optimizers.SGD(0.1), ["sparse_categorical_crossentropy", "mse"])
    model.fit(x, [yc, yr], batch_size=8, epochs=2, shuffle=False, verbose=0)
    twin.fit(x, [yc, yr], batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert_weights_close(model, twin)


# ============================================================== mistakes, told before anything changes
BAD = {
    "x-lengths": (lambda x, yc, yr: dict(x=[x, x[:-1]], y=[yc, yr]), TwoInputs,
                  r"x\[0\] and x\[1\] have different numbers of samples: 40 and 39"),
    "y-length": (lambda x, yc, yr: dict(x=x, y={"cls": yc, "reg": yr[:-2]}), "dict",
                 r"x and y\['reg'\] have different numbers of samples: 40 and 38"),
    "y-missing-output": (lambda x, yc, yr: dict(x=x, y={"cls": yc}), "dict",
                         r"y has no entry for the output 'reg'; the model's outputs are 'cls', 'reg'"),
    "y-unknown-output": (lambda x, yc, yr: dict(x=x, y={"cls": yc, "reg": yr, "age": yr}), "dict",
                         r"y has the key 'age', which is not an output of the model"),
    "y-one-array": (lambda x, yc, yr: dict(x=x, y=yr), "list",
                    r"y is a single ndarray but the model has 2 outputs \(output_1, output_2\)"),
    "y-three": (lambda x, yc, yr: dict(x=x, y=[yc, yr, yr]), "list",
                r"y has 3 entries but the model has 2 outputs"),
    "y-nan": (lambda x, yc, yr: dict(x=x, y=[yc, np.where(yr > 0, np.nan, yr)]), "list",
              r"y\[1\] contains NaN or Inf values"),
    "labels": (lambda x, yc, yr: dict(x=x, y=[yc + 3, yr]), "list",
               r"output 'output_1': label [345] is out of range for an output of 3 classes"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_data_for_several_inputs_or_outputs_is_refused_by_name_and_changes_nothing(case):
    make_args, kind, message = BAD[case]
    x, yc, yr = data()
    if kind is TwoInputs:
        model = TwoInputs(build=False)
        model.compile("sgd", "mse")
        args = make_args(x, yr, yr)
    else:
        model = TwoHeads(as_dict=kind == "dict", build=False)
        loss = ["sparse_categorical_crossentropy", "mse"]
        model.compile("sgd", dict(zip(["cls", "reg"], loss)) if kind == "dict" else loss)
        args = make_args(x, yc, yr)
    with pytest.raises((ValueError, TypeError), match=message):
        model.fit(**args, verbose=0)
    assert not model.built and model.weights == [] and model.optimizer.iterations == 0


def test_bad_loss_arguments_name_the_output():
    x, yc, yr = data()
    model = TwoHeads(as_dict=True, build=False)
    model.compile("sgd", {"cls": "sparse_categorical_crossentropy", "size": "mse"})
    with pytest.raises(ValueError, match=r"loss: the key 'size' is not an output of the model; its outputs "
                                         r"are 'cls', 'reg'"):
        model.fit(x, {"cls": yc, "reg": yr}, verbose=0)
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"], loss_weights=0.5)
    with pytest.raises(ValueError, match=r"loss_weights is one number \(0.5\) but the model has 2 outputs"):
        model.fit(x, {"cls": yc, "reg": yr}, verbose=0)
    assert not model.built


def test_a_sequential_model_still_refuses_several_inputs_with_a_clear_message():
    x, yc, _ = data()
    model = mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(TypeError, match=r"x is a list of 2 arrays of different shapes \(one per input\?\), "
                                        r"but this model takes one array"):
        model.fit([x, x[:, :2]], yc, verbose=0)
    with pytest.raises(TypeError, match=r"x is a dict \(keys 'a'\): named inputs"):
        model.fit({"a": x}, yc, verbose=0)
    with pytest.raises(ValueError, match=r"x and y have different numbers of samples: 40 and 2"):
        model.fit(x, [yc, yc], verbose=0)                 # a list of 2 samples of 40 labels each
    assert model.optimizer.iterations == 0


def test_a_sequential_model_takes_a_list_of_samples_as_one_array_as_before():
    x, yc, _ = data()
    model, twin = mlp(), mlp()
    for m in (model, twin):
        m.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(list(x), [np.array([label]) for label in yc], epochs=2, shuffle=False, verbose=0)
    twin.fit(x, yc, epochs=2, shuffle=False, verbose=0)
    assert_weights_close(model, twin, rtol=0, atol=0)


def test_class_weight_is_refused_for_several_outputs():
    x, yc, yr = data()
    model = TwoHeads()
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"])
    with pytest.raises(ValueError, match="class_weight is for a model with one output"):
        model.fit(x, [yc, yr], class_weight={0: 1.0, 1: 2.0, 2: 1.0}, verbose=0)


def test_several_outputs_from_a_generator_of_batches():
    x, yc, yr = data()
    batches = [(x[:20], {"cls": yc[:20], "reg": yr[:20]}), (x[20:], {"cls": yc[20:], "reg": yr[20:]})]
    model, reference = TwoHeads(as_dict=True), TwoHeads(as_dict=True)
    for m in (model, reference):
        m.compile(optimizers.SGD(0.05), {"cls": "sparse_categorical_crossentropy", "reg": "mse"})
    model.fit(batches, epochs=2, verbose=0)
    reference.fit(x, {"cls": yc, "reg": yr}, batch_size=20, epochs=2, shuffle=False, verbose=0)
    assert_weights_close(model, reference)


def test_the_compile_config_of_several_outputs_round_trips_through_json():
    x, yc, yr = data()
    model = TwoHeads(as_dict=True)
    model.compile(optimizers.SGD(0.05), {"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.3}, metrics={"cls": ["accuracy"], "reg": ["mae"]})
    config = json.loads(json.dumps(model.get_compile_config()))
    assert config["loss"]["reg"]["class_name"] == "MeanSquaredError"
    twin = TwoHeads(as_dict=True)
    twin.compile_from_config(config)
    assert twin.get_compile_config() == config
    h1 = model.fit(x, {"cls": yc, "reg": yr}, epochs=2, shuffle=False, verbose=0)
    h2 = twin.fit(x, {"cls": yc, "reg": yr}, epochs=2, shuffle=False, verbose=0)
    assert h1.history == h2.history
    assert_weights_close(model, twin)


def test_train_and_test_on_batch_return_keras_order_for_several_outputs():
    x, yc, yr = data(n=16)
    model = TwoHeads(as_dict=True)
    model.compile(optimizers.SGD(0.1), {"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  metrics={"reg": "mae"})
    before = model.test_on_batch(x, {"cls": yc, "reg": yr}, return_dict=True)
    out = model.predict(x, verbose=0)
    assert before["reg_mae"] == pytest.approx(np.mean(np.abs(out["reg"] - yr)), rel=1e-5)
    values = model.train_on_batch(x, {"cls": yc, "reg": yr})
    assert values == pytest.approx([before[k] for k in ("loss", "cls_loss", "reg_loss", "reg_mae")], rel=1e-6)
    after = model.test_on_batch(x, {"cls": yc, "reg": yr})
    assert after[0] < values[0] and model.optimizer.iterations == 1


def test_a_metrics_dict_key_that_is_no_output_is_refused():
    x, yc, yr = data()
    model = TwoHeads(as_dict=True, build=False)
    model.compile("sgd", "mse", metrics={"cls": "accuracy", "size": "mae"})
    with pytest.raises(ValueError, match=r"metrics: the key 'size' is not an output of the model; its "
                                         r"outputs are 'cls', 'reg'"):
        model.fit(x, {"cls": np.eye(3)[yc], "reg": yr}, verbose=0)
    assert not model.built


def test_gradients_flow_through_a_model_with_two_inputs_called_inside_another():
    class Outer(snn.Model):
        def __init__(self):
            super().__init__()
            set_random_seed(3)
            self.left, self.right = Dense(4), Dense(4)
            self.inner = TwoInputs(seed=4)

        def call(self, inputs, training=False):
            return self.inner([self.left(inputs), self.right(inputs)])

    x, _, yr = data(n=16)
    model = Outer()
    model.compile(optimizers.SGD(0.1), "mse")
    model(x[:1])                                    # built: the weights before training
    left_before = model.left.get_weights()
    model.fit(x, yr, batch_size=16, verbose=0)
    assert not np.array_equal(model.left.get_weights()[0], left_before[0])   # trained through `inner`
