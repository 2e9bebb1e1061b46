"""Getting data into fit (``scratchnn/models/data.py``): lengths, NaN/Inf, batch size,
validation split, Python lists, generators and lists of batches; a bad input changes nothing.
"""
import math
import tracemalloc

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


# ------------------------------------------------------------ the finite-value guard on every path
def _regression_model():
    model = mlp(n_in=4, n_out=1, out=None)
    model.compile(optimizers.SGD(0.01), "mse")
    return model


def _regression_data(n=12):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)), rng.normal(size=(n, 1))


@pytest.mark.parametrize("which", ["x", "y", "sample_weight"])
def test_values_that_overflow_float32_are_refused_naming_the_position(which):
    """1e39 is a finite float64 but inf in float32: refused on every path, nothing changes."""
    x, y = _regression_data()
    w = np.ones(len(x))
    bad = {"x": x, "y": y, "sample_weight": w}[which]
    index = (5, 2) if which == "x" else (5, 0) if which == "y" else (5,)
    bad[index] = -1e39
    position = ", ".join(map(str, index))
    model = _regression_model()
    before = state(model)
    calls = [lambda: model.fit(x, y, sample_weight=w, verbose=0),
             lambda: model.fit(x, y, sample_weight=w, validation_split=0.5, verbose=0),
             lambda: model.evaluate(x, y, sample_weight=w, verbose=0),
             lambda: model.train_on_batch(x, y, sample_weight=w),
             lambda: model.test_on_batch(x, y, sample_weight=w)]
    for call in calls:
        with pytest.raises(ValueError, match=rf"{which}\[{position}\] = -1e\+39 is too large for float32"):
            call()
        assert_unchanged(model, before)
    assert model.optimizer.iterations == 0


def test_the_float32_limit_is_the_one_of_the_conversion():
    """Accepted exactly when the float64 value rounds to a finite float32."""
    from scratchnn.models.data import check_finite
    largest = float(np.finfo(np.float32).max)               # 2**128 - 2**104
    for ok in (largest, -largest, 2.0**128 - 2.0**103 - 2.0**80):
        check_finite(np.array([0.0, ok]), "x")
        assert np.isfinite(np.float32(ok))
    with np.errstate(over="ignore"):
        assert np.isinf(np.float32(2.0**128 - 2.0**103))    # the midpoint rounds up, to inf
    with pytest.raises(ValueError, match=r"x\[1\] = 3\.40282e\+38 is too large"):
        check_finite(np.array([0.0, 2.0**128 - 2.0**103]), "x")


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_finite_finds_every_bad_value_wherever_it_is(dtype, bad):
    """The quick look (row sums by one matrix-vector product for float32, minimum and maximum for
    the others) never lets a bad value through: first, middle, last element, in the rows of the
    product or the remainder after them, in each of several chunks, beside huge finite values."""
    from scratchnn.models import data as data_module
    size = 3 * data_module.CHECK_ROW + 17                   # whole rows and a remainder
    for position in (0, 1, size // 2, 3 * data_module.CHECK_ROW - 1, 3 * data_module.CHECK_ROW, size - 1):
        arr = np.ones(size, dtype=dtype)
        arr[position] = bad
        with pytest.raises(ValueError, match=rf"x contains NaN or Inf values \(first at sample {position}: "
                                             rf"x\[{position}\] = "):
            data_module.check_finite(arr, "x")
    half = min(float(np.finfo(dtype).max), float(np.finfo(np.float32).max)) / 2
    big = np.full((5, 2 * data_module.CHECK_ROW), half, dtype=dtype)
    data_module.check_finite(big, "x")                     # the sums overflow: the exact check says fine
    big[4, -1] = bad
    with pytest.raises(ValueError, match=r"first at sample 4: x\[4, 2047\]"):
        data_module.check_finite(big, "x")


def test_check_finite_looks_at_every_chunk(monkeypatch):
    from scratchnn import utils
    from scratchnn.models import data as data_module
    monkeypatch.setattr(utils, "CHUNK_BYTES", 4 * 1000)     # chunks of 1000 float32 values
    arr = np.zeros((7, 1000), dtype=np.float32)
    data_module.check_finite(arr, "x")
    arr[6, 999] = np.nan
    with pytest.raises(ValueError, match=r"first at sample 6: x\[6, 999\] = nan"):
        data_module.check_finite(arr, "x")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_in_sample_weight_is_refused_on_every_path(bad):
    x, y = blobs(12)
    w = np.ones(12)
    w[3] = bad
    model = compiled_mlp()
    before = state(model)
    for call in (lambda: model.fit(x, y, sample_weight=w, verbose=0),
                 lambda: model.evaluate(x, y, sample_weight=w, verbose=0),
                 lambda: model.train_on_batch(x, y, sample_weight=w),
                 lambda: model.test_on_batch(x, y, sample_weight=w)):
        with pytest.raises(ValueError, match=r"sample_weight contains NaN or Inf.*sample 3"):
            call()
        assert_unchanged(model, before)
    assert model.optimizer.iterations == 0


def test_nan_in_train_on_batch_targets_changes_nothing():
    x, y = _regression_data()
    y[7, 0] = np.nan
    model = _regression_model()
    before = state(model)
    with pytest.raises(ValueError, match=r"y contains NaN.*sample 7: y\[7, 0\] = nan"):
        model.train_on_batch(x, y)
    assert_unchanged(model, before)


def test_class_weight_must_be_finite():
    x, y = blobs(12)
    model = compiled_mlp()
    before = state(model)
    with pytest.raises(ValueError, match=r"class_weight\[1\] is nan"):
        model.fit(x, y, class_weight={0: 1.0, 1: float("nan"), 2: 1.0}, verbose=0)
    assert_unchanged(model, before)


@pytest.mark.parametrize("which, pattern", [
    ("x", r"x contains NaN or Inf values in batch 2 of the generator \(first at sample 1: x\[1, 3\] = nan\)"),
    ("y", r"y\[1, 0\] = 1e\+40 in batch 2 of the generator is too large for float32"),
    ("w", r"sample_weight contains NaN or Inf values in batch 2 of the generator.*sample_weight\[1\] = inf")],
    ids=["x", "y", "sample_weight"])
def test_a_bad_batch_from_a_generator_is_never_used(which, pattern):
    """Batch 1 trains; batch 2 is refused before its step: the weights are those after batch 1."""
    x, y = _regression_data(16)
    w = np.ones(16)
    arrays = {"x": x, "y": y, "w": w}
    arrays[which][(9, 3) if which == "x" else (9, 0) if which == "y" else 9] = (
        np.nan if which == "x" else 1e40 if which == "y" else np.inf)

    def batches():
        for i in range(0, 16, 8):
            yield x[i:i + 8], y[i:i + 8], w[i:i + 8]

    model = _regression_model()
    reference = twin(model, _regression_model)
    with pytest.raises(ValueError, match=pattern):
        model.fit(batches(), epochs=2, steps_per_epoch=2, verbose=0)
    reference.train_on_batch(x[:8], y[:8], sample_weight=w[:8])
    assert model.optimizer.iterations == 1
    assert weights_equal(model, reference)
    assert all(np.isfinite(v).all() for v in model.get_weights())


def test_a_bad_first_batch_of_a_list_changes_nothing():
    x, y = blobs(16)
    x = x.copy()
    x[2, 0] = np.inf
    model = compiled_mlp(built=False)
    before = state(model)
    for call in (lambda: model.fit([(x[:8], y[:8]), (x[8:], y[8:])], verbose=0),
                 lambda: model.evaluate([(x[:8], y[:8])], verbose=0)):
        with pytest.raises(ValueError, match=r"x contains NaN or Inf values in batch 1 of the list"):
            call()
        assert_unchanged(model, before)


# ------------------------------------------------------------ the finiteness check in chunks
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finiteness_check_adds_little_to_the_peak_memory(dtype):
    """The check looks at a few MB at a time: a whole-array np.isfinite added a quarter of a
    float32 input's size (16 MB here) to the peak."""
    from scratchnn.models.data import check_finite
    from scratchnn.utils import CHUNK_BYTES as CHECK_CHUNK_BYTES
    x = np.ones((2**14, 2**12 // np.dtype(dtype).itemsize), dtype)         # 64 MB
    tracemalloc.start()
    try:
        check_finite(x, "x")
        extra = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert extra < x.nbytes / 16 and extra < 2 * CHECK_CHUNK_BYTES, (extra, x.nbytes)


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_finiteness_check_in_chunks_names_the_right_position(layout, monkeypatch):
    from scratchnn import utils
    from scratchnn.models import data
    monkeypatch.setattr(utils, "CHUNK_BYTES", 40)                    # many chunks on a small array
    base = np.zeros((9, 7, 5))
    x = {"C": base, "F": np.asfortranarray(base), "strided": np.zeros((9, 14, 5))[:, ::2]}[layout]
    for index, bad, pattern in (((8, 6, 4), np.nan, r"sample 8: x\[8, 6, 4\] = nan"),
                                ((3, 0, 2), -np.inf, r"sample 3: x\[3, 0, 2\] = -inf"),
                                ((0, 0, 0), 1e300, r"x\[0, 0, 0\] = 1e\+300 is too large")):
        x[...] = 0
        x[index] = bad
        x[(5, 1, 1)] = np.nan if index < (5, 1, 1) else 0        # a later bad value is not the first
        with pytest.raises(ValueError, match=pattern):
            data.check_finite(x, "x")
    x[...] = 0
    data.check_finite(x, "x")


# ------------------------------------------------------------ refused before any step
def _steps_counter():
    seen = []
    return seen, callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: seen.append(batch))


def _only_x():
    x, _ = blobs(16)
    yield x[:8]
    yield x[8:]


# id -> (fit's arguments from the data x, y; the error; its message)
BAD_FIT_CALLS = {
    "val-tuple-of-one": (lambda x, y: dict(x=x, y=y, validation_data=(x,)), ValueError,
                         r"validation_data must be \(x_val, y_val\).*tuple of 1 item"),
    "val-array": (lambda x, y: dict(x=x, y=y, validation_data=x), ValueError,
                  r"validation_data is one array of shape \(16, 4\), inputs without targets: "
                  r"pass \(x_val, y_val\)"),
    "val-no-y": (lambda x, y: dict(x=x, y=y, validation_data=(x, None)), ValueError,
                 r"validation_data has no targets \(y_val is None\)"),
    "val-gen-no-y": (lambda x, y: dict(x=x, y=y, validation_data=_only_x()), ValueError,
                     r"validation_data: the batches of the generator hold x alone"),
    "y-none": (lambda x, y: dict(x=x, y=None), ValueError,
               r"fit\(\) needs targets y, got y=None: pass y .*or x as a generator"),
    "gen-no-y": (lambda x, y: dict(x=_only_x()), ValueError,
                 r"fit\(\): the batches of the generator hold x alone"),
    "dict": (lambda x, y: dict(x={"pixels": x}, y=y), TypeError,
             r"x is a dict \(keys 'pixels'\): named inputs.*this model takes one array"),
    "scalar": (lambda x, y: dict(x=3.0, y=1), ValueError,
               r"x must have a batch axis \(one entry per sample\), got the scalar 3\.0"),
    "empty-iterator": (lambda x, y: dict(x=iter(())), ValueError,
                       r"fit\(\): the generator gave no batches \(it is empty\)"),
    "empty-generator": (lambda x, y: dict(x=(b for b in [])), ValueError, r"the generator gave no batches"),
    "empty-dataset": (lambda x, y: dict(x=_Dataset([])), ValueError, r"the _Dataset gave no batches"),
}


class _Dataset:
    """A tf.data-like re-iterable: a fresh iterator over its batches at each epoch."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)


@pytest.mark.parametrize("built", [True, False])
@pytest.mark.parametrize("case", list(BAD_FIT_CALLS))
def test_data_fit_cannot_use_is_refused_before_any_step(built, case):
    make_args, error, pattern = BAD_FIT_CALLS[case]
    x, y = blobs(16)
    model = compiled_mlp(built)
    before = state(model)
    seen, counter = _steps_counter()
    with pytest.raises(error, match=pattern):
        model.fit(**make_args(x, y), epochs=2, verbose=0, callbacks=[counter])
    assert seen == [] and model.optimizer.iterations == 0
    assert_unchanged(model, before)


def test_a_dataset_is_read_again_each_epoch_after_its_first_batch_was_checked():
    x, y = blobs(16)
    batches = [(x[:8], y[:8]), (x[8:], y[8:])]
    model = compiled_mlp()
    reference = twin(model, compiled_mlp)
    model.fit(_Dataset(batches), epochs=3, verbose=0)
    reference.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 6
    assert_weights_close(model, reference)


def test_a_model_that_computes_its_own_loss_may_train_without_targets():
    """The y=None refusal is for the compiled loss: a subclass whose compute_loss needs no
    targets (here: shrink the outputs) trains on x alone."""

    class Shrink(type(mlp())):
        def compute_loss(self, y, y_pred, sample_weight=None):
            return (y_pred * y_pred).mean()

    x, _ = blobs(16)
    model = Shrink(mlp(out=None).layers)
    model.compile(optimizers.SGD(0.1), "mse")
    first = model.predict(x, verbose=0)
    model.fit(x, epochs=3, verbose=0)
    assert model.optimizer.iterations == 3
    assert np.abs(model.predict(x, verbose=0)).mean() < np.abs(first).mean()


@pytest.mark.parametrize("dtype,bad,message", [
    ("float32", np.nan, r"x contains NaN or Inf values \(first at sample 250: x\[250, 2\] = nan\)"),
    ("float32", -np.inf, r"x contains NaN or Inf values \(first at sample 250: x\[250, 2\] = -inf\)"),
    ("float64", 1e39, r"x\[250, 2\] = 1e\+39 is too large for float32")])
def test_predict_checks_each_batch_of_an_array_with_the_whole_arrays_message(dtype, bad, message):
    """predict checks a single array x batch by batch, just before each is computed: the error is
    the one the check of the whole array gives (its first bad position), raised at the batch that
    holds it; the weights do not change, and no batch after it is computed."""
    model = compiled_mlp()
    x = blobs(400)[0].astype(dtype)
    clean = model.predict(x, batch_size=100, verbose=0)
    x[250, 2], x[390, 1] = bad, np.nan
    seen = []

    class Batches(callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append(batch)
    before = state(model)
    with pytest.raises(ValueError, match=message):
        model.predict(x, batch_size=100, verbose=0, callbacks=[Batches()])
    assert seen == [0, 1]                                  # batch 2 (samples 200-299) holds it
    assert_unchanged(model, before)
    x[250, 2], x[390, 1] = 0.0, 0.0
    np.testing.assert_array_equal(model.predict(x[:200], batch_size=100, verbose=0), clean[:200])


def test_predict_accepts_float64_values_that_round_to_float32s_largest():
    model = compiled_mlp()
    x = blobs(40)[0]
    x[5, 0] = 2.0**128 - 2.0**103 - 2.0**80                # finite once rounded to float32
    assert np.isfinite(model.predict(x, batch_size=8, verbose=0)[:5]).all()
