"""The Inside a CNN page's routes: every layer's output for a test image or a drawn digit, the first
convolution's filters, and one convolution step whose numbers are checked against the layer's own
output (computed independently with ``scratchnn.inspect.layer_activations``)."""
import json
import threading
import time

import numpy as np
import pytest

from scratchnn import layers, models
from scratchnn.datasets import mnist
from scratchnn.inspect import layer_activations
from scratchnn.studio import Live, ModelSource, Studio, digits
from scratchnn.utils import set_random_seed

from tests.helpers import offline_datasets, require_dataset_mirror

from .client import get, post


def tiny_cnn(padding="valid", seed=0):
    """Raw pixels in (Rescaling, as ``scratchnn train`` builds it), two convolutions with pooling."""
    set_random_seed(seed)
    model = models.Sequential([
        layers.Input((28, 28)), layers.Rescaling(1 / 255, name="rescale"), layers.Reshape((28, 28, 1)),
        layers.Conv2D(8, 3, padding=padding, activation="relu", name="conv_1"),
        layers.MaxPooling2D(2, name="pool_1"),
        layers.Conv2D(12, 3, activation="relu", name="conv_2"), layers.MaxPooling2D(2, name="pool_2"),
        layers.Flatten(name="flatten"), layers.Dense(24, activation="relu", name="hidden"),
        layers.Dense(10, activation="softmax", name="output")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def tiny_mlp(seed=0):
    """Pixels scaled to 0..1 outside the model (no Rescaling), no convolution."""
    set_random_seed(seed)
    model = models.Sequential([layers.Input((784,)), layers.Dense(32, activation="relu", name="hidden"),
                               layers.Dense(10, activation="softmax", name="output")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def mnist_test_set(tmp_path_factory):
    """MNIST from the local mirror only (skipped without it), kept for the module's studios."""
    mirror = require_dataset_mirror("mnist")
    with pytest.MonkeyPatch.context() as mp:
        offline_datasets(mp, tmp_path_factory.mktemp("dataset-home"), mirror)
        digits.forget_test_sets()
        (x_train, y_train), (x_test, y_test) = mnist.load_data(verbose=False)
        yield x_train, y_train, x_test, y_test
    digits.forget_test_sets()


TRAINED = {}


@pytest.fixture(scope="module")
def run_folders(mnist_test_set, tmp_path_factory):
    """A tiny CNN and a tiny MLP, each trained one epoch on 4000 MNIST images (enough to read
    most digits right) and saved in a run folder as ``scratchnn train`` lays it out
    (``model.scratchnn``)."""
    if TRAINED:                  # trained once per session: the page tests of other modules reuse them
        return TRAINED
    x_train, y_train, _, _ = mnist_test_set
    root = tmp_path_factory.mktemp("runs")
    folders = {}
    for name, model, x in (("cnn", tiny_cnn(), x_train[:4000]),
                           ("mlp", tiny_mlp(), x_train[:4000].reshape(-1, 784) / 255.0)):
        model.fit(x, y_train[:4000], epochs=1, batch_size=16, verbose=0)
        folder = root / name
        folder.mkdir()
        model.save(str(folder / "model.scratchnn"))
        folders[name] = folder
    TRAINED.update(folders)
    return TRAINED


@pytest.fixture(scope="module")
def pages(run_folders):
    """A studio serving both run folders (sources ``run:cnn`` and ``run:mlp``)."""
    studio = Studio(runs=[str(run_folders["cnn"]), str(run_folders["mlp"])], heartbeat=0.5)
    studio.start()
    yield studio
    studio.stop()


UNTRAINED = {}


def a_drawn_seven():
    """A '7' drawn on a 140 x 140 pad, made MNIST-like: 784 grey levels."""
    ink = np.zeros((140, 140))
    ink[30:40, 40:100] = 1.0
    for t in np.linspace(0, 1, 200):
        r, c = int(40 + 70 * t), int(95 - 40 * t)
        ink[r:r + 9, c:c + 9] = 1.0
    return np.rint(digits.mnist_style(ink)).astype(int).reshape(-1).tolist()


@pytest.fixture(scope="module")
def random_pages(tmp_path_factory):
    """The same two models with their random initial weights (no data set needed: for the tests
    whose numbers do not depend on training), saved in run folders and served, with a drawn '7'
    as the drawn digit."""
    if not UNTRAINED:
        root = tmp_path_factory.mktemp("random-runs")
        for name, model in (("cnn", tiny_cnn(seed=7)), ("mlp", tiny_mlp(seed=7))):
            (root / name).mkdir()
            model.save(str(root / name / "model.scratchnn"))
            UNTRAINED[name] = root / name
    studio = Studio(runs=[str(UNTRAINED["cnn"]), str(UNTRAINED["mlp"])], heartbeat=0.5)
    studio.state[digits.DRAWN] = a_drawn_seven()
    studio.start()
    yield studio
    studio.stop()


def model_of(studio, name):
    return studio.source(name).model


def batch_for(model, pixels):
    return digits.model_batch(model, pixels)


def decoded(layer_row):
    codes = np.asarray(layer_row["codes"], dtype=np.float64)
    return layer_row["lo"] + codes / 255.0 * (layer_row["hi"] - layer_row["lo"])


def test_a_test_image_is_served_with_its_label(pages, mnist_test_set):
    _, _, x_test, y_test = mnist_test_set
    status, body = get(pages, "/api/digits/image?dataset=mnist&index=42")
    assert status == 200
    assert body["label"] == int(y_test[42]) and body["count"] == 10000
    assert body["pixels"] == x_test[42].reshape(-1).tolist()


@pytest.mark.parametrize("index", ["10000", "-1", "seven", "1.5"])
def test_a_bad_image_index_is_refused_naming_the_argument(pages, index):
    for path in ("/api/digits/image", "/api/inside/layers", "/api/draw/predict"):
        status, body = get(pages, f"{path}?source=run:cnn&dataset=mnist&index={index}")
        assert status == 400 and "'index'" in body["error"], (path, body)


def test_an_unknown_data_set_is_refused_naming_the_argument(pages):
    status, body = get(pages, "/api/inside/layers?source=run:cnn&dataset=cifar&index=0")
    assert status == 400 and "'dataset'" in body["error"] and "mnist" in body["error"]


def test_every_layer_output_is_sent_and_equals_the_layers_activations(pages, mnist_test_set):
    _, _, x_test, _ = mnist_test_set
    status, body = get(pages, "/api/inside/layers?source=run:cnn&dataset=mnist&index=7&channels=4")
    assert status == 200, body
    model = model_of(pages, "run:cnn")
    acts = layer_activations(model, x_test[7:8].astype("float32"))
    assert [row["name"] for row in body["layers"]] == list(acts)
    assert body["input"]["pixels"] == x_test[7].reshape(-1).tolist()
    for row in body["layers"]:
        want = acts[row["name"]][0]
        assert row["shape"] == list(want.shape)
        if want.ndim >= 2:                   # maps (H, W, C) or one map (H, W): at most `channels`
            stack = want if want.ndim == 3 else want[..., None]
            assert row["kind"] == "maps" and row["channels"] == stack.shape[-1]
            assert len(row["codes"]) == min(4, stack.shape[-1]) == len(row["shown"])
            got = decoded(row).reshape(len(row["shown"]), row["height"], row["width"])
            expected = np.moveaxis(stack, -1, 0)[:len(row["shown"])]
        else:
            got, expected = decoded(row), want.reshape(-1)[:512]
        assert all(0 <= c <= 255 for c in np.ravel(row["codes"]))
        tolerance = (row["hi"] - row["lo"]) / 255 / 2 + 1e-6     # half a quantisation step
        np.testing.assert_allclose(got.reshape(expected.shape), expected, atol=tolerance)
    assert body["prediction"]["class"] == int(np.argmax(model.predict(x_test[7:8], verbose=0)))


def test_the_first_convolutions_filters_are_its_kernel(random_pages):
    status, body = get(random_pages, "/api/inside/layers?source=run:cnn&input=drawn")
    kernel = model_of(random_pages, "run:cnn").get_layer("conv_1").kernel.data         # (3, 3, 1, 8)
    f = body["filters"]
    assert f["layer"] == "conv_1" and f["count"] == 8 and f["kernel_size"] == [3, 3]
    np.testing.assert_allclose(np.asarray(f["values"]).reshape(8, 3, 3),
                               np.moveaxis(kernel[:, :, 0, :], -1, 0), rtol=1e-6)
    assert body["conv"]["pool"] == {"layer": "pool_1", "pool_size": [2, 2]}


def test_payloads_are_bounded(random_pages):
    sizes = {}
    for channels in (1, 16, 64):
        query = f"source=run:cnn&input=drawn&channels={channels}"
        status, body = get(random_pages, "/api/inside/layers?" + query)
        assert status == 200
        assert all(len(row.get("shown", [])) <= channels for row in body["layers"])
        assert all(len(row["codes"]) <= 512 for row in body["layers"] if row["kind"] == "units")
        sizes[channels] = len(json.dumps(body))
    assert sizes[1] < sizes[16] <= sizes[64] < 200_000
    for bad in ("0", "65", "many"):
        status, body = get(random_pages, f"/api/inside/layers?source=run:cnn&input=drawn&channels={bad}")
        assert status == 400 and "'channels'" in body["error"]


@pytest.mark.parametrize("channel,row,col", [(0, 0, 0), (3, 12, 9), (7, 25, 25), (5, 13, 20)])
def test_the_convolution_step_equals_the_feature_map(pages, mnist_test_set, channel, row, col):
    _, _, x_test, _ = mnist_test_set
    status, s = get(pages, f"/api/inside/conv_step?source=run:cnn&dataset=mnist&index=11"
                           f"&channel={channel}&row={row}&col={col}")
    assert status == 200, s
    model = model_of(pages, "run:cnn")
    acts = layer_activations(model, x_test[11:12].astype("float32"))
    image = x_test[11].astype(np.float64) / 255.0
    conv = model.get_layer("conv_1")
    window = image[row:row + 3, col:col + 3]
    kernel = conv.kernel.data[:, :, 0, channel]
    np.testing.assert_allclose(np.asarray(s["window"])[0], window, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(s["kernel"])[0], kernel, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(s["products"])[0], window * kernel, rtol=1e-5, atol=1e-7)
    assert s["sum"] == pytest.approx(float((window * kernel).sum()), abs=1e-5)
    assert s["bias"] == pytest.approx(float(conv.bias.data[channel]))
    assert s["z"] == pytest.approx(s["sum"] + s["bias"])
    feature = float(acts["conv_1"][0, row, col, channel])
    assert s["activation"] == "relu" and s["activated"] == pytest.approx(max(s["z"], 0.0), abs=1e-6)
    assert s["activated"] == pytest.approx(feature, abs=1e-5) and s["layer_output"] == pytest.approx(feature)
    assert s["matches"] is True
    pool = s["pool"]
    r0, c0 = 2 * (row // 2), 2 * (col // 2)
    if row < 26 - 26 % 2 and col < 26 - 26 % 2:
        assert pool["origin"] == [r0, c0] and [pool["row"], pool["col"]] == [row // 2, col // 2]
        block = acts["conv_1"][0, r0:r0 + 2, c0:c0 + 2, channel]
        np.testing.assert_allclose(pool["window"], block, rtol=1e-6)
        assert pool["max"] == pytest.approx(float(block.max()))
        assert pool["layer_output"] == pytest.approx(float(acts["pool_1"][0, row // 2, col // 2, channel]))
        assert pool["max"] == pytest.approx(pool["layer_output"])


def test_same_padding_windows_read_zeros_outside_the_image():
    model = tiny_cnn(padding="same", seed=3)
    studio = Studio()
    studio.add_source("cnn", ModelSource(model))
    studio.state[digits.DRAWN] = np.random.default_rng(0).integers(0, 256, 784).tolist()
    studio.start()
    try:
        acts = layer_activations(model, np.asarray(studio.state[digits.DRAWN], "float32").reshape(1, 28, 28))
        for row, col in ((0, 0), (27, 27), (0, 14)):
            query = f"source=cnn&input=drawn&channel=2&row={row}&col={col}"
            status, s = get(studio, "/api/inside/conv_step?" + query)
            assert status == 200, s
            assert s["origin"] == [row - 1, col - 1]
            window = np.asarray(s["window"])[0]
            if row == 0:
                assert (window[0] == 0).all()
            if col == 27:
                assert (window[:, 2] == 0).all()
            assert s["activated"] == pytest.approx(float(acts["conv_1"][0, row, col, 2]), abs=1e-5)
            assert s["matches"] is True
    finally:
        studio.stop()


@pytest.mark.parametrize("query,name", [("channel=8&row=0&col=0", "'channel'"),
                                        ("channel=0&row=26&col=0", "'row'"),
                                        ("channel=0&row=0&col=-1", "'col'"), ("row=0&col=0", "'channel'"),
                                        ("channel=x&row=0&col=0", "'channel'")])
def test_a_bad_convolution_position_is_refused_naming_the_argument(random_pages, query, name):
    status, body = get(random_pages, f"/api/inside/conv_step?source=run:cnn&input=drawn&{query}")
    assert status == 400 and name in body["error"]


def test_a_model_without_conv2d_shows_its_layers_and_refuses_the_convolution_step(random_pages):
    status, body = get(random_pages, "/api/inside/layers?source=run:mlp&input=drawn")
    assert status == 200
    assert [row["name"] for row in body["layers"]] == ["hidden", "output"]
    assert body["filters"] is None and body["conv"] is None and "no Conv2D" in body["conv_note"]
    model = model_of(random_pages, "run:mlp")
    x = np.asarray(random_pages.state[digits.DRAWN], dtype="float32").reshape(1, 784) / 255.0
    hidden = layer_activations(model, x)["hidden"][0]
    half_step = (hidden.max() - hidden.min()) / 510 + 1e-6
    np.testing.assert_allclose(decoded(body["layers"][0]), hidden, atol=half_step)
    query = "source=run:mlp&input=drawn&channel=0&row=0&col=0"
    status, body = get(random_pages, "/api/inside/conv_step?" + query)
    assert status == 422 and "no Conv2D" in body["error"] and "hidden (Dense)" in body["error"]


def test_the_drawn_digit_is_the_input_once_drawn(random_pages):
    pages = random_pages
    pages.state.pop(digits.DRAWN, None)
    status, body = get(pages, "/api/inside/layers?source=run:cnn&input=drawn")
    assert status == 404 and "Draw page" in body["error"]
    ink = np.zeros((56, 56))
    ink[10:46, 26:32] = 1.0
    status, drawn = post(pages, "/api/draw/predict", {"source": "run:cnn",
                                                      "drawing": {"size": 56, "ink": ink.ravel().tolist()}})
    assert status == 200, drawn
    status, body = get(pages, "/api/inside/layers?source=run:cnn&input=drawn")
    assert status == 200 and body["input"] == {"kind": "drawn", "pixels": drawn["input"]["pixels"]}
    status, body = get(pages, "/api/inside/layers?source=run:cnn&input=camera")
    assert status == 400 and "'input'" in body["error"]


def test_a_missing_data_set_is_said_clearly(tmp_path, monkeypatch):
    offline_datasets(monkeypatch, tmp_path / "home", None)
    digits.forget_test_sets()
    studio = Studio()
    studio.add_source("cnn", ModelSource(tiny_cnn()))
    studio.start()
    try:
        status, body = get(studio, "/api/inside/layers?source=cnn&dataset=mnist&index=0")
        assert status == 503 and "mnist test set is not available" in body["error"]
        assert "draw a digit" in body["error"]
    finally:
        studio.stop()
        digits.forget_test_sets()


def test_the_live_model_is_looked_at_between_batches_during_a_fit():
    """A fit with ``Live``, paused: the page's requests run on the training thread and see the
    model as it is now (the conv step still equals the layer's output)."""
    studio = Studio(heartbeat=0.5)
    studio.start()
    model = tiny_cnn(seed=1)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (512, 28, 28)).astype("float32")
    y = rng.integers(0, 10, 512)
    pixels = x[0].astype(int).reshape(-1).tolist()
    studio.state[digits.DRAWN] = pixels
    live = Live(studio, print_fn=None, batch_rate=1000)
    thread = threading.Thread(target=lambda: model.fit(x, y, epochs=500, batch_size=32, verbose=0,
                                                       callbacks=[live]), daemon=True)
    thread.start()
    try:
        end = time.monotonic() + 60
        while "live" not in studio.sources or not studio.sources["live"].training:
            assert time.monotonic() < end, "the fit did not start"
            time.sleep(0.05)
        assert post(studio, "/api/control", {"action": "pause"})[0] == 200
        status, body = get(studio, "/api/inside/layers?source=live&input=drawn")
        assert status == 200 and body["conv"]["layer"] == "conv_1"
        assert studio.sources["live"].training and thread.is_alive()     # answered during the fit
        status, s = get(studio, "/api/inside/conv_step?source=live&input=drawn&channel=1&row=5&col=6")
        assert status == 200 and s["matches"] is True
        acts = studio.sources["live"].run(lambda m: layer_activations(m, x[:1]))
        assert s["activated"] == pytest.approx(float(acts["conv_1"][0, 5, 6, 1]), abs=1e-5)
    finally:
        post(studio, "/api/control", {"action": "resume"})
        post(studio, "/api/control", {"action": "stop"})
        thread.join(60)
        studio.stop()
    assert not thread.is_alive()


def test_a_convolution_without_bias_followed_by_a_relu_layer():
    """The activation may be a layer of its own, and the bias absent: the step still adds up."""
    set_random_seed(4)
    model = models.Sequential([layers.Input((28, 28, 1)), layers.Conv2D(4, 3, use_bias=False, name="conv"),
                               layers.ReLU(name="relu"), layers.MaxPooling2D(2, name="pool"),
                               layers.Flatten(), layers.Dense(10, activation="softmax")])
    studio = Studio()
    studio.add_source("m", ModelSource(model))
    studio.state[digits.DRAWN] = a_drawn_seven()
    studio.start()
    try:
        status, s = get(studio, "/api/inside/conv_step?source=m&input=drawn&channel=1&row=10&col=13")
        assert status == 200, s
        x = np.asarray(studio.state[digits.DRAWN], dtype="float32").reshape(1, 28, 28, 1) / 255.0
        acts = layer_activations(model, x)
        assert s["bias"] == 0.0 and s["z"] == pytest.approx(s["sum"])
        assert s["z"] == pytest.approx(float(acts["conv"][0, 10, 13, 1]), abs=1e-5)
        assert s["activation"] == "relu"
        assert s["activated"] == pytest.approx(float(acts["relu"][0, 10, 13, 1]))
        assert s["matches"] is True and s["pool"]["layer"] == "pool"
        assert s["pool"]["layer_output"] == pytest.approx(float(acts["pool"][0, 5, 6, 1]))
    finally:
        studio.stop()
