"""The convolution's fast paths: both im2col layouts (windows x taps, and taps x windows with the
bias as a row of ones), ``F.conv2d_max_pool`` (convolution, max pooling, then the ReLU on the
pooled array), and ``Sequential`` running a Conv2D followed by a MaxPooling2D as that one op.

Each fast path is checked against the plain computation it replaces (bit for bit where the
arithmetic is the same), by gradcheck in float64, and against PyTorch."""
import numpy as np
import pytest
from conftest import assert_close, requires_torch, torch

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import layers as L
from scratchnn import regularizers
from scratchnn.autograd import Tensor
from scratchnn.functional import conv as conv_module
from scratchnn.gradcheck import gradcheck
from scratchnn.inspect import layer_activations
from scratchnn.utils import set_random_seed

LAYOUTS = {"windows-by-taps": 0, "taps-by-windows": 10**6}      # TAPS_MAJOR_BELOW for each


@pytest.fixture(params=sorted(LAYOUTS))
def layout(request, monkeypatch):
    """Forces one im2col layout for every input channel count."""
    monkeypatch.setattr(conv_module, "TAPS_MAJOR_BELOW", LAYOUTS[request.param])
    return request.param


def _leaves(*arrays):
    return [None if a is None else Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]


def _run(fn, x, w, b, r):
    """fn(x, w, b) and the gradients of sum(fn(...) * r)."""
    xs, ws, bs = _leaves(x, w, b)
    y = fn(xs, ws, bs)
    (y * Tensor(r, dtype=np.float64)).sum().backward()
    return [y.data, xs.grad.data, ws.grad.data] + ([] if b is None else [bs.grad.data])


# ======================================================================= the two im2col layouts
_LAYOUT_CASES = [((2, 7, 6, 1), (3, 3), 1, "valid", 1), ((2, 7, 6, 3), (3, 2), 2, "same", 1),
                 ((1, 8, 7, 5), (2, 2), 1, "same", 2), ((2, 6, 6, 4), (4, 1), (2, 1), "valid", 1)]


@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("x_shape, kernel_hw, strides, padding, dilation", _LAYOUT_CASES)
def test_each_im2col_layout_passes_gradcheck(rng, layout, x_shape, kernel_hw, strides, padding, dilation,
                                             with_bias):
    x = rng.normal(size=x_shape)
    w = rng.normal(size=kernel_hw + (x_shape[3], 3))
    args = (x, w, rng.normal(size=3)) if with_bias else (x, w)
    for relu in (False, True):
        assert gradcheck(lambda *a, relu=relu: F.conv2d(*a, strides=strides, padding=padding,
                                                        dilation_rate=dilation, relu=relu), *args)


@pytest.mark.parametrize("x_shape, kernel_hw, strides, padding, dilation", _LAYOUT_CASES)
def test_the_two_layouts_agree(rng, monkeypatch, x_shape, kernel_hw, strides, padding, dilation):
    """Same values and gradients (to rounding: the products sum in another order) whichever
    layout runs, with a frozen kernel or a frozen bias too (only the other's gradient is made)."""
    x, w, b = rng.normal(size=x_shape), rng.normal(size=kernel_hw + (x_shape[3], 4)), rng.normal(size=4)
    r = rng.normal(size=F.conv2d(x, w, b, strides, padding, dilation).shape)
    results = []
    for below in LAYOUTS.values():
        monkeypatch.setattr(conv_module, "TAPS_MAJOR_BELOW", below)
        results.append(_run(lambda a, k, c: F.conv2d(a, k, c, strides, padding, dilation, relu=True),
                            x, w, b, r))
        for frozen in (1, 2):                              # kernel, then bias, without a gradient
            xs, ws, bs = _leaves(x, w, b)
            [ws, bs][frozen - 1].requires_grad = False
            (F.conv2d(xs, ws, bs, strides, padding, dilation) * Tensor(r)).sum().backward()
            trained = bs if frozen == 1 else ws
            assert [ws, bs][frozen - 1].grad is None and trained.grad is not None
            results[-1].append(trained.grad.data)
    for a, c in zip(*results):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("x_shape, kernel_hw, strides, padding, dilation", _LAYOUT_CASES)
def test_each_im2col_layout_matches_torch(rng, layout, x_shape, kernel_hw, strides, padding, dilation):
    from test_conv import torch_conv2d
    x, w, b = rng.normal(size=x_shape), rng.normal(size=kernel_hw + (x_shape[3], 4)), rng.normal(size=4)
    r = rng.normal(size=F.conv2d(x, w, b, strides, padding, dilation).shape)
    ours = _run(lambda a, k, c: F.conv2d(a, k, c, strides, padding, dilation), x, w, b, r)
    ref = torch_conv2d(x, w, b, strides, padding, dilation, r)
    for a, c, what in zip(ours, ref, ["forward", "dx", "dkernel", "dbias"]):
        assert_close(a, c, rtol=1e-5, what=what)


def test_the_layout_does_not_change_the_output_dtype(rng, monkeypatch):
    """y has the dtype of cols @ W (the input's and the kernel's), the bias added into it, in
    both layouts: a bias Tensor of another dtype neither widens nor narrows y."""
    f16, f32, f64 = np.float16, np.float32, np.float64
    for x_dtype, k_dtype, b_dtype in [(f32, f32, f64), (f16, f16, f32), (f64, f32, f32), (f16, f32, f16)]:
        x = Tensor(rng.normal(size=(2, 6, 6, 2)), dtype=x_dtype)
        w, b = Tensor(rng.normal(size=(3, 3, 2, 3)), dtype=k_dtype), Tensor(rng.normal(size=3), dtype=b_dtype)
        expected = np.result_type(x_dtype, k_dtype)
        for below in LAYOUTS.values():
            monkeypatch.setattr(conv_module, "TAPS_MAJOR_BELOW", below)
            assert F.conv2d(x, w, b).dtype == expected
            assert F.conv2d_max_pool(x, w, b, relu=True).dtype == expected


def test_bias_add_in_wide_rows_is_exact(rng):
    """``_add_bias`` views r rows as one (fewer, longer NumPy loops): the same additions, for row
    counts that are and are not multiples of a power of two."""
    for m, f in [(1, 3), (6, 32), (7, 32), (64, 5), (12, 300)]:
        rows, bias = rng.normal(size=(m, f)).astype(np.float32), rng.normal(size=f).astype(np.float32)
        expected = rows + bias
        conv_module._add_bias(rows, bias)
        np.testing.assert_array_equal(rows, expected)
    columns = rng.normal(size=(8, 6)).astype(np.float32)[:, :4]          # not contiguous: added in place too
    expected = columns + bias[:4]
    conv_module._add_bias(columns, bias[:4])
    np.testing.assert_array_equal(columns, expected)


# ======================================================================= conv2d_max_pool
_POOLS = [(2, None, "valid"), (3, 2, "same"), (2, 1, "valid"), (3, 3, "same"), ((2, 3), (1, 2), "same")]


def _pool_id(p):
    return f"p{p[0]}-s{p[1]}-{p[2]}"


@pytest.mark.parametrize("pool", _POOLS, ids=_pool_id)
@pytest.mark.parametrize("cin", [1, 3, 5])
def test_conv2d_max_pool_equals_conv_then_pool_bit_for_bit(rng, cin, pool):
    """relu(max(z)) = max(relu(z)) exactly, so the fused op gives the very numbers (values and
    gradients) of conv2d then max_pool2d, with or without bias and ReLU."""
    size, strides, padding = pool
    x = rng.normal(size=(3, 9, 8, cin))
    w = rng.normal(size=(3, 3, cin, 4))
    for b in (rng.normal(size=4) - 3.0, None):           # a negative bias: some windows pool below 0
        for relu in (True, False):
            r = rng.normal(size=F.max_pool2d(F.conv2d(x, w, padding="same"), size, strides, padding).shape)
            def fused_op(a, k, c, relu=relu):
                return F.conv2d_max_pool(a, k, c, padding="same", relu=relu, pool_size=size,
                                         pool_strides=strides, pool_padding=padding)

            def plain_op(a, k, c, relu=relu):
                return F.max_pool2d(F.conv2d(a, k, c, padding="same", relu=relu), size, strides, padding)
            fused, plain = _run(fused_op, x, w, b, r), _run(plain_op, x, w, b, r)
            for a, c in zip(fused, plain):
                np.testing.assert_array_equal(a, c)
            if relu and b is not None:
                assert (fused[0] == 0).any() and (fused[0] > 0).any()        # the ReLU did cut something


def test_conv2d_max_pool_relu_zero_windows_get_no_gradient(rng):
    """Windows whose values are all negative pool to relu(max) = 0: no gradient reaches them (as
    after conv -> relu -> pool, where the tie of zeros sends it to a ReLU that passes nothing)."""
    x = rng.normal(size=(2, 6, 6, 1))
    w = rng.normal(size=(3, 3, 1, 2))
    b = np.array([-100.0, 100.0])                          # channel 0 all negative, channel 1 all positive
    xs, ws, bs = _leaves(x, w, b)
    y = F.conv2d_max_pool(xs, ws, bs, relu=True)
    y.sum().backward()
    assert (y.data[..., 0] == 0).all() and (y.data[..., 1] > 0).all()
    assert bs.grad.data[0] == 0 and bs.grad.data[1] == y.data[..., 1].size


@pytest.mark.parametrize("pool", _POOLS[:3], ids=_pool_id)
def test_conv2d_max_pool_gradcheck(rng, pool):
    size, strides, padding = pool
    x = rng.normal(size=(2, 7, 8, 2))
    w, b = rng.normal(size=(2, 3, 2, 3)), rng.normal(size=3)
    assert gradcheck(lambda a, k, c: F.conv2d_max_pool(a, k, c, strides=1, padding="same", relu=True,
                                                       pool_size=size, pool_strides=strides,
                                                       pool_padding=padding), x, w, b)


@requires_torch
@pytest.mark.parametrize("cin", [1, 4])
def test_conv2d_max_pool_matches_torch(rng, cin):
    """conv2d -> relu -> max_pool2d in PyTorch (NCHW), on a 2x2 and an overlapping 3x3/2 pool."""
    x, w, b = rng.normal(size=(2, 10, 9, cin)), rng.normal(size=(3, 3, cin, 5)), rng.normal(size=5)
    for size, strides in [(2, 2), (3, 2)]:
        y = F.conv2d_max_pool(x, w, b, relu=True, pool_size=size, pool_strides=strides)
        r = rng.normal(size=y.shape)
        ours = _run(lambda a, k, c, size=size, strides=strides: F.conv2d_max_pool(
            a, k, c, relu=True, pool_size=size, pool_strides=strides), x, w, b, r)
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        z = torch.nn.functional.conv2d(xt.permute(0, 3, 1, 2), wt.permute(3, 2, 0, 1), bt)
        out = torch.nn.functional.max_pool2d(torch.relu(z), size, strides).permute(0, 2, 3, 1)
        (out * torch.tensor(r)).sum().backward()
        for a, c, what in zip(ours, [out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()],
                              ["forward", "dx", "dkernel", "dbias"]):
            assert_close(a, c, rtol=1e-5, what=what)


def test_conv2d_max_pool_inference_keeps_nothing_and_gives_the_same_output(rng):
    x, w, b = (rng.normal(size=s).astype(np.float32) for s in [(4, 12, 12, 1), (3, 3, 1, 8), (8,)])
    with snn.no_grad():
        y = F.conv2d_max_pool(x, w, b, relu=True)
    assert y._ctx is None and y.dtype == np.float32 and y.shape == (4, 5, 5, 8)
    np.testing.assert_array_equal(y.data, F.max_pool2d(F.conv2d(x, w, b, relu=True), 2).data)


def test_conv2d_max_pool_bad_arguments(rng):
    x, w = rng.normal(size=(1, 5, 5, 2)), rng.normal(size=(3, 3, 2, 4))
    with pytest.raises(ValueError, match=r"conv2d_max_pool: a 4x4 pooling window with 'valid' padding does "
                                         r"not fit the convolution's output of 3x3"):
        F.conv2d_max_pool(x, w, pool_size=4)
    with pytest.raises(ValueError, match=r"conv2d_max_pool: kernel of shape \(3, 3, 2, 4\) does not fit "
                                         r"input of shape \(1, 5, 5, 3\)"):
        F.conv2d_max_pool(rng.normal(size=(1, 5, 5, 3)), w)
    with pytest.raises(ValueError, match="pool_strides must be positive"):
        F.conv2d_max_pool(x, w, pool_strides=0)
    with pytest.raises(ValueError, match=r"conv2d_max_pool: pool_padding must be 'valid' or 'same', "
                                         r"got 'full'"):
        F.conv2d_max_pool(x, w, pool_padding="full")
    assert F.conv2d_max_pool(x, w, pool_size=3, pool_padding="same").shape == (1, 1, 1, 4)


# ======================================================================= Sequential runs the pair as one op
def _cnn(activation="relu", regularize=False, dtype=None):
    set_random_seed(3)
    return snn.Sequential([
        L.Input((12, 12, 1)),
        L.Conv2D(4, 3, activation=activation, dtype=dtype,
                 activity_regularizer=regularizers.l2(0.01) if regularize else None),
        L.MaxPooling2D(2, dtype=dtype),
        L.Conv2D(6, 3, activation=activation, padding="same", dtype=dtype,
                 activity_regularizer=regularizers.l2(0.01) if regularize else None),
        L.MaxPooling2D(2, dtype=dtype), L.Flatten(), L.Dense(3, activation="softmax", dtype=dtype)])


def _functions(out):
    """Every Function in the graph that produced ``out``."""
    seen, stack, found = set(), [out], []
    while stack:
        t = stack.pop()
        fn = t._ctx
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        found.append(fn)
        stack.extend(fn.inputs)
    return found


def _layer_by_layer(model, x):
    """The model's layers called one at a time (never fused)."""
    out = x
    for layer in model.layers:
        out = layer(out, training=True)
    return out


def test_sequential_runs_conv_and_max_pool_as_one_op_with_the_same_result(rng):
    model = _cnn()
    x = Tensor(rng.normal(size=(5, 12, 12, 1)).astype(np.float32))
    fused = model(x, training=True)
    convs = [fn for fn in _functions(fused) if isinstance(fn, conv_module.Conv2D)]
    assert len(convs) == 2 and all(fn.pool is not None for fn in convs)
    assert not any(isinstance(fn, conv_module.MaxPool2D) for fn in _functions(fused))
    plain = _layer_by_layer(model, x)
    assert not any(fn.pool for fn in _functions(plain) if isinstance(fn, conv_module.Conv2D))
    np.testing.assert_array_equal(fused.data, plain.data)
    grads = []
    for out in (fused, plain):
        for w in model.trainable_weights:
            w.grad = None
        (out * Tensor(np.arange(out.size, dtype=np.float32).reshape(out.shape) % 7)).sum().backward()
        grads.append([np.array(w.grad) for w in model.trainable_weights])
    for a, c in zip(*grads):
        np.testing.assert_array_equal(a, c)


def test_fused_training_equals_unfused_training(rng, monkeypatch):
    """fit (and predict, evaluate) give the same numbers whether or not the pairs are fused."""
    x = rng.normal(size=(64, 12, 12, 1)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    results = []
    for fuse in (True, False):
        if not fuse:
            monkeypatch.setattr(L.Conv2D, "fuse_with", lambda self, next_layer: None)
        model = _cnn()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        results.append((history.history["loss"], [w.copy() for w in model.get_weights()],
                        model.predict(x, verbose=0), model.evaluate(x, y, verbose=0)))
    (loss_f, w_f, p_f, e_f), (loss_u, w_u, p_u, e_u) = results
    assert loss_f == loss_u and e_f == e_u
    for a, c in zip(w_f, w_u):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(p_f, p_u)
    assert loss_f[-1] < loss_f[0]


@pytest.mark.parametrize("case", ["tanh", "activity-regularizer", "subclass", "average-pool"])
def test_sequential_fuses_only_what_it_may(rng, case):
    """Another activation, an activity regularizer (it needs the conv's own output), a Conv2D
    subclass with its own call, or a pooling that is not max: the layers run one by one."""
    if case == "tanh":
        model = _cnn(activation="tanh")
    elif case == "activity-regularizer":
        model = _cnn(regularize=True)
    else:
        class Doubled(L.Conv2D):
            def call(self, inputs, training=False):
                return super().call(inputs, training) * 2.0
        conv = Doubled(4, 3, activation="relu") if case == "subclass" else L.Conv2D(4, 3, activation="relu")
        pool = L.MaxPooling2D(2) if case == "subclass" else L.AveragePooling2D(2)
        model = snn.Sequential([L.Input((12, 12, 1)), conv, pool, L.Flatten(), L.Dense(2)])
    x = Tensor(rng.normal(size=(2, 12, 12, 1)).astype(np.float32))
    out = model(x, training=True)
    assert not any(fn.pool for fn in _functions(out) if isinstance(fn, conv_module.Conv2D))
    np.testing.assert_array_equal(out.data, _layer_by_layer(model, x).data)
    if case == "activity-regularizer":
        assert model.layers[0].activity_losses and model.layers[2].activity_losses   # from conv outputs


def test_inspecting_a_fused_pair_sees_each_layer(rng):
    """``layer_activations`` records each layer's own output, so the Conv2D's full-size ReLU
    output is there, and the pool's is the maximum of it."""
    model = _cnn()
    x = rng.normal(size=(2, 12, 12, 1)).astype(np.float32)
    acts = layer_activations(model, x)
    conv_out, pool_out = acts[model.layers[0].name], acts[model.layers[1].name]
    assert conv_out.shape == (2, 10, 10, 4) and (conv_out >= 0).all()
    np.testing.assert_array_equal(pool_out, conv_out.reshape(2, 5, 2, 5, 2, 4).max(axis=(2, 4)))
    np.testing.assert_array_equal(model.predict(x, verbose=0), _layer_by_layer(model, Tensor(x)).data)


def test_fused_pair_checks_the_input_like_the_layers(rng):
    model = _cnn()
    with pytest.raises(ValueError, match=r"Conv2D '.*' was built for 1 input channels, got input of shape "
                                         r"\(2, 12, 12, 3\)"):
        model(rng.normal(size=(2, 12, 12, 3)).astype(np.float32))
    small = snn.Sequential([L.Input((None, None, 1)), L.Conv2D(2, 3, activation="relu"), L.MaxPooling2D(4),
                            L.GlobalMaxPooling2D()])
    assert small(rng.normal(size=(1, 9, 9, 1)).astype(np.float32)).shape == (1, 2)
    with pytest.raises(ValueError, match=r"MaxPooling2D '.*': a 4x4 window with padding 'valid' does not fit "
                                         r"input of shape \(1, 3, 3, 2\)"):
        small(rng.normal(size=(1, 5, 5, 1)).astype(np.float32))


@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_sequential_call_on_arrays_converts_them_like_the_layers(rng, dtype):
    """``model.call`` on a NumPy array or a nested list: the fused pair converts it to the
    Conv2D's dtype, as ``Layer.__call__`` does for the layers called one by one."""
    set_random_seed(0)
    model = snn.Sequential([L.Input((8, 8, 1)), L.Conv2D(2, 3, activation="relu", dtype=dtype),
                            L.MaxPooling2D(2, dtype=dtype)])
    x = rng.normal(size=(2, 8, 8, 1))
    for inputs in (x.astype(dtype), x.astype(dtype).tolist()):
        fused = model.call(inputs)
        convs = [fn for fn in _functions(fused) if isinstance(fn, conv_module.Conv2D)]
        assert len(convs) == 1 and convs[0].pool is not None                # the fused op ran
        plain = _layer_by_layer(model, inputs)
        assert fused.dtype == plain.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(fused.data, plain.data)


def test_call_then_max_pool_builds_and_checks_like_calling_the_layers(rng):
    """Called on unbuilt layers it builds them (as ``Layer.__call__`` does), then gives
    ``pool(conv(x))``; a pooling layer that is not a MaxPooling2D is refused, not max-pooled."""
    set_random_seed(0)
    conv, pool = L.Conv2D(3, 3, activation="relu"), L.MaxPooling2D(2, padding="same")
    x = rng.normal(size=(2, 9, 9, 2)).astype(np.float32)
    fused = conv.call_then_max_pool(x, pool)
    assert conv.built and pool.built and conv.kernel.shape == (3, 3, 2, 3)
    assert pool.input_shape == (None, 7, 7, 3)
    np.testing.assert_array_equal(fused.data, pool(conv(x)).data)
    with pytest.raises(TypeError, match=r"call_then_max_pool: pool must be a MaxPooling2D layer, got "
                                        r"AveragePooling2D"):
        conv.call_then_max_pool(x, L.AveragePooling2D(2))
