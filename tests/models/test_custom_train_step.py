"""Overriding ``train_step`` / ``test_step`` as Keras 3's guide "Customizing what happens in fit()"
writes them (with scratchnn's autograd for the gradients: ``loss.backward()``, then ``v.grad``).

A step that does what the built-in step does trains exactly as the built-in step (weights equal
after every batch, the same history); ``fit`` resets the metrics at each epoch, passes the data as
Keras packs it, and leaves the gradients a step computed alone.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import metrics, optimizers
from scratchnn.callbacks import Callback
from scratchnn.layers import Dense
from scratchnn.ops.shapes import concatenate
from scratchnn.utils import set_random_seed
from tests.models.helpers import assert_weights_close


def regression(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    y = (x @ rng.normal(size=(5, 1)) + 0.3).astype(np.float32)
    return x, y


class Net(snn.Model):
    """A small regression network, built at once (the same weights for the same seed)."""

    def __init__(self, seed=0, **kwargs):
        super().__init__(**kwargs)
        set_random_seed(seed)
        self.hidden = Dense(8, activation="relu")
        self.out = Dense(1)
        self(np.zeros((1, 5), np.float32))

    def call(self, inputs, training=False):
        return self.out(self.hidden(inputs))


class GuideModel(Net):
    """The guide's first example: compute_loss, the gradients, optimizer.apply, self.metrics."""

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_vars = self.trainable_variables
        gradients = [v.grad for v in trainable_vars]
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class WeightsEachBatch(Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append([w.copy() for w in self.model.get_weights()])


def test_the_guide_step_trains_as_the_built_in_step_batch_for_batch():
    x, y = regression()
    custom, builtin = GuideModel(), Net()
    for model in (custom, builtin):
        model.compile(optimizer=optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    seen_custom, seen_builtin = WeightsEachBatch(), WeightsEachBatch()
    h_custom = custom.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0, callbacks=[seen_custom])
    h_builtin = builtin.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0, callbacks=[seen_builtin])
    assert len(seen_custom.seen) == 24
    for a, b in zip(seen_custom.seen, seen_builtin.seen):
        assert_weights_close(a, b, rtol=0, atol=0)                   # the same arithmetic, step for step
    assert set(h_custom.history) == {"loss", "mae"}
    assert h_custom.history == h_builtin.history
    assert h_custom.history["loss"][-1] < 0.5 * h_custom.history["loss"][0]
    assert custom.optimizer.iterations == 24


def test_the_tf_keras_2_step_with_compiled_loss_and_compiled_metrics_trains_as_the_built_in_step():
    class Legacy(Net):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            loss.backward()
            trainable_vars = self.trainable_variables
            self.optimizer.apply_gradients(zip([v.grad for v in trainable_vars], trainable_vars))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = regression()
    custom, builtin = Legacy(), Net()
    for model in (custom, builtin):
        model.compile(optimizer=optimizers.SGD(0.05), loss="mse", metrics=["mae", "mse"])
    h_custom = custom.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_builtin = builtin.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert set(h_custom.history) == {"loss", "mae", "mse"}       # 'compile_metrics' spread out
    assert h_custom.history == h_builtin.history
    assert_weights_close(custom, builtin, rtol=0, atol=0)


def test_own_trackers_and_a_metrics_property_are_reset_at_each_epoch():
    """The guide's lower-level example: compiled without a loss, the step keeps its own trackers."""

    class Lower(Net):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.loss_tracker = metrics.Mean(name="loss")
            self.mae_metric = metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = snn.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            trainable_vars = self.trainable_variables
            self.optimizer.apply([v.grad for v in trainable_vars], trainable_vars)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    x, y = regression()
    model = Lower()
    model.compile(optimizer=optimizers.Adam(0.01))
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert set(history.history) == {"loss", "mae"}
    assert model.mae_metric.count == 64           # reset at the start of the last epoch: one epoch's samples
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.metrics_names[:1] == ["loss"]


def test_sample_weight_reaches_the_step_as_a_third_item():
    received = []

    class Weighted(Net):
        def train_step(self, data):
            received.append(len(data) if isinstance(data, tuple) else 1)
            if len(data) == 3:
                x, y, sample_weight = data
            else:
                sample_weight = None
                x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            loss.backward()
            self.optimizer.apply([v.grad for v in self.trainable_variables], self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred, sample_weight=sample_weight)
            return {m.name: m.result() for m in self.metrics}

    x, y = regression()
    w = np.linspace(0, 1, len(x)).astype(np.float32)
    custom, builtin = Weighted(), Net()
    for model in (custom, builtin):
        model.compile(optimizer=optimizers.SGD(0.05), loss="mse", weighted_metrics=["mae"])
    custom.fit(x, y, sample_weight=w, batch_size=32, shuffle=False, verbose=0)
    builtin.fit(x, y, sample_weight=w, batch_size=32, shuffle=False, verbose=0)
    assert received == [3, 3]
    assert_weights_close(custom, builtin, rtol=0, atol=0)
    custom.fit(x, y, batch_size=32, verbose=0)
    assert received[2:] == [2, 2]


def test_a_custom_test_step_is_what_evaluate_runs():
    class Evaluated(Net):
        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:
                if metric.name != "loss":
                    metric.update_state(y, y_pred)
                else:
                    metric.update_state(loss * 2)          # not what the built-in step logs
            return {m.name: m.result() for m in self.metrics}

    x, y = regression()
    custom, builtin = Evaluated(), Net()
    for model in (custom, builtin):
        model.compile(loss="mse", metrics=["mae"])
    loss, mae = custom.evaluate(x, y, batch_size=16, verbose=0)
    b_loss, b_mae = builtin.evaluate(x, y, batch_size=16, verbose=0)
    assert loss == pytest.approx(2 * b_loss, rel=1e-6) and mae == pytest.approx(b_mae, rel=1e-6)
    pred = builtin.predict(x, verbose=0)
    assert b_loss == pytest.approx(np.mean((pred.astype(np.float64) - y) ** 2), rel=1e-5)
    history = custom.fit(x, y, validation_data=(x, y), verbose=0)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}


def test_compute_loss_overridden_with_keras_3_signature_is_used_by_the_built_in_step():
    calls = []

    class Custom(Net):
        def compute_loss(self, x, y, y_pred, sample_weight, training=True):
            calls.append((x.shape, training))
            loss = ((y_pred - y) ** 2).mean() * 0.5
            for penalty in self.losses:
                loss = loss + penalty
            return loss

    x, y = regression()
    model = Custom()
    model.compile(optimizers.SGD(0.1), loss="mse")
    before = model.evaluate(x, y, batch_size=64, verbose=0)
    pred = model.predict(x, verbose=0)
    assert before == pytest.approx(0.5 * np.mean((pred.astype(np.float64) - y) ** 2), rel=1e-5)
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert calls[1:] == [((32, 5), True)] * 4           # the first: evaluate's (64 samples, training=False)
    assert calls[0] == ((64, 5), False)


def test_compute_loss_reads_keras_keywords_and_scratchnn_positional_arguments():
    x, y = regression(n=8)
    model = Net()
    model.compile(loss="mse")
    y_pred = model(x)
    expected = float(np.mean((y_pred.data.astype(np.float64) - y) ** 2))
    assert float(model.compute_loss(y=y, y_pred=y_pred).data) == pytest.approx(expected, rel=1e-6)
    assert float(model.compute_loss(x, y, y_pred).data) == pytest.approx(expected, rel=1e-6)
    assert float(model.compute_loss(x, y, y_pred, None).data) == pytest.approx(expected, rel=1e-6)
    assert float(model.compute_loss(y, y_pred).data) == pytest.approx(expected, rel=1e-6)
    weights = np.r_[np.ones(4), np.zeros(4)]
    half = float(np.sum(weights * ((y_pred.data.astype(np.float64) - y) ** 2)[:, 0]) / 8)
    assert float(model.compute_loss(y, y_pred, weights).data) == pytest.approx(half, rel=1e-6)


def test_fit_leaves_the_gradients_a_step_computed():
    """fit clears the gradients before a custom step (autograd adds into .grad), never after it."""
    grads_in_step, grads_after = [], []

    class Inspect(Net):
        def train_step(self, data):
            x, y = data
            assert all(v.grad is None for v in self.trainable_variables)    # nothing left from before
            loss = self.compute_loss(y=y, y_pred=self(x, training=True))
            loss.backward()
            grads_in_step.append([v.grad.copy() for v in self.trainable_variables])
            return {"loss": float(loss.data)}

    class Read(Callback):
        def on_train_batch_end(self, batch, logs=None):
            grads_after.append([v.grad.copy() for v in self.model.trainable_variables])

    x, y = regression()
    model = Inspect()
    model.compile(loss="mse")
    model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[Read()])
    assert len(grads_in_step) == len(grads_after) == 4
    for inside, after in zip(grads_in_step, grads_after):
        assert_weights_close(inside, after, rtol=0, atol=0)
    assert model.optimizer.iterations == 0          # the step applied nothing


def gradients(loss, variables, model):
    """What ``tape.gradient(loss, variables)`` gives, with autograd: d loss / d v for each v."""
    for w in model.weights:
        w.grad = None
    loss.backward()
    return [v.grad for v in variables]


class GAN(snn.Model):
    """The guide's GAN: two models, two optimizers given to an overridden ``compile``."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = metrics.Mean(name="d_loss")
        self.g_loss_tracker = metrics.Mean(name="g_loss")
        self.rng = np.random.default_rng(1337)
        self.built = True

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        batch_size = real_images.shape[0]
        latent = self.rng.normal(size=(batch_size, self.latent_dim)).astype(np.float32)
        generated_images = self.generator(latent)
        combined_images = concatenate([generated_images, real_images], axis=0)
        labels = np.concatenate([np.ones((batch_size, 1)), np.zeros((real_images.shape[0], 1))], axis=0)
        labels = (labels + 0.05 * self.rng.uniform(size=labels.shape)).astype(np.float32)
        predictions = self.discriminator(combined_images)
        d_loss = self.loss_fn(labels, predictions)
        grads = gradients(d_loss, self.discriminator.trainable_weights, self)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        latent = self.rng.normal(size=(batch_size, self.latent_dim)).astype(np.float32)
        misleading_labels = np.zeros((batch_size, 1), np.float32)
        predictions = self.discriminator(self.generator(latent))
        g_loss = self.loss_fn(misleading_labels, predictions)
        grads = gradients(g_loss, self.generator.trainable_weights, self)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def test_the_guide_gan_trains_both_models_with_their_own_optimizers():
    set_random_seed(0)
    discriminator = snn.Sequential([Dense(8, activation="relu", input_shape=(2,)), Dense(1)])
    generator = snn.Sequential([Dense(8, activation="relu", input_shape=(3,)), Dense(2)])
    rng = np.random.default_rng(0)
    real = (rng.normal(size=(96, 2)) * 0.3 + [2.0, -1.0]).astype(np.float32)
    gan = GAN(discriminator, generator, latent_dim=3)
    gan.compile(d_optimizer=optimizers.Adam(0.003), g_optimizer=optimizers.Adam(0.003),
                loss_fn=snn.losses.BinaryCrossentropy(from_logits=True))
    d_before, g_before = discriminator.get_weights(), generator.get_weights()
    history = gan.fit(real, batch_size=32, epochs=30, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"} and len(history.history["d_loss"]) == 30
    assert gan.d_optimizer.iterations == gan.g_optimizer.iterations == 90
    assert gan.optimizer.iterations == 0                          # compile()'s default optimizer: unused
    assert all(not np.array_equal(a, b) for a, b in zip(discriminator.get_weights(), d_before))
    assert all(not np.array_equal(a, b) for a, b in zip(generator.get_weights(), g_before))
    assert gan.d_loss_tracker.count == 3                           # reset each epoch: 3 batches
    # the generator learnt to move its samples towards the real data's mean
    fake = generator.predict(rng.normal(size=(500, 3)).astype(np.float32), verbose=0)
    start = snn.Sequential([Dense(8, activation="relu", input_shape=(3,)), Dense(2)])
    start.set_weights(g_before)
    fake0 = start.predict(rng.normal(size=(500, 3)).astype(np.float32), verbose=0)
    target = np.array([2.0, -1.0])
    assert np.linalg.norm(fake.mean(0) - target) < 0.5 * np.linalg.norm(fake0.mean(0) - target)


def test_metrics_lists_the_loss_tracker_the_compiled_metrics_and_the_models_own():
    class Tracked(Net):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.extra = metrics.Mean(name="extra")

    model = Tracked()
    model.compile(loss="mse", metrics=["mae"])
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics", "extra"]
    x, y = regression()
    model.fit(x, y, epochs=1, verbose=0)
    assert [m.name for m in model.metrics[1].metrics] == ["mae"]
    model.extra.update_state([5.0])
    model.reset_metrics()
    assert model.extra.count == 0 and model.metrics[0].count == 0


def test_compile_without_a_loss_trains_on_the_losses_layers_add_and_is_refused_without_any():
    """keras.io's subclassing guide: ``model.compile(optimizer="adam")`` then fit, the loss coming
    from ``self.add_loss`` in a layer."""
    from scratchnn import keras
    from scratchnn.keras import layers

    class Penalty(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss((inputs ** 2).mean())
            return inputs

    rng = np.random.default_rng(0)
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, Penalty()(layers.Dense(3)(inputs)))
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    x = rng.normal(size=(16, 3)).astype("float32")
    history = model.fit(x, x, epochs=5, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]              # the added loss alone is minimised

    plain = keras.Sequential([layers.Dense(1)])
    plain.compile("sgd")
    plain.build((None, 2))
    before = [w.copy() for w in plain.get_weights()]
    with pytest.raises(ValueError, match="no loss to compute: pass loss= to compile"):
        plain.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    for w, b in zip(plain.get_weights(), before):
        np.testing.assert_array_equal(w, b)
