"""``F.embedding`` and ``F.token_ids`` (``scratchnn/functional/embedding.py``): the lookup by hand,
the scatter-add over repeated ids, gradcheck, PyTorch's ``embedding`` (values and gradients), and
the checks on the ids.
"""
import numpy as np
import pytest

import scratchnn as snn
import scratchnn.functional as F
from scratchnn.autograd import Tensor
from scratchnn.backend import fast_kernels

from tests.helpers import assert_close, requires_torch, torch


def _table(rng, vocab=7, dim=3):
    return Tensor(rng.normal(size=(vocab, dim)), requires_grad=True, dtype=np.float64)


def test_lookup_gathers_rows_in_the_ids_shape(rng):
    table = _table(rng)
    ids = np.array([[0, 6, 2], [2, 2, 5]])
    out = F.embedding(ids, table)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.data[1, 0], table.data[2])
    np.testing.assert_array_equal(out.data, table.data[ids])


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])
def test_gradient_adds_every_occurrence_of_a_repeated_id(rng, fast):
    table = _table(rng)
    ids = np.array([[3, 1, 3], [3, 0, 1]])                     # 3 three times, 1 twice, 0 once
    g = np.arange(18, dtype=np.float64).reshape(2, 3, 3)
    with fast_kernels(fast):
        (F.embedding(ids, table) * Tensor(g, dtype=np.float64)).sum().backward()
    want = np.zeros((7, 3))
    want[3] = g[0, 0] + g[0, 2] + g[1, 0]
    want[1] = g[0, 1] + g[1, 2]
    want[0] = g[1, 1]
    np.testing.assert_array_equal(table.grad, want)             # rows 2, 4, 5, 6: no gradient


@pytest.mark.parametrize("ids_shape", [(5,), (2, 4), (2, 3, 2)], ids=["1d", "2d", "3d"])
def test_embedding_gradcheck(rng, ids_shape):
    ids = rng.integers(0, 4, size=ids_shape)                    # small vocabulary: many repeats
    assert snn.gradcheck(lambda table: F.embedding(ids, table), rng.normal(size=(4, 3)))


@requires_torch
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])
def test_embedding_matches_torch(rng, fast):
    ids = rng.integers(0, 9, size=(4, 6))
    w = rng.normal(size=(9, 5))
    r = rng.normal(size=(4, 6, 5))
    table = Tensor(w, requires_grad=True, dtype=np.float64)
    with fast_kernels(fast):
        out = F.embedding(ids, table)
        (out * Tensor(r, dtype=np.float64)).sum().backward()
    wt = torch.tensor(w, requires_grad=True)
    out_t = torch.nn.functional.embedding(torch.tensor(ids), wt)
    (out_t * torch.tensor(r)).sum().backward()
    assert_close(out, out_t.detach().numpy(), what="forward")
    assert_close(table.grad, wt.grad.numpy(), what="d embeddings")


def test_whole_float_ids_are_accepted_as_integers(rng):
    table = _table(rng)
    np.testing.assert_array_equal(F.embedding(np.array([[1.0, 4.0]], dtype=np.float32), table).data,
                                  table.data[[[1, 4]]])
    ids = F.token_ids(Tensor(np.array([2.0, 0.0])), 3)
    assert ids.dtype.kind == "i" and ids.tolist() == [2, 0]


@pytest.mark.parametrize("ids, match", [
    (np.array([1, 7]), r"token id 7 is outside the vocabulary of 7 tokens \(ids must be in \[0, 7\)\)"),
    (np.array([[-1, 2]]), "token id -1 is outside the vocabulary of 7"),
    (np.array([1.0, 2.5]), "whole numbers, got 2.5"),
    (np.array([1.0, np.nan]), "whole numbers, got nan"),
])
def test_bad_ids_are_refused_with_the_id_and_the_vocabulary_size(rng, ids, match):
    table = _table(rng)
    with pytest.raises(ValueError, match=match):
        F.embedding(ids, table)


def test_non_numeric_ids_and_a_bad_table_are_refused(rng):
    with pytest.raises(TypeError, match="must be integers, got an array of dtype bool"):
        F.embedding(np.array([True, False]), _table(rng))
    with pytest.raises(ValueError, match=r"2 axes \(vocabulary, dim\), got shape \(7,\)"):
        F.embedding(np.array([1]), np.zeros(7))
