"""``model.export(path, format="onnx")`` and ``to_onnx``: the command line's three reference models
(MLP, CNN, GPT) give onnxruntime what they give ``predict`` (1e-5, batches of 1 and 37), and
every refusal (a layer without a converter, an unbuilt model, another format, a bad opset, onnx
missing) happens before anything is written."""
import os
import sys

import numpy as np
import pytest

from tests.export.cases import REFERENCE_MODELS, stack
from tests.export.helpers import TOLERANCE, differences, onnxruntime

from scratchnn import layers as L
from scratchnn.export import ExportError, to_onnx
from scratchnn.models import Sequential


@pytest.mark.parametrize("name", sorted(REFERENCE_MODELS))
def test_the_reference_models_run_the_same_in_onnxruntime(name):
    model, make_inputs = REFERENCE_MODELS[name]()
    assert max(differences(model, make_inputs)) <= TOLERANCE
    if name != "gpt":            # probabilities far from 0 and 1, where a wrong number would show
        probabilities = model.predict(make_inputs(np.random.default_rng(0), 37), verbose=0)
        assert probabilities.max(axis=1).mean() < 0.9


def test_the_gpt_reads_int64_ids_of_any_length_up_to_its_own():
    model, _ = REFERENCE_MODELS["gpt"]()
    proto = to_onnx(model)
    (x,) = proto.graph.input
    assert x.type.tensor_type.elem_type == 7                        # INT64
    ids = np.random.default_rng(1).integers(0, 65, (3, 10))        # 10 of its 64 positions
    got = onnxruntime.InferenceSession(proto.SerializeToString()).run(None, {"input": ids})[0]
    assert got.shape == (3, 10, 65)
    assert np.abs(got - model.predict(ids, verbose=0)).max() <= TOLERANCE


def test_model_export_writes_a_file_onnxruntime_runs(tmp_path):
    model = stack((5,), L.Dense(3, activation="softmax"))
    path = tmp_path / "out" / "model.onnx"
    assert model.export(path) == str(path)
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    got = onnxruntime.InferenceSession(str(path)).run(None, {"input": x})[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=TOLERANCE)
    assert [p.name for p in path.parent.iterdir()] == ["model.onnx"]           # no temporary file left


class Doubling(L.Layer):
    def call(self, inputs, training=False):
        return inputs * 2


class MyDense(L.Dense):
    """A subclass may compute something else: it gets no converter by inheritance."""


def test_a_layer_without_a_converter_is_refused_by_name_and_nothing_is_written(tmp_path):
    model = stack((4,), L.Dense(3), Doubling(name="double"), MyDense(2, name="mine"))
    path = tmp_path / "model.onnx"
    with pytest.raises(ExportError, match=r"'double' \(Doubling\), 'mine' \(MyDense\)"):
        model.export(path)
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"old")                                             # an older file stays intact
    with pytest.raises(ExportError, match="nothing was written"):
        model.export(path)
    assert path.read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 1


def test_a_layer_inside_a_nested_model_is_found_too(tmp_path):
    inner = Sequential([L.Dense(3), Doubling(name="deep")])
    model = stack((4,), inner)
    with pytest.raises(ExportError, match=r"'deep' \(Doubling\)"):
        model.export(tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_an_activation_without_a_converter_is_refused(tmp_path):
    model = stack((4,), L.Dense(3, activation=lambda x: x * 2, name="custom"))
    with pytest.raises(ExportError, match="'custom' \\(Dense\\): the activation"):
        model.export(tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_an_unbuilt_model_is_refused(tmp_path):
    model = Sequential([L.Dense(3)])
    with pytest.raises(ExportError, match="is not built"):
        model.export(tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["tf_saved_model", "torchscript", None])
def test_other_formats_are_refused(tmp_path, fmt):
    with pytest.raises(ExportError, match="scratchnn exports format='onnx'"):
        stack((4,), L.Dense(3)).export(tmp_path / "m", format=fmt)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("opset", [12, 10_000, "17", True])
def test_a_bad_opset_is_refused(tmp_path, opset):
    with pytest.raises(ExportError, match="opset must be an integer from 13"):
        stack((4,), L.Dense(3)).export(tmp_path / "m.onnx", opset=opset)


def test_without_onnx_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)                  # import onnx raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'scratchnn\[onnx\]'"):
        stack((4,), L.Dense(3)).export(tmp_path / "m.onnx")
    assert not os.listdir(tmp_path)

