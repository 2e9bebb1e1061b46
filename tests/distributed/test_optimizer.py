"""``DistributedOptimizer``: the gradient average over the ranks, and the optimizer it stays."""
import sys

import numpy as np
import pytest

from scratchnn import distributed
from scratchnn import optimizers as O
from scratchnn.models import load_model

from tests.distributed.helpers import FakeComm
from tests.distributed.mpi_worker import BATCH, STEPS, WeightRecorder, equality_data, mlp64, optimizers


@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_two_ranks_with_batch_b_give_the_weights_of_one_process_with_batch_2b(two_ranks, name):
    """The claim, through the real ``mpiexec -n 2``: float64, step for step for 5 steps, to 1e-12.
    Rank 1 started from other random weights (another seed): rank 0's were broadcast. Adam clips
    the global norm of the gradient: of the averaged one, as one process clips its batch's."""
    x, y = equality_data()
    reference = mlp64(seed=10)
    reference.compile(optimizer=optimizers()[name](), loss="sparse_categorical_crossentropy")
    recorder = WeightRecorder()
    reference.fit(x, y, batch_size=2 * BATCH, epochs=1, shuffle=False, callbacks=[recorder], verbose=0)
    expected = np.stack(recorder.steps)
    ranks = [two_ranks.load(f"equality-{name}-rank{r}") for r in (0, 1)]
    assert expected.shape == ranks[0]["steps"].shape == (STEPS, expected.shape[1])
    assert np.abs(expected[-1] - expected[0]).max() > 1e-2            # the weights did move
    for step in range(STEPS):
        np.testing.assert_allclose(ranks[0]["steps"][step], expected[step], rtol=0, atol=1e-12,
                                   err_msg=f"{name}, step {step + 1}")
    np.testing.assert_array_equal(ranks[1]["steps"], ranks[0]["steps"])  # the ranks never drift apart
    assert int(ranks[0]["comm_calls"]) == STEPS + 1      # one Allreduce per step (+ the layout check)


def test_it_is_the_wrapped_optimizer_with_its_settings_and_state():
    """An ``Adam`` still (class name, config, state, weight-decay exclusions), saved as 'Adam'."""
    adam = O.Adam(learning_rate=0.003, weight_decay=0.01, global_clipnorm=2.0)
    adam.exclude_from_weight_decay(var_names=["bias"])
    adam.iterations = 5
    opt = distributed.DistributedOptimizer(adam, comm=FakeComm())
    assert isinstance(opt, O.Adam) and distributed.is_distributed(opt)
    assert not distributed.is_distributed(adam)
    assert type(opt).__name__ == "Adam" and opt.get_config() == adam.get_config()
    assert O.serialize(opt) == O.serialize(adam)
    assert opt.iterations == 5 and opt.learning_rate == pytest.approx(0.003)

    class Weight:
        def __init__(self, name):
            self.name = name
    assert not opt.decays(Weight("dense/bias")) and opt.decays(Weight("dense/kernel"))   # exclusions kept
    named = distributed.DistributedOptimizer("sgd", comm=FakeComm())
    assert type(named).__mro__[2] is O.SGD


def test_wrapping_twice_or_wrapping_something_else_is_refused():
    opt = distributed.DistributedOptimizer("adam", comm=FakeComm())
    with pytest.raises(ValueError, match="already averages its gradients"):
        distributed.DistributedOptimizer(opt, comm=FakeComm())
    with pytest.raises(ValueError, match="could not interpret optimizer identifier"):
        distributed.DistributedOptimizer(42, comm=FakeComm())
    with pytest.raises(ValueError, match="timeout must be a number of seconds > 0"):
        distributed.DistributedOptimizer("adam", comm=FakeComm(), timeout=0)


def test_one_rank_trains_exactly_as_the_plain_optimizer_and_saves_as_it(tmp_path):
    """In a world of one rank nothing is averaged: the same weights, bit for bit; the saved model
    loads with a plain Adam (no MPI needed to use it)."""
    x, y = equality_data()
    models = []
    for wrap in (False, True):
        model = mlp64(seed=3)
        opt = O.Adam(0.01)
        model.compile(optimizer=distributed.DistributedOptimizer(opt, comm=FakeComm()) if wrap else opt,
                      loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        models.append(model)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_array_equal(a, b)
    models[1].save(tmp_path / "m.scratchnn")
    loaded = load_model(tmp_path / "m.scratchnn")
    assert type(loaded.optimizer) is O.Adam and loaded.optimizer.iterations == models[1].optimizer.iterations


def test_without_mpi4py_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)          # `import mpi4py` fails
    with pytest.raises(ImportError, match=r"pip install 'scratchnn\[mpi\]'"):
        distributed.DistributedOptimizer("adam")
