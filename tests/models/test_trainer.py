"""The training loop (``scratchnn/models/trainer.py``): the lecture program on MNIST,
fit/evaluate/predict semantics as Keras 3 defines them, learning on small problems, a
hand-written loop and PyTorch as oracles, compile errors, the progress output,
train_on_batch/test_on_batch, determinism and the warning for a loss that turns NaN.

Everything but the MNIST test runs on small synthetic data (a few milliseconds per fit).
"""
import math
import re
import warnings

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import callbacks, losses, optimizers, regularizers
from scratchnn.layers import Dense, Flatten
from scratchnn.utils import set_random_seed, to_categorical

from tests.helpers import assert_close, requires_torch, torch
from tests.models.helpers import (
    FIT,
    assert_unchanged,
    assert_weights_close,
    blobs,
    compiled_mlp,
    diverging_model,
    mlp,
    state,
    training_data,
    training_model,
    twin,
    weights_equal,
)


def numpy_loss(weights, x, y, l2=0.0):
    """Sparse cross-entropy of a relu/softmax MLP computed in float64 NumPy, plus L2 on kernels."""
    w1, b1, w2, b2 = (np.asarray(w, np.float64) for w in weights)
    h = np.maximum(np.asarray(x, np.float64) @ w1 + b1, 0)
    z = h @ w2 + b2
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    ce = -logp[np.arange(len(y)), y].mean()
    return ce + l2 * (np.sum(w1 ** 2) + np.sum(w2 ** 2))


# ============================================================================ the lecture program
def test_reference_lecture_program_on_mnist(mnist_mirror):
    """The tf.keras lecture program, only the import changed, reaches > 96.5% on MNIST's test set."""
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


# ============================================================================ fit semantics
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


# ============================================================================ learning
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


# ============================================================================ a hand-written loop
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


# ============================================================================ against PyTorch
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


# ============================================================================ evaluate / predict
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


# ============================================================================ progress output
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


def test_bad_validation_data_leaves_an_unbuilt_model_unbuilt():
    m = snn.Sequential([snn.layers.Dense(3), snn.layers.Dense(2, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy")
    x, y = np.zeros((10, 4), np.float32), np.zeros(10, int)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 4\).*got shape \(None, 7\)"):
        m.fit(x, y, validation_data=(np.zeros((5, 7), np.float32), np.zeros(5, int)), verbose=0)
    assert not m.built and not any(layer.built for layer in m.layers) and m.weights == []
    m.fit(np.zeros((10, 6), np.float32), y, verbose=0)       # free to take another input size
    assert m.layers[0].kernel.shape == (6, 3)


# ------------------------------------------------------------------ determinism
def test_same_seed_gives_bit_identical_training():
    x, y = training_data()
    runs = []
    for _ in range(2):
        model = training_model(seed=11)
        history = model.fit(x, y, **FIT)
        runs.append((model.get_weights(), history.history))
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(a, b)
    assert runs[0][1] == runs[1][1]
    other = training_model(seed=12)
    other.fit(x, y, **FIT)
    assert not np.array_equal(other.get_weights()[0], runs[0][0][0])


def test_nan_loss_warns_once_naming_the_first_bad_batch():
    model, x, y = diverging_model()
    with pytest.warns(RuntimeWarning) as record:
        model.fit(x, y, epochs=3, batch_size=10, verbose=0, shuffle=False)
    nonfinite = [w for w in record if "the loss became" in str(w.message)]
    assert len(nonfinite) == 1
    message = str(nonfinite[0].message)
    assert "epoch 1, batch" in message and "TerminateOnNaN" in message
    # the named batch is the first one whose loss is not finite
    losses = []
    model, x, y = diverging_model()
    for i in range(0, len(x), 10):
        with np.errstate(all="ignore"):
            losses.append(model.train_on_batch(x[i:i + 10], y[i:i + 10]))
    first = next(i for i, v in enumerate(losses) if not np.isfinite(v))
    assert f"batch {first + 1}:" in message


def _linear_regression(learning_rate):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 1.0], dtype=np.float32))[:, None]
    set_random_seed(0)
    model = snn.Sequential([Dense(1, input_shape=(4,))])
    model.compile(optimizers.SGD(learning_rate), "mse")
    return model, x, y


def test_a_loss_growing_by_orders_of_magnitude_gets_the_nan_hint():
    """SGD past its stable step size on least squares: the loss grows about 10x per epoch and
    stays finite (no NaN warning); it gets the same plain-language hint as a NaN loss."""
    model, x, y = _linear_regression(1.5)
    with pytest.warns(RuntimeWarning, match="training is diverging") as record:
        history = model.fit(x, y, batch_size=64, epochs=6, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert all(np.isfinite(losses)) and losses[-1] > 1e4 * losses[0]
    growing = [str(w.message) for w in record if "diverging" in str(w.message)]
    assert len(growing) == 1                                          # once, not every epoch
    first_over = next(i for i, v in enumerate(losses) if v > 100 * losses[0])
    assert f"(epoch {first_over + 1})" in growing[0] and "grew from" in growing[0]
    nan_model, nx, ny = diverging_model()
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning) as nan_record:
        nan_model.fit(nx, ny, epochs=1, batch_size=10, verbose=0)
    nan_hint = next(str(w.message) for w in nan_record if "the loss became" in str(w.message))
    hint = re.search(r"\((learning rate too high\?[^)]*)\)", nan_hint).group(1)
    assert hint in growing[0]


@pytest.mark.parametrize("learning_rate", [0.1, 0.7])
def test_a_converging_or_oscillating_loss_gets_no_divergence_hint(learning_rate):
    """0.1 converges; 0.7 oscillates near the stable limit, the loss staying about the same."""
    model, x, y = _linear_regression(learning_rate)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(x, y, batch_size=64, epochs=6, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert max(losses) < 2 * losses[0] and (learning_rate > 0.5 or losses[-1] < losses[0] / 10)
