"""The merge layers (``scratchnn/layers/merging.py``): values against NumPy, gradients (gradcheck in
float64, and PyTorch for Concatenate and Dot), shape checks that name the layer and the shapes,
masks, the functional forms and the operators on symbolic tensors, config round trips.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import keras
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.layers import get_mask, set_mask

from tests.helpers import assert_close, requires_torch, torch

ELEMENTWISE = {
    "Add": (L.Add, lambda xs: xs[0] + xs[1] + xs[2]),
    "Multiply": (L.Multiply, lambda xs: xs[0] * xs[1] * xs[2]),
    "Average": (L.Average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
    "Maximum": (L.Maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2])),
    "Minimum": (L.Minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2])),
}


def _inputs(rng, *shapes):
    return [rng.normal(size=s) for s in shapes]


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_merge_of_three_inputs_equals_numpy(rng, name):
    cls, expected = ELEMENTWISE[name]
    xs = _inputs(rng, (4, 3, 5), (4, 3, 5), (4, 3, 5))
    out = cls(dtype="float64")([Tensor(x, dtype=np.float64) for x in xs])
    assert_close(out, expected(xs), what=name)


def test_subtract_is_x1_minus_x2_and_a_size_one_axis_broadcasts(rng):
    a, b = _inputs(rng, (4, 5), (4, 1))
    out = L.Subtract(dtype="float64")([Tensor(a, dtype=np.float64), Tensor(b, dtype=np.float64)])
    assert_close(out, a - b)
    assert L.Subtract().compute_output_shape([(None, 5), (None, 1)]) == (None, 5)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE) + ["Subtract"])
def test_gradcheck_elementwise_merges(rng, name):
    cls = L.Subtract if name == "Subtract" else ELEMENTWISE[name][0]
    n = 2 if name == "Subtract" else 3
    xs = _inputs(rng, *[(3, 4)] * n)        # distinct values: max/min have a unique winner
    layer = cls(dtype="float64")
    assert snn.gradcheck(lambda *ts: layer(list(ts)), *xs)


def test_concatenate_values_and_output_shape(rng):
    a, b, c = _inputs(rng, (2, 3, 4), (2, 3, 1), (2, 3, 2))
    out = L.Concatenate(dtype="float64")([Tensor(x, dtype=np.float64) for x in (a, b, c)])
    assert_close(out, np.concatenate([a, b, c], axis=-1))
    layer = L.Concatenate(axis=1)
    assert layer.compute_output_shape([(None, 3, 4), (None, 5, 4)]) == (None, 8, 4)
    assert layer.compute_output_shape([(None, None, 4), (None, 5, 4)]) == (None, None, 4)


def test_gradcheck_concatenate(rng):
    a, b = _inputs(rng, (2, 3, 4), (2, 5, 4))
    layer = L.Concatenate(axis=1, dtype="float64")
    assert snn.gradcheck(lambda x, y: layer([x, y]), a, b)


def test_dot_of_two_vectors_per_sample_is_batch_by_one(rng):
    a, b = _inputs(rng, (5, 4), (5, 4))
    out = L.Dot(axes=1, dtype="float64")([Tensor(a, dtype=np.float64), Tensor(b, dtype=np.float64)])
    assert_close(out, np.sum(a * b, axis=1, keepdims=True))
    cosine = L.Dot(axes=1, normalize=True, dtype="float64")([Tensor(a, dtype=np.float64),
                                                              Tensor(b, dtype=np.float64)])
    expected = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert_close(cosine, expected[:, None])


def test_dot_on_sequences_contracts_the_given_axes(rng):
    a, b = _inputs(rng, (2, 3, 4), (2, 5, 4))
    out = L.Dot(axes=(2, 2), dtype="float64")([Tensor(a, dtype=np.float64), Tensor(b, dtype=np.float64)])
    assert_close(out, np.einsum("bik,bjk->bij", a, b))
    c = rng.normal(size=(2, 3, 6))
    out = L.Dot(axes=(1, 1), dtype="float64")([Tensor(a, dtype=np.float64), Tensor(c, dtype=np.float64)])
    assert_close(out, np.einsum("bki,bkj->bij", a, c))
    assert L.Dot(axes=(2, 2)).compute_output_shape([(None, 3, 4), (None, 5, 4)]) == (None, 3, 5)


@pytest.mark.parametrize("normalize", [False, True])
def test_gradcheck_dot(rng, normalize):
    a, b = _inputs(rng, (2, 3, 4), (2, 5, 4))
    layer = L.Dot(axes=-1, normalize=normalize, dtype="float64")
    assert snn.gradcheck(lambda x, y: layer([x, y]), a, b)


@requires_torch
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_matches_pytorch_values_and_gradients(rng, normalize):
    a, b = _inputs(rng, (2, 3, 4), (2, 5, 4))
    g = rng.normal(size=(2, 3, 5))
    xa, xb = Tensor(a, requires_grad=True, dtype=np.float64), Tensor(b, requires_grad=True, dtype=np.float64)
    out = L.Dot(axes=(2, 2), normalize=normalize, dtype="float64")([xa, xb])
    (out * Tensor(g, dtype=np.float64)).sum().backward()
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ua, ub = (torch.nn.functional.normalize(ta, dim=2), torch.nn.functional.normalize(tb, dim=2)) \
        if normalize else (ta, tb)
    expected = torch.bmm(ua, ub.transpose(1, 2))
    (expected * torch.tensor(g)).sum().backward()
    assert_close(out, expected.detach().numpy(), what="values")
    assert_close(xa.grad, ta.grad.numpy(), what="d/dx1")
    assert_close(xb.grad, tb.grad.numpy(), what="d/dx2")


@requires_torch
def test_concatenate_matches_pytorch_values_and_gradients(rng):
    a, b = _inputs(rng, (2, 3, 4), (2, 3, 2))
    g = rng.normal(size=(2, 3, 6))
    xa, xb = Tensor(a, requires_grad=True, dtype=np.float64), Tensor(b, requires_grad=True, dtype=np.float64)
    out = L.Concatenate(dtype="float64")([xa, xb])
    (out * Tensor(g, dtype=np.float64)).sum().backward()
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    expected = torch.cat([ta, tb], dim=-1)
    (expected * torch.tensor(g)).sum().backward()
    assert_close(out, expected.detach().numpy())
    assert_close(xa.grad, ta.grad.numpy())
    assert_close(xb.grad, tb.grad.numpy())


# ------------------------------------------------------------------ errors
def test_shapes_that_cannot_be_merged_name_the_layer_and_the_shapes(rng):
    with pytest.raises(ValueError, match=r"layer 'my_add' \(Add\).*\(None, 3\), \(None, 4\).*axis 1"):
        L.Add(name="my_add")([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"Concatenate.*\(None, 3, 4\), \(None, 5, 2\)"):
        L.concatenate([keras.Input((3, 4)), keras.Input((5, 2))], axis=-1)
    with pytest.raises(ValueError, match=r"Dot.*axis 1 of \(None, 3\) has 3, axis 1 of \(None, 4\) has 4"):
        L.dot([keras.Input((3,)), keras.Input((4,))], axes=1)


def test_a_merge_needs_a_list_of_enough_inputs():
    with pytest.raises(ValueError, match=r"must be called on a list of tensors.*\(None, 3\)"):
        L.Add()(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="at least 2 inputs, got 1"):
        L.Multiply()([np.zeros((2, 3))])
    with pytest.raises(ValueError, match="exactly 2 inputs, got 3"):
        L.Subtract()([np.zeros((2, 3))] * 3)


def test_a_refused_merge_stays_unbuilt():
    layer = L.Add()
    with pytest.raises(ValueError):
        layer([np.zeros((2, 3)), np.zeros((2, 4))])
    assert not layer.built
    assert layer([np.ones((2, 3)), np.ones((2, 3))]).shape == (2, 3)


# ------------------------------------------------------------------ masks
def test_elementwise_merge_ands_the_masks_an_unmasked_input_counts_as_all_true():
    a, b, c = (Tensor(np.ones((2, 3, 4))) for _ in range(3))
    set_mask(a, [[1, 1, 0], [1, 0, 0]])
    set_mask(b, [[1, 0, 1], [1, 1, 0]])
    assert get_mask(L.Add()([a, b, c])).tolist() == [[True, False, False], [True, False, False]]
    assert get_mask(L.Average()([c, Tensor(np.ones((2, 3, 4)))])) is None


def test_concatenate_joins_masks_along_time_and_ands_them_along_features():
    a, b = Tensor(np.ones((1, 2, 4))), Tensor(np.ones((1, 3, 4)))
    set_mask(a, [[1, 0]])
    assert get_mask(L.Concatenate(axis=1)([a, b])).tolist() == [[True, False, True, True, True]]
    c = Tensor(np.ones((1, 2, 3)))
    set_mask(c, [[0, 1]])
    assert get_mask(L.Concatenate()([a, c])).tolist() == [[False, False]]


def test_masks_flow_through_a_merge_in_a_functional_model():
    ids = keras.Input((None,), dtype="int32")
    e1 = L.Embedding(10, 4, mask_zero=True)(ids)
    e2 = L.Embedding(10, 4)(ids)
    merged = L.add([e1, e2])
    assert merged.mask_ndim == 2
    model = keras.Model(ids, L.Dense(2)(merged))
    out = model(np.array([[3, 0, 2]]))
    assert get_mask(out).tolist() == [[True, False, True]]


# ------------------------------------------------------------------ functional forms and operators
def test_functional_forms_and_operators_record_merge_layers(rng):
    a, b = keras.Input((3,)), keras.Input((3,))
    outs = [L.add([a, b]), L.subtract([a, b]), L.multiply([a, b]), L.average([a, b]), L.maximum([a, b]),
            L.minimum([a, b]), L.concatenate([a, b]), L.dot([a, b], axes=1), a + b, a - b, a * b]
    kinds = [type(t.node.layer).__name__ for t in outs]
    assert kinds == ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
                     "Add", "Subtract", "Multiply"]
    x, y = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    values = keras.Model([a, b], outs)([x, y])
    expected = [x + y, x - y, x * y, (x + y) / 2, np.maximum(x, y), np.minimum(x, y),
                np.concatenate([x, y], 1), np.sum(x * y, 1, keepdims=True), x + y, x - y, x * y]
    for v, e in zip(values, expected):
        np.testing.assert_allclose(v.data, e, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("layer", [L.Add(), L.Concatenate(axis=1), L.Dot(axes=(1, 2), normalize=True),
                                   L.Maximum(name="m")])
def test_config_round_trip(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
