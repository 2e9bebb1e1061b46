"""Conv2D -> BatchNormalization [-> ReLU] [-> MaxPooling2D] as one op (``kernels/conv_bn.py``,
``layers/fused.py``).

Each fused run is checked against the same layers run one by one with fast kernels off (the
readable code): the output, the gradients of the input and of every weight, and the moving
statistics, in training and inference mode, in float64 (tight) and float32 (float32
tolerance); the op itself by gradcheck in float64 and against PyTorch.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.backend import fast_kernels
from scratchnn.gradcheck import gradcheck
from scratchnn.kernels import threads as threads_module
from scratchnn.kernels.conv_bn import FastConvBatchNorm
from scratchnn.layers.fused import ConvBatchNorm

from tests.helpers import assert_close, graph_functions, requires_torch

GAMMA = np.array([1.5, -0.7, 0.0, 0.3, -2.0])       # a negative and a zero gamma: the pooling
MEAN = np.array([0.1, -0.2, 0.3, 0.4, 0.0])         # must follow y, not x_hat
VARIANCE = np.array([1.1, 0.5, 2.0, 0.3, 1.0])


def _block(dtype, channels=3, relu=True, pool="valid", conv_padding="valid", strides=1, pool_size=2,
           pool_strides=None, use_bias=True, scale=True, center=True, gamma=GAMMA):
    """A Sequential Input -> Conv2D(5) -> BatchNormalization -> [ReLU] -> [MaxPooling2D] -> Flatten,
    built, with gamma and the moving statistics set (by default a negative and a zero gamma among
    them: the pooling then runs on y; with every gamma > 0 it runs on x_hat)."""
    snn.utils.set_random_seed(3)
    layers = [L.Input((11, 10, channels)),
              L.Conv2D(5, 3, strides=strides, padding=conv_padding, use_bias=use_bias, dtype=dtype),
              L.BatchNormalization(scale=scale, center=center, dtype=dtype)]
    if relu:
        layers.append(L.Activation("relu", dtype=dtype) if relu == "activation" else L.ReLU(dtype=dtype))
    if pool:
        layers.append(L.MaxPooling2D(pool_size, strides=pool_strides, padding=pool, dtype=dtype))
    layers.append(L.Flatten(dtype=dtype))
    model = snn.Sequential(layers)
    model(np.zeros((1, 11, 10, channels), dtype=dtype))          # the first call builds the model
    bn = model.layers[1]
    if scale:
        bn.gamma.assign(gamma.astype(dtype))
    if center:
        bn.beta.assign(np.linspace(-0.5, 0.5, 5).astype(dtype))
    bn.moving_mean.assign(MEAN.astype(dtype))
    bn.moving_variance.assign(VARIANCE.astype(dtype))
    if use_bias:
        model.layers[0].bias.assign(np.linspace(-0.2, 0.3, 5).astype(dtype))
    return model


def _run(model, fast, x, training):
    """The output, d(sum(out * r))/d(input and every trainable weight), the moving statistics
    after the call, and the names of the ops recorded."""
    dtype = model.layers[0].dtype
    with fast_kernels(fast):
        xt = Tensor(x, requires_grad=True, dtype=dtype)
        out = model(xt, training=training)
        ops = {type(f).__name__ for f in graph_functions(out)}
        r = np.random.default_rng(7).standard_normal(out.shape).astype(dtype)
        (out * Tensor(r, dtype=dtype)).sum().backward()
    bn = model.layers[1]
    grads = [w.grad if w.grad is not None else np.zeros(w.shape) for w in model.trainable_weights]
    return [out.data, xt.grad] + grads + [bn.moving_mean.data.copy(), bn.moving_variance.data.copy()], ops


def _compare(kwargs, x, training, dtype, rtol, atol):
    fast, ops = _run(_block(dtype, **kwargs), True, x, training)
    slow, _ = _run(_block(dtype, **kwargs), False, x, training)
    names = ["output", "dx"] + [f"d{w.name}" for w in _block(dtype, **kwargs).trainable_weights] \
        + ["moving_mean", "moving_variance"]
    assert fast[0].dtype == slow[0].dtype == np.dtype(dtype)
    for name, a, b in zip(names, fast, slow):
        scale = max(1.0, float(np.max(np.abs(b))))
        assert_close(a, b, rtol=rtol, atol=atol * scale, what=name)
    return ops


POSITIVE = np.abs(GAMMA) + 0.25
CASES = [dict(), dict(gamma=POSITIVE), dict(relu=False, gamma=POSITIVE), dict(channels=5, gamma=POSITIVE),
         dict(pool_size=3, pool_strides=2, gamma=POSITIVE), dict(relu=False), dict(pool=None),
         dict(relu="activation", pool=None),
         dict(channels=5), dict(channels=5, conv_padding="same", strides=2),
         dict(pool_size=3, pool_strides=2), dict(pool_size=2, pool_strides=3),
         dict(use_bias=False), dict(scale=False, center=False)]


@pytest.mark.parametrize("kwargs", CASES)
@pytest.mark.parametrize("training", [True, False])
def test_fused_block_matches_the_layers_one_by_one_in_float64(kwargs, training):
    """Values, gradients (input, kernel, bias, gamma, beta) and moving statistics equal the
    readable layers' to float64 rounding, in training (batch statistics, moving averages
    updated) and at inference (the normalization folded into the kernel)."""
    x = np.random.default_rng(1).standard_normal((4, 11, 10, kwargs.get("channels", 3)))
    ops = _compare(kwargs, x, training, "float64", rtol=1e-10, atol=1e-12)
    if training:
        assert "FastConvBatchNorm" in ops
    else:
        assert {"FastConv2D", "FastConv2DMaxPool"} & ops                   # one convolution op
        assert "FastConvBatchNorm" not in ops and "BatchNorm" not in ops


@pytest.mark.parametrize("kwargs", [dict(), dict(channels=5, gamma=POSITIVE), dict(pool=None)])
@pytest.mark.parametrize("training", [True, False])
def test_fused_block_matches_the_layers_one_by_one_in_float32(kwargs, training):
    """float32, fast kernels on and off: the same numbers to float32 tolerance (in float64 the
    training-mode output is bit-identical, see above; in float32 the sums run in another order)."""
    x = np.random.default_rng(2).standard_normal((6, 11, 10, kwargs.get("channels", 3)))
    _compare(kwargs, x, training, "float32", rtol=2e-4, atol=2e-5)


def test_training_output_and_statistics_are_bit_identical_in_float64():
    """In training the fused op computes the normalization exactly as the fast batch
    normalization kernel does, so with fast kernels on, unfused (a hook on the normalization) and fused
    give the very same output and moving statistics."""
    x = np.random.default_rng(3).standard_normal((4, 11, 10, 3))
    fused, ops = _run(_block("float64"), True, x, True)
    model = _block("float64")
    model.layers[1].add_forward_hook(lambda layer, inputs, outputs: None)
    unfused, ops_unfused = _run(model, True, x, True)
    assert "FastConvBatchNorm" in ops and "FastConvBatchNorm" not in ops_unfused
    for i in (0, -2, -1):
        np.testing.assert_array_equal(fused[i], unfused[i])


def test_a_frozen_batch_normalization_folds_into_the_kernel_in_training_too():
    """BatchNormalization(trainable=False) runs in inference mode even in fit (Keras 3): the fused
    block then folds it, and its moving statistics stay as they were."""
    x = np.random.default_rng(4).standard_normal((4, 11, 10, 3))
    models = []
    for fast in (True, False):
        model = _block("float64")
        model.layers[1].trainable = False
        models.append(_run(model, fast, x, True))
    (fast, ops), (slow, _) = models
    assert "FastConvBatchNorm" not in ops and {"FastConv2D", "FastConv2DMaxPool"} & ops
    for a, b in zip(fast, slow):
        assert_close(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(fast[-2], MEAN)


def _watch(layer):
    layer.add_forward_hook(lambda *args: None)


@pytest.mark.parametrize("watched", [0, 1, 2, 3])
def test_a_watched_layer_is_never_fused(watched):
    """A hook on any layer of the block: that layer runs on its own and its hook sees its output
    (the rest may still fuse, e.g. Conv2D + BatchNormalization when the ReLU is watched)."""
    model = _block("float64")
    seen = []
    model.layers[watched].add_forward_hook(lambda layer, inputs, outputs: seen.append(outputs.shape))
    x = np.random.default_rng(5).standard_normal((2, 11, 10, 3))
    with fast_kernels(True):
        out = model(Tensor(x, dtype=np.float64), training=True)
    assert seen == [model.layers[watched].compute_output_shape((2,) + model.layers[watched].input_shape[1:])]
    ops = {type(f).__name__ for f in graph_functions(out)}
    assert "FastConvBatchNorm" in ops if watched >= 2 else "FastConvBatchNorm" not in ops


def test_fuse_with_answers_only_for_the_plain_layers():
    model = _block("float64", relu="activation")
    conv, bn, relu, pool = model.layers[:4]
    with fast_kernels(True):
        fused = conv.fuse_with(bn)
        assert isinstance(fused, ConvBatchNorm) and fused.layers == [conv, bn]
        assert fused.fuse_with(relu).fuse_with(pool).layers == [conv, bn, relu, pool]
        assert fused.fuse_with(pool).layers == [conv, bn, pool]        # no ReLU between: fine
        assert fused.fuse_with(pool).fuse_with(relu) is None           # nothing after the pooling
        assert fused.fuse_with(L.Activation("tanh")) is None
        assert fused.fuse_with(L.ReLU(max_value=6.0)) is None
        same = L.MaxPooling2D(2, padding="same")
        same.build(pool.input_shape)
        assert fused.fuse_with(same) is None                           # 'same' pooling runs alone
        conv.activation = snn.functional.relu                          # relu before the BN: not this
        assert conv.fuse_with(bn) is None
    with fast_kernels(False):
        assert _block("float64").layers[0].fuse_with(bn) is None


def test_a_float64_input_to_a_float32_block_runs_as_the_layers_do():
    """An input of another dtype than the layers': the block runs the layers one by one, so the
    result is what they make of it."""
    model = _block("float32")
    x = np.random.default_rng(6).standard_normal((2, 11, 10, 3))
    with fast_kernels(True):
        fused = model.layers[0].fuse_with(model.layers[1]).fuse_with(model.layers[2])
        a = fused(Tensor(x, dtype=np.float64), training=False).data
    with fast_kernels(False):
        b = model.layers[2](model.layers[1](model.layers[0](Tensor(x, dtype=np.float64)))).data
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)


def test_a_wrong_input_shape_is_refused_with_the_layer_named():
    model = _block("float32")
    with fast_kernels(True):
        fused = model.layers[0].fuse_with(model.layers[1])
        with pytest.raises(ValueError, match="Conv2D '.*' was built for 3 input channels"):
            fused(np.zeros((2, 11, 10, 4), np.float32), training=True)
    np.testing.assert_array_equal(model.layers[1].moving_mean.data, MEAN.astype(np.float32))


def _op(x, kernel, bias, gamma, beta, relu=True, pool=((2, 2), (2, 2)), pads=((0, 0), (0, 0))):
    args = (x, kernel, gamma, beta) if bias is None else (x, kernel, bias, gamma, beta)
    return FastConvBatchNorm.apply(*args, strides=(1, 1), pads=pads, dilation=(1, 1), epsilon=1e-3,
                                   relu=relu, pool=pool)


@pytest.mark.parametrize("channels,relu,pool,gamma", [
    (2, True, ((2, 2), (2, 2)), [1.2, -0.8, 0.5]), (2, True, ((2, 2), (2, 2)), [1.2, 0.8, 0.5]),
    (4, False, ((3, 3), (2, 2)), [1.2, -0.8, 0.5]), (4, False, ((3, 3), (2, 2)), [1.2, 0.8, 0.5]),
    (4, True, None, [1.2, -0.8, 0.5]), (2, False, None, [1.2, 0.8, 0.5])])
def test_fused_op_passes_gradcheck(rng, channels, relu, pool, gamma):
    x = rng.standard_normal((3, 6, 7, channels))
    kernel = rng.standard_normal((3, 3, channels, 3))
    bias, gamma, beta = rng.standard_normal(3), np.array(gamma), rng.standard_normal(3)
    assert gradcheck(lambda *a: _op(*a, relu=relu, pool=pool), x, kernel, bias, gamma, beta)
    assert gradcheck(lambda *a: _op(a[0], a[1], None, a[2], a[3], relu=relu, pool=pool),
                     x, kernel, gamma, beta)


@pytest.mark.parametrize("n,threads", [(1, 3), (5, 2), (7, 3)])
@pytest.mark.parametrize("gamma", [GAMMA, POSITIVE])
@pytest.mark.parametrize("pool", [((2, 2), (2, 2)), None])
def test_batch_parallel_passes_give_the_serial_result_bit_for_bit(monkeypatch, n, threads, gamma, pool):
    """The normalization's passes and dz split the batch across threads on large arrays; forced
    on tiny ones here, every value, gradient and statistic equals the one-thread run exactly."""
    rng = np.random.default_rng(n)
    arrays = [rng.standard_normal((n, 9, 8, 3)).astype(np.float32),
              rng.standard_normal((3, 3, 3, 5)).astype(np.float32), rng.standard_normal(5).astype(np.float32),
              gamma.astype(np.float32), rng.standard_normal(5).astype(np.float32)]

    def run():
        tensors = [Tensor(a, requires_grad=True) for a in arrays]
        stats = []
        out = FastConvBatchNorm.apply(*tensors, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1),
                                      epsilon=1e-3, relu=True, pool=pool, stats=stats)
        (out * Tensor(np.linspace(-1, 1, out.size).reshape(out.shape))).sum().backward()
        return [out.data] + [t.grad for t in tensors] + stats
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "1")
    serial = run()
    monkeypatch.setattr(threads_module, "PARALLEL_MIN_SIZE", 0)
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", str(threads))
    for a, b in zip(run(), serial):
        np.testing.assert_array_equal(a, b)


@requires_torch
@pytest.mark.parametrize("channels,pool,gamma", [(1, 2, GAMMA), (4, 2, GAMMA), (4, 2, POSITIVE),
                                                 (4, None, GAMMA)])
def test_fused_op_matches_pytorch(rng, channels, pool, gamma):
    """conv2d -> batch_norm (training, batch statistics) -> relu -> max_pool2d in PyTorch: the
    same output, gradients and batch statistics (the running mean/variance update is Keras's
    momentum = 1 - PyTorch's, and PyTorch keeps the unbiased variance, so the batch's biased
    variance is compared)."""
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = rng.standard_normal((4, 9, 8, channels))
    kernel = rng.standard_normal((3, 3, channels, 5))
    bias, gamma, beta = rng.standard_normal(5), gamma.copy(), rng.standard_normal(5)
    weights = [Tensor(a, requires_grad=True, dtype=np.float64) for a in (x, kernel, bias, gamma, beta)]
    stats = []
    pooling = None if pool is None else ((pool, pool), (pool, pool))
    out = FastConvBatchNorm.apply(*weights, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1),
                                  epsilon=1e-3, relu=True, pool=pooling, stats=stats)
    r = rng.standard_normal(out.shape)
    (out * Tensor(r, dtype=np.float64)).sum().backward()

    tx, tk, tb, tg, tbeta = (torch.tensor(a, requires_grad=True) for a in (x, kernel, bias, gamma, beta))
    z = tf.conv2d(tx.permute(0, 3, 1, 2), tk.permute(3, 2, 0, 1), tb)
    y = tf.relu(tf.batch_norm(z, None, None, tg, tbeta, training=True, eps=1e-3))
    if pool is not None:
        y = tf.max_pool2d(y, pool)
    y = y.permute(0, 2, 3, 1)
    (y * torch.tensor(r)).sum().backward()
    assert_close(out.data, y.detach().numpy(), rtol=1e-9, atol=1e-10, what="output")
    for mine, theirs, what in zip(weights, (tx, tk, tb, tg, tbeta), ("x", "kernel", "bias", "gamma", "beta")):
        assert_close(mine.grad, theirs.grad.numpy(), rtol=1e-8, atol=1e-9, what=f"d{what}")
    z = z.detach().numpy()
    assert_close(stats[0], z.mean(axis=(0, 2, 3)), rtol=1e-10, what="batch mean")
    assert_close(stats[1], z.var(axis=(0, 2, 3)), rtol=1e-10, what="batch variance")


# ------------------------------------------------------------------ accuracy on MNIST
def _mnist_cnn(batch_norm):
    """bench/cnn.py's models: conv32-pool-conv64-pool-dense128, with or without a
    BatchNormalization + ReLU after each convolution (momentum 0.9: after a short training the
    moving statistics must have caught up for the test accuracy to mean something)."""
    layers = [L.Input((28, 28, 1))]
    for filters in (32, 64):
        layers.append(L.Conv2D(filters, 3, activation=None if batch_norm else "relu"))
        if batch_norm:
            layers += [L.BatchNormalization(momentum=0.9), L.Activation("relu")]
        layers.append(L.MaxPooling2D(2))
    layers += [L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]
    model = snn.Sequential(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("batch_norm", [False, True])
def test_the_mnist_cnns_reach_the_same_accuracy_with_and_without_fast_kernels(mnist_mirror, batch_norm):
    """2 epochs on 2048 MNIST images, tested on 1000 others: with fast kernels (the fused ops)
    and without (the readable layers one by one), the same start, the same batches: both above
    70% accuracy (after 32 steps; 82% and 76% when written), within a point of each other
    (float32 rounding is all that differs)."""
    (x_train, y_train), (x_test, y_test) = snn.datasets.mnist.load_data(verbose=False)
    x_train = (x_train[:2048, ..., None] / 255.0).astype(np.float32)
    x_test = (x_test[:1000, ..., None] / 255.0).astype(np.float32)
    accuracies = []
    for fast in (True, False):
        snn.utils.set_random_seed(0)
        model = _mnist_cnn(batch_norm)
        with fast_kernels(fast):
            model.fit(x_train, y_train[:2048], batch_size=128, epochs=2, verbose=0, shuffle=False)
            accuracies.append(model.evaluate(x_test, y_test[:1000], verbose=0)[1])
    assert min(accuracies) > 0.7, accuracies
    assert abs(accuracies[0] - accuracies[1]) <= 0.01, accuracies
