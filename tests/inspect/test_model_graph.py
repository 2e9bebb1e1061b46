"""``model_to_dot`` and ``plot_model`` (inspect/model_graph.py): the boxes and arrows of a
Sequential and of a functional model; drawing through Graphviz's ``dot``, or one clear error."""
import os
import re
import stat

import pytest

from scratchnn import keras
from scratchnn.inspect import model_to_dot, plot_model


def labels_and_edges(dot):
    labels = dict(re.findall(r'  (n\d+) \[label="([^"]*)"\];', dot))
    edges = [(labels[a].split("\\n")[0], labels[b].split("\\n")[0])
             for a, b in re.findall(r"(n\d+) -> (n\d+);", dot)]
    return labels, edges


def small_sequential():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu", name="hidden"),
                             keras.layers.Dense(1, name="out")])


def test_sequential_is_a_chain_with_shapes():
    labels, edges = labels_and_edges(model_to_dot(small_sequential(), show_shapes=True,
                                                  show_layer_activations=True, show_trainable=True))
    assert edges == [("input (Input)", "hidden (Dense)"), ("hidden (Dense)", "out (Dense)")]
    hidden = [v for v in labels.values() if v.startswith("hidden")][0]
    assert "output: (None, 3)" in hidden and "activation: relu" in hidden and "trainable: True" in hidden


def test_functional_graph_with_two_inputs_and_a_merge():
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    h = keras.layers.Concatenate(name="join")([keras.layers.Dense(3, name="d")(a), b])
    model = keras.Model([a, b], keras.layers.Dense(1, name="y")(h))
    labels, edges = labels_and_edges(model_to_dot(model, show_shapes=True, rankdir="LR"))
    assert sorted(edges) == sorted([("a (InputLayer)", "d (Dense)"), ("d (Dense)", "join (Concatenate)"),
                                    ("b (InputLayer)", "join (Concatenate)"),
                                    ("join (Concatenate)", "y (Dense)")])
    assert any(v.startswith("join (Concatenate)\\noutput: (None, 5)") for v in labels.values())
    assert "rankdir=LR" in model_to_dot(model, rankdir="LR")


def test_without_graphviz_one_clear_import_error_and_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    target = tmp_path / "model.png"
    with pytest.raises(ImportError, match=r"needs Graphviz's `dot` program.*apt-get install graphviz") \
            as info:
        plot_model(small_sequential(), to_file=str(target))
    assert "\n" not in str(info.value) and not target.exists()


def test_dot_file_needs_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    model = small_sequential()
    path = plot_model(model, to_file=str(tmp_path / "m.dot"), show_shapes=True)
    assert open(path).read() == model_to_dot(model, show_shapes=True)
    assert "hidden (Dense)\\noutput: (None, 3)" in open(path).read()


def test_draws_through_dot_when_installed(tmp_path, monkeypatch):
    """A stand-in ``dot`` records how it is called: the format from the extension, the DOT text on stdin."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "dot"
    fake.write_text('#!/bin/sh\necho "$1" > "$3"\ncat >> "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bindir) + os.pathsep + os.environ.get("PATH", ""))
    out = tmp_path / "model.svg"
    assert plot_model(small_sequential(), to_file=str(out)) == str(out)
    text = out.read_text()
    assert text.startswith("-Tsvg\n") and "hidden (Dense)" in text


def test_bad_arguments():
    with pytest.raises(ValueError, match="the extension must be .dot or one of"):
        plot_model(small_sequential(), to_file="model.txt")
    with pytest.raises(ValueError, match="`rankdir` must be"):
        model_to_dot(small_sequential(), rankdir="XY")


def test_keras_namespace():
    assert keras.utils.plot_model is plot_model and keras.utils.model_to_dot is model_to_dot
