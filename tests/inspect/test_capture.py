"""``layer_activations`` and ``gradient_norms`` (``scratchnn/inspect/capture.py``): against a
NumPy forward pass and PyTorch's gradients, and the model is left as it was.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import inspect, layers

from tests.helpers import requires_torch, torch
from tests.inspect.helpers import blobs, compiled, mlp, numpy_forward, quiet_fit


# ------------------------------------------------------------------ layer_activations
def test_layer_activations_match_a_numpy_forward_pass():
    x, _ = blobs(20)
    model = mlp()
    acts = inspect.layer_activations(model, x)
    assert list(acts) == [layer.name for layer in model.layers]
    for got, want in zip(acts.values(), numpy_forward(model, x)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_layer_activations_run_in_inference_mode_and_change_nothing():
    x, _ = blobs(30)
    snn.utils.set_random_seed(1)
    inner = snn.Sequential([layers.Dense(12, activation="relu"), layers.Dropout(0.5)])
    model = snn.Sequential([layers.Input((10,)), inner, layers.BatchNormalization(),
                            layers.Dense(3, activation="softmax")])
    before = [w.copy() for w in model.get_weights()]
    state = snn.random.generator().bit_generator.state
    acts = inspect.layer_activations(model, x)
    # nested models are unfolded: every leaf layer, in call order
    assert [name.split("_")[0] for name in acts] == ["dense", "dropout", "batch", "dense"]
    dense_out, dropout_out = list(acts.values())[:2]
    np.testing.assert_array_equal(dropout_out, dense_out)          # dropout off at inference
    np.testing.assert_allclose(list(acts.values())[-1], model.predict(x, verbose=0), rtol=1e-6)
    for w, b in zip(model.get_weights(), before):                  # moving statistics untouched
        np.testing.assert_array_equal(w, b)
    assert snn.random.generator().bit_generator.state == state     # no random draw
    assert not any(layer.observed for layer in model.walk())       # no hook left behind


def test_layer_activations_in_training_mode_change_nothing():
    x, _ = blobs(30)
    snn.utils.set_random_seed(1)
    model = snn.Sequential([layers.Input((10,)), layers.Dense(12, activation="relu"), layers.Dropout(0.5),
                            layers.BatchNormalization(), layers.Dense(3, activation="softmax")])
    before = [w.copy() for w in model.get_weights()]
    state = snn.random.generator().bit_generator.state
    acts = list(inspect.layer_activations(model, x, training=True).values())
    dense_out, dropout_out, normalized = acts[:3]
    assert np.any(dropout_out != dense_out)                         # dropout applied ...
    np.testing.assert_allclose(normalized.mean(axis=0), 0, atol=1e-5)   # ... and the batch's statistics
    for w, b in zip(model.get_weights(), before):                  # moving statistics put back
        np.testing.assert_array_equal(w, b)
    assert snn.random.generator().bit_generator.state == state     # and the generator


def test_layer_activations_reject_bad_input():
    model = mlp()
    with pytest.raises(TypeError, match="model must be a scratchnn Model"):
        inspect.layer_activations("model", np.zeros((2, 10)))
    with pytest.raises(ValueError, match="expects inputs of shape"):
        inspect.layer_activations(model, np.zeros((2, 7), dtype=np.float32))
    with pytest.raises(ValueError, match="x holds no samples"):
        inspect.layer_activations(model, np.zeros((0, 10), dtype=np.float32))


# ------------------------------------------------------------------ gradient_norms
def torch_mlp_gradient_norms(model, x, y):
    params, a = [], torch.tensor(x, dtype=torch.float64)
    for layer in model.layers:
        w = torch.tensor(layer.kernel.data, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(layer.bias.data, dtype=torch.float64, requires_grad=True)
        params.append(w)
        z = a @ w + b
        a = z if layer is model.layers[-1] else torch.relu(z)
    torch.nn.functional.cross_entropy(a, torch.tensor(y)).backward()
    return [float(w.grad.norm()) for w in params]


@requires_torch
def test_gradient_norms_match_pytorch():
    x, y = blobs(40)
    model = compiled(mlp())
    norms = inspect.gradient_norms(model, x, y)
    assert list(norms) == [layer.name for layer in model.layers]
    np.testing.assert_allclose(list(norms.values()), torch_mlp_gradient_norms(model, x, y), rtol=1e-4)


def test_gradient_norms_leave_the_model_as_it_was():
    x, y = blobs(40)
    snn.utils.set_random_seed(2)
    model = compiled(snn.Sequential([layers.Input((10,)), layers.Dense(8), layers.BatchNormalization(),
                                     layers.Activation("relu"), layers.Dense(3, activation="softmax")]))
    sentinel = np.full(model.layers[0].kernel.shape, 7.0, dtype=np.float32)
    model.layers[0].kernel.grad = sentinel
    before = [w.copy() for w in model.get_weights()]
    norms = inspect.gradient_norms(model, x, y)
    assert set(norms) == {model.layers[0].name, model.layers[1].name, model.layers[3].name}
    assert all(v > 0 for v in norms.values())
    for w, b in zip(model.get_weights(), before):        # BatchNormalization's moving stats included
        np.testing.assert_array_equal(w, b)
    assert model.layers[0].kernel.grad is sentinel
    assert all(w.grad is None for w in model.weights[1:])


def test_gradient_norms_do_not_change_a_later_fit():
    """Dropout's masks are drawn in the training-mode pass, then every generator is put back."""
    x, y = blobs(80)

    def train(look_first):
        snn.utils.set_random_seed(3)
        model = compiled(snn.Sequential([layers.Input((10,)), layers.Dense(16, activation="relu"),
                                         layers.Dropout(0.3), layers.Dense(16, activation="relu"),
                                         layers.Dropout(0.2, seed=5), layers.Dense(3, activation="softmax")]))
        if look_first:
            assert len(inspect.gradient_norms(model, x[:20], y[:20])) == 3
        quiet_fit(model, x, y, epochs=1, batch_size=16)
        return model.get_weights()

    for a, b in zip(train(False), train(True)):
        np.testing.assert_array_equal(a, b)


def test_gradient_norms_need_a_loss_and_matching_targets():
    x, y = blobs(10)
    model = mlp()
    with pytest.raises(ValueError, match="has no loss"):
        inspect.gradient_norms(model, x, y)
    assert set(inspect.gradient_norms(model, x, y, loss="sparse_categorical_crossentropy")) == \
        {layer.name for layer in model.layers}
    with pytest.raises(ValueError, match="one target per sample"):
        inspect.gradient_norms(compiled(model), x, y[:5])
