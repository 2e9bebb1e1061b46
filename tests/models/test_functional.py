"""The functional API (``models/functional.py``, ``layers/symbolic.py``): ``keras.Input`` gives a
symbolic tensor, layer calls on it record nodes, ``Model(inputs, outputs)`` runs them. Graphs with
several inputs and outputs equal the values computed by hand; a shared layer has one set of
weights whose gradients add up; nested models; the model of the activations of a trained CNN;
``layer.input``/``output``; summary's "Connected to"; config, file and weights round trips;
training like a Sequential; the errors.
"""
import io
import json
import zipfile

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import keras
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.layers.symbolic import KerasTensor
from scratchnn.models import load_model
from scratchnn.saving import ModelFormatError
from scratchnn.utils import set_random_seed


def _dense_np(layer, x, activation=None):
    kernel, bias = (w.data.astype(np.float64) for w in layer.weights)
    y = x @ kernel + bias
    return np.maximum(y, 0) if activation == "relu" else y


# ------------------------------------------------------------------ Input and symbolic tensors
def test_input_is_a_symbolic_tensor_with_shape_dtype_name_and_its_input_layer():
    x = keras.Input(shape=(28, 28), name="pixels")
    assert isinstance(x, KerasTensor)
    assert x.shape == (None, 28, 28) and x.dtype == np.float32 and x.name == "pixels"
    assert isinstance(x.node.layer, L.InputLayer) and x.node.layer.name == "pixels"
    ids = keras.Input((None,), batch_size=8, dtype="int32")
    assert ids.shape == (8, None) and ids.dtype == np.int32


def test_input_refuses_what_it_cannot_hold():
    with pytest.raises(ValueError, match="string inputs are not supported.*TextVectorization"):
        keras.Input((1,), dtype="string")
    with pytest.raises(ValueError, match="sparse=True and ragged=True are not supported"):
        keras.Input((3,), sparse=True)
    with pytest.raises(ValueError, match="tensor= is not supported"):
        keras.Input((3,), tensor=np.zeros((1, 3)))
    assert keras.Input(batch_shape=(4, 2, 3)).shape == (4, 2, 3)


def test_sequential_still_takes_input_inputlayer_and_add_input():
    a = keras.Sequential([keras.Input(shape=(4,)), L.Dense(2)])
    b = keras.Sequential([L.InputLayer(shape=(4,)), L.Dense(2)])
    c = keras.Sequential()
    c.add(keras.Input((4,)))
    c.add(L.Dense(2))
    for model in (a, b, c):
        assert model.built and model.input_shape == (None, 4) and model.output_shape == (None, 2)
        assert len(model.layers) == 1


@pytest.mark.parametrize("use", [
    lambda x: np.asarray(x), lambda x: x.numpy(), lambda x: x + np.ones(3), lambda x: np.ones(3) * x,
    lambda x: float(x), lambda x: bool(x), lambda x: x[0], lambda x: x @ x, lambda x: 2 ** x,
])
def test_a_symbolic_tensor_used_as_numbers_says_it_is_symbolic(use):
    x = keras.Input((3,))
    with pytest.raises(TypeError, match="symbolic tensor.*keras.Input") as info:
        use(x)
    assert "layer" in str(info.value)


def test_an_operator_with_an_array_suggests_a_layer():
    with pytest.raises(TypeError, match=r"layers\.Add"):
        keras.Input((3,)) + np.ones(3)


def test_operators_with_a_number_record_layers_that_compute_and_save(rng, tmp_path):
    x = keras.Input((3,))
    outs = [x / 255.0, 1 - x, -x, x ** 2, 2 * x + 1, x - np.float32(0.5)]
    assert {type(t.node.layer).__name__ for t in outs} == {"ConstantOperation"}
    model = keras.Model(x, outs)
    data = rng.normal(size=(4, 3)).astype("float32")
    expected = [data / 255.0, 1 - data, -data, data ** 2, 2 * data + 1, data - 0.5]
    for value, e in zip(model(data), expected):
        np.testing.assert_allclose(value.data, e, rtol=1e-6)
    loaded = load_model(model.save(tmp_path / "ops.scratchnn"))
    for value, again in zip(model(data), loaded(data)):
        assert np.array_equal(value.data, again.data)
    assert snn.gradcheck(lambda t: L.ConstantOperation("/", 3.0, reflected=True, dtype="float64")(t),
                         rng.uniform(1, 2, size=(2, 3)))


def test_calling_a_layer_symbolically_draws_no_random_number_and_runs_no_hook():
    x = keras.Input((5,))
    dense = L.Dense(4)
    calls = []
    dense(np.zeros((1, 5)))
    dense.add_forward_hook(lambda layer, i, o: calls.append(1))
    state, np_state = snn.random.get_state(), np.random.get_state()[1].copy()
    y = L.Dropout(0.5)(dense(x), training=True)
    drawn_after = snn.random.generator().random(4)
    snn.random.set_state(state)
    assert calls == [] and y.shape == (None, 4)
    np.testing.assert_array_equal(drawn_after, snn.random.generator().random(4))
    np.testing.assert_array_equal(np_state, np.random.get_state()[1])


def test_unknown_axes_stay_unknown_and_are_inferred():
    seq = keras.Input((None, 6))
    y = L.Conv1D(3, 5, padding="valid")(seq)
    assert y.shape == (None, None, 3)
    img = keras.Input((None, None, 2))
    z = L.MaxPooling2D(2)(L.Conv2D(4, 3, padding="same")(img))
    assert z.shape == (None, None, None, 4)
    fixed = L.Flatten()(L.MaxPooling2D(2)(keras.Input((8, 6, 1))))
    assert fixed.shape == (None, 12)
    model = keras.Model(img, z)
    assert model(np.zeros((2, 10, 6, 2), dtype="float32")).shape == (2, 5, 3, 4)


# ------------------------------------------------------------------ graphs
def test_two_inputs_two_outputs_equal_the_values_computed_by_hand(rng):
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    h = L.Dense(4, activation="relu", name="h")(a)
    joined = L.Concatenate(name="cat")([h, b])
    y1 = L.Dense(1, name="y1")(joined)
    y2 = L.Add(name="y2")([L.Dense(2, name="proj")(h), b])
    model = keras.Model([a, b], [y1, y2])
    assert [layer.name for layer in model.layers] == ["a", "b", "h", "cat", "y1", "proj", "y2"]
    assert model.output_names == ["y1", "y2"]
    assert model.inputs == [a, b] and model.outputs == [y1, y2]
    xa, xb = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    out1, out2 = model([xa, xb])
    hh = _dense_np(model.get_layer("h"), xa, "relu")
    np.testing.assert_allclose(out1.data, _dense_np(model.get_layer("y1"), np.concatenate([hh, xb], 1)),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out2.data, _dense_np(model.get_layer("proj"), hh) + xb, rtol=1e-5, atol=1e-6)


def test_dict_inputs_and_outputs(rng):
    inputs = {"x": keras.Input((3,), name="x"), "z": keras.Input((3,), name="z")}
    outputs = {"sum": L.add([inputs["x"], inputs["z"]]), "prod": L.multiply([inputs["x"], inputs["z"]])}
    model = keras.Model(inputs=inputs, outputs=outputs)
    assert model.output_names == ["sum", "prod"]
    x, z = rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(2, 3)).astype("float32")
    out = model({"z": z, "x": x})
    assert set(out) == {"sum", "prod"}
    np.testing.assert_allclose(out["sum"].data, x + z, rtol=1e-6)
    np.testing.assert_allclose(out["prod"].data, x * z, rtol=1e-6)
    with pytest.raises(ValueError, match=r"lacks \['z'\]"):
        model({"x": x})


def test_a_shared_layer_has_one_kernel_and_its_gradients_add_up(rng):
    a, b = keras.Input((3,)), keras.Input((3,))
    shared = L.Dense(2, use_bias=False)
    model = keras.Model([a, b], L.add([shared(a), shared(b)]))
    assert model.weights == [shared.kernel] and model.count_params() == 6
    xa, xb = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    model([xa, xb], training=True).sum().backward()
    # d sum(a W + b W) / dW = (sum over the batch of a + b) for every output unit
    expected = np.repeat((xa + xb).sum(0)[:, None], 2, axis=1)
    np.testing.assert_allclose(shared.kernel.grad, expected, rtol=1e-5)
    with pytest.raises(AttributeError, match="called 2 times.*get_output_at"):
        _ = shared.output
    assert shared.get_output_at(1).node.input_tensors == [b]


def test_nested_sequential_functional_and_subclassed_models(rng):
    class Twice(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = L.Dense(3)

        def call(self, x, training=False):
            return self.dense(x) * 2.0

    seq = keras.Sequential([L.Dense(4, activation="relu"), L.Dense(3)])
    inner_in = keras.Input((5,))
    inner = keras.Model(inner_in, L.Dense(3, name="inner_dense")(inner_in), name="inner")
    sub = Twice()
    x = keras.Input((5,))
    y = L.Concatenate()([seq(x), inner(x), sub(x)])
    model = keras.Model(x, y)
    assert seq.built and sub.built
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Sequential", "Functional",
                                                                "Twice", "Concatenate"]
    data = rng.normal(size=(2, 5)).astype("float32")
    expected = np.concatenate([seq(data).data, inner(data).data, 2 * sub.dense(data).data], axis=1)
    np.testing.assert_allclose(model(data).data, expected, rtol=1e-6)
    assert len(model.weights) == 4 + 2 + 2


def test_activations_model_of_a_trained_cnn_equals_the_manual_forward_pass(rng):
    set_random_seed(1)
    for first in ([keras.Input((8, 8, 1))], []):
        conv = L.Conv2D(3, 3, activation="relu", **({} if first else {"input_shape": (8, 8, 1)}))
        cnn = keras.Sequential(first + [conv, L.MaxPooling2D(2), L.Flatten(),
                                        L.Dense(4, activation="softmax")])
        cnn.compile("adam", "sparse_categorical_crossentropy")
        x = rng.normal(size=(16, 8, 8, 1)).astype("float32")
        cnn.fit(x, rng.integers(0, 4, 16), epochs=1, verbose=0)
        activations = keras.Model(inputs=cnn.inputs, outputs=[layer.output for layer in cnn.layers])
        values = activations.predict(x[:5], verbose=0)
        h = x[:5]
        for layer, value in zip(cnn.layers, values):
            h = layer(h).data
            np.testing.assert_allclose(value, h, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(values[-1], cnn.predict(x[:5], verbose=0), rtol=1e-5, atol=1e-6)
        assert conv.output_shape == (None, 6, 6, 3) and conv.input.shape == (None, 8, 8, 1)
        assert activations.layers[1:] == cnn.layers          # the same layers: the trained weights


def test_a_sequential_built_from_data_has_a_graph_that_follows_add_and_pop(rng):
    seq = keras.Sequential([L.Dense(3, name="first"), L.Dense(2, name="second")])
    with pytest.raises(AttributeError, match="input shape is not known"):
        _ = seq.inputs
    x = rng.normal(size=(4, 5)).astype("float32")
    seq.predict(x, verbose=0)                      # built from the data
    assert seq.outputs[0].shape == (None, 2) and seq.output_names == ["second"]
    seq.pop()
    seq.add(L.Dense(6, name="third"))
    assert seq.output.shape == (None, 6) and seq.output.node.layer.name == "third"
    features = keras.Model(seq.input, seq.get_layer("first").output)
    np.testing.assert_allclose(features.predict(x, verbose=0), seq.layers[0](x).data, rtol=1e-6)
    assert len(seq.layers[0].inbound_nodes) == 1          # each layer called once on the graph


def test_hooks_of_a_model_do_not_run_while_it_is_called_symbolically():
    seq = keras.Sequential([L.Dense(2)])
    seen = []
    seq.add_forward_hook(lambda model, i, o: seen.append(o.shape))
    model = keras.Model(*(lambda x: (x, seq(x)))(keras.Input((3,))))
    assert seen == []
    model(np.zeros((5, 3)))
    assert seen == [(5, 2)]


def test_a_sequential_called_on_an_input_builds_and_returns_a_symbolic_output(rng):
    seq = keras.Sequential([L.Dense(3), L.Dense(2)])
    x = keras.Input((4,))
    y = seq(x)
    assert seq.built and y.shape == (None, 2)
    model = keras.Model(x, y)
    data = rng.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(model(data).data, seq(data).data)


# ------------------------------------------------------------------ layers of the model
def test_layer_input_output_shapes_and_get_layer():
    x = keras.Input((4,), name="in")
    d = L.Dense(3, name="d")
    y = d(x)
    model = keras.Model(x, y)
    assert d.input is x and d.output is y
    assert d.input_shape == (None, 4) and d.output_shape == (None, 3)
    assert model.get_layer("d") is d and model.get_layer(index=0).name == "in" and model.get_layer(1) is d
    assert model.input is x and model.output is y and model.output_shape == (None, 3)
    with pytest.raises(ValueError, match="no layer named 'e'"):
        model.get_layer("e")
    with pytest.raises(AttributeError, match="never been called on a symbolic tensor"):
        _ = L.Dense(2).output


def test_summary_has_a_connected_to_column():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    shared = L.Dense(4, name="shared")
    model = keras.Model([a, b], L.Add(name="sum")([shared(a), shared(b)]))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in lines[2]
    row = next(line for line in lines if "shared (Dense)" in line)
    assert "a[0][0], b[0][0]" in row and "20" in row
    assert "shared[0][0], shared[1][0]" in next(line for line in lines if "sum (Add)" in line)
    assert "Total params: 20" in text


# ------------------------------------------------------------------ saving
def _graph_model():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    shared = L.Dense(4, activation="relu", name="shared")
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, L.Dense(2, name="inner_out")(inner_in), name="inner")
    seq = keras.Sequential([L.Dense(2, name="seq_dense")], name="seq")
    h = L.concatenate([inner(shared(a)), seq(shared(b))], name="cat")
    return keras.Model(inputs=[a, b], outputs={"out": L.Dense(1, name="out")(h), "h": h}, name="graph")


def test_save_and_load_round_trip_bit_identical(tmp_path, rng):
    model = _graph_model()
    model.compile("adam", "mse")
    path = model.save(tmp_path / "graph.scratchnn")
    loaded = load_model(path)
    assert type(loaded).__name__ == "Functional" and loaded.name == "graph"
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.output_names == ["out", "h"]
    for w, v in zip(model.weights, loaded.weights):
        assert w.name == v.name and np.array_equal(w.data, v.data)
    data = [rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")]
    out, again = model(data), loaded(data)
    for key in ("out", "h"):
        assert np.array_equal(out[key].data, again[key].data)
    assert loaded.get_config() == model.get_config()
    weights = tmp_path / "graph.safetensors"
    model.save_weights(weights)
    fresh = keras.Model.from_config(model.get_config())
    fresh.load_weights(weights)
    assert all(np.array_equal(w.data, v.data) for w, v in zip(model.weights, fresh.weights))


def test_config_uses_keras_layout_with_inbound_nodes():
    model = _graph_model()
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == {"out": ["out", 0, 0], "h": ["cat", 0, 0]}
    shared = next(c for c in config["layers"] if c["name"] == "shared")
    refs = [node["args"][0]["config"]["keras_history"] for node in shared["inbound_nodes"]]
    assert refs == [["a", 0, 0], ["b", 0, 0]]


def _rewrite_config(path, edit, out):
    with zipfile.ZipFile(path) as zin:
        members = {name: zin.read(name) for name in zin.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for name, data in members.items():
            zout.writestr(name, data)
    out.write_bytes(buf.getvalue())
    return out


def test_a_config_listing_layers_out_of_order_rebuilds_the_same_graph(rng):
    x = keras.Input((4,), name="x")
    h, skips = x, []
    for i in range(12):
        h = L.Dense(4, activation="tanh", name=f"d{i}")(h)
        skips.append(h)
    model = keras.Model(x, L.add(skips[::3], name="skip_sum"))
    config = model.get_config()
    config["layers"] = config["layers"][:1] + config["layers"][:0:-1]      # every call before its inputs
    rebuilt = keras.Model.from_config(config)
    assert [layer.name for layer in rebuilt.layers] == [c["name"] for c in config["layers"]]
    for layer in rebuilt.layers:
        layer.set_weights(model.get_layer(layer.name).get_weights())
    data = rng.normal(size=(3, 4)).astype("float32")
    np.testing.assert_array_equal(rebuilt(data).data, model(data).data)


def test_a_config_naming_a_tensor_no_layer_makes_is_a_model_format_error(tmp_path):
    path = _graph_model().save(tmp_path / "graph.scratchnn")

    def edit(config):
        config["config"]["output_layers"]["h"] = ["no_such_layer", 0, 0]
    bad = _rewrite_config(path, edit, tmp_path / "bad.scratchnn")
    with pytest.raises(ModelFormatError, match="config.json.*no_such_layer"):
        load_model(bad)

    def cycle(config):
        shared = next(c for c in config["config"]["layers"] if c["name"] == "shared")
        shared["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["cat", 0, 0]
    with pytest.raises(ModelFormatError, match="config.json.*no layer makes"):
        load_model(_rewrite_config(path, cycle, tmp_path / "cycle.scratchnn"))


def test_tensors_passed_as_keyword_arguments_are_recorded_run_and_saved(tmp_path):
    enc_in, dec_in = keras.Input((None,), dtype="int32"), keras.Input((None,), dtype="int32")
    memory = L.Embedding(20, 8, mask_zero=True)(enc_in)
    x = L.TransformerDecoder(16, 2)(L.Embedding(20, 8, mask_zero=True)(dec_in), encoder_sequence=memory)
    x = L.MultiHeadAttention(2, 4)(x, value=memory)
    model = keras.Model([enc_in, dec_in], L.Dense(5)(x))
    decoder = model.layers[4]
    assert type(decoder).__name__ == "TransformerDecoder" and decoder.get_input_at(0).shape == (None, None, 8)
    assert decoder.inbound_nodes[0].kwargs["encoder_sequence"] is memory
    ids = [np.array([[1, 2, 3, 0]]), np.array([[4, 5, 0]])]
    out = model(ids)
    assert out.shape == (1, 3, 5)
    loaded = load_model(model.save(tmp_path / "seq2seq.scratchnn"))
    assert np.array_equal(loaded(ids).data, out.data)


def test_a_layer_shared_across_a_nested_model_and_outside_refuses_to_save(tmp_path):
    seq = keras.Sequential([L.Dense(2)])
    x = keras.Input((3,))
    sub = keras.Model(x, seq(x), name="sub")
    y = keras.Input((3,))
    model = keras.Model(y, L.add([sub(y), seq(y)]))
    with pytest.raises(ValueError, match="used both in 'sub' and in"):
        model.save(tmp_path / "m.scratchnn")
    assert not (tmp_path / "m.scratchnn").exists()


# ------------------------------------------------------------------ training
def test_fit_evaluate_predict_like_the_same_sequential(rng):
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x[:, :1] * 2 - x[:, 1:2]).astype("float32")
    set_random_seed(3)
    seq = keras.Sequential([keras.Input((5,)), L.Dense(8, activation="relu"), L.Dense(1)])
    inp = keras.Input((5,))
    func = keras.Model(inp, L.Dense(1)(L.Dense(8, activation="relu")(inp)))
    func.set_weights(seq.get_weights())
    histories = []
    for model in (seq, func):
        model.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
        histories.append(model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history)
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-6)
    assert histories[1]["loss"][-1] < histories[1]["loss"][0]
    np.testing.assert_allclose(seq.evaluate(x, y, verbose=0), func.evaluate(x, y, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(seq.predict(x, verbose=0), func.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 5\)"):
        func.predict(np.zeros((2, 4)), verbose=0)


def test_predict_with_several_inputs_joins_the_batches_and_fit_trains_them(rng):
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    score = L.Dense(1, name="score")(L.concatenate([a, b]))
    model = keras.Model([a, b], [score, L.add([b, b], name="twice")])
    xa, xb = rng.normal(size=(10, 3)).astype("float32"), rng.normal(size=(10, 2)).astype("float32")
    first, second = model.predict([xa, xb], batch_size=4, verbose=0)
    whole = model([xa, xb])
    np.testing.assert_allclose(first, whole[0].data, rtol=1e-6)
    np.testing.assert_allclose(second, 2 * xb, rtol=1e-6)
    by_name = model.predict({"b": xb, "a": xa}, verbose=0)
    np.testing.assert_allclose(by_name[0], first, rtol=1e-6)
    with pytest.raises(ValueError, match="different numbers of samples"):
        model.predict([xa, xb[:9]], verbose=0)
    target = xa.sum(axis=1, keepdims=True)
    model.compile(keras.optimizers.SGD(0.1), loss={"score": "mse", "twice": "mse"})
    history = model.fit({"a": xa, "b": xb}, {"score": target, "twice": 2 * xb}, epochs=20, verbose=0).history
    assert sorted(history) == ["loss", "score_loss", "twice_loss"]
    assert history["score_loss"][-1] < 0.5 * history["score_loss"][0]
    np.testing.assert_allclose(history["twice_loss"], 0.0, atol=1e-12)   # no weights: nothing to learn


def test_a_tf_keras_functional_program_runs_unchanged(rng):
    import scratchnn.compat.tensorflow as tf
    inputs = tf.keras.Input(shape=(20,))
    x = tf.keras.layers.Dense(16, activation="relu")(inputs)
    outputs = tf.keras.layers.Dense(3, activation="softmax")(x)
    model = tf.keras.Model(inputs=inputs, outputs=outputs, name="toy_model")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(rng.random((60, 20)), rng.integers(0, 3, 60), epochs=2, validation_split=0.2,
                        verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert model.name == "toy_model" and model.output_activation() == "softmax"


# ------------------------------------------------------------------ errors
def test_model_errors_name_what_is_wrong():
    a, b = keras.Input((3,), name="a_in"), keras.Input((3,), name="b_in")
    y = L.add([a, b])
    with pytest.raises(ValueError, match="graph disconnected.*'b_in'"):
        keras.Model(a, y)
    with pytest.raises(TypeError, match="must be symbolic tensors.*ndarray"):
        keras.Model(np.zeros((2, 3)), y)
    with pytest.raises(ValueError, match="every input must be a keras.Input"):
        keras.Model(L.Dense(2)(a), y)
    model = keras.Model([a, b], y)
    with pytest.raises(ValueError, match="has 2 inputs.*a_in, b_in"):
        model(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"input 'b_in' expects shape \(None, 3\), got shape \(2, 4\)"):
        model([np.zeros((2, 3)), np.zeros((2, 4))])
    d = L.Dense(2, name="twin")
    with pytest.raises(ValueError, match="'twin' is used by several layers"):
        keras.Model(a, L.Dense(2, name="twin")(d(a)))

    class Sub(keras.Model):
        def __init__(self, n):
            super().__init__(n)
    with pytest.raises(TypeError, match=r"Sub: Model.__init__ got positional arguments .*\(3,\)"):
        Sub(3)


def test_a_layer_that_refuses_the_symbolic_shape_raises_its_own_error():
    with pytest.raises(ValueError, match="last axis of the input must be known"):
        L.Dense(2)(keras.Input((None,)))
    out = L.Dense(2)(keras.Input((4,)))
    assert isinstance(out, KerasTensor) and not isinstance(out, Tensor)


def test_a_subclass_given_inputs_and_outputs_is_functional_and_keeps_its_own_methods(rng):
    """Keras's guide on customizing fit(): ``CustomModel(inputs, outputs)`` with its own train_step."""
    steps = []

    class CustomModel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.tracker = keras.metrics.Mean(name="loss")

        def train_step(self, data):
            steps.append(len(data[0]))
            return super().train_step(data)

    inputs = keras.Input((4,))
    outputs = L.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    assert isinstance(model, CustomModel) and type(model).__name__ == "CustomModel"
    assert model.inputs == [inputs] and model.tracker.name == "loss"
    plain = keras.Model(inputs, outputs)           # the same layers: the same weights
    x = rng.normal(size=(10, 4)).astype("float32")
    model.compile("sgd", "mse")
    model.fit(x, x[:, :1], batch_size=5, epochs=1, verbose=0)
    assert steps == [5, 5]
    np.testing.assert_allclose(model.predict(x, verbose=0), plain.predict(x, verbose=0))
    assert type(CustomModel(inputs, outputs)) is type(model)          # one class per subclass


def test_a_symbolic_tensor_shows_its_mask_as_keras_prints_it():
    """keras.io's masking guide prints ``x._keras_mask`` of a functional layer's output."""
    inputs = keras.Input(shape=(None,), dtype="int32")
    masked = L.Embedding(50, 4, mask_zero=True)(inputs)
    mask = masked._keras_mask
    assert isinstance(mask, keras.KerasTensor) and mask.shape == (None, None) and mask.dtype == bool
    assert L.Embedding(50, 4)(inputs)._keras_mask is None
