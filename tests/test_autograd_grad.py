"""``autograd.grad(outputs, inputs)``: the gradients of some tensors only, with no side effect
(no ``.grad`` written, no hook run), on the same engine as ``backward``."""
import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn.functional.activations import Sigmoid
from scratchnn import Tensor
from scratchnn.autograd import grad


def _pair(rng):
    w = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)
    x = Tensor(rng.standard_normal((4, 3)))
    return w, b, x


def test_grad_equals_backward_and_leaves_no_grad(rng):
    w, b, x = _pair(rng)
    loss = (F.tanh(x @ w + b) ** 2).mean()
    gw, gb = grad(loss, [w, b], retain_graph=True)
    assert w.grad is None and b.grad is None          # nothing written
    loss.backward()
    np.testing.assert_allclose(gw, w.grad, rtol=1e-6)
    np.testing.assert_allclose(gb, b.grad, rtol=1e-6)


def test_grad_computes_only_what_leads_to_the_inputs(rng):
    w, b, x = _pair(rng)
    calls = []

    class Spy(Sigmoid):
        def backward(self, g):
            calls.append(self.needs_grad)
            return super().backward(g)
    side = Spy.apply(b)                                # leads to b only
    loss = (x @ w).sum() + side.sum()
    (gw,) = grad(loss, [w])
    np.testing.assert_allclose(gw, np.repeat(x.data.sum(0)[:, None], 2, axis=1), rtol=1e-6)
    assert calls == []                                 # the branch towards b was never run


def test_grad_of_an_unconnected_input_is_none_and_of_an_intermediate_is_its_total(rng):
    w, b, x = _pair(rng)
    other = Tensor(np.ones(2), requires_grad=True)
    h = x @ w
    loss = (h * h).sum() + b.sum()
    gh, go = grad(loss, [h, other])
    np.testing.assert_allclose(gh, 2 * h.data, rtol=1e-6)
    assert go is None


def test_grad_with_output_gradients_and_several_outputs(rng):
    w, b, x = _pair(rng)
    y = x @ w
    up = rng.standard_normal(y.shape)
    (g1,) = grad(y, [w], grad_outputs=[up], retain_graph=True)
    np.testing.assert_allclose(g1, x.data.T @ up, rtol=1e-5)
    (g2,) = grad([y, y.sum()], [w])                    # the sum of both: ones twice
    np.testing.assert_allclose(g2, 2 * x.data.T @ np.ones(y.shape), rtol=1e-5)


def test_grad_frees_the_graph_unless_retained(rng):
    w, b, x = _pair(rng)
    loss = (x @ w).sum()
    grad(loss, [w])
    with pytest.raises(RuntimeError, match="freed"):
        grad(loss, [w])


def test_grad_of_an_input_with_respect_to_itself_is_ones():
    w = Tensor(np.arange(3.0), requires_grad=True)
    (g,) = grad(w, [w])
    np.testing.assert_array_equal(g, np.ones(3))


def test_grad_rejects_a_wrong_output_gradient_shape(rng):
    w, b, x = _pair(rng)
    with pytest.raises(ValueError, match=r"shape \(2,\), expected the output's shape \(4, 2\)"):
        grad(x @ w, [w], grad_outputs=[np.ones(2)])
