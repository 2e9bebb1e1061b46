"""Getting data into fit (``scratchnn/models/data.py``): lengths, NaN/Inf, batch size,
validation split, Python lists, generators and lists of batches; a bad input changes nothing.
"""
import math

import numpy as np
import pytest

from scratchnn import callbacks, optimizers

from tests.models.helpers import (
    assert_unchanged,
    assert_weights_close,
    blobs,
    compiled_mlp,
    mlp,
    state,
    twin,
    weights_equal,
)


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
