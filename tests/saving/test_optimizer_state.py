"""The optimizer's state in a file (``scratchnn/saving/optimizer_state.py``): fit continues
exactly after a round trip (and differently without it); a bad state raises
``ModelFormatError``.
"""
import numpy as np
import pytest
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from scratchnn import optimizers
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed

from tests.saving.helpers import (
    ROUND_TRIP_OPTIMIZERS,
    X,
    Y,
    expect_format_error,
    optimizer_state,
    read_members,
    rich_model,
    weights_equal,
    with_members,
    write_zip,
)


@pytest.mark.parametrize("name", list(ROUND_TRIP_OPTIMIZERS))
def test_optimizer_state_round_trip_and_fit_continues_identically(tmp_path, name):
    original = rich_model(ROUND_TRIP_OPTIMIZERS[name]())
    path = tmp_path / f"{name}.scratchnn"
    original.save(path)
    loaded = load_model(path)

    iterations, globals_, slots = optimizer_state(original)
    l_iterations, l_globals, l_slots = optimizer_state(loaded)
    assert iterations == 6 and l_iterations == iterations
    assert l_globals == globals_
    if name == "nadam":
        assert set(globals_) == {"u_product"} and globals_["u_product"] != 1.0
    n_slots = len(original.optimizer.slot_specs())
    assert n_slots > 0
    assert all(len(s) == n_slots for s in slots), "every weight should have its slots after fitting"
    for i, (mine, theirs) in enumerate(zip(slots, l_slots)):
        assert mine.keys() == theirs.keys(), f"weight {i}"
        for slot in mine:
            assert theirs[slot].dtype == mine[slot].dtype
            assert np.array_equal(theirs[slot], mine[slot]), f"weight {i} slot {slot}"
            assert np.any(mine[slot] != 0) or slot == "accumulator", f"weight {i} slot {slot} is all zero"

    set_random_seed(11)
    h_original = original.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    set_random_seed(11)
    h_loaded = loaded.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    assert original.optimizer.iterations == loaded.optimizer.iterations == 12
    assert weights_equal(loaded, original), "fit after loading differs from fit of the original"
    assert h_loaded.history == h_original.history
    assert loaded.metrics_names == original.metrics_names
    for i, (mine, theirs) in enumerate(zip(optimizer_state(original)[2], optimizer_state(loaded)[2])):
        assert all(np.array_equal(mine[slot], theirs[slot]) for slot in mine), f"weight {i} after fit"


def test_fit_continues_differently_without_the_optimizer_state(tmp_path):
    """Control for the test above: the restored state really matters."""
    original = rich_model(ROUND_TRIP_OPTIMIZERS["adam-amsgrad"]())
    original.save(tmp_path / "m.scratchnn", include_optimizer=False)
    loaded = load_model(tmp_path / "m.scratchnn")
    loaded.compile(optimizer=ROUND_TRIP_OPTIMIZERS["adam-amsgrad"](), loss="sparse_categorical_crossentropy")
    set_random_seed(11)
    original.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    set_random_seed(11)
    loaded.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    assert not weights_equal(loaded, original)


def test_missing_optimizer_member_loads_with_fresh_optimizer_state(valid, tmp_path):
    path = with_members(valid, tmp_path, optimizer_safetensors=None)
    model = load_model(path)
    assert model.compiled and model.optimizer.iterations == 0
    assert weights_equal(model, valid["model"])


def _optimizer_file(valid, tmp_path, tensors, name="o.scratchnn"):
    return with_members(valid, tmp_path, name=name, optimizer_safetensors=st_save(tensors))


def test_bad_optimizer_state(valid, tmp_path):
    good = valid["optimizer"]
    slot = next(k for k in good if k.startswith("momentum/"))
    cases = {
        "slot shape": dict(good, **{slot: np.zeros((7, 7), np.float32)}),
        "slot dtype": dict(good, **{slot: good[slot].astype(np.float64)}),
        "unknown slot": dict(good, **{"sneaky/0000/dense/kernel": np.zeros((4, 5), np.float32)}),
        "unknown weight": dict(good, **{"momentum/0009/dense/kernel": np.zeros((4, 5), np.float32)}),
        "no iterations": {k: v for k, v in good.items() if k != "iterations"},
        "negative iterations": dict(good, iterations=np.array(-3, np.int64)),
        "float iterations": dict(good, iterations=np.array(3.0, np.float64)),
        "vector iterations": dict(good, iterations=np.array([3, 4], np.int64)),
        "unknown global": dict(good, **{"global/u_product": np.array(0.5)}),
    }
    for i, (what, tensors) in enumerate(cases.items()):
        err = expect_format_error(_optimizer_file(valid, tmp_path, tensors, f"o{i}.scratchnn"),
                                  "optimizer.safetensors")
        if what.startswith("slot"):
            assert slot in str(err), what
        # without compiling, the optimizer state is not read at all
        assert load_model(tmp_path / f"o{i}.scratchnn", compile=False).built, what


def test_nadam_global_state_must_be_finite(tmp_path):
    model = rich_model(optimizers.Nadam(1e-3))
    path = model.save(tmp_path / "n.scratchnn")
    members = read_members(path)
    tensors = st_load(members["optimizer.safetensors"])
    assert "global/u_product" in tensors
    members["optimizer.safetensors"] = st_save(dict(tensors, **{"global/u_product": np.array(np.inf)}))
    write_zip(tmp_path / "bad.scratchnn", members)
    expect_format_error(tmp_path / "bad.scratchnn", "optimizer.safetensors", "u_product")


def test_iterations_beyond_int64_is_rejected(valid, tmp_path):
    tensors = dict(valid["optimizer"], iterations=np.array(2**64 - 1, np.uint64))
    expect_format_error(_optimizer_file(valid, tmp_path, tensors), "optimizer.safetensors", "iterations")
