"""Normalization: F.batch_norm_train / F.batch_norm / F.layer_norm (gradcheck, PyTorch, dtypes),
the BatchNormalization, LayerNormalization and SpatialDropout2D layers (training vs inference,
moving statistics as in Keras 3, frozen layers, fit, save/load, errors)."""
import numpy as np
import pytest
from conftest import assert_close, requires_torch, torch

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import layers as L
from scratchnn import regularizers as R
from scratchnn.autograd import Tensor, no_grad
from scratchnn.gradcheck import gradcheck
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed


def _leaf(x, dtype=np.float64):
    return Tensor(np.array(x, dtype=dtype), requires_grad=True, dtype=dtype)


def _t64(x):
    return Tensor(np.asarray(x, dtype=np.float64), dtype=np.float64)


def _bn_by_hand(x, gamma, beta, mean, var, eps, axis=-1):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    r = [np.reshape(v, shape) for v in (gamma, beta, mean, var)]
    return r[0] * (x - r[2]) / np.sqrt(r[3] + eps) + r[1]


# ========================================================================= gradcheck
@pytest.mark.parametrize("shape, axis", [((6, 3), -1), ((3, 2, 3, 4), -1), ((3, 2, 3, 4), 1)],
                         ids=["2d", "4d_nhwc", "4d_axis1"])
def test_batch_norm_train_gradcheck(rng, shape, axis):
    c = shape[axis]
    x = rng.normal(size=shape) * 2 + 0.5
    assert gradcheck(lambda a, g, b: F.batch_norm_train(a, g, b, axis=axis)[0],
                     x, rng.normal(size=c), rng.normal(size=c))


def test_batch_norm_train_gradcheck_without_gamma_beta(rng):
    assert gradcheck(lambda a: F.batch_norm_train(a, epsilon=1e-2)[0], rng.normal(size=(5, 3)))


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 2, 3)], ids=["2d", "4d"])
def test_batch_norm_inference_gradcheck_all_inputs(rng, shape):
    c = shape[-1]
    args = (rng.normal(size=shape), rng.normal(size=c), rng.normal(size=c), rng.normal(size=c),
            rng.uniform(0.5, 2.0, size=c))
    assert gradcheck(lambda *a: F.batch_norm(*a, epsilon=1e-3), *args)


@pytest.mark.parametrize("shape, axis", [((4, 5), -1), ((2, 3, 4), (1, 2)), ((2, 3, 4), 1)],
                         ids=["last", "last_two", "middle"])
def test_layer_norm_gradcheck(rng, shape, axis):
    axes = (axis,) if isinstance(axis, int) else axis
    pshape = tuple(shape[a] for a in axes)
    assert gradcheck(lambda a, g, b: F.layer_norm(a, g, b, axis=axis),
                     rng.normal(size=shape), rng.normal(size=pshape), rng.normal(size=pshape))


# ==================================================================== functional values
def test_batch_norm_train_values_and_biased_statistics(rng):
    x = rng.normal(size=(4, 3, 2, 5)) * 3 + 1
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    y, mean, var = F.batch_norm_train(_t64(x), gamma, beta, epsilon=1e-3)
    mu, v = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))           # biased (ddof=0)
    assert_close(mean, mu, what="batch mean")
    assert_close(var, v, what="batch variance")
    assert not np.allclose(var.data, x.var(axis=(0, 1, 2), ddof=1))
    assert_close(y, _bn_by_hand(x, gamma, beta, mu, v, 1e-3), what="y")
    assert not mean.requires_grad and not var.requires_grad


def test_batch_norm_inference_values_and_defaults(rng):
    x = rng.normal(size=(3, 2, 2, 4))
    mean, var = rng.normal(size=4), rng.uniform(0.5, 2, size=4)
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    assert_close(F.batch_norm(_t64(x), gamma, beta, mean, var, 1e-3),
                 _bn_by_hand(x, gamma, beta, mean, var, 1e-3))
    assert_close(F.batch_norm(_t64(x), None, None, mean, var, 1e-2),
                 _bn_by_hand(x, np.ones(4), np.zeros(4), mean, var, 1e-2))
    x1 = np.moveaxis(x, -1, 1)                                            # channels first
    assert_close(F.batch_norm(_t64(x1), gamma, beta, mean, var, axis=1),
                 _bn_by_hand(x1, gamma, beta, mean, var, 1e-3, axis=1))


def test_layer_norm_values_and_defaults(rng):
    x = rng.normal(size=(3, 4, 5)) * 2 + 3
    out = F.layer_norm(_t64(x))                                            # epsilon 1e-3, gamma 1, beta 0
    expected = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    assert_close(out, expected)
    g, b = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    m, v = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    assert_close(F.layer_norm(_t64(x), g, b, axis=(-2, -1), epsilon=1e-5),
                 g * (x - m) / np.sqrt(v + 1e-5) + b)


def test_float32_stays_float32(rng):
    x = _leaf(rng.normal(size=(6, 2, 2, 3)), np.float32)
    gamma, beta = _leaf(np.ones(3), np.float32), _leaf(np.zeros(3), np.float32)
    y, mean, var = F.batch_norm_train(x, gamma, beta)
    (y * y).sum().backward()
    assert {y.dtype, mean.dtype, var.dtype, x.grad.dtype, gamma.grad.dtype} == {np.dtype(np.float32)}
    y2 = F.batch_norm(x, gamma, beta, mean, var)
    y3 = F.layer_norm(x, gamma, beta)
    assert y2.dtype == np.float32 and y3.dtype == np.float32


def test_batch_norm_train_without_graph_keeps_nothing(rng):
    with no_grad():
        y, _, _ = F.batch_norm_train(_leaf(rng.normal(size=(4, 3))), np.ones(3), np.zeros(3))
    assert y._ctx is None and not y.requires_grad


def test_functional_shape_errors_name_expected_and_received(rng):
    x = _t64(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match=r"batch_norm_train: gamma must have shape \(3,\).*got shape \(4,\)"):
        F.batch_norm_train(x, np.ones(4))
    with pytest.raises(ValueError, match=r"batch_norm: variance must have shape \(3,\)"):
        F.batch_norm(x, None, None, np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        F.batch_norm_train(x, axis=2)
    with pytest.raises(ValueError, match=r"layer_norm: gamma must have shape \(3,\)"):
        F.layer_norm(x, np.ones((4, 3)))
    with pytest.raises(ValueError, match="repeats an axis"):
        F.layer_norm(x, axis=(1, -1))


# =========================================================================== PyTorch
def _nchw(a):
    return torch.tensor(np.ascontiguousarray(np.moveaxis(a, -1, 1)), requires_grad=True)


@requires_torch
@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 5, 6)], ids=["dense", "conv_nhwc"])
def test_batch_norm_train_matches_torch(rng, shape):
    c = shape[-1]
    x, gamma, beta = rng.normal(size=shape) * 2 + 1, rng.normal(size=c), rng.normal(size=c)
    r = rng.normal(size=shape)
    xs, gs, bs = _leaf(x), _leaf(gamma), _leaf(beta)
    y, _, _ = F.batch_norm_train(xs, gs, bs, epsilon=1e-3)
    (y * r).sum().backward()

    xt = _nchw(x)
    gt, bt = (torch.tensor(a, requires_grad=True) for a in (gamma, beta))
    yt = torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-3)
    (yt * _nchw(r).detach()).sum().backward()

    assert_close(y, np.moveaxis(yt.detach().numpy(), 1, -1), rtol=1e-5, what="forward")
    assert_close(xs.grad, np.moveaxis(xt.grad.numpy(), 1, -1), rtol=1e-5, atol=1e-8, what="dx")
    assert_close(gs.grad, gt.grad.numpy(), rtol=1e-5, what="dgamma")
    assert_close(bs.grad, bt.grad.numpy(), rtol=1e-5, what="dbeta")


@requires_torch
def test_batch_norm_inference_matches_torch_eval(rng):
    shape = (3, 4, 4, 5)
    x, gamma, beta = rng.normal(size=shape), rng.normal(size=5), rng.normal(size=5)
    rmean, rvar = rng.normal(size=5), rng.uniform(0.5, 2.0, size=5)
    r = rng.normal(size=shape)
    xs, gs, bs = _leaf(x), _leaf(gamma), _leaf(beta)
    (F.batch_norm(xs, gs, bs, rmean, rvar, epsilon=1e-3) * r).sum().backward()

    xt = _nchw(x)
    gt, bt = (torch.tensor(a, requires_grad=True) for a in (gamma, beta))
    yt = torch.nn.functional.batch_norm(xt, torch.tensor(rmean), torch.tensor(rvar), gt, bt,
                                        training=False, eps=1e-3)
    (yt * _nchw(r).detach()).sum().backward()
    out = F.batch_norm(_t64(x), gamma, beta, rmean, rvar, epsilon=1e-3)
    assert_close(out, np.moveaxis(yt.detach().numpy(), 1, -1), rtol=1e-5, what="forward")
    assert_close(xs.grad, np.moveaxis(xt.grad.numpy(), 1, -1), rtol=1e-5, what="dx")
    assert_close(gs.grad, gt.grad.numpy(), rtol=1e-5, what="dgamma")
    assert_close(bs.grad, bt.grad.numpy(), rtol=1e-5, what="dbeta")


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


@requires_torch
@pytest.mark.parametrize("shape, axis", [((6, 7), -1), ((2, 3, 4, 5), (-2, -1))], ids=["last", "last_two"])
def test_layer_norm_matches_torch(rng, shape, axis):
    nshape = shape[-1:] if isinstance(axis, int) else shape[-2:]
    x, gamma, beta = rng.normal(size=shape) * 3, rng.normal(size=nshape), rng.normal(size=nshape)
    r = rng.normal(size=shape)
    xs, gs, bs = _leaf(x), _leaf(gamma), _leaf(beta)
    (F.layer_norm(xs, gs, bs, axis=axis, epsilon=1e-3) * r).sum().backward()
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    yt = torch.nn.functional.layer_norm(xt, nshape, gt, bt, eps=1e-3)
    (yt * torch.tensor(r)).sum().backward()
    assert_close(F.layer_norm(_t64(x), gamma, beta, axis=axis), yt.detach().numpy(), rtol=1e-5,
                 what="forward")
    assert_close(xs.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-8, what="dx")
    assert_close(gs.grad, gt.grad.numpy(), rtol=1e-5, what="dgamma")
    assert_close(bs.grad, bt.grad.numpy(), rtol=1e-5, what="dbeta")


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


def test_channel_rows_views_rows_side_by_side():
    from scratchnn.kernels import channel_rows
    for (m, c), r in {(12, 32): 4, (7, 3): 1, (64, 5): 64, (16, 300): 1, (0, 4): 1, (1024, 1): 256}.items():
        a = np.arange(m * c, dtype=np.float32).reshape(m, c)
        view, got = channel_rows(a, c)
        assert got == r and view.shape == (m // r, r * c) and np.shares_memory(view, a) | (m == 0)
        np.testing.assert_array_equal(view + np.tile(np.arange(c, dtype=np.float32), r),
                                      (a + np.arange(c, dtype=np.float32)).reshape(view.shape))


@pytest.mark.parametrize("shape", [(12, 32), (6, 5, 5, 8), (7, 3)])
def test_batch_norm_wide_rows_give_the_very_same_numbers(rng, monkeypatch, shape):
    """Batch norm works on ``channel_rows``'s wide view (fewer, longer NumPy loops): values and
    gradients are bit-identical to working row by row."""
    from scratchnn.functional import normalization
    c = shape[-1]
    x, gamma, beta, r = (rng.normal(size=s).astype(np.float32) for s in (shape, c, c, shape))
    results = []
    for wide in (True, False):
        if not wide:
            monkeypatch.setattr(normalization, "channel_rows", lambda a, c: (a.reshape(-1, c), 1))
        xs, gs, bs = (Tensor(a, requires_grad=True) for a in (x, gamma, beta))
        y, mean, var = F.batch_norm_train(xs, gs, bs)
        (y * Tensor(r)).sum().backward()
        z = F.batch_norm(xs.data, gamma, beta, mean, var)
        results.append([y.data, mean.data, var.data, xs.grad.data, gs.grad.data, bs.grad.data, z.data])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
