"""The Draw page's routes: a drawing made MNIST-like, class probabilities equal to
``model.predict``, the softmax at a temperature (T = 1 is the model, a larger T flattens it), the
most active units and feature maps, and clear refusals."""
import numpy as np
import pytest

from scratchnn import layers, models
from scratchnn.inspect import layer_activations
from scratchnn.studio import ModelSource, Studio, digits
from scratchnn.studio.draw import entropy_bits, softmax

from .client import get, post
from .test_inside import mnist_test_set, pages, random_pages, run_folders, tiny_cnn  # noqa: F401 (fixtures)


def stroke_drawing(size=140):
    """A '7'-like drawing: a bar at the top and a slanted stroke, ink 1 on paper 0."""
    ink = np.zeros((size, size))
    s = size / 140
    ink[int(30 * s):int(40 * s), int(40 * s):int(100 * s)] = 1.0
    for t in np.linspace(0, 1, 200):
        r, c = int((40 + 70 * t) * s), int((95 - 40 * t) * s)
        ink[r:r + int(9 * s), c:c + int(9 * s)] = 1.0
    return ink


def drawing_body(ink, **extra):
    return {"drawing": {"size": ink.shape[0], "ink": ink.ravel().tolist()}, **extra}


# ------------------------------------------------------------------ the MNIST-like preprocessing
def test_area_resize_rows_sum_to_one_and_keep_the_mean():
    a = digits.area_resize_matrix(30, 20)
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    v = np.random.default_rng(0).random(30)
    assert (a @ v).mean() == pytest.approx(v.mean())
    np.testing.assert_allclose(digits.area_resize_matrix(28, 28), np.eye(28))


def test_a_drawing_is_scaled_to_a_20_pixel_box_and_centred_by_its_centre_of_mass():
    ink = np.zeros((200, 200))
    ink[10:60, 150:170] = 1.0            # a small bar in a corner
    image = digits.mnist_style(ink)
    rows, cols = np.nonzero(image > 0)
    assert rows.max() - rows.min() + 1 == 20 and cols.max() - cols.min() + 1 == 8
    mass = image / image.sum()
    cy, cx = mass.sum(axis=1) @ np.arange(28), mass.sum(axis=0) @ np.arange(28)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert image.max() == pytest.approx(255.0)
    assert not digits.mnist_style(np.zeros((50, 50))).any()


def test_the_same_drawing_at_two_sizes_gives_nearly_the_same_image():
    big, small = digits.mnist_style(stroke_drawing(280)), digits.mnist_style(stroke_drawing(70))
    assert np.corrcoef(big.ravel(), small.ravel())[0, 1] > 0.9


def test_an_mnist_digit_drawn_large_comes_back_close_to_itself(mnist_test_set):  # noqa: F811
    _, _, x_test, _ = mnist_test_set
    for i in range(5):
        digit = x_test[i].astype(np.float64) / 255.0
        drawing = np.kron(digit, np.ones((5, 5)))          # 140 x 140, as the page sends
        again = digits.mnist_style(drawing)
        assert np.corrcoef(again.ravel(), x_test[i].ravel())[0, 1] > 0.98


# ------------------------------------------------------------------ predictions
def test_temperature_one_reproduces_model_predict_and_a_larger_one_flattens(pages, mnist_test_set):  # noqa: F811
    _, _, x_test, y_test = mnist_test_set
    for source, x in (("run:cnn", x_test[3:4]), ("run:mlp", x_test[3:4].reshape(1, 784) / 255.0)):
        model = pages.source(source).model
        want = model.predict(x, verbose=0)[0]
        entropies = []
        for t in (0.25, 1, 2, 5, 100):
            status, r = get(pages, f"/api/draw/predict?source={source}&dataset=mnist&index=3&temperature={t}")
            assert status == 200, r
            np.testing.assert_allclose(r["probabilities"], want, rtol=1e-5, atol=1e-7)
            assert sum(r["tempered"]) == pytest.approx(1.0)
            if t == 1:
                np.testing.assert_allclose(r["tempered"], want, rtol=1e-4, atol=1e-6)
            entropies.append(r["tempered_entropy_bits"])
            assert r["tempered_entropy_bits"] == pytest.approx(entropy_bits(r["tempered"]))
        assert entropies == sorted(entropies) and entropies[0] < entropies[1] < entropies[-1]
        assert entropies[-1] > 0.99 * np.log2(10)
        assert "pre-activation" in r["logits_from"]
        assert r["classes"] == [str(d) for d in range(10)] and r["input"]["label"] == y_test[3]


@pytest.mark.parametrize("head", ["softmax_layer", "logits"])
def test_logits_come_from_a_softmax_layer_or_a_model_that_outputs_them(head):
    body = [layers.Input((784,)), layers.Dense(16, activation="relu", name="hidden"),
            layers.Dense(10, name="z")]
    if head == "softmax_layer":
        body.append(layers.Softmax(name="probabilities"))
    model = models.Sequential(body)
    studio = Studio()
    studio.add_source("m", ModelSource(model))
    studio.start()
    try:
        ink = stroke_drawing()
        status, r = post(studio, "/api/draw/predict", drawing_body(ink, source="m", temperature=3))
        assert status == 200, r
        x = digits.model_batch(model, r["input"]["pixels"])
        z = layer_activations(model, x)["z"][0]
        np.testing.assert_allclose(r["logits"], z, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(r["tempered"], softmax(z, 3.0), rtol=1e-5)
        out = model.predict(x, verbose=0)[0]
        softmax_layer = head == "softmax_layer"
        np.testing.assert_allclose(r["probabilities"], out if softmax_layer else softmax(out), rtol=1e-5)
        assert ("softmax layer 'probabilities'" if softmax_layer else "outputs logits") in r["logits_from"]
    finally:
        studio.stop()


def test_a_drawing_is_predicted_and_kept_for_the_inside_page(random_pages):  # noqa: F811
    ink = stroke_drawing()
    status, r = post(random_pages, "/api/draw/predict", drawing_body(ink, source="run:cnn"))
    assert status == 200, r
    model = random_pages.source("run:cnn").model
    expected = np.rint(digits.mnist_style(ink))
    np.testing.assert_array_equal(r["input"]["pixels"], expected.astype(int).ravel())
    want = model.predict(expected.reshape(1, 28, 28).astype("float32"), verbose=0)[0]
    np.testing.assert_allclose(r["probabilities"], want, rtol=1e-4, atol=1e-6)
    assert r["prediction"] == int(np.argmax(want))
    assert random_pages.state[digits.DRAWN] == r["input"]["pixels"]


def test_the_most_active_units_and_feature_maps_are_the_largest(pages, mnist_test_set):  # noqa: F811
    _, _, x_test, _ = mnist_test_set
    status, r = get(pages, "/api/draw/predict?source=run:cnn&dataset=mnist&index=9")
    acts = layer_activations(pages.source("run:cnn").model, x_test[9:10].astype("float32"))
    hidden = acts["hidden"][0]
    assert r["units"]["layer"] == "hidden" and r["units"]["count"] == 24
    top = [u["value"] for u in r["units"]["top"]]
    np.testing.assert_allclose(top, np.sort(hidden)[::-1][:10], rtol=1e-6)
    maps = acts["pool_2"][0]                                     # the last layer with feature maps
    means = maps.mean(axis=(0, 1))
    assert r["maps"]["layer"] == "pool_2" and r["maps"]["channels"] == 12
    assert [m["index"] for m in r["maps"]["top"]] == list(np.argsort(-means, kind="stable")[:6])
    assert all(len(m["codes"]) == r["maps"]["height"] * r["maps"]["width"] for m in r["maps"]["top"])
    status, r = get(pages, "/api/draw/predict?source=run:mlp&dataset=mnist&index=9")
    assert r["maps"] is None and r["units"]["layer"] == "hidden"


def test_fashion_mnist_class_names(random_pages):  # noqa: F811
    status, r = post(random_pages, "/api/draw/predict", drawing_body(stroke_drawing(), source="run:cnn",
                                                               classes="fashion_mnist"))
    assert status == 200 and r["classes"][9] == "Ankle boot"


@pytest.mark.parametrize("temperature", [0, -1, "warm", "nan", 1000])
def test_a_bad_temperature_is_refused_naming_the_argument(random_pages, temperature):  # noqa: F811
    status, r = post(random_pages, "/api/draw/predict", drawing_body(stroke_drawing(), source="run:cnn",
                                                               temperature=temperature))
    assert status == 400 and "'temperature'" in r["error"]
    status, r = get(random_pages, f"/api/draw/predict?source=run:cnn&index=0&temperature={temperature}")
    assert status == 400 and "'temperature'" in r["error"]


@pytest.mark.parametrize("drawing,name", [(None, "'drawing'"),
                                          ({"size": 4, "ink": [0] * 16}, "'drawing.size'"),
                                          ({"size": 10, "ink": [0] * 99}, "'drawing.ink'"),
                                          ({"size": 10, "ink": [2] * 100}, "'drawing.ink'"),
                                          ({"size": 10, "ink": ["a"] * 100}, "'drawing.ink'")])
def test_a_bad_drawing_is_refused_naming_the_argument(random_pages, drawing, name):  # noqa: F811
    before = random_pages.state.get(digits.DRAWN)
    status, r = post(random_pages, "/api/draw/predict", {"source": "run:cnn", "drawing": drawing})
    assert status == 400 and name in r["error"]
    assert random_pages.state.get(digits.DRAWN) == before          # nothing kept from a refused request


def test_predicting_a_drawing_needs_the_token(random_pages):  # noqa: F811
    body = drawing_body(stroke_drawing(), source="run:cnn")
    status, r = post(random_pages, "/api/draw/predict", body, token=False)
    assert status == 403 and "token" in r["error"]


def test_a_model_that_is_not_a_classifier_of_images_is_refused_clearly():
    studio = Studio()
    studio.add_source("reg", ModelSource(models.Sequential([layers.Input((784,)), layers.Dense(1)])))
    studio.add_source("cifar", ModelSource(tiny_cnn_on((32, 32, 3))))
    studio.start()
    try:
        status, r = post(studio, "/api/draw/predict", drawing_body(stroke_drawing(), source="reg"))
        assert status == 422 and "classifier" in r["error"]
        status, r = post(studio, "/api/draw/predict", drawing_body(stroke_drawing(), source="cifar"))
        assert status == 422 and "(None, 32, 32, 3)" in r["error"] and "28 x 28" in r["error"]
    finally:
        studio.stop()


def tiny_cnn_on(shape):
    return models.Sequential([layers.Input(shape), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(10)])


def test_random_weights_cnn_is_enough_for_the_numbers():
    """No data set needed: the numbers only depend on the weights."""
    model = tiny_cnn(seed=5)
    studio = Studio()
    studio.add_source("cnn", ModelSource(model))
    studio.start()
    try:
        status, r = post(studio, "/api/draw/predict", drawing_body(stroke_drawing(), temperature=1))
        assert status == 200
        x = digits.model_batch(model, r["input"]["pixels"])
        np.testing.assert_allclose(r["tempered"], model.predict(x, verbose=0)[0], rtol=1e-4, atol=1e-6)
    finally:
        studio.stop()
