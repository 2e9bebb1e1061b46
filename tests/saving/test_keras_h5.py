"""Keras 3's weights file (``*.weights.h5``): scratchnn writes Keras's layout, reads it back
bit for bit, reads a file written by Keras 3.15 itself, and refuses a file that does not fit the
model without changing a weight.

The Keras-written fixture (tests/saving/data/keras315_mlp.weights.h5 and keras315_mlp_io.npz) was
made by ``/work/tfvenv/bin/python bench/keras_h5_interop.py --fixture tests/saving/data``
(TensorFlow 2.21, Keras 3.15.1); that script also checks both directions against live Keras.
"""
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scratchnn import callbacks as C
from scratchnn import keras
from scratchnn.models import load_model
from scratchnn.saving import ModelFormatError
from scratchnn.utils import set_random_seed

try:
    import h5py
except ImportError:                      # every test but the one about a missing h5py is skipped
    h5py = None
needs_h5py = pytest.mark.skipif(h5py is None,
                                reason="Keras's .weights.h5 needs h5py: pip install 'scratchnn[h5]'")

L = keras.layers
DATA = Path(__file__).parent / "data"


# --------------------------------------------------------------------------- models
def randomized(model, seed=0):
    """Every weight set to a random value (variances positive), so each one is checked."""
    rng = np.random.default_rng(seed)
    model.set_weights([np.abs(w) + 0.5 if "variance" in v.name else w
                       for v, w in zip(model.weights, (rng.normal(size=w.shape).astype(w.dtype)
                                                       for w in model.get_weights()))])
    return model


def mlp():
    return keras.Sequential([keras.Input((6,)), L.Dense(16, activation="relu"), L.Dense(8, activation="tanh"),
                             L.Dense(3, activation="softmax")])


def cnn():
    return keras.Sequential([keras.Input((10, 10, 3)), L.Conv2D(4, 3, activation="relu"),
                             L.BatchNormalization(), L.MaxPooling2D(2), L.Conv2D(6, 3, padding="same"),
                             L.Flatten(), L.Dense(5)])


def two_inputs():
    a, b = keras.Input((3,), name="a"), keras.Input((5,), name="b")
    inner = keras.Sequential([L.Dense(4), L.Dense(2)], name="inner")
    x = L.Concatenate()([L.Dense(2)(a), inner(b)])
    return keras.Model([a, b], L.Dense(1)(x))


def recurrent():
    return keras.Sequential([keras.Input((7,), dtype="int32"), L.Embedding(20, 4),
                             L.LSTM(5, return_sequences=True), L.GRU(3), L.Dense(2)])


def layout(path):
    """``{h5 path: shape (datasets) or the 'name' attribute (groups)}`` of a file."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(
            name, tuple(obj.shape) if isinstance(obj, h5py.Dataset) else obj.attrs.get("name")))
    return out


def same(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(wa, wb))


# --------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("build", [mlp, cnn, two_inputs, recurrent])
@needs_h5py
def test_round_trip_is_bit_identical(tmp_path, build):
    set_random_seed(1)
    model, other = randomized(build(), seed=1), build()
    assert not same(model, other)
    path = tmp_path / "m.weights.h5"
    assert model.save_weights(path) == str(path)
    other.load_weights(path)
    assert same(model, other)


# The paths (and shapes) below were read from the file Keras 3.15.1 (TensorFlow 2.21) wrote for
#   keras.Sequential([keras.Input((4,)), Dense(3, name="d1"), BatchNormalization(name="bn"),
#                     Dense(2, name="d2")]).save_weights(...)
# minus its optimizer/ part (scratchnn does not write the optimizer's state). Groups' value: the
# 'name' attribute Keras gives a `vars` group (None: a group without one).
KERAS_315_SEQUENTIAL = {
    "layers": None,
    "layers/dense": None, "layers/dense/vars": "d1",
    "layers/dense/vars/0": (4, 3), "layers/dense/vars/1": (3,),
    "layers/batch_normalization": None, "layers/batch_normalization/vars": "bn",
    "layers/batch_normalization/vars/0": (3,), "layers/batch_normalization/vars/1": (3,),
    "layers/batch_normalization/vars/2": (3,), "layers/batch_normalization/vars/3": (3,),
    "layers/dense_1": None, "layers/dense_1/vars": "d2",
    "layers/dense_1/vars/0": (3, 2), "layers/dense_1/vars/1": (2,),
    "vars": "seq",
}

# Read from Keras 3.15.1's file for two_inputs() built in Keras (layers named as here).
KERAS_315_FUNCTIONAL = {
    "layers": None,
    "layers/input_layer": None, "layers/input_layer/vars": "a",
    "layers/input_layer_1": None, "layers/input_layer_1/vars": "b",
    "layers/dense": None, "layers/dense/vars": "da",
    "layers/dense/vars/0": (3, 2), "layers/dense/vars/1": (2,),
    "layers/sequential": None, "layers/sequential/vars": "inner", "layers/sequential/layers": None,
    "layers/sequential/layers/dense": None, "layers/sequential/layers/dense/vars": "i1",
    "layers/sequential/layers/dense/vars/0": (5, 4), "layers/sequential/layers/dense/vars/1": (4,),
    "layers/sequential/layers/dense_1": None, "layers/sequential/layers/dense_1/vars": "i2",
    "layers/sequential/layers/dense_1/vars/0": (4, 2), "layers/sequential/layers/dense_1/vars/1": (2,),
    "layers/concatenate": None, "layers/concatenate/vars": "cat",
    "layers/dense_1": None, "layers/dense_1/vars": "out",
    "layers/dense_1/vars/0": (4, 1), "layers/dense_1/vars/1": (1,),
    "vars": "fun",
}


@needs_h5py
def test_layout_equals_keras_3_for_a_sequential(tmp_path):
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, name="d1"), L.BatchNormalization(name="bn"),
                              L.Dense(2, name="d2")], name="seq")
    model.save_weights(tmp_path / "s.weights.h5")
    assert layout(tmp_path / "s.weights.h5") == KERAS_315_SEQUENTIAL
    with h5py.File(tmp_path / "s.weights.h5", "r") as f:       # gamma, beta, moving mean, variance
        stored = [f[f"layers/batch_normalization/vars/{i}"][()] for i in range(4)]
    for value, weight in zip(stored, model.layers[1].weights):
        np.testing.assert_array_equal(value, weight.data)
    np.testing.assert_array_equal(stored[3], np.ones(3, np.float32))


@needs_h5py
def test_layout_equals_keras_3_for_a_functional_model_with_a_nested_sequential(tmp_path):
    a, b = keras.Input((3,), name="a"), keras.Input((5,), name="b")
    inner = keras.Sequential([L.Dense(4, name="i1"), L.Dense(2, name="i2")], name="inner")
    x = L.Concatenate(name="cat")([L.Dense(2, name="da")(a), inner(b)])
    model = keras.Model([a, b], L.Dense(1, name="out")(x), name="fun")
    model.save_weights(tmp_path / "f.weights.h5")
    assert layout(tmp_path / "f.weights.h5") == KERAS_315_FUNCTIONAL


class Net(keras.Model):
    """A subclassed model: Keras walks its attributes by name, and its ``layers`` property too."""

    def __init__(self):
        super().__init__(name="net")
        self.alpha = L.Dense(4)
        self.zeta = L.Dense(2)
        self.blocks = [L.Dense(3), L.BatchNormalization()]

    def call(self, x):
        return self.zeta(self.alpha(self.blocks[1](self.blocks[0](x))))


# Read from Keras 3.15.1's file for the same class written with keras.Model (built on (2, 5)): the
# attributes sorted by name, `layers` (the property) among them; a layer reached twice is kept at
# its first path, and `layers` holds only `zeta`, still numbered dense_1 (Keras counts the others).
# The `name` attributes are the names this test gives the layers (Keras wrote its own).
KERAS_315_SUBCLASSED = {
    "alpha": None, "alpha/vars": "a", "alpha/vars/0": (3, 4), "alpha/vars/1": (4,),
    "blocks": None, "blocks/dense": None, "blocks/dense/vars": "b0",
    "blocks/dense/vars/0": (5, 3), "blocks/dense/vars/1": (3,),
    "blocks/batch_normalization": None, "blocks/batch_normalization/vars": "b1",
    **{f"blocks/batch_normalization/vars/{i}": (3,) for i in range(4)},
    "layers": None, "layers/dense_1": None, "layers/dense_1/vars": "z",
    "layers/dense_1/vars/0": (4, 2), "layers/dense_1/vars/1": (2,),
    "vars": "net",
}


@needs_h5py
def test_a_subclassed_model_has_keras_3s_layout_and_round_trips(tmp_path):
    model, other = Net(), Net()
    for net in (model, other):
        net(np.zeros((2, 5), np.float32))
    names = {"alpha": "a", "zeta": "z"}
    for attr, name in names.items():
        getattr(model, attr).name = name
    model.blocks[0].name, model.blocks[1].name = "b0", "b1"
    randomized(model).save_weights(tmp_path / "n.weights.h5")
    assert layout(tmp_path / "n.weights.h5") == KERAS_315_SUBCLASSED
    other.load_weights(tmp_path / "n.weights.h5")
    assert same(model, other)


@needs_h5py
def test_multi_head_attention_has_keras_3s_sublayer_groups(tmp_path):
    """scratchnn's MultiHeadAttention holds its projections' weights itself; Keras 3.15 writes
    them under key_dense/output_dense/query_dense/value_dense (paths and shapes read from Keras's
    file for the same model)."""
    x = keras.Input((5, 6))
    model = keras.Model(x, L.MultiHeadAttention(2, 4)(x, x))
    randomized(model).save_weights(tmp_path / "a.weights.h5")
    found = {k: v for k, v in layout(tmp_path / "a.weights.h5").items() if k.count("/") == 4}
    mha = "layers/multi_head_attention"
    assert found == {f"{mha}/key_dense/vars/0": (6, 2, 4), f"{mha}/key_dense/vars/1": (2, 4),
                     f"{mha}/output_dense/vars/0": (2, 4, 6), f"{mha}/output_dense/vars/1": (6,),
                     f"{mha}/query_dense/vars/0": (6, 2, 4), f"{mha}/query_dense/vars/1": (2, 4),
                     f"{mha}/value_dense/vars/0": (6, 2, 4), f"{mha}/value_dense/vars/1": (2, 4)}
    with h5py.File(tmp_path / "a.weights.h5", "r") as f:
        np.testing.assert_array_equal(f[f"{mha}/output_dense/vars/0"][()], model.layers[1].weights[6].data)
    other = keras.Model(x, L.MultiHeadAttention(2, 4)(x, x))
    other.load_weights(tmp_path / "a.weights.h5")
    assert same(model, other)


@needs_h5py
def test_normalization_writes_keras_3s_count_and_ignores_it_when_reading(tmp_path):
    """Keras 3.15 writes a Normalization's mean, variance and a legacy scalar 'count' (vars/2, int);
    scratchnn has no count: it writes a zero there and checks but does not use it when reading."""
    def build():
        return keras.Sequential([keras.Input((4,)), L.Normalization(), L.Dense(2)])
    model = randomized(build())
    model.save_weights(tmp_path / "n.weights.h5")
    found = layout(tmp_path / "n.weights.h5")
    assert [found.get(f"layers/normalization/vars/{i}") for i in range(4)] == [(4,), (4,), (), None]
    with h5py.File(tmp_path / "n.weights.h5", "a") as f:
        f["layers/normalization/vars/2"][()] = 1000
    other = build()
    other.load_weights(tmp_path / "n.weights.h5")
    assert same(model, other)
    with h5py.File(tmp_path / "n.weights.h5", "a") as f:      # a file without it loads too
        del f["layers/normalization/vars/2"]
    build().load_weights(tmp_path / "n.weights.h5")
    with h5py.File(tmp_path / "n.weights.h5", "a") as f:      # but a count that is not a scalar is refused
        f["layers/normalization/vars/2"] = np.zeros(3)
    refused(build(), tmp_path / "n.weights.h5", r"weight 2 is \[3\] in the file; the model's is \[\]")


@needs_h5py
def test_a_recurrent_layers_cell_is_under_cell(tmp_path):
    """Keras 3 writes an LSTM's and a GRU's weights under `<layer>/cell/vars` (kernel,
    recurrent_kernel, bias; GRU's bias (2, 3 units), reset_after)."""
    recurrent().save_weights(tmp_path / "r.weights.h5")
    found = layout(tmp_path / "r.weights.h5")
    assert found["layers/embedding/vars/0"] == (20, 4)
    assert [found[f"layers/lstm/cell/vars/{i}"] for i in range(3)] == [(4, 20), (5, 20), (20,)]
    assert [found[f"layers/gru/cell/vars/{i}"] for i in range(3)] == [(5, 9), (3, 9), (2, 9)]
    assert "layers/lstm/vars/0" not in found


# --------------------------------------------------------------------------- Keras's own file
@needs_h5py
def test_reads_the_file_keras_3_wrote():
    """Keras named its layers dense_10.. and its file holds Adam's state: the layers are found by
    Keras's paths, the optimizer part is ignored, and the predictions equal Keras's."""
    io = np.load(DATA / "keras315_mlp_io.npz")
    model = mlp()
    assert [layer.name for layer in model.layers] != ["dense_10", "dense_11", "dense_12"]
    model.load_weights(DATA / "keras315_mlp.weights.h5")
    np.testing.assert_allclose(model.predict(io["x"], verbose=0), io["y"], rtol=0, atol=1e-6)
    assert len(model.weights) == int(io["weights"])


# --------------------------------------------------------------------------- refusals
def refused(model, path, match):
    before = model.get_weights()
    with pytest.raises((ModelFormatError, ValueError), match=match):
        model.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@needs_h5py
def test_a_wrong_shape_names_the_layer_and_both_shapes_and_changes_nothing(tmp_path):
    keras.Sequential([keras.Input((6,)), L.Dense(16), L.Dense(8), L.Dense(4)]).save_weights(
        tmp_path / "w.weights.h5")
    refused(randomized(mlp()), tmp_path / "w.weights.h5",
            r"layer 'dense\w*' \(Dense, at 'layers/dense_2/vars'\): weight 0 .* is \[8, 4\] in the file; "
            r"the model's is \[8, 3\]")


@needs_h5py
def test_a_missing_layer_is_refused_and_changes_nothing(tmp_path):
    keras.Sequential([keras.Input((6,)), L.Dense(16), L.Dense(8)]).save_weights(tmp_path / "w.weights.h5")
    refused(randomized(mlp()), tmp_path / "w.weights.h5",
            r"at 'layers/dense_2/vars'\) is missing from the file")


@needs_h5py
def test_a_file_with_more_layers_than_the_model_is_refused(tmp_path):
    keras.Sequential([keras.Input((6,)), L.Dense(16), L.Dense(8), L.Dense(3), L.Dense(3)]).save_weights(
        tmp_path / "w.weights.h5")
    refused(randomized(mlp()), tmp_path / "w.weights.h5",
            r"layers the model does not have: \['layers/dense_3/vars'\]")


@needs_h5py
def test_a_layer_with_a_different_class_is_refused(tmp_path):
    """Keras's paths hold the class: a Conv2D's weights are not a Dense's."""
    keras.Sequential([keras.Input((6,)), L.BatchNormalization(), L.Dense(16), L.Dense(8),
                      L.Dense(3)]).save_weights(tmp_path / "c.weights.h5")
    refused(randomized(mlp()), tmp_path / "c.weights.h5",
            r"layers the model does not have: \['layers/batch_normalization/vars'\]")


@needs_h5py
def test_non_numeric_data_and_links_are_refused(tmp_path):
    model = randomized(mlp())
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "a") as f:
        del f["layers/dense/vars/1"]
        f["layers/dense/vars/1"] = np.array([b"x"] * 16)
    refused(model, tmp_path / "w.weights.h5", r"weight 1 .* has the dtype \|S1; expected a numeric array")
    (tmp_path / "other.h5").write_bytes(b"")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["b"] = np.zeros(16, np.float32)
    for link in (h5py.ExternalLink(str(tmp_path / "other.h5"), "b"), h5py.SoftLink("/layers/dense_1/vars/1")):
        with h5py.File(tmp_path / "w.weights.h5", "a") as f:
            del f["layers/dense/vars/1"]
            f["layers/dense/vars/1"] = link
        refused(model, tmp_path / "w.weights.h5", f"'1' is a {type(link).__name__}, not a dataset stored in")


@needs_h5py
def test_non_finite_weights_load_with_a_warning_naming_them(tmp_path):
    """As for safetensors: a file from training that diverged loads, and says where the NaNs are."""
    model = randomized(mlp())
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "a") as f:
        f["layers/dense_1/vars/0"][0, :2] = np.nan
    other = mlp()
    with pytest.warns(UserWarning, match=r"weight '[\w/]+kernel' holds 2 non-finite value\(s\)"):
        other.load_weights(tmp_path / "w.weights.h5")
    assert np.isnan(other.layers[1].weights[0].data).sum() == 2


@needs_h5py
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_a_truncated_file_is_refused_and_changes_nothing(tmp_path, keep):
    model = randomized(mlp())
    model.save_weights(tmp_path / "w.weights.h5")
    data = (tmp_path / "w.weights.h5").read_bytes()
    (tmp_path / "t.weights.h5").write_bytes(data[:int(len(data) * keep)])
    refused(randomized(mlp(), seed=5), tmp_path / "t.weights.h5", "weights.h5: ")


@needs_h5py
def test_a_file_that_is_not_hdf5_or_is_keras_2s_legacy_file_is_refused(tmp_path):
    (tmp_path / "x.weights.h5").write_bytes(b"not an HDF5 file at all")
    refused(mlp(), tmp_path / "x.weights.h5", "is not an HDF5 file")
    with h5py.File(tmp_path / "legacy.h5", "w") as f:
        f.attrs["layer_names"] = [b"dense"]
    refused(mlp(), tmp_path / "legacy.h5", "Keras 2 \\(legacy\\) HDF5 file")


def test_weights_go_to_a_weights_h5_name_and_a_whole_model_does_not(tmp_path):
    model = mlp()
    with pytest.raises(ValueError, match=rf"'\*\.weights\.h5' \(such as '{tmp_path / 'm'}\.weights\.h5'\)"):
        model.save_weights(tmp_path / "m.h5")
    with pytest.raises(ValueError, match="a '\\*\\.weights\\.h5' name is Keras 3's weights file"):
        model.save(tmp_path / "m.weights.h5")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_h5py_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "h5py", None)
    with pytest.raises(ImportError, match=r"pip install 'scratchnn\[h5\]'"):
        mlp().save_weights(tmp_path / "m.weights.h5")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "k.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(ImportError, match=r"pip install 'scratchnn\[h5\]'"):
        mlp().load_weights(tmp_path / "k.weights.h5")


def test_a_keras_3_dot_keras_file_is_refused_with_the_weights_h5_route(tmp_path):
    """A '.keras' file Keras 3.15 writes holds metadata.json, config.json and model.weights.h5 (the
    names read from such a file); loading it says how to move the weights instead."""
    path = tmp_path / "k.keras"
    with zipfile.ZipFile(path, "w") as z:
        for name in ("metadata.json", "config.json", "model.weights.h5"):
            z.writestr(name, b"{}")
    for load in (load_model, mlp().load_weights):
        with pytest.raises(ModelFormatError, match=r"written by Keras 3 .*load_weights\('m\.weights\.h5'\)"):
            load(path)


# --------------------------------------------------------------------------- ModelCheckpoint
@needs_h5py
def test_model_checkpoint_writes_weights_h5(tmp_path):
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 6)).astype(np.float32), rng.integers(0, 3, 32)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    path = tmp_path / "cp.weights.h5"
    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[C.ModelCheckpoint(filepath=path, save_weights_only=True, monitor="loss")])
    assert h5py.is_hdf5(path) and "optimizer" not in layout(path)
    restored = mlp()
    restored.load_weights(path)
    assert same(restored, model)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[C.ModelCheckpoint(
        filepath=tmp_path / "cp-{epoch:02d}.weights.h5", save_weights_only=True)])
    assert sorted(p.name for p in tmp_path.glob("cp-*")) == ["cp-01.weights.h5", "cp-02.weights.h5"]
    restored.load_weights(tmp_path / "cp-02.weights.h5")
    assert same(restored, model)
