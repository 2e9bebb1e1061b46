"""The callbacks that keep the ranks in step (``distributed/sync.py``), on 2 real ranks and alone."""
import csv

import numpy as np
import pytest

from scratchnn import distributed
from scratchnn.callbacks import BackupAndRestore, CSVLogger, EarlyStopping

from tests.distributed.helpers import FakeComm
from tests.distributed.mpi_worker import equality_data, mlp64


def _both(two_ranks, name):
    return two_ranks.load(f"{name}-rank0"), two_ranks.load(f"{name}-rank1")


def test_the_epoch_logs_are_the_mean_of_the_ranks_logs(two_ranks):
    """Loss, accuracy and their val_* of each epoch: every callback after AverageMetrics, History
    included, sees the mean of what the two ranks measured on their shards, on both ranks."""
    r0, r1 = _both(two_ranks, "sync")
    assert list(r0["keys"]) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert not np.allclose(r0["own"], r1["own"])                       # the shards differ
    mean = (r0["own"] + r1["own"]) / 2
    for r in (r0, r1):
        np.testing.assert_allclose(r["seen"], mean, rtol=1e-12)
        np.testing.assert_allclose(r["history"].T, mean, rtol=1e-12)


def test_batch_norm_moving_statistics_are_averaged_before_validation(two_ranks):
    """Rank 1's shard is shifted by +1: its moving statistics differ from rank 0's; the values
    used by the validation pass, and kept at the end, are their mean, the same on both ranks."""
    r0, r1 = _both(two_ranks, "sync")
    before0, before1 = r0["bn_own"][-1], r1["bn_own"][-1]          # epoch 2, before the average
    assert np.abs(before0 - before1).max() > 1e-3
    np.testing.assert_allclose(r0["bn_final"], (before0 + before1) / 2, rtol=1e-6)
    np.testing.assert_array_equal(r0["bn_final"], r1["bn_final"])


def test_every_rank_starts_from_rank_0s_weights_and_optimizer_state(two_ranks):
    """Rank 0 alone had an optimizer state (Nadam at step 7, slots 0.01, u_product 0.5); rank 1 had
    other initial weights. At the end both hold the same weights, slots and step counts, which
    only happens if rank 1 received rank 0's at the start."""
    r0, r1 = _both(two_ranks, "sync")
    steps = int(r0["steps"])
    assert int(r0["iterations"]) == int(r1["iterations"]) == 7 + 2 * steps
    assert float(r0["u_product"]) == float(r1["u_product"])
    np.testing.assert_array_equal(r0["slots"], r1["slots"])
    np.testing.assert_array_equal(r0["weights"], r1["weights"])


def test_checkpoints_and_logs_are_written_by_rank_0_only(two_ranks):
    """The rank0= callbacks name their files after the rank that runs them: only rank 0's exist,
    and its CSV holds the averaged logs."""
    files = sorted(p.name for p in two_ranks.path.iterdir() if not p.name.endswith(".npz"))
    assert files == ["ckpt-rank0.scratchnn", "log-rank0.csv"]
    r0 = two_ranks.load("sync-rank0")
    with open(two_ranks.path / "log-rank0.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    for row, averaged in zip(rows, r0["seen"]):
        np.testing.assert_allclose([float(row[k]) for k in r0["keys"]], averaged, rtol=1e-12)


def test_one_rank_stopping_stops_every_rank_at_the_same_step(two_ranks):
    """Rank 1 alone sets stop_training after its third batch: its request travels with the fourth
    step's gradient average, after which both stop (else rank 0 would wait for an average that
    never comes). Set at the end of epoch 1: both stop after that epoch (10 steps of 4 x 2)."""
    r0, r1 = _both(two_ranks, "stop")
    assert r0["batch"].tolist() == r1["batch"].tolist() == [4, 1]
    assert r0["epoch"].tolist() == r1["epoch"].tolist() == [10, 1]


def test_callbacks_puts_the_sync_around_yours_and_rank0_on_rank_0_only():
    stopper, logger = EarlyStopping(), CSVLogger("unused.csv")
    on_rank = {r: distributed.callbacks([stopper], rank0=[logger], comm=FakeComm(rank=r, size=2))
               for r in (0, 1)}
    assert [type(cb) for cb in on_rank[0]] == [
        distributed.AverageBatchNormStatistics, distributed.AverageMetrics, EarlyStopping, CSVLogger,
        distributed.BroadcastWeights, distributed.StopTogether]
    assert logger not in on_rank[1] and stopper in on_rank[1] and len(on_rank[1]) == 5
    with pytest.raises(ValueError, match="BackupAndRestore is not supported"):
        distributed.callbacks([BackupAndRestore("backup")], comm=FakeComm())
    with pytest.raises(TypeError, match="rank0 must be Callback instances, got str"):
        distributed.callbacks(rank0=["ModelCheckpoint"], comm=FakeComm())


def test_broadcast_weights_refuses_a_model_without_a_distributed_optimizer():
    """Each rank would train its own copy: refused at the start of fit, before any step."""
    x, y = equality_data()
    model = mlp64(seed=1)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.build((None, 6))
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"compile with optimizer=scratchnn\.distributed\.Distributed"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[distributed.BroadcastWeights(comm=FakeComm())])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_pack_and_unpack_round_trip_in_the_widest_dtype():
    arrays = [np.arange(6, dtype=np.float32).reshape(2, 3), np.array([0.1, 0.2]), np.zeros((0,))]
    flat = distributed.sync.pack(arrays)
    assert flat.dtype == np.float64 and flat.size == 8
    targets = [np.empty_like(a) for a in arrays]
    distributed.sync.unpack(flat, targets)
    for a, b in zip(arrays, targets):
        np.testing.assert_array_equal(a, b)
