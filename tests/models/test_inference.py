"""The inference plan (``scratchnn/models/inference.py``): ``predict`` on a ``Sequential`` as NumPy
steps, tested equal to the readable reference (``set_fast_kernels(False)``) and to the layers run
one by one; rebuilt when the layers change, reading the weights at every ``predict``, never used
when a hook watches a layer or the fast kernels are off.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.backend import fast_kernels
from scratchnn.models import inference
from scratchnn.utils import set_random_seed


def _mlp(dropout=False):
    set_random_seed(0)
    layers = [L.Flatten(input_shape=(6, 6)), L.Dense(16, activation="relu")]
    if dropout:
        layers.append(L.Dropout(0.5))
    layers += [L.Dense(8), L.Activation("relu"), L.Dense(4, activation="softmax")]
    return snn.Sequential(layers)


def _cnn(batch_norm=False):
    set_random_seed(1)
    layers = [L.Reshape((10, 10, 1), input_shape=(10, 10))]
    for filters in (4, 6):
        layers.append(L.Conv2D(filters, 3, activation=None if batch_norm else "relu", padding="same"))
        if batch_norm:
            layers += [L.BatchNormalization(), L.Activation("relu")]
        layers.append(L.MaxPooling2D(2))
    layers += [L.Flatten(), L.Dense(8, activation="relu"), L.Dropout(0.5), L.Dense(3, activation="softmax")]
    return snn.Sequential(layers)


def _randomize_batch_norm(model, seed=2):
    """Moving statistics, gamma and beta far from their initial 0 / 1, so folding them matters."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            c = layer.moving_mean.shape
            layer.set_weights([rng.uniform(0.5, 2, c), rng.normal(0, 1, c), rng.normal(0, 1, c),
                               rng.uniform(0.1, 3, c)])


def _x(shape, n=37, seed=0):
    return np.random.default_rng(seed).random((n,) + shape, dtype=np.float32)


def _reference(model, x, batch_size):
    with fast_kernels(False):
        assert model.inference_plan() is None
        return model.predict(x, batch_size=batch_size, verbose=0)


def _unplanned(model, x, batch_size):
    """predict with fast kernels on but without the plan (a hook on the model disables it)."""
    with model.add_forward_hook(lambda *args: None):
        assert model.inference_plan() is None
        return model.predict(x, batch_size=batch_size, verbose=0)


def _count_plan_calls(monkeypatch):
    calls = []
    run = inference.InferencePlan.predict
    monkeypatch.setattr(inference.InferencePlan, "predict",
                        lambda self, x: calls.append(len(x)) or run(self, x))
    return calls


@pytest.mark.parametrize("dropout", [False, True])
def test_mlp_plan_equals_the_reference_bit_for_bit(monkeypatch, dropout):
    model = _mlp(dropout)
    x = _x((6, 6))
    calls = _count_plan_calls(monkeypatch)
    out = model.predict(x, batch_size=10, verbose=0)
    assert calls == [10, 10, 10, 7]                      # every batch went through the plan
    assert out.dtype == np.float32 and out.shape == (37, 4)
    np.testing.assert_array_equal(out, _reference(model, x, 10))
    np.testing.assert_array_equal(out, _unplanned(model, x, 10))


def test_cnn_plan_equals_the_layers_and_the_reference():
    model = _cnn()
    x = _x((10, 10))
    out = model.predict(x, batch_size=16, verbose=0)
    assert [type(s).__name__ for s in model.inference_plan().steps] == \
        ["LayerStep", "ConvStep", "ConvStep", "LayerStep", "DenseStep", "DenseStep"]
    np.testing.assert_array_equal(out, _unplanned(model, x, 16))
    np.testing.assert_allclose(out, _reference(model, x, 16), rtol=1e-5, atol=1e-7)


def test_batch_normalization_is_folded_into_the_convolution():
    model = _cnn(batch_norm=True)
    model.build((None, 10, 10))
    _randomize_batch_norm(model)
    x = _x((10, 10))
    out = model.predict(x, batch_size=16, verbose=0)
    steps = model.inference_plan().steps
    # Conv2D -> BatchNormalization -> Activation -> MaxPooling2D: one step each time
    assert [type(s).__name__ for s in steps] == \
        ["LayerStep", "ConvStep", "ConvStep", "LayerStep", "DenseStep", "DenseStep"]
    assert steps[1].bn is model.layers[2] and steps[1].pool is model.layers[4]
    np.testing.assert_allclose(out, _unplanned(model, x, 16), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, _reference(model, x, 16), rtol=1e-5, atol=1e-6)


def test_batch_normalization_after_dense_and_on_its_own():
    set_random_seed(4)
    model = snn.Sequential([L.Dense(8, input_shape=(5,)), L.BatchNormalization(), L.Activation("relu"),
                            L.Dense(6, activation="tanh"), L.BatchNormalization(), L.Dense(2)])
    _randomize_batch_norm(model, seed=5)
    x = _x((5,))
    out = model.predict(x, batch_size=8, verbose=0)
    names = [type(s).__name__ for s in model.inference_plan().steps]
    assert names == ["DenseStep", "DenseStep", "ScaleShiftStep", "DenseStep"]
    np.testing.assert_allclose(out, _reference(model, x, 8), rtol=1e-5, atol=1e-6)


def test_dense_on_sequences_and_float64_inputs():
    set_random_seed(5)
    model = snn.Sequential([L.Dense(7, activation="relu", input_shape=(3, 4)), L.Dense(2)])
    x = _x((3, 4)).astype(np.float64)
    out = model.predict(x, batch_size=10, verbose=0)
    assert out.dtype == np.float32 and out.shape == (37, 3, 2)
    np.testing.assert_allclose(out, _reference(model, x, 10), rtol=1e-6, atol=1e-7)


def test_new_weights_and_training_are_seen_by_the_next_predict():
    model = _cnn(batch_norm=True)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = _x((10, 10)), np.arange(37) % 3
    first = model.predict(x, batch_size=16, verbose=0)
    plan = model.inference_plan()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)   # weights and moving statistics change
    second = model.predict(x, batch_size=16, verbose=0)
    assert model.inference_plan() is plan                 # the same plan, the new weights
    assert not np.allclose(first, second)
    np.testing.assert_allclose(second, _reference(model, x, 16), rtol=1e-5, atol=1e-6)
    model.set_weights([w * 0.5 for w in model.get_weights()])
    np.testing.assert_allclose(model.predict(x, batch_size=16, verbose=0), _reference(model, x, 16),
                               rtol=1e-5, atol=1e-6)


def test_the_plan_is_rebuilt_when_the_layers_change():
    model = _mlp()
    x = _x((6, 6))
    model.predict(x, verbose=0)
    plan = model.inference_plan()
    model.pop()
    model.add(L.Dense(5, activation="softmax"))
    assert model.inference_plan() is not plan
    out = model.predict(x, verbose=0)
    assert out.shape == (37, 5)
    np.testing.assert_array_equal(out, _reference(model, x, 32))
    model.layers[1].activation = snn.functional.get_activation("tanh")
    assert model.inference_plan() is not None and model.inference_plan().key != plan.key
    np.testing.assert_array_equal(model.predict(x, verbose=0), _reference(model, x, 32))


def test_a_hook_on_a_layer_disables_the_plan_and_sees_every_batch(monkeypatch):
    model = _mlp()
    x = _x((6, 6))
    seen = []
    calls = _count_plan_calls(monkeypatch)
    with model.layers[1].add_forward_hook(lambda layer, inputs, outputs: seen.append(outputs.shape)):
        assert model.inference_plan() is None
        model.predict(x, batch_size=20, verbose=0)
    assert seen == [(20, 16), (17, 16)] and calls == []
    assert model.inference_plan() is not None           # the hook removed: the plan again
    model.predict(x, batch_size=20, verbose=0)
    assert calls == [20, 17]


def test_no_plan_for_other_layers_float16_or_custom_steps(monkeypatch):
    set_random_seed(6)
    model = snn.Sequential([L.Dense(4, input_shape=(3,)), L.LayerNormalization(), L.Dense(2)])
    assert model.inference_plan() is None
    half = snn.Sequential([L.Dense(4, input_shape=(3,), dtype="float16"),
                           L.BatchNormalization(dtype="float16")])
    assert half.inference_plan() is None
    calls = _count_plan_calls(monkeypatch)

    class Doubling(snn.Sequential):
        def predict_step(self, data):
            return super().predict_step(data) * 2

    set_random_seed(7)
    doubled = Doubling([L.Dense(2, input_shape=(3,))])
    x = _x((3,))
    np.testing.assert_allclose(doubled.predict(x, verbose=0), 2 * doubled(x).data, rtol=1e-6)
    assert calls == []


def test_predict_returns_arrays_the_next_call_does_not_overwrite():
    model = _mlp()
    a = model.predict(_x((6, 6), seed=1), batch_size=37, verbose=0)
    kept = a.copy()
    model.predict(_x((6, 6), seed=2), batch_size=37, verbose=0)
    np.testing.assert_array_equal(a, kept)


def test_a_wrong_input_shape_is_still_refused_by_name():
    model = _mlp()
    with pytest.raises(ValueError, match="expects inputs of shape"):
        model.predict(np.zeros((4, 5, 5), np.float32), verbose=0)


@pytest.mark.parametrize("shape", [(1000, 10), (3, 4, 7), (5, 1), (2, 40), (6, 32), (0, 10)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_max_column_by_column_equals_the_reduction(shape, dtype):
    """The softmax's row maximum in the plan: the same numbers as ``max(axis=-1)``, NaN rows too."""
    y = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    if y.size:
        y.reshape(-1, shape[-1])[0, -1] = np.nan
    got, expected = inference.row_max(y), y.max(axis=-1, keepdims=True)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(inference.row_max(y[..., ::2]), y[..., ::2].max(axis=-1, keepdims=True))
