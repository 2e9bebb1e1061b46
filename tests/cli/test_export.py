"""``scratchnn export`` (``scratchnn/cli/export.py``): the file beside the model or at --out, whose
onnxruntime output equals the model's predictions; one-line errors (exit 2) for a missing model and
a layer without a converter (nothing written), exit 1 with the pip line when onnx is missing."""
import os
import sys

import numpy as np
import pytest

from tests.export.cases import reference_cnn
from tests.export.helpers import TOLERANCE, onnxruntime

from scratchnn import layers as L
from scratchnn.cli import main
from scratchnn.models import Sequential, load_model
from scratchnn.saving import register_serializable


def _export(capsys, *argv):
    status = main(["export", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _max_difference(onnx_path, model, x):
    got = onnxruntime.InferenceSession(str(onnx_path)).run(None, {"input": x})[0]
    return float(np.abs(got - model.predict(x, verbose=0)).max())


@pytest.fixture
def cnn_run(tmp_path):
    """A run folder holding the command line's CNN (random weights)."""
    model, _ = reference_cnn()
    run = tmp_path / "run"
    model.save(run / "model.scratchnn")
    return run


def test_export_writes_model_onnx_in_the_run_folder(cnn_run, capsys):
    status, out, err = _export(capsys, cnn_run, "--format", "onnx")
    assert status == 0 and err == ""
    path = cnn_run / "model.onnx"
    assert out.startswith(f"wrote {path} (") and "input 'input' (batch, 28, 28)" in out
    x = np.random.default_rng(0).integers(0, 256, (37, 28, 28)).astype(np.float32)
    assert _max_difference(path, load_model(cnn_run / "model.scratchnn"), x) <= TOLERANCE


def test_out_names_a_file_or_a_folder(cnn_run, tmp_path, capsys):
    assert _export(capsys, cnn_run / "model.scratchnn", "--out", tmp_path / "cnn.onnx")[0] == 0
    assert (tmp_path / "cnn.onnx").stat().st_size > 100_000                  # 225,034 float32 weights
    folder = tmp_path / "exported"
    folder.mkdir()
    assert _export(capsys, cnn_run, "--out", folder, "--opset", "18")[0] == 0
    assert os.listdir(folder) == ["model.onnx"]


def test_the_real_mnist_run_exports(mnist_run, tmp_path, capsys):
    """The run of ``scratchnn train`` itself (MNIST, 1 epoch; skipped without the local mirror)."""
    status, _, _ = _export(capsys, mnist_run, "--out", tmp_path / "mlp.onnx")
    assert status == 0
    x = np.random.default_rng(1).integers(0, 256, (37, 28, 28)).astype(np.float32)
    assert _max_difference(tmp_path / "mlp.onnx", load_model(mnist_run / "model.scratchnn"), x) <= TOLERANCE


def test_a_missing_model_is_one_line(tmp_path, capsys):
    status, out, err = _export(capsys, tmp_path / "nowhere")
    assert status == 2 and out == ""
    assert err.startswith("scratchnn export: error: no model at") and err.count("\n") == 1


@register_serializable(name="ExportCliTripling")
class Tripling(L.Layer):
    def call(self, inputs, training=False):
        return inputs * 3


def test_a_layer_without_a_converter_is_named_and_nothing_is_written(tmp_path, capsys):
    model = Sequential([L.Input(shape=(4,)), L.Dense(3), Tripling(name="triple")])
    model.save(tmp_path / "m.scratchnn")
    status, out, err = _export(capsys, tmp_path / "m.scratchnn")
    assert status == 2 and out == ""
    assert "no converter for layer(s) 'triple' (Tripling)" in err and err.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == ["m.scratchnn"]


def test_without_onnx_the_error_says_what_to_install(cnn_run, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    status, _, err = _export(capsys, cnn_run)
    assert status == 1 and "pip install 'scratchnn[onnx]'" in err and err.count("\n") == 1
    assert not (cnn_run / "model.onnx").exists()


def test_another_format_is_a_usage_error(cnn_run, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(cnn_run), "--format", "tflite"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'tflite'" in capsys.readouterr().err


def test_a_gpt_model_file_exports_with_int64_ids(tmp_path, capsys):
    from scratchnn.models import GPT
    model = GPT(65, sequence_length=16, num_layers=1, num_heads=2, hidden_dim=16)
    model.build((None, 16))
    model.save(tmp_path / "gpt.scratchnn")
    status, out, _ = _export(capsys, tmp_path / "gpt.scratchnn")
    assert status == 0 and "input 'input' (batch, ?)" in out
    ids = np.random.default_rng(0).integers(0, 65, (37, 16))
    assert _max_difference(tmp_path / "gpt.onnx", load_model(tmp_path / "gpt.scratchnn"), ids) <= TOLERANCE
