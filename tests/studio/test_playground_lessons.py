"""The Playground's lessons without a server: defaults and the options the page builds its
controls from, the URL query round trip, the points of each teaching set, the input features, the
grids and how unit outputs are sent."""
import base64
import urllib.parse

import numpy as np
import pytest

from scratchnn.studio.playground_lessons import (DATASETS, FIELDS, encode_units, grid_points, input_features,
                                                 make_points, options, parse_config, to_query)

DEFAULTS = {name: spec[1] for name, spec in FIELDS.items()}


def test_defaults_and_the_options_the_page_builds_its_controls_from():
    assert parse_config({}) == DEFAULTS
    fields = options()["fields"]
    assert [f["name"] for f in fields] == list(FIELDS)
    dataset = next(f for f in fields if f["name"] == "dataset")
    assert set(dataset["choices"]) == {"xor", "spirals", "moons", "circles", "gaussians"}
    features = next(f for f in fields if f["name"] == "features")
    assert features["choices"][:2] == ["x1", "x2"] and features["labels"]["x1sq"] == "x\u2081\u00b2"
    hidden = next(f for f in fields if f["name"] == "hidden")
    assert (hidden["max_layers"], hidden["max_units"]) == (6, 32)


@pytest.mark.parametrize("config", [
    {},
    {"dataset": "spirals", "hidden": [8, 8, 8, 8, 8, 8], "activation": "relu", "learning_rate": 0.003,
     "l2": 0.0001, "noise": 0.25, "seed": 12345, "features": ["sinx2", "x1", "x1x2"]},
    {"dataset": "moons", "hidden": [], "optimizer": "sgd", "batch_size": 1, "points": 20,
     "test_fraction": 0.5},
    {"dataset": "gaussians", "hidden": [32], "optimizer": "momentum", "learning_rate": 1e-05,
     "epochs": 100000},
])
def test_a_configuration_round_trips_through_the_url_query(config):
    normal = parse_config(config)
    query = to_query(normal)
    strings = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    assert list(strings) == list(FIELDS)           # every field is in the link
    assert all(isinstance(v, str) for v in strings.values())
    assert parse_config(strings) == normal
    assert to_query(parse_config(strings)) == query


def test_the_query_strings_of_a_link_are_read_as_numbers_and_lists():
    config = parse_config({"points": "300", "hidden": "4, 3", "learning_rate": "0.1", "dataset": " XOR "})
    assert config["points"] == 300 and config["hidden"] == [4, 3]
    assert config["learning_rate"] == 0.1 and config["dataset"] == "xor"
    assert parse_config({"hidden": ""})["hidden"] == []
    assert parse_config({"features": "x2sq, X1"})["features"] == ["x1", "x2sq"]   # one order


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_set_gives_two_balanced_classes_in_the_drawn_square(dataset):
    x, y = make_points(dataset, 400, 0.0, seed=1)
    assert x.shape == (400, 2) and x.dtype == np.float32 and y.shape == (400,)
    assert set(np.unique(y)) == {0, 1} and 0.35 <= y.mean() <= 0.65
    assert np.abs(x).max() <= 1.2
    again, _ = make_points(dataset, 400, 0.0, seed=1)
    other, _ = make_points(dataset, 400, 0.0, seed=2)
    assert np.array_equal(x, again) and not np.array_equal(x, other)


def test_xor_points_are_labelled_by_the_logic_gate_of_their_quadrant():
    x, y = make_points("xor", 500, 0.0, seed=0)
    assert np.array_equal(y, ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64))
    assert np.abs(x).min() >= 0.1                    # kept away from the axes


def test_noise_moves_the_points_by_its_standard_deviation():
    clean, _ = make_points("circles", 2000, 0.0, seed=4)
    noisy, _ = make_points("circles", 2000, 0.2, seed=4)
    assert np.std(noisy - clean) == pytest.approx(0.2, rel=0.1)


def test_grid_points_run_left_to_right_and_top_to_bottom():
    g = grid_points(4, extent=2.0)
    assert g.shape == (16, 2)
    assert np.allclose(g[:4, 0], [-1.5, -0.5, 0.5, 1.5]) and np.allclose(g[:4, 1], 1.5)
    assert np.allclose(g[::4, 1], [1.5, 0.5, -0.5, -1.5])


def test_unit_outputs_are_scaled_by_their_largest_magnitude_and_sent_as_bytes():
    h = np.array([[-2.0, 0.0], [1.0, 0.5], [2.0, 0.25]], dtype=np.float32)
    sent = encode_units(h)
    q = np.frombuffer(base64.b64decode(sent["data"]), dtype=np.uint8).reshape(2, 3)   # (units, points)
    assert sent["units"] == 2 and np.allclose(sent["scale"], [2.0, 0.5])
    assert np.allclose(q / 127.5 - 1, (h / np.array([2.0, 0.5])).T, atol=1 / 127)


def test_input_features_are_computed_from_the_coordinates():
    x = np.array([[0.5, -2.0], [1.0, 0.0]], dtype=np.float32)
    f = input_features(x, ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"])
    assert f.dtype == np.float32 and f.shape == (2, 7)
    assert np.allclose(f[0], [0.5, -2.0, 0.25, 4.0, -1.0, np.sin(0.5), np.sin(-2.0)])


