"""Keras's legacy whole-model HDF5 file (``model.save("my_model.h5")``, ``load_model``): scratchnn
writes Keras's layout, reads it back (architecture, weights, compile settings), reads a file
written by Keras 3.15 itself, Keras 3 reads scratchnn's (where TensorFlow is installed), and a bad
or hostile file is refused in one line.

The Keras-written fixture (tests/saving/data/keras315_mlp.h5 and keras315_mlp_h5_io.npz) was made
by ``/work/tfvenv/bin/python bench/keras_legacy_h5_interop.py --fixture tests/saving/data``
(TensorFlow 2.21, Keras 3.15.1); that script also checks both directions against live Keras.
"""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from scratchnn import keras
from scratchnn.models import load_model
from scratchnn.saving import ModelFormatError

try:
    import h5py
except ImportError:
    h5py = None
pytestmark = pytest.mark.skipif(h5py is None,
                                reason="Keras's .h5 files need h5py: pip install 'scratchnn[h5]'")

L = keras.layers
DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
TF_PYTHON = os.environ.get("SCRATCHNN_TF_PYTHON", "/work/tfvenv/bin/python")


def tutorial_model(seed=0):
    """The "save and load" tutorial's model, compiled as it is, with random weights."""
    model = keras.Sequential([L.Dense(16, activation="relu", input_shape=(12,), name="dense"),
                              L.Dropout(0.2, name="dropout"), L.Dense(3, name="dense_1")], name="sequential")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.002),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


def cnn():
    model = keras.Sequential([keras.Input((8, 8, 2)), L.Conv2D(4, 3, activation="relu"),
                              L.BatchNormalization(),
                              L.MaxPooling2D(), L.Flatten(), L.Dense(5, activation="softmax")])
    rng = np.random.default_rng(1)
    values = [rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()]
    model.set_weights([np.abs(w) + 0.5 if "variance" in v.name else w for v, w in zip(model.weights, values)])
    return model


def x_of(model, n=5):
    return np.random.default_rng(2).normal(size=(n,) + tuple(model.input_shape[1:])).astype(np.float32)


# --------------------------------------------------------------------------- both ways
def test_a_model_comes_back_with_its_weights_and_compile_settings(tmp_path):
    for model in (tutorial_model(), cnn()):
        model.save(tmp_path / "m.h5")
        loaded = load_model(tmp_path / "m.h5")
        x = x_of(model)
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
        assert [type(a).__name__ for a in loaded.layers] == [type(b).__name__ for b in model.layers]
        assert loaded.get_compile_config() == model.get_compile_config()
    model = tutorial_model()
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    assert loaded.optimizer.learning_rate == pytest.approx(0.002) and loaded.loss.from_logits
    assert load_model(tmp_path / "m.h5", compile=False).optimizer is None


def test_the_file_has_keras_legacy_layout(tmp_path):
    tutorial_model().save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert set(f.attrs) == {"keras_version", "backend", "model_config", "training_config"}
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential" and config["config"]["build_input_shape"] == [None, 12]
        assert [layer["class_name"] for layer in config["config"]["layers"]] == ["Dense", "Dropout", "Dense"]
        training = json.loads(f.attrs["training_config"])
        assert training["optimizer_config"]["class_name"] == "Adam"
        assert training["loss"]["config"]["from_logits"]
        group = f["model_weights"]
        assert [n.decode() for n in group.attrs["layer_names"]] == ["dense", "dropout", "dense_1"]
        assert [n.decode() for n in group["dense"].attrs["weight_names"]] == ["sequential/dense/kernel",
                                                                            "sequential/dense/bias"]
        assert group["dense/sequential/dense/kernel"].shape == (12, 16)
        assert len(group["dropout"].attrs["weight_names"]) == 0


def test_a_file_written_by_keras_3_15_loads_with_its_predictions_and_compile_settings():
    io = np.load(DATA / "keras315_mlp_h5_io.npz")
    model = load_model(DATA / "keras315_mlp.h5")
    np.testing.assert_allclose(model.predict(io["x"], verbose=0), io["y"], rtol=1e-5, atol=1e-6)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dropout", "Dense"]
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.learning_rate == pytest.approx(0.002)
    assert model.loss.from_logits                     # Keras's optimizer_weights are not read
    model.fit(io["x"], np.array([0, 1, 2, 1]), epochs=1, verbose=0)       # and it trains on


@pytest.mark.skipif(not os.path.exists(TF_PYTHON),
                    reason="needs a Python with TensorFlow (SCRATCHNN_TF_PYTHON)")
def test_keras_3_loads_scratchnns_file_with_the_same_predictions(tmp_path):
    model = tutorial_model()
    x = x_of(model)
    model.save(tmp_path / "m.h5")
    np.savez(tmp_path / "m.h5.npz", x=x)
    done = subprocess.run([TF_PYTHON, str(ROOT / "bench" / "keras_legacy_h5_interop.py"), "--load",
                           str(tmp_path / "m.h5")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    keras_side = json.loads(done.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(np.array(keras_side["y"]), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert keras_side["layers"] == ["Dense", "Dropout", "Dense"]
    assert (keras_side["optimizer"], keras_side["loss"], keras_side["from_logits"]) == (
        "Adam", "SparseCategoricalCrossentropy", True)
    assert keras_side["learning_rate"] == pytest.approx(0.002)


# --------------------------------------------------------------------------- names
def test_weights_and_whole_models_go_to_their_own_hdf5_names(tmp_path):
    model = tutorial_model()
    with pytest.raises(ValueError, match=r"a '\*\.weights\.h5' name is Keras 3's weights file .*'.*m\.h5'"):
        model.save(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match=r"'\*\.weights\.h5' \(such as '.*m\.weights\.h5'\)"):
        model.save_weights(tmp_path / "m.h5")
    model.save(tmp_path / "m.hdf5")
    assert load_model(tmp_path / "m.hdf5").count_params() == model.count_params()
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ModelFormatError, match="no 'model_config' attribute: not a whole-model HDF5 file"):
        load_model(tmp_path / "w.weights.h5")


# --------------------------------------------------------------------------- bad files
def refused(path, match):
    with pytest.raises(ModelFormatError, match=match):
        load_model(path)


def rewrite(tmp_path, edit, model=None):
    """A valid file, then ``edit(f)`` on it (opened for writing)."""
    path = tmp_path / "m.h5"
    (model or tutorial_model()).save(path)
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def test_a_file_that_is_not_hdf5_is_refused(tmp_path):
    (tmp_path / "x.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    refused(tmp_path / "x.h5", "model.h5: cannot be read as HDF5")


def test_a_weight_of_the_wrong_shape_names_the_layer_and_both_shapes(tmp_path):
    def edit(f):
        del f["model_weights/dense_1/sequential/dense_1/bias"]
        f["model_weights/dense_1/sequential/dense_1/bias"] = np.zeros(4, np.float32)
    refused(rewrite(tmp_path, edit), r"layer 'dense_1' \(the file's 'dense_1'\): weight 'dense_1/bias' "
                                     r"is \[4\] in the file; the model's is \[3\]")


def test_links_text_weights_filters_and_unstored_data_are_refused(tmp_path):
    def soft(f):
        del f["model_weights/dense/sequential/dense/bias"]
        other = "/model_weights/dense_1/sequential/dense_1/bias"
        f["model_weights/dense/sequential/dense/bias"] = h5py.SoftLink(other)
    refused(rewrite(tmp_path, soft), "'bias' is a SoftLink, not a dataset stored in this file")

    def external(f):
        del f["model_weights/dense/sequential/dense/bias"]
        f["model_weights/dense/sequential/dense/bias"] = h5py.ExternalLink("/etc/passwd", "/x")
    refused(rewrite(tmp_path, external), "'bias' is a ExternalLink, not a dataset stored in this file")

    def text(f):
        del f["model_weights/dense/sequential/dense/bias"]
        f["model_weights/dense/sequential/dense/bias"] = np.array([b"x"] * 16)
    refused(rewrite(tmp_path, text), "'sequential/dense/bias' has the dtype .S1; expected a numeric array")

    def compressed(f):
        del f["model_weights/dense/sequential/dense/kernel"]
        f.create_dataset("model_weights/dense/sequential/dense/kernel", data=np.zeros((12, 16), np.float32),
                         compression="gzip")
    refused(rewrite(tmp_path, compressed), "stored with a filter")

    def unstored(f):            # declares a billion values, stores none: never allocated
        del f["model_weights/dense/sequential/dense/kernel"]
        f.create_dataset("model_weights/dense/sequential/dense/kernel", shape=(10**5, 10**4),
                         dtype=np.float32)
    refused(rewrite(tmp_path, unstored), r"declares \[100000, 10000\] values but the file stores 0 bytes")


def test_a_config_that_does_not_fit_the_weights_or_is_not_json_is_refused(tmp_path):
    def bigger(f):          # a Dense of 10**9 units, weights of the small one: built within the file's size
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][0]["config"]["units"] = 10**9
        f.attrs["model_config"] = json.dumps(config)
    refused(rewrite(tmp_path, bigger), "cannot rebuild the model from model_config")

    def not_json(f):
        f.attrs["model_config"] = b"{'class_name': Sequential"
    refused(rewrite(tmp_path, not_json), "model.h5")

    def keras_setting(f):
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][0]["config"]["quantization_config"] = {"mode": "int8"}
        f.attrs["model_config"] = json.dumps(config)
    refused(rewrite(tmp_path, keras_setting), "the Keras setting quantization_config=.* is not supported")

    def fewer_layers(f):        # the file's weights cannot build the model: refused while it is built
        f["model_weights"].attrs["layer_names"] = [b"dense", b"dropout"]
    refused(rewrite(tmp_path, fewer_layers), r"layer 'dense_1': weight 'kernel' of shape \(16, 3\) needs 48 "
                                             r"values, more than the 0 left in the file")

    def more_layers(f):
        group = f["model_weights"].create_group("dense_2")
        group["sequential/dense_2/kernel"] = np.zeros((3, 3), np.float32)
        group.attrs["weight_names"] = [b"sequential/dense_2/kernel"]
        f["model_weights"].attrs["layer_names"] = [b"dense", b"dropout", b"dense_1", b"dense_2"]
    refused(rewrite(tmp_path, more_layers), r"the file holds weights for 3 layers \(\['dense', 'dense_1', "
                                            r"'dense_2'\]\); the model has 2 layers with weights")

    def no_config(f):
        del f.attrs["model_config"]
    refused(rewrite(tmp_path, no_config), "has no 'model_config' attribute")
