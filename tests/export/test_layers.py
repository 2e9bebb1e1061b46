"""Every layer type that has an ONNX converter: onnx.checker passes, and onnxruntime's output equals
``model.predict`` to 1e-5 on batches of 1 and 37 samples (random weights, tests/export/cases.py)."""
import numpy as np
import pytest

from tests.export.cases import floats, layer_cases, stack
from tests.export.helpers import TOLERANCE, differences, session

from scratchnn import layers as L
from scratchnn.export import CONVERTERS, class_key, to_onnx

CASES = layer_cases()


@pytest.mark.parametrize("name,build", CASES, ids=[name for name, _ in CASES])
def test_onnxruntime_gives_what_predict_gives(name, build):
    model, make_inputs = build()
    assert max(differences(model, make_inputs)) <= TOLERANCE


def test_every_layer_with_a_converter_has_a_case():
    """A converter added without a case here would go untested."""
    covered = set()
    for _, build in CASES:
        model, _ = build()
        covered.update(class_key(type(layer)) for layer in model.walk())
    untested = [key for key in CONVERTERS.keys() if key not in covered
                and key not in ("scratchnn.layers.core.InputLayer", "scratchnn.models.gpt.GPT",
                                "scratchnn.layers.attention.MultiHeadAttention")]
    assert untested == []


def test_leaky_relu_keeps_the_layers_own_slope():
    """Keras's default slope is 0.3 (ONNX's LeakyRelu defaults to 0.01): the file says 0.3."""
    proto = to_onnx(stack((4,), L.LeakyReLU()))
    (node,) = [n for n in proto.graph.node if n.op_type == "LeakyRelu"]
    assert node.attribute[0].name == "alpha" and node.attribute[0].f == pytest.approx(0.3)


def test_consecutive_convolution_layers_share_one_transpose_each_way():
    """Conv2D, BatchNormalization, ReLU, MaxPooling2D, Conv2D, ZeroPadding2D, AveragePooling2D,
    then Flatten and Dense: one Transpose into channels-first, one back before Flatten."""
    model = stack((10, 10, 3), L.Conv2D(4, 3), L.BatchNormalization(), L.ReLU(), L.MaxPooling2D(2),
                  L.Conv2D(4, 1), L.ZeroPadding2D(1), L.AveragePooling2D(2), L.Flatten(), L.Dense(3))
    proto = to_onnx(model)
    assert [n.op_type for n in proto.graph.node].count("Transpose") == 2
    assert max(differences(model, floats(10, 10, 3))) <= TOLERANCE


def test_the_batch_axis_stays_symbolic():
    proto = to_onnx(stack((4,), L.Dense(2)))
    (dims,) = [[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in proto.graph.input]
    assert dims == ["batch", 4]
    (out,) = [[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in proto.graph.output]
    assert out == ["batch", 2]


@pytest.mark.parametrize("opset", [13, 18, 20])
def test_other_opsets(opset):
    """Opset 13 (LayerNormalization written as its formula) and 18+ (reduction axes as inputs)."""
    model = stack((3, 8), L.LayerNormalization(), L.Dense(8), L.Maxout(2), L.LayerNormalization(axis=[1, 2]))
    assert max(differences(model, floats(3, 8), opset=opset)) <= TOLERANCE


def test_multi_head_attention_with_its_own_value_and_output_shape():
    """MultiHeadAttention takes two inputs (query, value), so no Sequential holds it: its converter is
    run on a graph of two inputs, as a functional model's node will run it."""
    from scratchnn.export import Graph, Value
    import onnx

    rng = np.random.default_rng(0)
    layer = L.MultiHeadAttention(3, 4, value_dim=5, output_shape=(2, 3))
    query = rng.normal(size=(37, 6, 7)).astype(np.float32)
    value = rng.normal(size=(37, 4, 9)).astype(np.float32)
    layer(query, value)                                          # builds it
    for w in layer.weights:
        w.assign(rng.normal(0, 0.3, w.shape))
    expected = layer(query, value).numpy()
    g = Graph(np.float32, 17, CONVERTERS)
    q = Value("query", (None, None, 7), g.float_type)
    v = Value("value", (None, None, 9), g.float_type)
    out = g.convert(layer, [q, v])
    h = onnx.helper
    graph = h.make_graph(g.nodes, "mha", [h.make_tensor_value_info("query", g.float_type, ["b", "tq", 7]),
                                          h.make_tensor_value_info("value", g.float_type, ["b", "tk", 9])],
                         [h.make_tensor_value_info(out.name, g.float_type, ["b", "tq", 2, 3])],
                         initializer=g.initializers)
    proto = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)], ir_version=8)
    got = session(proto).run(None, {"query": query, "value": value})[0]
    assert got.shape == (37, 6, 2, 3)
    assert np.abs(got - expected).max() <= TOLERANCE


def test_every_case_at_the_oldest_opset_too():
    """Opset 13: LayerNormalization as its formula, reductions with their axes as attributes."""
    worst = max(max(differences(*build(), opset=13)) for _, build in CASES)
    assert worst <= TOLERANCE
