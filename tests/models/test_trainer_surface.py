"""The training loop's public extension points (``models/trainer.py``, ``models/model.py``):

* ``model.add_gradient_hook(fn)``: ``fn(x, variables)`` in every ``train_step``, after
  ``backward`` and before the update;
* ``compile_arguments()``: what ``compile`` was given, as objects, to compile another model;
* ``get_compile_config()`` / ``compile_from_config()``: the same as JSON-ready data;
* ``ensure_built(sample_shape)``: build now, all or nothing;
* ``Callback.resume_epoch``: a callback may make ``fit`` start at a later epoch.
"""
import json

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import callbacks, layers as L, losses, metrics, optimizers
from scratchnn.autograd import HookHandle
from scratchnn.optimizers.schedules import ExponentialDecay
from scratchnn.utils import set_random_seed

pytestmark = pytest.mark.usefixtures("restore_global_rng")

DATA = np.random.default_rng(3)
X = DATA.normal(size=(10, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32) + 0.3).astype(np.float32)


def linear_model(seed=0, optimizer=None):
    set_random_seed(seed)
    model = snn.Sequential([L.Input((3,)), L.Dense(1)])
    model.compile(optimizer=optimizer or optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


def mlp(seed=0):
    set_random_seed(seed)
    return snn.Sequential([L.Input((3,)), L.Dense(5, activation="tanh"), L.Dense(1)])


class WeightsAtBatchBegin(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_train_batch_begin(self, batch, logs=None):
        self.weights.append([w.data.copy() for w in self.model.trainable_weights])


# ================================================================== add_gradient_hook
def test_the_gradient_hook_runs_after_backward_and_before_the_update():
    model = linear_model()
    seen = []

    def hook(x, variables):
        assert variables == model.trainable_weights
        assert all(v.grad is not None and v.grad.shape == v.shape for v in variables)
        seen.append((x.data.copy(), [v.data.copy() for v in variables], [v.grad.copy() for v in variables]))

    handle = model.add_gradient_hook(hook)
    assert isinstance(handle, HookHandle)
    begin = WeightsAtBatchBegin()
    model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[begin])
    assert len(seen) == 6                                    # 3 batches x 2 epochs
    final = [w.data.copy() for w in model.trainable_weights]
    updated = [entry[1] for entry in seen[1:]] + [final]
    for step, (x, weights, grads) in enumerate(seen):
        batch = slice((step % 3) * 4, (step % 3) * 4 + 4)
        np.testing.assert_array_equal(x, X[batch])
        for w_hook, w_begin in zip(weights, begin.weights[step]):
            np.testing.assert_array_equal(w_hook, w_begin)      # not yet updated
        # the gradient of the mean squared error at these weights, by hand
        kernel, bias = (w.astype(np.float64) for w in weights)
        residual = X[batch] @ kernel + bias - Y[batch]
        n = residual.size
        np.testing.assert_allclose(grads[0], 2.0 * X[batch].T @ residual / n, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(grads[1], 2.0 * residual.sum(axis=0) / n, rtol=1e-5, atol=1e-6)
        # and exactly what SGD then applied: w <- w - lr * g
        for w_before, g, w_after in zip(weights, grads, updated[step]):
            np.testing.assert_array_equal(w_after, w_before - g * 0.1)


def test_the_gradient_hook_is_not_called_by_evaluate_or_predict_but_by_train_on_batch():
    model = linear_model()
    calls = []
    model.add_gradient_hook(lambda x, variables: calls.append(len(x)))
    model.evaluate(X, Y, verbose=0)
    model.predict(X, verbose=0)
    model.test_on_batch(X, Y)
    assert calls == []
    model.train_on_batch(X[:3], Y[:3])
    assert calls == [3]


def test_removing_a_gradient_hook():
    model = linear_model()
    calls = []
    handle = model.add_gradient_hook(lambda x, variables: calls.append("removed"))
    with model.add_gradient_hook(lambda x, variables: calls.append("with")):
        model.train_on_batch(X, Y)
    handle.remove()
    model.train_on_batch(X, Y)
    assert sorted(calls) == ["removed", "with"]


def test_a_gradient_hook_must_be_callable():
    with pytest.raises(TypeError, match="add_gradient_hook: hook must be callable, got None"):
        linear_model().add_gradient_hook(None)


# ================================================================== compile_arguments
def compile_kwargs():
    return {"optimizer": optimizers.Adam(learning_rate=0.02), "loss": losses.Huber(delta=0.5),
            "metrics": ["mae"], "weighted_metrics": ["mse"], "loss_weights": 0.5}


def trained(model):
    set_random_seed(99)                   # the same shuffling for every model
    history = model.fit(X, Y, batch_size=4, epochs=3, verbose=0, sample_weight=np.linspace(0.5, 1.5, 10))
    return history.history, model.get_weights()


def assert_same(a, b):
    assert a[0] == b[0]
    for p, q in zip(a[1], b[1]):
        np.testing.assert_array_equal(p, q)


def test_compile_arguments_are_what_compile_was_given():
    model = mlp()
    assert model.compile_arguments() is None
    kwargs = compile_kwargs()
    model.compile(**kwargs)
    args = model.compile_arguments()
    assert args["optimizer"] is kwargs["optimizer"] and args["loss"] is kwargs["loss"]
    assert args["metrics"] == ["mae"] and args["weighted_metrics"] == ["mse"] and args["loss_weights"] == 0.5


def test_compiling_a_twin_with_compile_arguments_trains_it_the_same_way():
    source = mlp()
    source.compile(**compile_kwargs())
    twin = mlp()
    twin.compile(**source.compile_arguments())            # source never trains: its optimizer is fresh
    reference = mlp()
    reference.compile(**compile_kwargs())
    assert_same(trained(twin), trained(reference))


def test_compiling_a_model_again_with_its_own_arguments_changes_nothing():
    model = mlp()
    model.compile(**compile_kwargs())
    model.compile(**model.compile_arguments())
    reference = mlp()
    reference.compile(**compile_kwargs())
    assert_same(trained(model), trained(reference))


# ================================================================== get_compile_config / compile_from_config
def test_compile_config_round_trips_through_json_and_trains_the_same_way():
    model = mlp()
    assert model.get_compile_config() is None
    model.compile(optimizer=optimizers.Adam(learning_rate=ExponentialDecay(0.05, 2, 0.5)),
                  loss=losses.Huber(delta=0.5), metrics=["mae", metrics.RootMeanSquaredError(name="r")],
                  weighted_metrics=["mse"], loss_weights=0.5)
    config = json.loads(json.dumps(model.get_compile_config()))
    assert config["optimizer"]["class_name"] == "Adam" and config["loss"]["class_name"] == "Huber"
    twin = mlp()
    twin.compile_from_config(config)
    assert twin.get_compile_config() == config
    assert type(twin.optimizer) is optimizers.Adam and twin.optimizer is not model.optimizer
    assert twin.loss.get_config() == model.loss.get_config() and twin.loss_weight == 0.5
    assert_same(trained(twin), trained(model))


def test_a_plain_callable_learning_rate_cannot_be_saved():
    model = mlp()
    model.compile(optimizer=optimizers.SGD(learning_rate=lambda step: 0.01), loss="mse")
    with pytest.raises(ValueError, match=r"cannot save the optimizer: its learning rate is a plain callable "
                                         r"\(.*lambda.*\); use a scratchnn.optimizers.schedules class"):
        model.get_compile_config()


def test_compile_from_config_refuses_bad_configs():
    model = mlp()
    with pytest.raises(ValueError, match="compile_config must be an object"):
        model.compile_from_config(["adam"])
    config = {"optimizer": {"class_name": "Adam", "config": {}}, "loss": "mse", "metrics": "mae"}
    with pytest.raises(ValueError, match=r"metrics must be a list of metric names or \{class_name, config\} "
                                         r"objects, got 'mae'"):
        model.compile_from_config(config)
    assert not model.compiled


# ================================================================== ensure_built
def shape_sensitive():
    """Dense(6) then Reshape((2, 3)): only a sample with one axis builds."""
    return snn.Sequential([L.Dense(6), L.Reshape((2, 3)), L.Dense(2)])


class ShapeSensitive(snn.Model):
    def __init__(self):
        super().__init__()
        self.first = L.Dense(6)
        self.reshape = L.Reshape((2, 3))
        self.last = L.Dense(2)

    def call(self, x, training=False):
        return self.last(self.reshape(self.first(x)))


@pytest.mark.parametrize("make", [shape_sensitive, ShapeSensitive], ids=["sequential", "subclassed"])
def test_ensure_built_is_all_or_nothing(make):
    model = make()
    first = model.layers[0]
    with pytest.raises(ValueError, match=r"cannot reshape \(None, 2, 6\) .* to \(2, 3\)"):
        model.ensure_built((2, 4))        # the first Dense builds, the Reshape refuses
    assert not model.built and not first.built and first.weights == [] and model.weights == []
    model.ensure_built((5,))
    assert model.built and first.kernel.shape == (5, 6) and model.layers[-1].kernel.shape == (3, 2)
    model.ensure_built((7,))              # built already: nothing changes
    assert first.kernel.shape == (5, 6)


def test_a_fit_refused_for_its_shapes_leaves_the_model_unbuilt():
    model = shape_sensitive()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="cannot reshape"):
        model.fit(np.zeros((4, 2, 4)), np.zeros((4, 2, 3, 2)), verbose=0)
    assert not model.built and not model.layers[0].built


# ================================================================== Callback.resume_epoch
class ResumeAt(callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.begun = epoch, []

    def on_train_begin(self, logs=None):
        self.resume_epoch = self.epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.begun.append(epoch)


def test_a_callback_setting_resume_epoch_makes_fit_start_there():
    model = linear_model()
    resume = ResumeAt(2)
    history = model.fit(X, Y, epochs=5, verbose=0, callbacks=[resume])
    assert history.epoch == [2, 3, 4] and resume.begun == [2, 3, 4]
    assert len(history.history["loss"]) == 3


def test_without_resume_epoch_fit_starts_at_initial_epoch():
    model = linear_model()
    resume = ResumeAt(None)
    assert model.fit(X, Y, epochs=3, initial_epoch=1, verbose=0, callbacks=[resume]).epoch == [1, 2]


def test_the_latest_resume_epoch_wins():
    model = linear_model()
    history = model.fit(X, Y, epochs=4, initial_epoch=0, verbose=0, callbacks=[ResumeAt(3), ResumeAt(1)])
    assert history.epoch == [3]


def test_resuming_after_the_last_epoch_trains_nothing():
    model = linear_model()
    before = model.get_weights()
    history = model.fit(X, Y, epochs=2, verbose=0, callbacks=[ResumeAt(2)])
    assert history.epoch == []
    for p, q in zip(before, model.get_weights()):
        np.testing.assert_array_equal(p, q)
