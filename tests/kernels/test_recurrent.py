"""The fused recurrent loop (``scratchnn/kernels/recurrent.py``) gives the numbers of the readable
step-by-step code (``functional/recurrent.py``): outputs, final states and the gradients of the
input, the initial states and every weight, in float64, for SimpleRNN, LSTM and GRU with masks,
go_backwards, zero outputs for masked steps, recurrent dropout and no bias. It is used only where
it applies (default activations, GRU reset_after=True) and never with fast kernels off.
"""
import numpy as np
import pytest

from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.backend import fast_kernels
from scratchnn.kernels.recurrent import FusedRecurrence, sigmoid
from scratchnn.utils import set_random_seed

from tests.helpers import graph_functions

KINDS = {"simple_rnn": L.SimpleRNN, "lstm": L.LSTM, "gru": L.GRU}
CASES = {
    "plain": {},
    "sequences_state": {"return_sequences": True, "return_state": True},
    "masked": {"return_sequences": True, "mask": True},
    "masked_last_backwards": {"go_backwards": True, "return_state": True, "mask": True},
    "zero_output": {"return_sequences": True, "zero_output_for_mask": True, "mask": True},
    "zero_output_last": {"zero_output_for_mask": True, "mask": True, "go_backwards": True},
    "recurrent_dropout": {"return_sequences": True, "recurrent_dropout": 0.4, "dropout": 0.3, "seed": 2,
                          "training": True, "mask": True},
    "no_bias": {"use_bias": False, "return_state": True},
    "initial_state": {"return_sequences": True, "initial": True, "mask": True},
}


def _run(fast, kind, case, rng_seed=0):
    """Output, states and gradients (input, initial states, weights) with fast kernels on or off."""
    case = dict(case)
    use_mask, initial = case.pop("mask", False), case.pop("initial", False)
    training = case.pop("training", False)
    rng = np.random.default_rng(rng_seed)
    with fast_kernels(fast):
        set_random_seed(0)
        layer = KINDS[kind](3, dtype="float64", **({"bias_initializer": "random_normal"} if case.get(
            "use_bias", True) else {}), **case)
        x = Tensor(rng.normal(size=(3, 5, 4)), requires_grad=True, dtype=np.float64)
        mask = np.array([[True] * 5, [True, True, False, False, False], [False, True, True, False, True]]) \
            if use_mask else None
        n_states = 2 if kind == "lstm" else 1
        init = [Tensor(rng.normal(size=(3, 3)), requires_grad=True, dtype=np.float64)
                for _ in range(n_states)] if initial else None
        out = layer(x, mask=mask, initial_state=init, training=training)
        outs = list(out) if isinstance(out, tuple) else [out]
        ops = {type(f) for o in outs for f in graph_functions(o)}
        loss = sum((o * Tensor(rng.normal(size=o.shape), dtype=np.float64)).sum() for o in outs)
        loss.backward()
        grads = [x.grad] + ([t.grad for t in init] if init else []) + [w.grad for w in layer.weights]
        return ops, [o.data for o in outs], grads


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fused_loop_equals_the_readable_code(kind, case):
    fast_ops, fast_out, fast_grads = _run(True, kind, CASES[case])
    slow_ops, slow_out, slow_grads = _run(False, kind, CASES[case])
    assert FusedRecurrence in fast_ops and FusedRecurrence not in slow_ops
    assert len(fast_out) == len(slow_out) and len(fast_grads) == len(slow_grads)
    for a, b in zip(fast_out + fast_grads, slow_out + slow_grads):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


def test_used_only_where_it_computes_the_same_step(rng):
    x = Tensor(rng.normal(size=(2, 3, 4)))
    for layer in (L.GRU(3, reset_after=False), L.LSTM(3, activation="relu"),
                  L.SimpleRNN(3, activation="relu"), L.LSTM(3, recurrent_activation="hard_sigmoid")):
        layer(x)
        assert FusedRecurrence not in {type(f) for f in graph_functions(layer(x))}
    assert FusedRecurrence in {type(f) for f in graph_functions(L.GRU(3)(x))}


def test_stable_sigmoid_and_float32_kept():
    z = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])
    np.testing.assert_allclose(sigmoid(z), [0.0, 1 / (1 + np.exp(30.0)), 0.5, 1 / (1 + np.exp(-30.0)), 1.0],
                               rtol=1e-15, atol=1e-300)
    out = L.LSTM(3, return_sequences=True)(np.ones((2, 3, 4), dtype=np.float32))
    assert out.dtype == np.float32
