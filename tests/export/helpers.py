"""Running an exported model with onnxruntime and comparing it with ``model.predict``.
Importing this module skips the test module when onnx or onnxruntime is not installed."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="ONNX export needs the onnx package: pip install 'scratchnn[onnx]'")
onnxruntime = pytest.importorskip("onnxruntime", reason="the exported files are run with onnxruntime: "
                                                        "pip install onnxruntime")

from scratchnn.export import to_onnx  # noqa: E402

TOLERANCE = 1e-5                     # float32, as the issue asks
BATCHES = (1, 37)


def session(proto):
    """An onnxruntime session of a ModelProto (checked first by onnx.checker)."""
    onnx.checker.check_model(proto, full_check=True)
    return onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def differences(model, make_inputs, opset=17, seed=0, batches=BATCHES):
    """max |onnxruntime - model.predict| for each batch size, the file built with ``opset``."""
    run = session(to_onnx(model, opset=opset))
    rng = np.random.default_rng(seed)
    out = []
    for n in batches:
        x = make_inputs(rng, n)
        got = run.run(None, {"input": x})[0]
        expected = model.predict(x, batch_size=64, verbose=0)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        out.append(float(np.abs(got.astype(np.float64) - expected).max()))
    return out
