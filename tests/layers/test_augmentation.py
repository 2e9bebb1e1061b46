"""The augmentation layers (``scratchnn/layers/augmentation.py``): identity at inference, seeded
reproducibility, what each does to images (exact content, statistics, value ranges), shapes and
dtypes, argument errors, training a model that holds them, saving and loading it. The sampler
under the geometric ones is tested in ``tests/functional/test_image_transform.py``."""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.functional import image_transform as T
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed

from tests.helpers import assert_config_round_trip

MAKERS = {
    "RandomFlip": lambda **kw: L.RandomFlip(**kw),
    "RandomCrop": lambda **kw: L.RandomCrop(6, 5, **kw),
    "RandomContrast": lambda **kw: L.RandomContrast(0.5, **kw),
    "RandomBrightness": lambda **kw: L.RandomBrightness(0.3, **kw),
    "RandomTranslation": lambda **kw: L.RandomTranslation(0.3, (-0.2, 0.4), **kw),
    "RandomRotation": lambda **kw: L.RandomRotation(0.2, **kw),
    "RandomZoom": lambda **kw: L.RandomZoom((-0.3, 0.3), **kw),
}


@pytest.fixture
def images(rng):
    return (rng.random(size=(16, 8, 8, 3)) * 255).astype(np.float32)


@pytest.mark.parametrize("name", [n for n in MAKERS if n != "RandomCrop"])
def test_identity_at_inference_and_changes_in_training(name, images):
    layer = MAKERS[name](seed=3)
    np.testing.assert_array_equal(layer(images).data, images)
    np.testing.assert_array_equal(layer(images, training=False).data, images)
    out = layer(images, training=True)
    assert out.shape == images.shape and out.dtype == np.float32
    assert not np.array_equal(out.data, images)


@pytest.mark.parametrize("name", list(MAKERS))
def test_seeded_layers_repeat_and_draw_anew_each_call(name, images):
    a, b = MAKERS[name](seed=7), MAKERS[name](seed=7)
    first = a(images, training=True).data
    np.testing.assert_array_equal(first, b(images, training=True).data)
    np.testing.assert_array_equal(a(images, training=True).data, b(images, training=True).data)
    second = a(images, training=True).data
    assert not np.array_equal(first, second)          # a new draw at every call
    other = MAKERS[name](seed=8)(images, training=True).data
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", list(MAKERS))
def test_unseeded_layers_follow_the_global_seed(name, images):
    set_random_seed(11)
    first = MAKERS[name]()(images, training=True).data
    set_random_seed(11)
    np.testing.assert_array_equal(MAKERS[name]()(images, training=True).data, first)


@pytest.mark.parametrize("name", list(MAKERS))
def test_integer_images_give_float32(name):
    x = np.arange(2 * 8 * 8 * 3).reshape(2, 8, 8, 3) % 256
    layer = MAKERS[name](seed=0)
    assert layer(x, training=True).dtype == np.float32


def test_random_flip_horizontal_flips_about_half_exactly(rng):
    x = rng.normal(size=(400, 3, 4, 2)).astype(np.float32)
    out = L.RandomFlip("horizontal", seed=0)(x, training=True).data
    flipped = np.all(out == x[:, :, ::-1], axis=(1, 2, 3))
    kept = np.all(out == x, axis=(1, 2, 3))
    assert np.all(flipped ^ kept)                     # each image exactly one of the two
    assert 160 < flipped.sum() < 240                  # binomial(400, 1/2): mean 200, sd 10


def test_random_flip_vertical_and_both(rng):
    x = rng.normal(size=(400, 3, 4, 1)).astype(np.float32)
    out = L.RandomFlip("vertical", seed=1)(x, training=True).data
    assert np.all(np.all(out == x[:, ::-1], axis=(1, 2, 3)) ^ np.all(out == x, axis=(1, 2, 3)))
    out = L.RandomFlip(seed=2)(x, training=True).data
    kinds = np.stack([np.all(out == v, axis=(1, 2, 3)) for v in
                      (x, x[:, :, ::-1], x[:, ::-1], x[:, ::-1, ::-1])])
    assert np.all(kinds.sum(axis=0) == 1)
    assert np.all((kinds.sum(axis=1) > 60) & (kinds.sum(axis=1) < 140))   # about 100 each


def test_random_crop_training_window_and_inference_centre(rng):
    x = rng.normal(size=(4, 10, 9, 2)).astype(np.float32)
    layer = L.RandomCrop(6, 5, seed=0)
    out = layer(x, training=True).data
    assert out.shape == (4, 6, 5, 2)
    hits = [(t, l) for t in range(5) for l in range(5) if np.array_equal(out, x[:, t:t + 6, l:l + 5])]
    assert len(hits) == 1                              # one window, the same for the whole batch
    windows = set()
    for _ in range(20):
        out = layer(x, training=True).data
        windows |= {(t, l) for t in range(5) for l in range(5) if np.array_equal(out, x[:, t:t + 6, l:l + 5])}
    assert len(windows) > 3
    # inference: the largest centred 6:5 window (all 10 rows, 8 of the 9 columns), resized to 6 x 5
    inference = layer(x).data
    np.testing.assert_array_equal(inference, T.resize(x[:, :, 0:8], (6, 5)).data)
    np.testing.assert_array_equal(layer(x).data, inference)
    np.testing.assert_array_equal(L.RandomCrop(10, 9)(x).data, x)     # target size = input size: unchanged
    np.testing.assert_array_equal(L.RandomCrop(10, 10)(x).data, T.resize(x[:, 0:9, 0:9], (10, 10)).data)


def test_random_crop_smaller_input_is_resized(rng):
    x = rng.normal(size=(2, 3, 3, 1)).astype(np.float32)
    out = L.RandomCrop(6, 6, seed=0)(x, training=True).data
    assert out.shape == (2, 6, 6, 1)
    np.testing.assert_allclose(out[:, 0, 0], x[:, 0, 0])          # corners: the border pixels
    np.testing.assert_allclose(out[:, 5, 5], x[:, 2, 2])
    np.testing.assert_allclose(out[:, 1, 1], 0.75 ** 2 * x[:, 0, 0] + 0.75 * 0.25 * (x[:, 0, 1] + x[:, 1, 0])
                               + 0.25 ** 2 * x[:, 1, 1], rtol=1e-5)


def test_random_contrast_formula_and_clip(rng):
    x = rng.random(size=(64, 5, 5, 3)).astype(np.float32)
    out = L.RandomContrast((0.5, 0.8), value_range=(0, 1), seed=0)(x, training=True).data
    mean = x.mean(axis=(1, 2), keepdims=True)
    a = (out - mean) / (x - mean)                     # the factor, where nothing was clipped
    unclipped = (out > 0) & (out < 1)
    factors = np.array([np.median(a[i][unclipped[i]]) for i in range(64)])
    for i in range(64):
        np.testing.assert_allclose(a[i][unclipped[i]], factors[i], rtol=1e-3)
    assert factors.min() >= 0.5 and factors.max() <= 1.8 and factors.std() > 0.1
    assert out.min() >= 0 and out.max() <= 1 and (out == 1).any()


def test_random_brightness_adds_one_delta_per_image_and_clips(rng):
    x = (rng.random(size=(64, 4, 4, 3)) * 100 + 50).astype(np.float32)      # in [50, 150]
    out = L.RandomBrightness((-0.1, 0.2), seed=0)(x, training=True).data
    delta = out - x
    np.testing.assert_allclose(delta, delta[:, :1, :1, :1] * np.ones_like(delta), atol=1e-4)
    d = delta[:, 0, 0, 0] / 255
    assert d.min() >= -0.1 - 1e-6 and d.max() <= 0.2 + 1e-6 and d.std() > 0.03
    white = L.RandomBrightness((1.0, 1.0), value_range=(0, 1), seed=0)(x / 255, training=True).data
    np.testing.assert_array_equal(white, np.ones_like(white))


def test_random_translation_shifts_by_drawn_amounts(rng):
    x = rng.normal(size=(50, 10, 10, 1)).astype(np.float32)
    layer = L.RandomTranslation((0.2, 0.2), (-0.3, -0.3), fill_mode="constant", interpolation="nearest",
                                seed=0)
    out = layer(x, training=True).data                # always 2 rows down, 3 columns left
    ref = np.zeros_like(x)
    ref[:, 2:, :-3] = x[:, :-2, 3:]
    np.testing.assert_array_equal(out, ref)


def test_random_rotation_quarter_turns_and_range(rng):
    x = rng.normal(size=(6, 5, 5, 2)).astype(np.float32)
    out = L.RandomRotation((0.25, 0.25), interpolation="nearest", seed=0)(x, training=True).data
    np.testing.assert_allclose(out, np.rot90(x, axes=(1, 2)), atol=1e-6)   # positive: counter-clockwise
    angles = L.RandomRotation(0.1, seed=0).transforms(1000, 5, 5, np.random.default_rng(0))
    theta = np.arctan2(angles[:, 3], angles[:, 0]) / (2 * np.pi)
    assert -0.1 <= theta.min() < -0.09 and 0.09 < theta.max() <= 0.1


def test_random_zoom_in_and_out(rng):
    x = rng.normal(size=(4, 9, 9, 1)).astype(np.float32)
    zoom_in = L.RandomZoom((-0.5, -0.5), interpolation="nearest", seed=0)(x, training=True).data
    idx = np.floor(0.5 * np.arange(9) + 2 + 0.5).astype(int)        # x' = 0.5 (x - 4) + 4, rounded
    np.testing.assert_array_equal(zoom_in, x[:, idx][:, :, idx])
    zoom_out = L.RandomZoom((1.0, 1.0), fill_mode="constant", fill_value=-9, interpolation="nearest",
                            seed=0)(x, training=True).data            # x' = 2 (x - 4) + 4
    np.testing.assert_array_equal(zoom_out[:, 2:7, 2:7], x[:, ::2, ::2])
    border = np.ones((9, 9), dtype=bool)
    border[2:7, 2:7] = False
    assert (zoom_out[:, border] == -9).all()
    wide = L.RandomZoom(0.0, (0.5, 0.5), seed=0).transforms(3, 9, 9, np.random.default_rng(0))
    np.testing.assert_allclose(wide[:, [0, 4]], [[1.5, 1.0]] * 3)      # only the width zoomed


@pytest.mark.parametrize("make, match", [
    (lambda: L.RandomFlip("diagonal"), r"RandomFlip: mode must be one of .*got 'diagonal'"),
    (lambda: L.RandomCrop(0, 4), r"RandomCrop: height must be a positive int, got 0"),
    (lambda: L.RandomCrop(4, 2.5), r"RandomCrop: width must be a positive int, got 2.5"),
    (lambda: L.RandomContrast(1.5), r"RandomContrast: factor must be .*got 1.5"),
    (lambda: L.RandomContrast(-0.1), r"RandomContrast: factor must be .*got -0.1"),
    (lambda: L.RandomContrast(0.2, value_range=(1, 1)), r"RandomContrast: value_range .*got \(1, 1\)"),
    (lambda: L.RandomBrightness(2), r"RandomBrightness: factor must be .* in \[-1, 1\], got 2"),
    (lambda: L.RandomBrightness((0.1, 0.2, 0.3)), r"RandomBrightness: factor .*got \(0.1, 0.2, 0.3\)"),
    (lambda: L.RandomTranslation(0.1, "x"), r"RandomTranslation: width_factor must be .*got 'x'"),
    (lambda: L.RandomTranslation(1.2, 0.1), r"RandomTranslation: height_factor must be .*got 1.2"),
    (lambda: L.RandomRotation((-2, 0.1)), r"RandomRotation: factor must be .*got \(-2, 0.1\)"),
    (lambda: L.RandomRotation(0.1, fill_mode="mirror"), r"RandomRotation: fill_mode must be .*'mirror'"),
    (lambda: L.RandomZoom(0.1, interpolation="bicubic"), r"RandomZoom: interpolation must be .*'bicubic'"),
    (lambda: L.RandomZoom(0.1, width_factor=[0.1]), r"RandomZoom: width_factor must be .*got \[0.1\]"),
    (lambda: L.RandomZoom(0.1, seed=1.5), r"RandomZoom: seed must be an int or None, got 1.5"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("name", list(MAKERS))
def test_non_image_input_is_refused(name):
    layer = MAKERS[name](name="aug")
    with pytest.raises(ValueError, match=rf"'aug' \({name}\) expects a batch of images .*\(None, 8, 8, 3, 1"):
        layer(np.zeros((2, 8, 8, 3, 1), dtype=np.float32), training=True)
    with pytest.raises(ValueError, match=r"or one image \(height, width, channels\), got shape \(None, 3\)"):
        MAKERS[name]()(np.zeros((8, 3), dtype=np.float32), training=True)


@pytest.mark.parametrize("name", list(MAKERS))
def test_one_image_is_a_batch_of_one(name, images):
    out = MAKERS[name](seed=4)(images[0], training=True)
    np.testing.assert_array_equal(out.data, MAKERS[name](seed=4)(images[:1], training=True).data[0])
    assert out.ndim == 3
    if name != "RandomCrop":
        np.testing.assert_array_equal(MAKERS[name]()(images[0]).data, images[0])


def test_keras_configs_with_data_format_load():
    layer = L.RandomZoom.from_config({"height_factor": 0.1, "data_format": "channels_last", "name": "z"})
    assert layer.height_range == (-0.1, 0.1)
    with pytest.raises(ValueError, match="RandomFlip: only data_format='channels_last'"):
        L.RandomFlip(data_format="channels_first")


@pytest.mark.parametrize("name", list(MAKERS))
def test_config_round_trip(name, images):
    assert_config_round_trip(MAKERS[name](seed=5), images)
    unseeded = MAKERS[name]()
    assert unseeded.get_config()["seed"] is None


def test_gradient_flows_through_the_augmentation(rng):
    x = Tensor(rng.normal(size=(2, 6, 6, 1)), requires_grad=True)
    out = L.RandomRotation(0.1, seed=0)(x, training=True)
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape and np.abs(x.grad).sum() > 0


def _model(seed_layers=True):
    seed = (lambda i: i) if seed_layers else (lambda i: None)
    return snn.Sequential([
        L.Input((12, 12, 1)),
        L.RandomFlip("horizontal", seed=seed(1)), L.RandomTranslation(0.1, 0.1, seed=seed(2)),
        L.RandomRotation(0.05, seed=seed(3)), L.RandomZoom((-0.1, 0.1), 0.05, seed=seed(4)),
        L.RandomContrast((0.1, 0.2), value_range=(0, 1), seed=seed(5)),
        L.RandomBrightness(0.1, value_range=(0, 1), seed=seed(6)),
        L.RandomCrop(10, 10, seed=seed(7)),
        L.Conv2D(4, 3, activation="relu"), L.Flatten(), L.Dense(2, activation="softmax")])


def _bars(rng, n=96):
    """Vertical bars (class 0) or horizontal bars (class 1): flips keep the class."""
    x = rng.random(size=(n, 12, 12, 1)).astype(np.float32) * 0.2
    y = rng.integers(0, 2, size=n)
    for i in range(n):
        k = rng.integers(3, 9)
        if y[i]:
            x[i, k] += 0.8
        else:
            x[i, :, k] += 0.8
    return np.clip(x, 0, 1), y


def test_model_with_augmentation_trains_and_predicts_deterministically(rng):
    set_random_seed(0)
    x, y = _bars(rng)
    model = _model()
    model.compile(optimizer=snn.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    # fit called the layers with training=True: their generators moved on (6 batches x 10 epochs)
    assert model.layers[0].rng.random() != np.random.default_rng(1).random()
    assert model.evaluate(x, y, verbose=0)[1] > 0.8
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)


def test_model_with_augmentation_saves_and_loads(rng, tmp_path):
    set_random_seed(0)
    x, y = _bars(rng, 32)
    model = _model(seed_layers=False)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "augmented.scratchnn"
    model.save(path)
    loaded = load_model(path)
    assert [type(a).__name__ for a in loaded.layers] == [type(b).__name__ for b in model.layers]
    assert [a.get_config() for a in loaded.layers[:7]] == [b.get_config() for b in model.layers[:7]]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_symbolic_input_gives_output_shapes():
    inputs = L.Input((12, 10, 3))
    out = L.RandomCrop(8, 6)(L.RandomRotation(0.1)(inputs))
    assert tuple(out.shape) == (None, 8, 6, 3)


# ======================================================================= Resizing, CenterCrop
def test_resizing_values_and_aspect_crop(rng):
    x = rng.normal(size=(2, 4, 6, 3)).astype(np.float32)
    out = L.Resizing(8, 12)(x)
    assert out.shape == (2, 8, 12, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out.data, T.resize(x, (8, 12)).data)
    np.testing.assert_array_equal(L.Resizing(4, 6)(x).data, x)
    # doubling: output pixel 1 reads input point 0.25 = 0.75 x[0] + 0.25 x[1]
    np.testing.assert_allclose(out.data[:, 0, 1], 0.75 * x[:, 0, 0] + 0.25 * x[:, 0, 1], rtol=1e-5)
    halved = L.Resizing(2, 3, interpolation="nearest")(x).data   # pixel i reads point 2 i + 0.5 -> 2 i + 1
    np.testing.assert_array_equal(halved, x[:, 1::2, 1::2])
    square = L.Resizing(4, 4, crop_to_aspect_ratio=True)(x).data      # the centred 4 x 4 window
    np.testing.assert_array_equal(square, x[:, :, 1:5])
    np.testing.assert_array_equal(L.Resizing(3, 3)(x[0]).data, L.Resizing(3, 3)(x[:1]).data[0])


def test_center_crop_and_small_inputs(rng):
    x = rng.normal(size=(2, 7, 6, 1)).astype(np.float32)
    np.testing.assert_array_equal(L.CenterCrop(3, 4)(x).data, x[:, 2:5, 1:5])
    np.testing.assert_array_equal(L.CenterCrop(3, 4)(x, training=True).data, x[:, 2:5, 1:5])
    big = L.CenterCrop(8, 8)(x).data                   # smaller input: centred 6 x 6 window resized
    np.testing.assert_array_equal(big, T.resize(x[:, 0:6], (8, 8)).data)


@pytest.mark.parametrize("make, error, match", [
    (lambda: L.Resizing(0, 3), ValueError, r"Resizing: height must be a positive int, got 0"),
    (lambda: L.Resizing(3, 3, interpolation="bicubic"), ValueError, r"Resizing: interpolation must be"),
    (lambda: L.Resizing(3, 3, pad_to_aspect_ratio=True), NotImplementedError, r"pad_to_aspect_ratio"),
    (lambda: L.CenterCrop(3, -1), ValueError, r"CenterCrop: width must be a positive int, got -1"),
])
def test_resizing_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_resizing_in_a_model_saves_and_loads(rng, tmp_path):
    x = rng.random(size=(4, 10, 8, 3)).astype(np.float32)
    model = snn.Sequential([L.Input((10, 8, 3)), L.Resizing(6, 6, crop_to_aspect_ratio=True),
                            L.CenterCrop(4, 4), L.Rescaling(1 / 255), L.Flatten(), L.Dense(2)])
    assert model.output_shape == (None, 2)
    path = tmp_path / "resize.scratchnn"
    model.save(path)
    loaded = load_model(path)
    assert loaded.layers[0].get_config() == model.layers[0].get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert_config_round_trip(L.Resizing(5, 4, interpolation="nearest"), x)
    assert_config_round_trip(L.CenterCrop(5, 4), x)
