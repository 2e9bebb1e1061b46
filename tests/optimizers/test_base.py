"""Optimizers (``scratchnn/optimizers/``, their common machinery in ``base.py``), each one in
the same tests: trajectories equal to PyTorch's, hand-computed formulas, clipping, in-place
float32 updates, state and configs, the learning rate, argument errors, Rosenbrock, subnormals.
"""
import math

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import optimizers as opt
from scratchnn.optimizers import schedules

from tests.helpers import assert_close, requires_torch, torch

ALL_CLASSES = [opt.SGD, opt.Adam, opt.AdamW, opt.RMSprop, opt.Adagrad, opt.Adadelta, opt.Nadam, opt.Adamax]


# ----------------------------------------------------------------- a small least-squares problem
def _problem(seed=0):
    """``0.5 * ||X W + c - Y||^2`` with two parameters (a matrix and a vector), float64."""
    r = np.random.default_rng(seed)
    X, Y = r.normal(size=(10, 4)), r.normal(size=(10, 3))
    W0, c0 = r.normal(size=(4, 3)), r.normal(size=3)

    def grads(W, c):
        resid = X @ W + c - Y
        return [X.T @ resid, resid.sum(axis=0)]
    return [W0, c0], grads


def _run_scratchnn(optimizer, steps=20, seed=0):
    init, grads = _problem(seed)
    params = [snn.Tensor(p.copy(), dtype=np.float64) for p in init]
    traj = []
    for _ in range(steps):
        optimizer.apply_gradients(zip(grads(*[p.data for p in params]), params))
        traj.append([p.data.copy() for p in params])
    return traj


def _run_torch(make, steps=20, seed=0):
    init, grads = _problem(seed)
    params = [torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True) for p in init]
    optimizer = make(params)
    traj = []
    for _ in range(steps):
        for p, g in zip(params, grads(*[p.detach().numpy() for p in params])):
            p.grad = torch.from_numpy(g)
        optimizer.step()
        traj.append([p.detach().numpy().copy() for p in params])
    return traj


def _assert_same_trajectory(ours, theirs, rtol=1e-6):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        for pa, pb in zip(a, b):
            assert_close(pa, pb, rtol=rtol, atol=1e-9, what=f"step {k + 1}")


TORCH_CASES = {
    "sgd": (lambda: opt.SGD(0.02), lambda p: torch.optim.SGD(p, lr=0.02)),
    "sgd_momentum": (lambda: opt.SGD(0.02, momentum=0.9),
                     lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9)),
    "sgd_nesterov": (lambda: opt.SGD(0.02, momentum=0.9, nesterov=True),
                     lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9, nesterov=True)),
    "adam": (lambda: opt.Adam(0.05, epsilon=1e-12), lambda p: torch.optim.Adam(p, lr=0.05, eps=1e-12)),
    "adam_amsgrad": (lambda: opt.Adam(0.05, beta_1=0.8, epsilon=1e-12, amsgrad=True),
                     lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.999), eps=1e-12, amsgrad=True)),
    "adamw": (lambda: opt.AdamW(0.05, weight_decay=0.1, epsilon=1e-12),
              lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1, eps=1e-12)),
    "rmsprop": (lambda: opt.RMSprop(0.01, rho=0.8, epsilon=1e-12),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, eps=1e-12)),
    "rmsprop_momentum_centered": (
        lambda: opt.RMSprop(0.01, rho=0.8, momentum=0.5, centered=True, epsilon=1e-12),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, momentum=0.5, centered=True, eps=1e-12)),
    "adagrad": (lambda: opt.Adagrad(0.1, initial_accumulator_value=0.1, epsilon=1e-12),
                lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=1e-12)),
    # Same formula in both; only the defaults differ (Keras lr=1e-3/eps=1e-7, torch lr=1/eps=1e-6).
    "adadelta": (lambda: opt.Adadelta(1.0, rho=0.9, epsilon=1e-6),
                 lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6)),
    # torch's momentum_decay=1 gives Keras's 0.96**t momentum schedule.
    "nadam": (lambda: opt.Nadam(0.05, epsilon=1e-12),
              lambda p: torch.optim.NAdam(p, lr=0.05, eps=1e-12, momentum_decay=1.0)),
    "adamax": (lambda: opt.Adamax(0.05, epsilon=1e-12), lambda p: torch.optim.Adamax(p, lr=0.05, eps=1e-12)),
}


@requires_torch
@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_trajectory_matches_pytorch(case):
    ours, theirs = TORCH_CASES[case]
    traj = _run_scratchnn(ours())
    _assert_same_trajectory(traj, _run_torch(theirs))
    assert not np.allclose(traj[-1][0], _problem()[0][0])    # it did move


# ----------------------------------------------------------------- hand-computed formulas
def _grads_sequence(steps=6, seed=3, shapes=((3, 2), (4,))):
    r = np.random.default_rng(seed)
    return [[r.normal(size=s) for s in shapes] for _ in range(steps)]


def _run_on_grads(optimizer, grad_seq, init):
    params = [snn.Tensor(p.copy(), dtype=np.float64) for p in init]
    out = []
    for gs in grad_seq:
        optimizer.apply(gs, params)
        out.append([p.data.copy() for p in params])
    return out


def _ref_run(rule, grad_seq, init, lr=0.1, clip=None, weight_decay=None):
    """Apply ``rule(g, w, state, t, lr) -> new w`` per variable; clip/decay as the base docstring says."""
    ws = [p.copy() for p in init]
    states = [{} for _ in ws]
    out = []
    for t, gs in enumerate(grad_seq, start=1):
        gs = clip(gs) if clip else gs
        if weight_decay:
            ws = [w - w * weight_decay * lr for w in ws]
        ws = [rule(g, w, s, t, lr) for g, w, s in zip(gs, ws, states)]
        out.append([w.copy() for w in ws])
    return out


def _nadam_rule(b1=0.9, b2=0.999, eps=1e-7):
    prod = {"P": 1.0, "t": 0}

    def mu(k):
        return b1 * (1 - 0.5 * 0.96 ** k)

    def rule(g, w, s, t, lr):
        if prod["t"] != t:                     # once per step, shared by the variables
            prod["P"] *= mu(t)
            prod["t"] = t
        P = prod["P"]
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        m_hat = mu(t + 1) * s["m"] / (1 - P * mu(t + 1)) + (1 - mu(t)) * g / (1 - P)
        v_hat = s["v"] / (1 - b2 ** t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return rule


def _adamax_rule(g, w, s, t, lr, b1=0.9, b2=0.999, eps=1e-7):
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["u"] = np.maximum(b2 * s.get("u", 0), np.abs(g))
    return w - lr * s["m"] / ((1 - b1 ** t) * (s["u"] + eps))


def _adam_rule(g, w, s, t, lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False):
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    v = s["v"]
    if amsgrad:
        s["vhat"] = v = np.maximum(s.get("vhat", 0), v)
    lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return w - lr_t * s["m"] / (np.sqrt(v) + eps)


def _rmsprop_centered_rule(g, w, s, t, lr, rho=0.9, mom=0.5, eps=1e-7):
    s["v"] = rho * s.get("v", 0) + (1 - rho) * g * g
    s["mg"] = rho * s.get("mg", 0) + (1 - rho) * g
    inc = lr * g / np.sqrt(s["v"] - s["mg"] ** 2 + eps)
    s["m"] = mom * s.get("m", 0) + inc
    return w - s["m"]


def _adagrad_rule(g, w, s, t, lr, a0=0.1, eps=1e-7):
    s["a"] = s.get("a", a0) + g * g
    return w - lr * g / np.sqrt(s["a"] + eps)


def _adadelta_rule(g, w, s, t, lr, rho=0.95, eps=1e-7):
    s["eg"] = rho * s.get("eg", 0) + (1 - rho) * g * g
    d = np.sqrt(s.get("ed", 0) + eps) / np.sqrt(s["eg"] + eps) * g
    s["ed"] = rho * s.get("ed", 0) + (1 - rho) * d * d
    return w - lr * d


def _sgd_rule(momentum, nesterov):
    def rule(g, w, s, t, lr):
        if momentum == 0:
            return w - lr * g
        s["v"] = momentum * s.get("v", 0) - lr * g
        return w + momentum * s["v"] - lr * g if nesterov else w + s["v"]
    return rule


def _clip_by_norm(c):
    return lambda gs: [g * c / max(np.linalg.norm(g), c) for g in gs]


def _clip_global(c):
    def clip(gs):
        n = math.sqrt(sum(np.sum(g * g) for g in gs))
        return [g * c / max(n, c) for g in gs]
    return clip


FORMULA_CASES = {
    "nadam": (lambda: opt.Nadam(0.1), lambda: _nadam_rule(), {}),
    "adamax": (lambda: opt.Adamax(0.1), lambda: _adamax_rule, {}),
    "adam": (lambda: opt.Adam(0.1), lambda: _adam_rule, {}),
    "adam_amsgrad": (lambda: opt.Adam(0.1, amsgrad=True),
                     lambda: lambda *a: _adam_rule(*a, amsgrad=True), {}),
    "rmsprop_centered_momentum": (lambda: opt.RMSprop(0.1, momentum=0.5, centered=True),
                                  lambda: _rmsprop_centered_rule, {}),
    "adagrad": (lambda: opt.Adagrad(0.1), lambda: _adagrad_rule, {}),
    "adadelta": (lambda: opt.Adadelta(0.1), lambda: _adadelta_rule, {}),
    "sgd_nesterov": (lambda: opt.SGD(0.1, momentum=0.7, nesterov=True), lambda: _sgd_rule(0.7, True), {}),
    "sgd_clipnorm": (lambda: opt.SGD(0.1, clipnorm=0.5), lambda: _sgd_rule(0, False),
                     {"clip": _clip_by_norm(0.5)}),
    "sgd_clipvalue": (lambda: opt.SGD(0.1, clipvalue=0.3), lambda: _sgd_rule(0, False),
                      {"clip": lambda gs: [np.clip(g, -0.3, 0.3) for g in gs]}),
    "adam_global_clipnorm": (lambda: opt.Adam(0.1, global_clipnorm=1.0), lambda: _adam_rule,
                             {"clip": _clip_global(1.0)}),
    "sgd_momentum_weight_decay": (lambda: opt.SGD(0.1, momentum=0.9, weight_decay=0.2),
                                  lambda: _sgd_rule(0.9, False), {"weight_decay": 0.2}),
    "adamw": (lambda: opt.AdamW(0.1), lambda: _adam_rule, {"weight_decay": 0.004}),
}


@pytest.mark.parametrize("case", sorted(FORMULA_CASES))
def test_matches_docstring_formula(case):
    make, rule, extra = FORMULA_CASES[case]
    grad_seq = _grads_sequence()
    init = [np.random.default_rng(9).normal(size=s) for s in ((3, 2), (4,))]
    ours = _run_on_grads(make(), grad_seq, init)
    ref = _ref_run(rule(), grad_seq, init, lr=0.1, **extra)
    _assert_same_trajectory(ours, ref, rtol=1e-10)


def test_clipping_really_clips():
    """Guard the formula tests: with these settings the clip is active, so they test something."""
    g = [np.full(4, 3.0)]
    w = snn.Tensor(np.zeros(4), dtype=np.float64)
    opt.SGD(1.0, clipnorm=1.0).apply(g, [w])
    assert_close(np.linalg.norm(w.data), 1.0)
    w = snn.Tensor(np.zeros(2), dtype=np.float64)
    opt.SGD(1.0, clipnorm=1.0).apply([np.array([0.9, 1.2])], [w])          # norm 1.5 -> 1
    assert_close(w.data, [-0.6, -0.8])
    w = snn.Tensor(np.zeros(2), dtype=np.float64)
    opt.SGD(1.0, clipnorm=1.0).apply([np.array([0.3, 0.4])], [w])          # norm 0.5: unchanged
    assert_close(w.data, [-0.3, -0.4])
    w = snn.Tensor(np.zeros(4), dtype=np.float64)
    opt.SGD(1.0, clipvalue=0.5).apply(g, [w])
    assert_close(w.data, np.full(4, -0.5))
    a, b = snn.Tensor(np.zeros(2), dtype=np.float64), snn.Tensor(np.zeros(2), dtype=np.float64)
    opt.SGD(1.0, global_clipnorm=1.0).apply([np.array([3.0, 0.0]), np.array([0.0, 4.0])], [a, b])
    assert_close(np.concatenate([a.data, b.data]), [-0.6, 0, 0, -0.8])
    assert_close(g[0], np.full(4, 3.0))                    # the caller's gradient is untouched


# ----------------------------------------------------------------- in place, dtypes, state
@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_updates_in_place_and_keep_float32(cls, rng):
    w = snn.Tensor(rng.normal(size=(5, 3)).astype(np.float32), requires_grad=True)
    data, before = w.data, w.data.copy()
    extra = {"momentum": 0.9} if cls is opt.SGD else {}        # plain SGD keeps no state
    o = cls(learning_rate=0.01, weight_decay=0.01, clipnorm=1.0, **extra)
    for _ in range(3):
        w.grad = rng.normal(size=(5, 3))               # float64 gradient: cast to the variable's dtype
        o.step([w])
    assert w.data is data and w.data.dtype == np.float32
    assert not np.array_equal(w.data, before)
    assert o.iterations == 3
    state = o.state(w)
    assert state and all(a.dtype == np.float32 and a.shape == (5, 3) for a in state.values())


def test_variables_exposes_live_state_in_stable_order(rng):
    a = snn.Tensor(rng.normal(size=(2, 3)), dtype=np.float64)
    b = snn.Tensor(rng.normal(size=4), dtype=np.float64)
    o = opt.Adam()
    o.build([a, b])
    assert len(o.variables()) == 5 and int(o.variables()[0]) == 0
    o.apply([np.ones((2, 3)), np.ones(4)], [a, b])
    v = o.variables()
    assert int(v[0]) == 1
    expected = [o.state(a)["momentum"], o.state(b)["momentum"],
                o.state(a)["velocity"], o.state(b)["velocity"]]
    assert all(x is y for x, y in zip(v[1:], expected))
    assert_close(v[1], np.full((2, 3), 0.1))
    assert_close(v[3], np.full((2, 3), 0.001))
    n = opt.Nadam()
    n.apply([np.ones(4)], [b])
    assert len(n.variables()) == 4 and float(n.variables()[-1]) == pytest.approx(0.9 * (1 - 0.5 * 0.96))


def test_step_skips_none_grads_and_all_none_is_a_noop(rng):
    a = snn.Tensor(rng.normal(size=3), requires_grad=True)
    b = snn.Tensor(rng.normal(size=3), requires_grad=True)
    a.grad = np.ones(3, dtype=np.float32)
    b_before = b.data.copy()
    o = opt.SGD(0.1, momentum=0.9)
    o.step([a, b])
    assert np.array_equal(b.data, b_before) and o.state(b) == {}
    assert o.iterations == 1
    o.apply_gradients([(None, a), (None, b)])
    assert o.iterations == 1


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_config_round_trip_gives_same_trajectory(cls):
    o = cls(learning_rate=schedules.ExponentialDecay(0.05, 3, 0.5), clipvalue=2.0)
    o2 = cls.from_config(o.get_config())
    o3 = opt.get(opt.serialize(o))
    assert type(o3) is cls and o2.get_config() == o.get_config() == o3.get_config()
    t1, t2, t3 = (_run_scratchnn(x, steps=5) for x in (o, o2, o3))
    _assert_same_trajectory(t1, t2, rtol=0)
    _assert_same_trajectory(t1, t3, rtol=0)


def test_non_default_hyperparameters_round_trip():
    o = opt.RMSprop(0.3, rho=0.7, momentum=0.2, epsilon=1e-5, centered=True, weight_decay=0.1)
    cfg = opt.RMSprop.from_config(o.get_config()).get_config()
    assert cfg["rho"] == 0.7 and cfg["momentum"] == 0.2 and cfg["centered"] is True
    assert cfg["weight_decay"] == 0.1 and cfg["learning_rate"] == 0.3


def test_callable_learning_rate_and_setter():
    w = snn.Tensor(np.zeros(1), dtype=np.float64)
    o = opt.SGD(lambda step: 1.0 / (1 + step))
    for _ in range(3):
        o.apply([np.ones(1)], [w])
    assert_close(w.data, [-(1 + 1 / 2 + 1 / 3)])
    o = opt.Adam(0.001)
    o.learning_rate = 0.25
    assert o.learning_rate == 0.25 and isinstance(o.learning_rate, float)
    w = snn.Tensor(np.zeros(1), dtype=np.float64)
    o.apply([np.ones(1)], [w])
    assert_close(w.data, [-0.25], rtol=1e-5)               # Adam's first step has size ~lr
    with pytest.raises(ValueError, match="learning_rate"):
        o.learning_rate = -1.0


@pytest.mark.parametrize("make, pattern", [
    (lambda: opt.SGD(learning_rate=-0.1), r"`learning_rate` must be .*>= 0.*-0\.1"),
    (lambda: opt.SGD(learning_rate=float("nan")), r"`learning_rate`.*nan"),
    (lambda: opt.SGD(momentum=1.5), r"`momentum` must be a finite number in \[0, 1\], got 1\.5"),
    (lambda: opt.SGD(momentum=-0.1), r"`momentum`"),
    (lambda: opt.Adam(beta_1=1.0), r"`beta_1` must be a finite number in \[0, 1\), got 1\.0"),
    (lambda: opt.Adam(epsilon=float("inf")), r"`epsilon`.*inf"),
    (lambda: opt.RMSprop(rho=2), r"`rho`"),
    (lambda: opt.Adagrad(initial_accumulator_value=-1), r"`initial_accumulator_value`"),
    (lambda: opt.Adam(clipnorm=0), r"`clipnorm` must be None or a finite number > 0, got 0"),
    (lambda: opt.Adam(clipnorm=1, global_clipnorm=1), r"at most one of"),
    (lambda: opt.Adam(weight_decay=-1e-3), r"`weight_decay`"),
    (lambda: opt.AdamW(weight_decay=None), r"`weight_decay`"),
    (lambda: opt.SGD(learning_rate="fast"), r"`learning_rate` must be a real number, got 'fast'"),
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), r"`decay_steps` must be .*> ?0|`decay_steps`"),
    (lambda: schedules.PiecewiseConstantDecay([1, 2], [1.0]), r"one more element"),
])
def test_bad_arguments_raise_clear_errors(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_bad_updates_raise():
    w = snn.Tensor(np.zeros(3), dtype=np.float64)
    with pytest.raises(ValueError, match=r"shape \(2,\) does not match variable shape \(3,\)"):
        opt.SGD().apply([np.zeros(2)], [w])
    with pytest.raises(ValueError, match="2 gradients for 1 variables"):
        opt.SGD().apply([np.zeros(3), np.zeros(3)], [w])
    with pytest.raises(TypeError, match="Tensors"):
        opt.SGD().apply([np.zeros(3)], [np.zeros(3)])


# ----------------------------------------------------------------- end to end, subnormals
def test_adam_minimises_rosenbrock_with_autograd():
    p = snn.Tensor(np.array([-1.5, 2.0]), dtype=np.float64, requires_grad=True)
    o = opt.Adam(learning_rate=0.01)
    for _ in range(3000):
        x, y = p[0], p[1]
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        loss.backward()
        o.step([p])
        p.zero_grad()
    assert np.abs(p.data - 1.0).max() < 0.05, p.data


@pytest.mark.parametrize("make", [opt.Adam, lambda: opt.RMSprop(rho=0.99)])
def test_float32_state_is_flushed_of_subnormals(make):
    # Gradients from 1e-10 down to 1e-25: their squares (and the decaying moments fed zero
    # gradients afterwards) cross float32's subnormal range (< 1.18e-38) at all times.
    tiny = np.finfo(np.float32).tiny

    def run(interval):
        w = snn.Tensor(np.zeros(64, dtype=np.float32))
        o = make()
        o.subnormal_flush_interval = interval
        o.apply([np.logspace(-10, -25, 64).astype(np.float32)], [w])
        zeros = np.zeros(64, dtype=np.float32)
        for _ in range(1049):
            o.apply([zeros], [w])
        return o.variables()[1:]

    def has_subnormals(states):
        return any(((a != 0) & (np.abs(a) < tiny)).any() for a in states)

    assert has_subnormals(run(None))                      # the problem is real without the flush...
    flushed = run(100)
    assert not has_subnormals(flushed)                    # ...and gone with it
    v = flushed[-1]                                       # the second moment (velocity)
    assert (v != 0).sum() >= 5 and np.abs(v)[v != 0].min() >= tiny


# ----------------------------------------------------------------- exclude_from_weight_decay
@requires_torch
@pytest.mark.parametrize("fast", [True, False])
def test_excluded_variables_are_not_decayed_as_torch_param_groups(fast):
    """``exclude_from_weight_decay(var_names=[...])`` (names containing a string) and ``var_list``
    give PyTorch's AdamW with a no-decay parameter group (nanoGPT's biases and norms)."""
    from scratchnn.backend import fast_kernels
    from scratchnn.layers.base import Variable
    r = np.random.default_rng(4)
    values = {"dense/kernel": r.normal(size=(3, 2)), "dense/bias": r.normal(size=2),
              "norm/gamma": r.normal(size=2), "table": r.normal(size=(4, 2))}
    variables = {k: Variable(v.copy(), name=k) for k, v in values.items()}          # float64
    o = opt.AdamW(0.05, weight_decay=0.3, epsilon=1e-12)
    o.exclude_from_weight_decay(var_list=[variables["table"]], var_names=["bias", "gamma"])
    assert [o.decays(v) for v in variables.values()] == [True, False, False, False]
    params = {k: torch.tensor(v, requires_grad=True) for k, v in values.items()}
    t = torch.optim.AdamW([{"params": [params["dense/kernel"]], "weight_decay": 0.3},
                           {"params": [params[k] for k in ("dense/bias", "norm/gamma", "table")],
                            "weight_decay": 0.0}], lr=0.05, eps=1e-12)
    for _ in range(5):
        grads = {k: r.normal(size=v.shape) for k, v in values.items()}
        with fast_kernels(fast):
            o.apply([grads[k] for k in variables], list(variables.values()))
        for k, p in params.items():
            p.grad = torch.tensor(grads[k])
        t.step()
    for k, v in variables.items():
        assert_close(v.data, params[k].detach().numpy(), rtol=1e-10, what=k)


def test_exclude_from_weight_decay_refuses_an_empty_name():
    with pytest.raises(ValueError, match="var_names must be non-empty strings, got ''"):
        opt.AdamW().exclude_from_weight_decay(var_names=["bias", ""])


# ----------------------------------------------------------------------------- learning_rate as a variable
def test_learning_rate_reads_and_assigns_like_keras_variable():
    import pickle

    from scratchnn.autograd import Tensor
    from scratchnn.optimizers import SGD
    sgd = SGD(0.1)
    lr = sgd.learning_rate
    assert lr == 0.1 and float(lr) == 0.1 and lr.numpy() == np.float32(0.1)
    assert lr.numpy().dtype == np.float32 and sgd.lr == 0.1
    lr.assign(0.5)
    assert sgd.learning_rate == 0.5                               # read again: the new rate
    sgd.learning_rate.assign(Tensor(np.float32(0.25)))
    sgd.learning_rate.assign_sub(0.05)
    assert sgd.learning_rate == pytest.approx(0.2)
    sgd.learning_rate = 0.01                                      # a float, as Keras allows
    w = Tensor(np.ones(3, np.float32), requires_grad=True)
    sgd.apply([np.ones(3, np.float32)], [w])
    np.testing.assert_allclose(w.data, 1 - 0.01)                  # the assigned rate is used
    assert pickle.loads(pickle.dumps(sgd.learning_rate)) == 0.01  # a plain float, not the optimizer
    assert type(pickle.loads(pickle.dumps(sgd.learning_rate))) is float
    other = SGD(0.3)
    other.learning_rate = sgd.learning_rate
    assert type(other.get_config()["learning_rate"]) is float


def test_a_schedule_learning_rate_reads_its_value_and_refuses_assign():
    from scratchnn.optimizers import SGD
    sgd = SGD(schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5))
    sgd.iterations = 2
    assert sgd.learning_rate.numpy() == np.float32(0.025)
    with pytest.raises(TypeError, match="schedule"):
        sgd.learning_rate.assign(0.3)
    assert sgd.learning_rate == pytest.approx(0.025)
