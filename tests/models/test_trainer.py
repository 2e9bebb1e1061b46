"""Models end to end: the lecture program on MNIST, fit/evaluate/predict semantics as Keras 3
defines them, learning on small problems, a hand-written loop and PyTorch as oracles,
subclassing, summary, weights, clear errors on bad input, classic-mistake warnings and the
progress output.

Everything but the MNIST test runs on small synthetic data (a few milliseconds per fit).
Models are made repeatable by seeding scratchnn's global generator before they are built;
two models meant to start from the same point get the same weights with ``set_weights``.
"""
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import scratchnn as snn
from conftest import assert_close, requires_torch, torch
from scratchnn import callbacks, losses, optimizers, regularizers
from scratchnn.layers import Dense, Flatten
from scratchnn.utils import set_random_seed, to_categorical

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


# ----------------------------------------------------------------------------- helpers
def blobs(n=60, n_in=4, k=3, seed=0, spread=0.6):
    """``n`` points in ``k`` Gaussian blobs: x float32 (n, n_in), integer labels (n,)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 2.0, (k, n_in))
    y = np.arange(n) % k
    x = centers[y] + rng.normal(0, spread, (n, n_in))
    return x.astype(np.float32), y


def mlp(n_in=4, hidden=8, n_out=3, out="softmax", seed=0, **dense_kwargs):
    """A built ``n_in``-``hidden``-``n_out`` MLP (relu hidden layer), seeded."""
    set_random_seed(seed)
    return snn.Sequential([Dense(hidden, activation="relu", input_shape=(n_in,), **dense_kwargs),
                           Dense(n_out, activation=out, **dense_kwargs)])


def twin(model, make):
    """A second model from ``make()`` with ``model``'s current weights."""
    other = make()
    other.set_weights(model.get_weights())
    return other


def weights_equal(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(u, v) for u, v in zip(wa, wb))


def assert_weights_close(a, b, rtol=1e-6, atol=1e-7):
    wa = a.get_weights() if hasattr(a, "get_weights") else a
    wb = b.get_weights() if hasattr(b, "get_weights") else b
    assert len(wa) == len(wb)
    for i, (u, v) in enumerate(zip(wa, wb)):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=atol, err_msg=f"weight {i}")


def numpy_loss(weights, x, y, l2=0.0):
    """Sparse cross-entropy of a relu/softmax MLP computed in float64 NumPy, plus L2 on kernels."""
    w1, b1, w2, b2 = (np.asarray(w, np.float64) for w in weights)
    h = np.maximum(np.asarray(x, np.float64) @ w1 + b1, 0)
    z = h @ w2 + b2
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    ce = -logp[np.arange(len(y)), y].mean()
    return ce + l2 * (np.sum(w1 ** 2) + np.sum(w2 ** 2))


def state(model):
    """Everything a failing call must leave alone: weight values and every ``built`` flag."""
    return ([w.data.copy() for w in model.weights],
            [model.built] + [layer.built for layer in model.layers])


def assert_unchanged(model, before):
    weights, built = state(model)
    assert built == before[1], "a failing call changed the built state"
    assert len(weights) == len(before[0]), "a failing call created or removed weights"
    for w, w0 in zip(weights, before[0]):
        np.testing.assert_array_equal(w, w0)


# ============================================================================ 1. the lecture program
def test_reference_lecture_program_on_mnist(tmp_path, monkeypatch):
    """The tf.keras lecture program, only the import changed, reaches > 96.5% on MNIST's test set."""
    if not (SHARED / "mnist").is_dir():
        pytest.skip(f"no local dataset mirror at {SHARED}")
    monkeypatch.setenv("SCRATCHNN_DATASET_MIRRORS", str(SHARED))
    monkeypatch.setenv("SCRATCHNN_HOME", str(tmp_path / "home"))
    import scratchnn.compat.tensorflow as tf

    tf.random.set_seed(0)
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    x_train, x_test = x_train / 255.0, x_test / 255.0
    model = tf.keras.models.Sequential([
        tf.keras.layers.Flatten(input_shape=(28, 28)),
        tf.keras.layers.Dense(50, activation='relu'),
        tf.keras.layers.Dense(10, activation='softmax')])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(x_train, y_train, epochs=5, verbose=0)
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)

    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert test_accuracy >= 0.965, f"test accuracy {test_accuracy:.4f}"
    assert 0 < test_loss < 0.15
    loss, acc = history.history['loss'], history.history['accuracy']
    assert len(loss) == 5 and len(acc) == 5
    assert all(b < a for a, b in zip(loss, loss[1:])), f"loss not decreasing: {loss}"
    assert acc[-1] > acc[0]
    assert model.optimizer.iterations == 5 * math.ceil(60000 / 32)


# ============================================================================ 2. fit semantics
def test_history_keys_epochs_and_model_history():
    x, y = blobs(40)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)
    assert isinstance(history, callbacks.History)
    assert model.history is history
    assert history.epoch == [0, 1, 2]
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key, values in history.history.items():
        assert len(values) == 3, key
        assert all(isinstance(v, float) and math.isfinite(v) for v in values), key


def test_epoch_loss_is_batch_size_weighted_mean_of_batch_losses():
    """50 samples in batches of 16 (16, 16, 16, 2): the epoch loss weighs each batch's loss by its
    size; the batch logs are running means. Per-batch losses are recomputed in NumPy from the
    weights each batch started with."""
    x, y = blobs(50)
    model = mlp()
    model.compile(optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    starts, running = [], []
    probe = callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: starts.append(model.get_weights()),
        on_train_batch_end=lambda batch, logs: running.append(logs["loss"]))
    history = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0, callbacks=[probe])

    sizes = [16, 16, 16, 2]
    assert len(starts) == len(running) == 4
    batch_losses = [numpy_loss(w, x[i * 16:i * 16 + n], y[i * 16:i * 16 + n])
                    for i, (w, n) in enumerate(zip(starts, sizes))]
    weighted = np.dot(sizes, batch_losses) / sum(sizes)
    assert history.history["loss"][0] == pytest.approx(weighted, rel=1e-5)
    # the plain mean of the batch losses differs (the last batch has 2 samples, not 16)
    assert abs(np.mean(batch_losses) - weighted) > 1e-4
    for k in range(4):   # running means
        expected = np.dot(sizes[:k + 1], batch_losses[:k + 1]) / sum(sizes[:k + 1])
        assert running[k] == pytest.approx(expected, rel=1e-5)


def test_logged_loss_includes_the_l2_penalty():
    x, y = blobs(30)
    l2 = 0.05
    plain = mlp()
    reg = mlp(kernel_regularizer=regularizers.L2(l2))
    reg.set_weights(plain.get_weights())
    w0 = plain.get_weights()
    for m in (plain, reg):
        m.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    h_plain = plain.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    h_reg = reg.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    penalty = l2 * (np.sum(w0[0].astype(np.float64) ** 2) + np.sum(w0[2].astype(np.float64) ** 2))
    assert penalty > 1e-2
    assert h_reg.history["loss"][0] - h_plain.history["loss"][0] == pytest.approx(penalty, rel=1e-4)
    assert h_reg.history["loss"][0] == pytest.approx(numpy_loss(w0, x, y, l2), rel=1e-5)
    # the penalty's gradient (2 * l2 * W) pulls the kernels towards 0: they end up smaller
    assert np.sum(reg.get_weights()[0] ** 2) < np.sum(plain.get_weights()[0] ** 2)


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x, y = blobs(41)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    seen = []
    count = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    history = model.fit(x, y, validation_split=0.25, batch_size=1, epochs=1, shuffle=True, verbose=0,
                        callbacks=[count])
    assert len(seen) == math.floor(41 * 0.75) == 30            # training samples: x[:30]
    val = model.evaluate(x[30:], y[30:], verbose=0, return_dict=True)
    assert history.history["val_loss"][0] == pytest.approx(val["loss"], rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(val["accuracy"])
    other = model.evaluate(x[:11], y[:11], verbose=0)[0]       # the first 11 are not the val set
    assert other != pytest.approx(val["loss"], rel=1e-6)


def test_validation_split_ignores_samples_outside_the_training_part():
    """Poisoned labels in the last 25% change nothing about training (only the val logs)."""
    x, y = blobs(40)
    poisoned = y.copy()
    poisoned[30:] = (poisoned[30:] + 1) % 3
    a = mlp()
    b = twin(a, mlp)
    for m in (a, b):
        m.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    ha = a.fit(x, y, validation_split=0.25, batch_size=10, epochs=2, shuffle=False, verbose=0)
    hb = b.fit(x, poisoned, validation_split=0.25, batch_size=10, epochs=2, shuffle=False, verbose=0)
    assert weights_equal(a, b)
    assert ha.history["loss"] == hb.history["loss"]
    assert ha.history["val_loss"] != hb.history["val_loss"]


def test_validation_data_logs_equal_evaluate_at_each_epoch_end():
    x, y = blobs(48, seed=1)
    xv, yv = blobs(20, seed=2)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    ends = []
    snap = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(model.get_weights()))
    history = model.fit(x, y, validation_data=(xv, yv), epochs=2, batch_size=16, verbose=0,
                        callbacks=[snap])
    for epoch, weights in enumerate(ends):
        model.set_weights(weights)
        result = model.evaluate(xv, yv, verbose=0, return_dict=True)
        assert history.history["val_loss"][epoch] == pytest.approx(result["loss"], rel=1e-6)
        assert history.history["val_accuracy"][epoch] == pytest.approx(result["accuracy"])
    assert history.history["val_loss"][0] != history.history["val_loss"][1]


def test_shuffle_false_is_deterministic_and_seeded_shuffle_is_reproducible():
    x, y = blobs(40)
    first = mlp()
    w0 = first.get_weights()

    def run(shuffle, seed=None):
        model = mlp()
        model.set_weights(w0)
        model.compile(optimizers.SGD(0.2), "sparse_categorical_crossentropy")
        if seed is not None:
            set_random_seed(seed)
        model.fit(x, y, batch_size=8, epochs=2, shuffle=shuffle, verbose=0)
        return model

    a, b = run(False), run(False)
    assert weights_equal(a, b)
    c, d = run(True, seed=7), run(True, seed=7)
    assert weights_equal(c, d)
    assert not weights_equal(a, c)                  # shuffling does change the batches
    e = run(True, seed=8)
    assert not weights_equal(c, e)


def test_full_batch_is_one_step_per_epoch():
    x, y = blobs(30)
    model = mlp()
    model.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    initial_loss = model.evaluate(x, y, batch_size=len(x), verbose=0)
    history = model.fit(x, y, batch_size=len(x), epochs=4, verbose=0)
    assert model.optimizer.iterations == 4
    # each epoch logs the loss of its single step, before the update: the first is the initial loss
    assert history.history["loss"][0] == pytest.approx(initial_loss, rel=1e-6)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_initial_epoch():
    x, y = blobs(24)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    seen = []
    history = model.fit(x, y, epochs=5, initial_epoch=3, batch_size=8, verbose=0,
                        callbacks=[callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(e))])
    assert seen == [3, 4]
    assert history.epoch == [3, 4]
    assert len(history.history["loss"]) == 2
    assert model.optimizer.iterations == 2 * 3


def test_sample_weight_zeros_equal_training_on_the_other_half():
    """Keras's sum_over_batch_size divides by the batch size, zero-weight samples included: weights
    2 (kept) and 0 (dropped), alternating, in batches of 8 give each step exactly the loss and
    gradient of the 4 kept samples in batches of 4."""
    x, y = blobs(32)
    rng = np.random.default_rng(5)
    y_bad = y.copy()
    y_bad[1::2] = rng.integers(0, 3, 16)             # the dropped samples have arbitrary labels
    weights = np.tile([2.0, 0.0], 16).astype(np.float32)
    a = mlp()
    b = twin(a, mlp)
    for m in (a, b):
        m.compile(optimizers.SGD(0.3), "sparse_categorical_crossentropy")
    ha = a.fit(x, y_bad, sample_weight=weights, batch_size=8, epochs=3, shuffle=False, verbose=0)
    hb = b.fit(x[::2], y[::2], batch_size=4, epochs=3, shuffle=False, verbose=0)
    assert_weights_close(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)


def test_sample_weight_changes_training():
    x, y = blobs(32)
    a = mlp()
    b = twin(a, mlp)
    for m in (a, b):
        m.compile(optimizers.SGD(0.3), "sparse_categorical_crossentropy")
    a.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    b.fit(x, y, sample_weight=np.tile([2.0, 0.0], 16), batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert not weights_equal(a, b)


@pytest.mark.parametrize("one_hot", [False, True])
def test_class_weight_equals_the_matching_sample_weight(one_hot):
    x, y = blobs(36)
    targets = to_categorical(y, 3) if one_hot else y
    loss = "categorical_crossentropy" if one_hot else "sparse_categorical_crossentropy"
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    a = mlp()
    b = twin(a, mlp)
    plain = twin(a, mlp)
    for m in (a, b, plain):
        m.compile(optimizers.SGD(0.2), loss)
    ha = a.fit(x, targets, class_weight=class_weight, batch_size=12, epochs=2, shuffle=False, verbose=0)
    sw = np.array([class_weight[c] for c in y], dtype=np.float32)
    hb = b.fit(x, targets, sample_weight=sw, batch_size=12, epochs=2, shuffle=False, verbose=0)
    plain.fit(x, targets, batch_size=12, epochs=2, shuffle=False, verbose=0)
    assert_weights_close(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    assert not weights_equal(a, plain)


def test_fit_accepts_python_lists():
    x, y = blobs(24)
    a = mlp()
    b = twin(a, mlp)
    for m in (a, b):
        m.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy", ["accuracy"])
    ha = a.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    hb = b.fit(x.tolist(), y.tolist(), batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert weights_equal(a, b)
    assert ha.history == hb.history
    assert b.evaluate(x.tolist(), y.tolist(), verbose=0) == a.evaluate(x, y, verbose=0)
    np.testing.assert_array_equal(b.predict(x.tolist(), verbose=0), a.predict(x, verbose=0))


def test_fit_accepts_a_generator_with_steps_per_epoch_and_a_list_of_batches():
    x, y = blobs(32)
    batches = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)]

    def forever():
        while True:
            yield from batches

    ref = mlp()
    gen_model, list_model = twin(ref, mlp), twin(ref, mlp)
    for m in (ref, gen_model, list_model):
        m.compile(optimizers.SGD(0.2), "sparse_categorical_crossentropy", ["accuracy"])
    h_ref = ref.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    h_gen = gen_model.fit(forever(), steps_per_epoch=4, epochs=2, verbose=0)
    h_list = list_model.fit(batches, epochs=2, verbose=0)
    for m, h in ((gen_model, h_gen), (list_model, h_list)):
        assert m.optimizer.iterations == 8
        assert_weights_close(m, ref, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(h.history["loss"], h_ref.history["loss"], rtol=1e-6)
        assert h.history["accuracy"] == h_ref.history["accuracy"]


def test_one_shot_generator_without_steps_fails_clearly_on_the_second_epoch():
    x, y = blobs(16)
    model = mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    gen = ((x[i:i + 8], y[i:i + 8]) for i in range(0, 16, 8))
    with pytest.raises(ValueError, match="steps_per_epoch") as err:
        model.fit(gen, epochs=2, verbose=0)
    assert "exhausted" in str(err.value) or "generator" in str(err.value)
    assert model.optimizer.iterations == 2          # the first epoch did run


def test_early_stopping_restores_the_best_weights_through_fit():
    """Validation labels are the training labels flipped: as the model fits the training set,
    val_loss only rises, so the best epoch is the first and training stops after `patience`."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(32, 2)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)[:, None]
    set_random_seed(0)
    model = snn.Sequential([Dense(1, activation="sigmoid", input_shape=(2,))])
    model.compile(optimizers.Adam(0.05), "binary_crossentropy", ["accuracy"])
    ends = []
    snap = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(model.get_weights()))
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, validation_data=(x, 1 - y), epochs=20, batch_size=32, verbose=0,
                        callbacks=[snap, stop])
    val = history.history["val_loss"]
    assert all(b > a for a, b in zip(val, val[1:])), val
    assert history.epoch == [0, 1, 2]
    assert stop.stopped_epoch == 2 and stop.best_epoch == 0
    assert model.optimizer.iterations == 3
    assert not np.array_equal(ends[-1][0], ends[0][0])
    assert_weights_close(model, ends[0], rtol=0, atol=0)


def test_early_stopping_on_a_training_metric():
    """With a learning rate of 0 the accuracy never improves: patience=2 stops after epoch 2."""
    x, y = blobs(24)
    model = mlp()
    model.compile(optimizers.SGD(0.0), "sparse_categorical_crossentropy", ["accuracy"])
    stop = callbacks.EarlyStopping(monitor="accuracy", patience=2)
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0, callbacks=[stop])
    assert history.epoch == [0, 1, 2]
    assert stop.stopped_epoch == 2
    assert len(set(history.history["accuracy"])) == 1


def test_model_stop_training_is_respected_after_a_batch_and_after_an_epoch():
    x, y = blobs(32)
    model = mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")

    def stop_at_batch_1(batch, logs):
        if batch == 1:
            model.stop_training = True

    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0,
                        callbacks=[callbacks.LambdaCallback(on_train_batch_end=stop_at_batch_1)])
    assert model.optimizer.iterations == 2
    assert history.epoch == [0]

    def stop_after_epoch_1(epoch, logs):
        if epoch == 1:
            model.stop_training = True

    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0,
                        callbacks=[callbacks.LambdaCallback(on_epoch_end=stop_after_epoch_1)])
    assert history.epoch == [0, 1]
    assert model.optimizer.iterations == 8
    # a new fit starts with stop_training reset
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert history.epoch == [0, 1]


# ============================================================================ 3. learning
def test_xor_is_learned_and_accuracy_is_binary():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    set_random_seed(0)
    model = snn.Sequential([Dense(8, activation="tanh", input_shape=(2,)), Dense(1, activation="sigmoid")])
    model.compile(optimizers.Adam(0.05), "binary_crossentropy", ["accuracy"])
    history = model.fit(x, y, epochs=300, batch_size=4, verbose=0)
    loss, acc = model.evaluate(x, y, verbose=0)
    # categorical accuracy (argmax over one column) would be 0.5 on XOR: 1.0 means binary accuracy
    assert acc == 1.0
    assert history.history["accuracy"][-1] == 1.0
    assert loss < 0.05
    np.testing.assert_array_equal(model.predict(x, verbose=0) > 0.5, y > 0.5)


def spiral(n_per=100, k=3, seed=0):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(k):
        r = np.linspace(0.05, 1, n_per)
        t = np.linspace(c * 4, (c + 1) * 4, n_per) + rng.normal(0, 0.2, n_per)
        xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys.append(np.full(n_per, c))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def test_three_class_spiral_with_one_hot_labels():
    x, y = spiral()
    set_random_seed(0)
    model = snn.Sequential([Dense(64, activation="relu", input_shape=(2,)), Dense(64, activation="relu"),
                            Dense(3, activation="softmax")])
    model.compile(optimizers.Adam(0.01), "categorical_crossentropy", ["accuracy"])
    history = model.fit(x, to_categorical(y), epochs=100, batch_size=32, verbose=0)
    loss, acc = model.evaluate(x, to_categorical(y), verbose=0)
    manual = float((model.predict(x, verbose=0).argmax(axis=1) == y).mean())
    assert acc == pytest.approx(manual)        # 'accuracy' resolved to categorical accuracy
    assert acc > 0.9
    assert history.history["loss"][-1] < history.history["loss"][0] / 3


def test_linear_regression_with_mse_and_mae():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (64, 2)).astype(np.float32)
    y = (3 * x[:, :1] - 2 * x[:, 1:] + 0.5).astype(np.float32)
    set_random_seed(0)
    model = snn.Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizers.Adam(0.05), "mse", metrics=["mae"])
    history = model.fit(x, y, epochs=150, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "mae"}
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    assert result["loss"] < 1e-3
    assert result["mae"] < 0.03
    pred = model.predict(x, verbose=0)
    assert result["loss"] == pytest.approx(float(np.mean((pred - y) ** 2)), rel=1e-4)
    assert result["mae"] == pytest.approx(float(np.mean(np.abs(pred - y))), rel=1e-4)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel[:, 0], [3, -2], atol=0.05)
    np.testing.assert_allclose(bias, [0.5], atol=0.05)


# ============================================================================ 4. a hand-written loop
def test_manual_training_loop_equals_fit():
    x, y = blobs(40)
    batch = 8
    fitted = mlp()
    manual = twin(fitted, mlp)
    fitted.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    fitted.fit(x, y, epochs=1, batch_size=batch, shuffle=False, verbose=0)

    loss_fn = losses.SparseCategoricalCrossentropy()
    optimizer = optimizers.SGD(0.1)
    for i in range(0, len(x), batch):
        y_pred = manual(x[i:i + batch], training=True)
        loss = loss_fn(y[i:i + batch], y_pred)
        loss.backward()
        optimizer.apply_gradients(zip([w.grad for w in manual.trainable_weights], manual.trainable_weights))
        for w in manual.trainable_weights:
            w.grad = None
    assert optimizer.iterations == fitted.optimizer.iterations == 5
    assert_weights_close(manual, fitted, rtol=1e-6, atol=1e-7)
    assert not np.allclose(manual.get_weights()[0], mlp().get_weights()[0])


# ============================================================================ 5. against PyTorch
@requires_torch
def test_momentum_sgd_training_matches_pytorch():
    rng = np.random.default_rng(0)
    n, n_in, hidden, k = 24, 5, 7, 4
    x = rng.normal(size=(n, n_in)).astype(np.float32)        # fit feeds float32 batches
    y = rng.integers(0, k, n)
    set_random_seed(1)
    model = snn.Sequential([Dense(hidden, activation="relu", input_shape=(n_in,), dtype="float64"),
                            Dense(k, activation="softmax", dtype="float64")])
    model.set_weights([rng.normal(0, 0.5, w.shape) for w in model.get_weights()])
    w1, b1, w2, b2 = model.get_weights()

    lin1, lin2 = torch.nn.Linear(n_in, hidden).double(), torch.nn.Linear(hidden, k).double()
    with torch.no_grad():
        lin1.weight.copy_(torch.tensor(w1.T)); lin1.bias.copy_(torch.tensor(b1))
        lin2.weight.copy_(torch.tensor(w2.T)); lin2.bias.copy_(torch.tensor(b2))
    params = list(lin1.parameters()) + list(lin2.parameters())
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y)
    torch_losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(lin2(torch.relu(lin1(xt))), yt)
        loss.backward()
        opt.step()
        torch_losses.append(loss.item())

    model.compile(optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=n, epochs=3, shuffle=False, verbose=0)
    assert all(w.dtype == np.float64 for w in model.get_weights())
    expected = [lin1.weight.detach().numpy().T, lin1.bias.detach().numpy(),
                lin2.weight.detach().numpy().T, lin2.bias.detach().numpy()]
    for got, want, name in zip(model.get_weights(), expected, ("W1", "b1", "W2", "b2")):
        assert_close(got, want, rtol=1e-6, atol=1e-9, what=name)
    assert_close(history.history["loss"], torch_losses, rtol=1e-6, what="loss per step")


# ============================================================================ 6. evaluate / predict
def test_evaluate_return_types():
    x, y = blobs(30)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    value = model.evaluate(x, y, verbose=0)
    assert isinstance(value, float)
    assert value == pytest.approx(numpy_loss(model.get_weights(), x, y), rel=1e-5)

    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    result = model.evaluate(x, y, batch_size=7, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    loss, acc = result
    assert loss == pytest.approx(value, rel=1e-5)          # batch size does not change the value
    manual = float((model.predict(x, verbose=0).argmax(axis=1) == y).mean())
    assert acc == pytest.approx(manual)

    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert isinstance(as_dict, dict) and set(as_dict) == {"loss", "accuracy"}
    assert as_dict["loss"] == pytest.approx(loss, rel=1e-6)
    assert as_dict["accuracy"] == pytest.approx(acc)


def test_predict_batches_shape_and_softmax_rows():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(37, 6)).astype(np.float32)
    model = mlp(n_in=6, hidden=12, n_out=10)
    pred = model.predict(x, batch_size=8, verbose=0)
    assert isinstance(pred, np.ndarray) and pred.shape == (37, 10)
    np.testing.assert_allclose(pred.sum(axis=1), 1.0, rtol=1e-5)
    assert (pred >= 0).all()
    np.testing.assert_allclose(pred, model(x).data, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(pred, model.predict(x, batch_size=100, verbose=0), rtol=1e-6, atol=1e-7)


def test_predict_on_uint8_images():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(9, 4, 4), dtype=np.uint8)
    set_random_seed(0)
    model = snn.Sequential([Flatten(input_shape=(4, 4)), Dense(5, activation="softmax")])
    pred = model.predict(images, verbose=0)
    assert pred.dtype == np.float32 and pred.shape == (9, 5)
    np.testing.assert_array_equal(pred, model.predict(images.astype(np.float32), verbose=0))


# ============================================================================ 7. subclassing
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


# ============================================================================ 8. summary
def test_summary_of_the_lecture_model():
    set_random_seed(0)
    model = snn.Sequential([Flatten(input_shape=(28, 28), name="flat"),
                            Dense(50, activation="relu", name="hid"),
                            Dense(10, activation="softmax", name="out")], name="lecture")
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "lecture"' in text
    for name, kind, shape, params in (("flat", "Flatten", "(None, 784)", "0"),
                                      ("hid", "Dense", "(None, 50)", "39,250"),
                                      ("out", "Dense", "(None, 10)", "510")):
        row = next(line for line in lines if f"{name} ({kind})" in line)
        assert shape in row and re.search(rf"\b{params}\b", row), row
    assert "Total params: 39,760" in text
    assert "Trainable params: 39,760" in text
    assert "Non-trainable params: 0" in text
    assert model.count_params() == 39760


def test_summary_counts_frozen_weights_as_non_trainable():
    set_random_seed(0)
    model = snn.Sequential([Dense(50, input_shape=(784,), trainable=False), Dense(10)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 39,760" in text
    assert "Trainable params: 510" in text
    assert "Non-trainable params: 39,250" in text


# ============================================================================ 9. weights
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


# ============================================================================ 10. bad input
def compiled_mlp(built=True, metrics=None):
    if built:
        model = mlp()
    else:
        set_random_seed(0)
        model = snn.Sequential([Dense(8, activation="relu"), Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics)
    return model


@pytest.mark.parametrize("built", [True, False])
def test_fit_before_compile(built):
    x, y = blobs(10)
    model = mlp() if built else snn.Sequential([Dense(3, activation="softmax")])
    before = state(model)
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y, verbose=0)):
        with pytest.raises(RuntimeError, match="compile"):
            call()
        assert_unchanged(model, before)
    assert not model.compiled


@pytest.mark.parametrize("built", [True, False])
def test_x_and_y_of_different_lengths(built):
    x, y = blobs(50)
    model = compiled_mlp(built)
    before = state(model)
    with pytest.raises(ValueError, match=r"50.*49"):
        model.fit(x, y[:49], verbose=0)
    assert_unchanged(model, before)
    with pytest.raises(ValueError, match=r"50.*49"):
        model.evaluate(x, y[:49], verbose=0)
    assert_unchanged(model, before)


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


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("built", [True, False])
def test_nan_or_inf_in_x(built, bad):
    x, y = blobs(12)
    x = x.copy()
    x[6, 2] = bad
    model = compiled_mlp(built)
    before = state(model)
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y, verbose=0)):
        with pytest.raises(ValueError, match=r"\bx\b.*sample 6"):
            call()
        assert_unchanged(model, before)


def test_unknown_names_at_compile_list_the_valid_ones():
    model = snn.Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    with pytest.raises(ValueError, match="adamm") as err:
        model.compile("adamm", "sparse_categorical_crossentropy")
    assert "adam" in str(err.value).replace("adamm", "") and "sgd" in str(err.value)
    assert not model.compiled and model.optimizer is None

    with pytest.raises(ValueError, match="sparse_categorical_crossentropy") as err:
        model.compile("adam", "sparse_categorical_crossentropi")
    assert "mean_squared_error" in str(err.value)
    assert not model.compiled

    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    adam = model.optimizer
    with pytest.raises(ValueError, match="accuracy") as err:
        model.compile("sgd", "sparse_categorical_crossentropy", ["acuracy"])
    assert "acuracy" in str(err.value) and "mae" in str(err.value)
    assert model.optimizer is adam                   # the failed compile changed nothing


@pytest.mark.parametrize("batch_size", [0, -1, 2.5])
def test_bad_batch_size(batch_size):
    x, y = blobs(10)
    model = compiled_mlp(built=False)
    before = state(model)
    for call in (lambda: model.fit(x, y, batch_size=batch_size, verbose=0),
                 lambda: model.evaluate(x, y, batch_size=batch_size, verbose=0),
                 lambda: model.predict(x, batch_size=batch_size, verbose=0)):
        with pytest.raises(ValueError, match="batch_size"):
            call()
        assert_unchanged(model, before)


@pytest.mark.parametrize("split", [1.0, 1.5, -0.1, 0.95])
def test_validation_split_out_of_range(split):
    x, y = blobs(10)
    model = compiled_mlp()
    before = state(model)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=split, verbose=0)
    assert_unchanged(model, before)
    assert model.optimizer.iterations == 0


def test_validation_split_floor_leaves_one_validation_sample():
    x, y = blobs(10)
    model = compiled_mlp()
    seen = []
    model.fit(x, y, validation_split=0.01, batch_size=1, verbose=0,          # floor(9.9) = 9
              callbacks=[callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))])
    assert len(seen) == 9


# ============================================================================ 11. warnings
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


# ============================================================================ 12. progress output
def test_fit_verbose_1_progress_bar(capsys):
    x, y = blobs(32)
    model = compiled_mlp(metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert out.index("Epoch 1/2") < out.index("Epoch 2/2")
    final = [line for line in re.split(r"[\r\n]", out) if line.startswith("4/4 ")]
    assert len(final) >= 2
    assert "━" * 20 in final[-1]
    assert "accuracy: " in final[-1] and "loss: " in final[-1]
    assert re.search(r"loss: \d\.\d{4}", final[-1])


def test_fit_verbose_1_shows_validation_and_initial_epoch(capsys):
    x, y = blobs(32)
    model = compiled_mlp(metrics=["accuracy"])
    model.fit(x, y, epochs=3, initial_epoch=2, batch_size=8, validation_split=0.25, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 3/3" in out and "Epoch 1/3" not in out
    assert "val_loss: " in out and "val_accuracy: " in out


def test_fit_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = blobs(32)
    model = compiled_mlp(metrics=["accuracy"])
    model.fit(x, y, epochs=3, batch_size=8, verbose=2)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    summaries = [line for line in lines if re.match(r"^4/4 - \d+s - \d+[mu]?s/step - ", line)]
    assert len(summaries) == 3, out
    assert all("accuracy: " in line and "loss: " in line for line in summaries)
    assert "━" not in out and "\r" not in out
    assert len(lines) == 6                           # 3 'Epoch i/3' headers and 3 summaries


def test_verbose_0_prints_nothing(capsys):
    x, y = blobs(32)
    model = compiled_mlp(metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.25)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_evaluate_verbose_2_line(capsys):
    x, y = blobs(32)
    model = compiled_mlp(metrics=["accuracy"])
    loss, acc = model.evaluate(x, y, batch_size=8, verbose=2)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert re.match(r"^4/4 - \d+s - .*loss: \d\.\d{4}", lines[0])
    assert f"accuracy: {acc:.4f}" in lines[0] and f"loss: {loss:.4f}" in lines[0]


# ---------------------------------------------------------------- regressions from review
def _ones_model():
    m = snn.Sequential([Dense(3, input_shape=(4,), kernel_initializer="ones"),
                              Dense(1, kernel_initializer="ones")])
    m.compile("sgd", "mse")
    return m


def test_frozen_weights_keep_no_gradient_between_train_on_batch_calls():
    """train_on_batch on a frozen layer must not pile up gradients that a later fit applies."""
    x, y = np.ones((8, 4), np.float32), np.ones((8, 1), np.float32)
    a, b = _ones_model(), _ones_model()
    a.layers[0].trainable = False
    for _ in range(3):
        a.train_on_batch(x, y)
    assert a.layers[0].kernel.grad is None
    a.layers[1].set_weights(b.layers[1].get_weights())
    a.layers[0].trainable = True
    for m in (a, b):
        m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_array_equal(a.layers[0].kernel.data, b.layers[0].kernel.data)


def test_unfrozen_layer_trains_with_train_on_batch_after_a_frozen_fit():
    x, y = np.ones((8, 4), np.float32), np.ones((8, 1), np.float32)
    m = _ones_model()
    m.layers[0].trainable = False
    m.fit(x, y, verbose=0)
    m.layers[0].trainable = True
    before = m.layers[0].kernel.data.copy()
    m.train_on_batch(x, y)
    assert not np.array_equal(before, m.layers[0].kernel.data)


def test_train_on_batch_builds_an_unbuilt_model_and_updates_at_once():
    m = snn.Sequential([Dense(1)])
    m.compile("sgd", "mse")
    m.train_on_batch(np.ones((8, 4), np.float32), np.ones((8, 1), np.float32))
    assert m.optimizer.iterations == 1
    assert all(w.grad is None for w in m.weights)


def test_failed_fit_leaves_sequential_without_a_stale_output_shape():
    m = snn.Sequential([Dense(4), Dense(3, activation="softmax")])
    m.compile("adam", "categorical_crossentropy")
    with pytest.raises(ValueError):
        m.fit(np.ones((8, 5), np.float32), np.zeros(8, dtype=int), verbose=0)
    m.add(Dense(2))
    assert not m.built and m.count_params() == 0


def test_train_and_test_on_batch_return_this_batchs_loss_and_metrics():
    """Keras: a float without metrics, else [loss, *metrics] of this batch alone (states reset)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    m = snn.Sequential([snn.layers.Dense(3, activation="softmax")])
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    m.build((None, 4))
    before = m.predict(x[:8], verbose=0)
    loss, acc = m.train_on_batch(x[:8], y[:8])
    expected_loss = -np.mean(np.log(before[np.arange(8), y[:8]]))
    assert loss == pytest.approx(expected_loss, rel=1e-5)          # measured before the update
    assert acc == pytest.approx(np.mean(before.argmax(1) == y[:8]))
    logs = m.test_on_batch(x[8:], y[8:], return_dict=True)
    assert list(logs) == ["loss", "accuracy"]
    ev = m.evaluate(x[8:], y[8:], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(ev["loss"], rel=1e-6)
    assert logs["accuracy"] == pytest.approx(ev["accuracy"])
    # not a running mean: the same batch twice gives the same test values
    assert m.test_on_batch(x[8:], y[8:]) == pytest.approx([logs["loss"], logs["accuracy"]])
    plain = snn.Sequential([snn.layers.Dense(1)])
    plain.compile("sgd", "mse")
    value = plain.train_on_batch(x, y.astype(np.float32))
    assert isinstance(value, float)


def test_steps_per_epoch_ends_each_epoch_early_with_arrays():
    """Keras 3: with arrays, steps_per_epoch batches make an epoch; more than there are is refused."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 3)).astype(np.float32)
    y = rng.standard_normal((100, 1)).astype(np.float32)
    m = snn.Sequential([snn.layers.Dense(1)])
    m.compile("sgd", "mse")
    seen = []
    cb = snn.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    m.fit(x, y, batch_size=10, epochs=2, steps_per_epoch=3, verbose=0, callbacks=[cb])
    assert seen == [0, 1, 2, 0, 1, 2]
    assert int(m.optimizer.iterations) == 6
    before = [w.data.copy() for w in m.weights]
    with pytest.raises(ValueError, match=r"steps_per_epoch=11 is more than the 10 batches"):
        m.fit(x, y, batch_size=10, steps_per_epoch=11, verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch must be a positive integer"):
        m.fit(x, y, batch_size=10, steps_per_epoch=0, verbose=0)
    assert all(np.array_equal(a, w.data) for a, w in zip(before, m.weights))
    assert m.evaluate(x, y, batch_size=10, steps=2, verbose=0) == pytest.approx(
        m.evaluate(x[:20], y[:20], batch_size=10, verbose=0), rel=1e-6)


def test_sequential_build_marks_the_model_built_and_undoes_a_failed_build():
    m = snn.Sequential([snn.layers.Dense(3), snn.layers.Dense(2)])
    m.build((None, 4))
    assert m.built and m.input_shape == (None, 4) and m.output_shape == (None, 2)
    bad = snn.Sequential([snn.layers.Dense(3), snn.layers.Reshape((7,))])
    with pytest.raises(ValueError):
        bad.build((None, 4))
    assert not bad.built and not bad.layers[0].built and bad.layers[0].weights == []


def test_bad_validation_data_leaves_an_unbuilt_model_unbuilt():
    m = snn.Sequential([snn.layers.Dense(3), snn.layers.Dense(2, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy")
    x, y = np.zeros((10, 4), np.float32), np.zeros(10, int)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 4\).*got shape \(None, 7\)"):
        m.fit(x, y, validation_data=(np.zeros((5, 7), np.float32), np.zeros(5, int)), verbose=0)
    assert not m.built and not any(layer.built for layer in m.layers) and m.weights == []
    m.fit(np.zeros((10, 6), np.float32), y, verbose=0)       # free to take another input size
    assert m.layers[0].kernel.shape == (6, 3)
