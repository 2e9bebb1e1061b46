"""``distributed.fit``: shard, sync callbacks, rank 0's progress bar, and its checks."""
import numpy as np
import pytest

from scratchnn import distributed
from scratchnn.optimizers import Adam

from tests.distributed.helpers import FakeComm
from tests.distributed.mpi_worker import equality_data, mlp64


def test_alone_it_trains_as_model_fit():
    """A world of one rank: the same weights and history as ``model.fit``, bit for bit."""
    x, y = equality_data()
    runs = []
    for dist in (False, True):
        model = mlp64(seed=5)
        opt = Adam(0.01)
        model.compile(optimizer=distributed.DistributedOptimizer(opt, comm=FakeComm()) if dist else opt,
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        args = dict(batch_size=8, epochs=2, verbose=0, validation_data=(x[:10], y[:10]))
        history = distributed.fit(model, x, y, comm=FakeComm(), **args) if dist else model.fit(x, y, **args)
        runs.append((model.get_weights(), history.history))
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(a, b)
    assert runs[0][1] == runs[1][1]


def test_a_plain_optimizer_or_a_generator_is_refused_before_training():
    x, y = equality_data()
    model = mlp64(seed=5)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="compile the model with optimizer=scratchnn.distributed"):
        distributed.fit(model, x, y, comm=FakeComm())
    assert model.optimizer.iterations == 0
    model.compile(optimizer=distributed.DistributedOptimizer("adam", comm=FakeComm()),
                  loss="sparse_categorical_crossentropy")
    with pytest.raises(TypeError, match="distributed.fit shards arrays; x is a generator"):
        distributed.fit(model, ((x[i:i + 8], y[i:i + 8]) for i in range(0, 80, 8)), comm=FakeComm())
    assert model.optimizer.iterations == 0
