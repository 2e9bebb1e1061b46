"""The BatchNormalization, LayerNormalization and SpatialDropout2D layers
(``scratchnn/layers/normalization.py``): training vs inference, moving statistics as in Keras 3
(and PyTorch's, up to Bessel's correction), frozen layers, fit, save/load, errors.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn import regularizers as R
from scratchnn.autograd import Tensor, no_grad
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed

from tests.helpers import assert_close, requires_torch, torch


# =========================================================================== PyTorch
def _nchw(a):
    return torch.tensor(np.ascontiguousarray(np.moveaxis(a, -1, 1)), requires_grad=True)


@requires_torch
def test_moving_statistics_match_torch_running_stats_up_to_bessel(rng):
    """Keras momentum 0.9 is torch momentum 0.1.  The moving means agree exactly; torch updates
    running_var with the UNBIASED batch variance (divided by m - 1), Keras 3 (and this layer)
    with the BIASED one (divided by m), so the variance updates differ by the factor m / (m - 1)."""
    x = rng.normal(size=(4, 3, 3, 2)) * 2 + 1
    m = x.size // x.shape[-1]                                   # values per channel: 36
    layer = L.BatchNormalization(momentum=0.9, dtype="float64")
    rm0, rv0 = rng.normal(size=2), rng.uniform(0.5, 2.0, size=2)
    layer(x, training=False)                                    # builds it; no update
    layer.moving_mean.assign(rm0)
    layer.moving_variance.assign(rv0)
    layer(x, training=True)

    rm, rv = torch.tensor(rm0), torch.tensor(rv0)
    torch.nn.functional.batch_norm(_nchw(x), rm, rv, training=True, momentum=1 - 0.9, eps=1e-3)
    assert_close(layer.moving_mean, rm.numpy(), rtol=1e-12, what="moving mean")
    ours, theirs = layer.moving_variance.data - 0.9 * rv0, rv.numpy() - 0.9 * rv0
    assert not np.allclose(ours, theirs)                        # the two conventions do differ...
    assert_close(ours, theirs * (m - 1) / m, rtol=1e-12, what="moving variance")   # ...by m/(m-1)


# ===================================================================== BatchNormalization
def test_batch_normalization_weights_named_like_keras():
    layer = L.BatchNormalization(name="bn")
    layer(np.zeros((2, 3), dtype=np.float32))
    assert [w.name for w in layer.weights] == ["bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["bn/gamma", "bn/beta"]
    assert all(w.shape == (3,) for w in layer.weights)
    assert layer.count_params() == 12
    plain = L.BatchNormalization(center=False, scale=False, name="bn_plain")
    plain(np.zeros((2, 3, 3, 4), dtype=np.float32))
    assert [w.name for w in plain.weights] == ["bn_plain/moving_mean", "bn_plain/moving_variance"]


def test_batch_normalization_training_vs_inference_and_moving_update(rng):
    x = (rng.normal(size=(16, 3)) * [1.0, 2.0, 4.0] + [5.0, -1.0, 0.0]).astype(np.float32)
    layer = L.BatchNormalization(momentum=0.9)
    y_inf = layer(x, training=False).data                       # moving stats are 0 and 1
    np.testing.assert_allclose(y_inf, x / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.data, 0)    # inference changes nothing

    y_train = layer(x, training=True).data
    mu, var = x.astype(np.float64).mean(0), x.astype(np.float64).var(0)
    np.testing.assert_allclose(y_train, (x - mu) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    assert not np.allclose(y_train, y_inf, atol=0.1)
    np.testing.assert_allclose(layer.moving_mean.data, 0.1 * mu, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.data, 0.9 + 0.1 * var, rtol=1e-5)
    assert layer.moving_mean.dtype == np.float32 and y_train.dtype == np.float32

    for _ in range(300):                                        # the moving stats converge ...
        layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.data, mu, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.data, var, rtol=1e-4)
    # ... so inference now reproduces the training output on the same batch
    np.testing.assert_allclose(layer(x, training=False).data, y_train, rtol=1e-3, atol=1e-4)


def test_batch_normalization_updates_moving_stats_even_without_graph(rng):
    layer = L.BatchNormalization(momentum=0.5)
    x = rng.normal(loc=2.0, size=(8, 2)).astype(np.float32)
    with no_grad():                                              # Keras: training=True updates, period
        layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.data, 0.5 * x.mean(0), rtol=1e-5)


def test_batch_normalization_after_conv_per_channel_and_varying_size(rng):
    x = rng.normal(size=(4, 5, 5, 3)).astype(np.float32) * 3 + 2
    layer = L.BatchNormalization(momentum=0.0)                   # momentum 0: moving = batch stats
    y = layer(x, training=True).data
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 1, 2)), x.var(axis=(0, 1, 2)) / (x.var(axis=(0, 1, 2)) + 1e-3),
                               rtol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.data, x.mean(axis=(0, 1, 2)), rtol=1e-5)
    bigger = layer(rng.normal(size=(2, 7, 9, 3)).astype(np.float32))   # only the channels are fixed
    assert bigger.shape == (2, 7, 9, 3)


def test_batch_normalization_channels_first_axis(rng):
    x = rng.normal(size=(4, 3, 2, 2))
    layer = L.BatchNormalization(axis=1, momentum=0.0, dtype="float64")
    y = layer(x, training=True).data
    assert layer.gamma.shape == (3,)
    np.testing.assert_allclose(layer.moving_mean.data, x.mean(axis=(0, 2, 3)), rtol=1e-10)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)


def test_frozen_batch_normalization_runs_in_inference_mode(rng):
    x = rng.normal(loc=3.0, size=(8, 4)).astype(np.float32)
    layer = L.BatchNormalization()
    layer(x, training=True)
    layer.gamma.assign(np.full(4, 2.0))
    before = [w.data.copy() for w in layer.weights]
    layer.trainable = False
    frozen = layer(x, training=True).data
    np.testing.assert_array_equal(frozen, layer(x, training=False).data)
    for w, b in zip(layer.weights, before):
        np.testing.assert_array_equal(w.data, b)                # no moving-average update
    layer.trainable = True
    assert not np.allclose(layer(x, training=True).data, frozen)


def test_frozen_batch_normalization_inside_fit_keeps_its_statistics(rng):
    set_random_seed(0)
    x = rng.normal(loc=2.0, size=(32, 4)).astype(np.float32)
    y = rng.normal(size=(32, 1)).astype(np.float32)
    bn = L.BatchNormalization()
    model = snn.Sequential([L.Dense(4, input_shape=(4,)), bn, L.Dense(1)])
    bn.trainable = False
    model.compile("sgd", "mse")
    stats = [w.data.copy() for w in bn.weights]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert [w.name for w in bn.non_trainable_weights] == [w.name for w in bn.weights]
    for w, s in zip(bn.weights, stats):
        np.testing.assert_array_equal(w.data, s)


def test_batch_normalization_regularizer_and_gradient_flow(rng):
    layer = L.BatchNormalization(gamma_regularizer=R.L2(0.5))
    x = Tensor(rng.normal(size=(6, 3)).astype(np.float32))
    out = layer(x, training=True)
    assert len(layer.losses) == 1
    assert float(layer.losses[0].data) == pytest.approx(0.5 * 3)     # 0.5 * sum(1^2)
    (out * Tensor(rng.normal(size=(6, 3)).astype(np.float32))).sum().backward()
    assert layer.gamma.grad is not None and layer.beta.grad is not None
    assert layer.moving_mean.grad is None


def _blobs(rng, n=96):
    """Two well-separated classes of 6-feature points on very different scales."""
    labels = rng.integers(0, 2, size=n)
    x = rng.normal(size=(n, 6)) + labels[:, None] * 1.5
    x = (x * [1, 10, 100, 0.1, 1, 1000] + 50).astype(np.float32)
    return x, labels.astype(np.int64)


def test_fit_mlp_with_batch_normalization_then_save_and_load(rng, tmp_path):
    set_random_seed(1)
    x, y = _blobs(rng)
    model = snn.Sequential([L.Dense(16, input_shape=(6,)), L.BatchNormalization(), L.Activation("relu"),
                            L.Dense(2, activation="softmax")])
    model.compile(snn.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    bn = model.layers[1]
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0).history
    assert history["loss"][-1] < 0.5 * history["loss"][0] and history["accuracy"][-1] > 0.85
    assert not np.allclose(bn.moving_mean.data, 0)              # fit ran it with training=True
    stats = [bn.moving_mean.data.copy(), bn.moving_variance.data.copy()]
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.data, stats[0])    # evaluate/predict: inference
    np.testing.assert_array_equal(bn.moving_variance.data, stats[1])

    path = tmp_path / "bn.scratchnn"
    model.save(path)
    loaded = load_model(path)
    lbn = loaded.layers[1]
    assert type(lbn) is L.BatchNormalization and lbn.momentum == 0.99 and lbn.epsilon == 1e-3
    np.testing.assert_array_equal(lbn.moving_mean.data, stats[0])
    np.testing.assert_array_equal(lbn.moving_variance.data, stats[1])
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_fit_small_cnn_with_batch_normalization(rng, tmp_path):
    set_random_seed(2)
    labels = rng.integers(0, 2, size=64)
    x = rng.normal(size=(64, 6, 6, 1)).astype(np.float32)
    x[labels == 1, 1:5, 2:4, 0] += 2.0                          # class 1: a bright vertical bar
    model = snn.Sequential([L.Conv2D(4, 3, input_shape=(6, 6, 1)), L.BatchNormalization(),
                            L.Activation("relu"), L.SpatialDropout2D(0.1, seed=0), L.Flatten(),
                            L.Dense(2, activation="softmax")])
    model.compile(snn.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    history = model.fit(x, labels, epochs=6, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < history[0]
    path = tmp_path / "cnn_bn.scratchnn"
    model.save(path)
    np.testing.assert_array_equal(load_model(path).predict(x, verbose=0), model.predict(x, verbose=0))


def test_batch_normalization_config_round_trip_and_keras_only_keys():
    layer = L.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, scale=False,
                                 moving_variance_initializer="zeros", beta_regularizer="l2")
    config = layer.get_config()
    for key, value in {"axis": 1, "momentum": 0.9, "epsilon": 1e-5, "center": True, "scale": False}.items():
        assert config[key] == value
    clone = L.BatchNormalization.from_config(config)
    assert clone.get_config() == config
    clone(np.ones((2, 3, 4), dtype=np.float32))
    np.testing.assert_array_equal(clone.moving_variance.data, 0)      # its initializer was kept
    keras_extras = {"synchronized": False, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99}
    assert L.BatchNormalization(**keras_extras).momentum == 0.99          # a Keras config's keys load
    with pytest.raises(NotImplementedError, match="renorm"):
        L.BatchNormalization(renorm=True)


def test_batch_normalization_errors_name_layer_expected_and_received():
    layer = L.BatchNormalization(name="bn_err")
    layer(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"'bn_err'.*axis -1 of size 3.*got shape \(2, 4\)"):
        layer(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"'bn_err'.*2 axes.*got shape \(2, 1, 3\)"):
        layer(np.zeros((2, 1, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"'bn_axis'.*axis 3 is out of range.*\(None, 4\)"):
        L.BatchNormalization(axis=3, name="bn_axis")(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="batch axis"):
        L.BatchNormalization(axis=0)(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="axis must be an int"):
        L.BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match="momentum"):
        L.BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="out of range"):
        snn.Sequential([L.Dense(3, input_shape=(4,)), L.BatchNormalization(axis=2)])


# ===================================================================== LayerNormalization
def test_layer_normalization_values_weights_and_no_batch_dependence(rng):
    x = (rng.normal(size=(5, 3, 4)) * 4 + 2).astype(np.float32)
    layer = L.LayerNormalization(name="ln")
    y = layer(x).data
    assert [w.name for w in layer.weights] == ["ln/gamma", "ln/beta"] and layer.gamma.shape == (4,)
    expected = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(layer(x, training=True).data, y)           # same in training
    np.testing.assert_allclose(layer(x[:1]).data, y[:1], rtol=1e-6)          # per-sample statistics
    multi = L.LayerNormalization(axis=[1, 2], epsilon=1e-5)
    assert multi(x).shape == x.shape and multi.gamma.shape == (3, 4)
    m, v = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(multi(x).data, (x - m) / np.sqrt(v + 1e-5), rtol=1e-4, atol=1e-5)


def test_layer_normalization_trains_in_a_model(rng):
    set_random_seed(3)
    x, y = _blobs(rng, 64)
    model = snn.Sequential([L.Dense(8, input_shape=(6,)), L.LayerNormalization(), L.Activation("relu"),
                            L.Dense(2, activation="softmax")])
    model.compile(snn.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < history[0]
    assert not np.allclose(model.layers[1].gamma.data, 1)


def test_layer_normalization_config_and_errors():
    layer = L.LayerNormalization(axis=[-2, -1], epsilon=1e-6, center=False)
    config = layer.get_config()
    assert config["axis"] == [-2, -1] and config["epsilon"] == 1e-6 and config["center"] is False
    assert L.LayerNormalization.from_config(config).get_config() == config
    layer = L.LayerNormalization(name="ln_err")
    layer(np.zeros((2, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"'ln_err'.*axis 1 of size 5.*got shape \(2, 6\)"):
        layer(np.zeros((2, 6), dtype=np.float32))
    with pytest.raises(ValueError, match=r"axis 4 is out of range.*\(None, 5\)"):
        L.LayerNormalization(axis=4)(np.zeros((2, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="axis must be an int"):
        L.LayerNormalization(axis="last")


# ======================================================================= SpatialDropout2D
def test_spatial_dropout_drops_whole_channels_and_scales(rng):
    x = rng.uniform(1.0, 2.0, size=(8, 5, 6, 16)).astype(np.float32)
    layer = L.SpatialDropout2D(0.5, seed=4)
    y = layer(x, training=True).data
    ratio = y / x
    per_channel = ratio.reshape(8, 30, 16)
    # every (sample, channel) map is entirely dropped (0) or entirely kept and scaled by 1/(1-rate)
    assert np.all(per_channel == per_channel[:, :1, :])
    assert set(np.unique(np.round(ratio, 5))) == {0.0, 2.0}
    kept = per_channel[:, 0, :] > 0
    assert 0.25 < kept.mean() < 0.75
    assert not np.all(kept == kept[:1])                       # masks differ between samples
    assert y.dtype == np.float32
    np.testing.assert_array_equal(layer(x, training=False).data, x)
    np.testing.assert_array_equal(layer(x).data, x)


def test_spatial_dropout_seed_channels_first_and_gradient(rng):
    x = np.ones((4, 3, 5, 5), dtype=np.float32)
    a = L.SpatialDropout2D(0.5, seed=7, data_format="channels_first")(x, training=True).data
    b = L.SpatialDropout2D(0.5, seed=7, data_format="channels_first")(x, training=True).data
    np.testing.assert_array_equal(a, b)
    assert np.all(a == a[:, :, :1, :1])                         # channel axis 1: maps share a mask
    t = Tensor(np.ones((2, 3, 3, 4), dtype=np.float32), requires_grad=True)
    out = L.SpatialDropout2D(0.5, seed=1)(t, training=True)
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, out.data)              # dx = mask / (1 - rate) = y for x = 1


def test_spatial_dropout_config_and_errors():
    layer = L.SpatialDropout2D(0.3, seed=5)
    config = layer.get_config()
    assert config["rate"] == 0.3 and config["seed"] == 5 and config["data_format"] == "channels_last"
    assert L.SpatialDropout2D.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="rate"):
        L.SpatialDropout2D(1.0)
    with pytest.raises(ValueError, match="data_format"):
        L.SpatialDropout2D(0.1, data_format="nhwc")
    with pytest.raises(ValueError, match=r"spatial_drop.*4-D.*\(None, 3\)"):
        L.SpatialDropout2D(0.1, name="spatial_drop")(np.zeros((2, 3), dtype=np.float32))


def test_freezing_a_model_freezes_its_batch_normalization():
    import warnings
    snn.utils.set_random_seed(0)
    model = snn.Sequential([L.Input((3,)), L.Dense(4), L.BatchNormalization(), L.Dense(1)])
    model.compile("sgd", "mse")
    model.trainable = False
    assert [layer.trainable for layer in model.layers] == [False, False, False]
    before = [w.copy() for w in model.get_weights()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")               # "no trainable weights"
        model.fit(np.random.rand(16, 3), np.random.rand(16, 1), verbose=0)
    for a, b in zip(before, model.get_weights()):       # moving statistics included
        np.testing.assert_array_equal(a, b)
    model.trainable = True
    assert all(layer.trainable for layer in model.layers) and len(model.trainable_weights) == 6
