"""``tf.math``, ``tf.linalg`` and ``tf.nn`` (``compat/tf_math.py``): values and gradients against
the formulas (and PyTorch for the cross-entropies), TensorFlow's defaults, and the ``tf.nn``
activations as a layer's ``activation=``: they run, fuse where scratchnn's own would, and
serialize by name."""
import numpy as np
import pytest

import scratchnn.compat.tensorflow as tf
import scratchnn.functional as F
from scratchnn import Tensor, gradcheck

from tests.helpers import assert_close, requires_torch, torch

Z = np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]])


def test_the_activations_are_scratchnns_own_where_signatures_agree():
    assert tf.nn.relu is F.relu and tf.nn.sigmoid is F.sigmoid and tf.nn.tanh is F.tanh
    assert tf.math.sigmoid is F.sigmoid and tf.keras.activations.relu is F.relu


def test_softmax_leaky_relu_and_gelu_follow_tensorflow():
    z = tf.constant(Z)
    np.testing.assert_allclose(tf.nn.softmax(z).numpy(), np.exp(Z) / np.exp(Z).sum(-1, keepdims=True),
                               rtol=1e-6)
    np.testing.assert_allclose(tf.nn.softmax(z, axis=0).numpy(), np.exp(Z) / np.exp(Z).sum(0), rtol=1e-6)
    np.testing.assert_allclose(tf.nn.log_softmax(z).numpy(),
                               Z - np.log(np.exp(Z).sum(-1, keepdims=True)), rtol=1e-5)
    np.testing.assert_allclose(tf.nn.leaky_relu(z).numpy(), np.where(Z > 0, Z, 0.2 * Z), rtol=1e-6)
    np.testing.assert_allclose(tf.nn.gelu(z).numpy(), F.gelu(z, approximate=False).numpy())   # exact
    assert tf.nn.softmax.__name__ == "softmax" and tf.nn.log_softmax.__name__ == "log_softmax"


@pytest.mark.parametrize("fn", [tf.nn.softmax, tf.nn.log_softmax, tf.nn.leaky_relu, tf.nn.gelu,
                                tf.math.log1p, tf.math.erf, tf.math.sin, tf.math.rsqrt,
                                tf.math.reciprocal, tf.nn.l2_normalize],
                         ids=lambda f: f.__name__)
def test_gradcheck(fn):
    assert gradcheck(lambda t: fn(t * t + 0.5) if fn in (tf.math.log1p, tf.math.rsqrt) else fn(t), Z)


@requires_torch
def test_cross_entropies_with_logits_match_torch():
    labels = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    for sn, pt in [
        (lambda z: tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=z),
         lambda t: torch.nn.functional.binary_cross_entropy_with_logits(t, torch.tensor(labels),
                                                                       reduction="none")),
        (lambda z: tf.nn.softmax_cross_entropy_with_logits(labels=labels / 2, logits=z),
         lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(labels / 2), reduction="none")),
        (lambda z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=np.array([2, 1]), logits=z),
         lambda t: torch.nn.functional.cross_entropy(t, torch.tensor([2, 1]), reduction="none")),
    ]:
        x = Tensor(Z, requires_grad=True, dtype=np.float64)
        t = torch.tensor(Z, requires_grad=True)
        out, tout = sn(x), pt(t)
        assert_close(out, tout.detach().numpy())
        out.sum().backward()
        tout.sum().backward()
        assert_close(x.grad, t.grad.numpy())


def test_math_functions():
    z = tf.constant(Z)
    values, indices = tf.math.top_k(z, k=2)
    np.testing.assert_array_equal(indices.numpy(), [[2, 0], [0, 1]])
    assert tf.math.top_k(z, k=2).values is not None
    np.testing.assert_allclose(values.numpy(), [[2.0, 0.5], [1.5, 0.2]])
    assert int(tf.math.count_nonzero(tf.constant([0, 1, 2]))) == 2
    safe = tf.math.divide_no_nan(tf.constant([1.0, 2.0]), tf.constant([0.0, 4.0]))
    np.testing.assert_array_equal(safe.numpy(), [0.0, 0.5])
    np.testing.assert_allclose(tf.math.reduce_mean(z).numpy(), Z.mean(), rtol=1e-6)
    np.testing.assert_array_equal(tf.math.argmax(z, axis=1).numpy(), Z.argmax(1))
    np.testing.assert_allclose(tf.linalg.matmul(z, z, transpose_b=True).numpy(), Z @ Z.T, rtol=1e-6)
    np.testing.assert_allclose(tf.linalg.norm(z).numpy(), np.linalg.norm(Z), rtol=1e-6)
    assert tf.linalg.matrix_transpose(tf.ones((4, 2, 3))).shape == (4, 3, 2)
    assert bool(tf.math.is_nan(tf.constant(np.nan)))


def test_nn_helpers():
    z = tf.constant(Z)
    mean, var = tf.nn.moments(z, axes=[0])
    np.testing.assert_allclose(mean.numpy(), Z.mean(0), rtol=1e-6)
    np.testing.assert_allclose(var.numpy(), Z.var(0), rtol=1e-5)
    np.testing.assert_allclose(tf.nn.bias_add(z, tf.constant([1.0, 2.0, 3.0])).numpy(), Z + [1, 2, 3],
                               rtol=1e-6)
    np.testing.assert_array_equal(tf.nn.embedding_lookup(z, [1, 1]).numpy(), tf.constant(Z[[1, 1]]).numpy())
    dropped = tf.nn.dropout(tf.ones((1000,)), rate=0.5, seed=3).numpy()
    assert set(np.unique(dropped)) == {0.0, 2.0} and 400 < (dropped == 0).sum() < 600
    np.testing.assert_allclose(tf.nn.l2_normalize(z, axis=1).numpy(),
                               Z / np.linalg.norm(Z, axis=1, keepdims=True), rtol=1e-6)


def test_tf_nn_activations_in_layers_run_and_serialize_by_name(tmp_path, restore_global_rng):
    keras = tf.keras
    tf.random.set_seed(1)
    model = keras.Sequential([keras.layers.Dense(8, activation=tf.nn.relu, input_shape=(4,)),
                              keras.layers.Dense(8, activation=tf.nn.tanh),
                              keras.layers.Dense(3, activation=tf.nn.softmax)])
    configs = [layer.get_config()["activation"] for layer in model.layers]
    assert configs == ["relu", "tanh", "softmax"]
    assert model.layers[-1].output_activation() == "softmax"
    x = np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32)
    y = np.arange(16) % 3
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.scratchnn"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert loaded.layers[0].activation is F.relu and loaded.layers[-1].activation is F.softmax


def test_conv_with_tf_nn_relu_takes_the_fused_path():
    conv = tf.keras.layers.Conv2D(2, 3, activation=tf.nn.relu)
    assert conv.activation is F.relu      # the fused conv + relu kernel checks `is F.relu`


def test_unknown_names_in_namespaces_say_so():
    with pytest.raises(AttributeError, match="tf.nn.ctc_loss is not part of scratchnn's TensorFlow surface"):
        tf.nn.ctc_loss                                                     # noqa: B018
    with pytest.raises(AttributeError, match="tf.math.bessel_i0 is not part"):
        tf.math.bessel_i0                                                  # noqa: B018
    assert "relu" in dir(tf.nn)


def test_confusion_matrix_squared_difference_and_log_sigmoid():
    cm = tf.math.confusion_matrix([0, 1, 2, 2, 1], [0, 2, 2, 2, 1])
    np.testing.assert_array_equal(cm.numpy(), [[1, 0, 0], [0, 1, 1], [0, 0, 2]])
    assert cm.dtype == tf.int32
    weighted = tf.math.confusion_matrix([0, 1], [1, 1], num_classes=3, weights=[2.0, 0.5], dtype=tf.float32)
    np.testing.assert_array_equal(weighted.numpy(), [[0, 2, 0], [0, 0.5, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match=r"must be in \[0, 2\)"):
        tf.math.confusion_matrix([0, 2], [0, 1], num_classes=2)
    np.testing.assert_allclose(tf.math.squared_difference(tf.constant(Z), 1.0).numpy(), (Z - 1) ** 2,
                               rtol=1e-6)
    np.testing.assert_allclose(tf.math.log_sigmoid(tf.constant(Z)).numpy(), -np.log1p(np.exp(-Z)), rtol=1e-5)
